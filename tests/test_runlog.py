"""Progress lines of long jobs."""

import re

from ogn.workflow.runlog import ProgressMeter


def left_of(line):
    return float(re.search(r"left=(\S+)s", line).group(1))


def test_time_left_is_capped_by_a_wall_clock_budget():
    meter = ProgressMeter(total=1_000_000)
    meter.start_time -= 10.0  # 10 s spent on 100 steps: 10 steps/s
    assert left_of(meter.line(100)) > 90_000
    assert left_of(meter.line(100, budget_left=600.0)) == 600.0
    # a budget longer than the loop leaves the step-based estimate
    meter = ProgressMeter(total=200)
    meter.start_time -= 10.0
    assert left_of(meter.line(100, budget_left=1e9)) == 10.0
    assert left_of(meter.line(100, budget_left=-5.0)) == 0.0


def test_a_failing_job_writes_its_traceback_to_the_rule_log(tmp_path):
    """start_job (the preamble of every rule's script) sends an error that ends the script to
    the rule's log file as well as to stderr."""
    import subprocess
    import sys

    log_file = tmp_path / "logs" / "rule.log"
    log_file.parent.mkdir()
    script = f"""
from types import SimpleNamespace
from ogn.workflow.job import start_job
snakemake = SimpleNamespace(threads=1, log=[{str(log_file)!r}], config={{}})
log = start_job(snakemake)
log("started")
raise ValueError("systems.lj.box = -1: the box must be positive")
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0
    text = log_file.read_text()
    assert "started" in text
    assert "Traceback (most recent call last)" in text
    assert "ValueError: systems.lj.box = -1: the box must be positive" in text
    assert "ValueError: systems.lj.box = -1" in result.stderr
