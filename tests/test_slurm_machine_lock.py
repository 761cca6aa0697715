"""Two SLURM test clusters on one machine take turns (slurm_cluster.acquire_machine_lock).

Runs in plain pytest: no daemons, only the lock file, here below tmp_path.
"""

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

SLURM_DIR = Path(__file__).resolve().parent / "slurm"
sys.path.insert(0, str(SLURM_DIR))

from slurm_cluster import acquire_machine_lock  # noqa: E402


def hold_lock(path: Path) -> subprocess.Popen:
    """A process that takes the lock, says so on stdout, and keeps it until killed."""
    code = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(SLURM_DIR)!r})
        from slurm_cluster import acquire_machine_lock
        acquire_machine_lock(__import__("pathlib").Path({str(path)!r}), wait=0)
        print("held", flush=True)
        time.sleep(600)
    """)
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_second_cluster_waits_then_names_the_holder(tmp_path, capfd):
    lock = tmp_path / "lock"
    holder = hold_lock(lock)
    try:
        start = time.monotonic()
        with pytest.raises(RuntimeError, match=rf"pid {holder.pid}\) has held"):
            acquire_machine_lock(lock, wait=1.0)
        assert time.monotonic() - start >= 1.0
        assert f"waiting for the SLURM test cluster of pid {holder.pid}" in capfd.readouterr().err
    finally:
        holder.kill()
        holder.wait()


def test_lock_of_a_killed_holder_is_taken_at_once(tmp_path):
    lock = tmp_path / "lock"
    holder = hold_lock(lock)
    holder.kill()
    holder.wait()
    fd = acquire_machine_lock(lock, wait=0)
    try:
        assert lock.read_text() == str(os.getpid())
    finally:
        os.close(fd)
