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
