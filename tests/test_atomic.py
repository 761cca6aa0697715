"""Atomic writes tried for real: a writer killed mid-write leaves the old file or none, never
a file that looks complete."""

import os
import signal
import subprocess
import sys
import time

import pytest

from ogn.data.atomic import atomic_path

WRITER = """
import sys, time
from ogn.data.atomic import atomic_path
with atomic_path(sys.argv[1]) as tmp:
    with open(tmp, "w") as handle:
        for i in range(1000):
            handle.write("new %d\\n" % i)
            handle.flush()
            if i == 10:
                print("writing", flush=True)
            time.sleep(0.01)
"""


@pytest.mark.parametrize("old", [None, "old contents\n"])
def test_a_writer_killed_mid_write_leaves_the_old_file_or_none(tmp_path, old):
    target = tmp_path / "out" / "table.csv"
    if old is not None:
        target.parent.mkdir()
        target.write_text(old)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(target)],
                              stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "writing"  # half way through its file
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    if old is None:
        assert not target.exists()
    else:
        assert target.read_text() == old
    # what is left beside it is a hidden temporary file, not something a rule would take
    leftovers = [p.name for p in target.parent.iterdir() if p != target]
    assert all(name.startswith(".table.csv.tmp") for name in leftovers), leftovers


def test_an_error_inside_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "model.npz"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("the job failed here")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_a_finished_write_replaces_the_file(tmp_path):
    target = tmp_path / "a" / "b.txt"
    start = time.time()
    with atomic_path(target) as tmp:
        tmp.write_text("done")
    assert target.read_text() == "done" and target.stat().st_mtime >= start - 1
    assert [p.name for p in target.parent.iterdir()] == ["b.txt"]
