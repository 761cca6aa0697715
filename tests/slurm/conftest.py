"""Fixtures of the SLURM profile test: a private single-node SLURM and a copy of the repo.

These tests start daemons and run the tiny DAG through SLURM (minutes), so plain `pytest`
skips them; `.ci/slurm_test.sh` installs the Debian packages and runs them with
OGN_SLURM_TEST=1 (as root, which slurmd needs).
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from slurm_cluster import start_cluster, stop_cluster, why_not_runnable  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
ENABLED = os.environ.get("OGN_SLURM_TEST") == "1"
# Not copied into the scratch repo: environments, caches, earlier results.
SKIP_IN_COPY = shutil.ignore_patterns(".git", ".venv", "results", ".snakemake", "__pycache__",
                                      ".pytest_cache", ".ruff_cache", "*.egg-info")


def pytest_configure(config):
    config.addinivalue_line("markers", "slurm: needs a real SLURM (.ci/slurm_test.sh)")


def pytest_collection_modifyitems(config, items):
    if ENABLED:
        return
    skip = pytest.mark.skip(reason="SLURM test: run .ci/slurm_test.sh (sets OGN_SLURM_TEST=1)")
    for item in items:
        if "slurm" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def slurm():
    """A running private SLURM (slurm_cluster.Cluster); stopped afterwards, no process left."""
    problem = why_not_runnable()
    if problem:
        pytest.fail(f"cannot start SLURM here: {problem}")
    # Not below pytest's tmp_path: munged needs every directory on the way to its socket open
    # to all users, and pytest's are private.
    root = Path(tempfile.mkdtemp(prefix="ogn-slurm-", dir="/tmp"))
    cluster = start_cluster(root)
    try:
        yield cluster
    finally:
        left = stop_cluster(cluster)
        kept = Path(tempfile.gettempdir()) / "ogn-slurm-last-logs"
        shutil.rmtree(kept, ignore_errors=True)
        shutil.copytree(root / "log", kept)
        shutil.rmtree(root, ignore_errors=True)
        assert not left, f"processes still running after the SLURM test: {left}"


@pytest.fixture(scope="session")
def repo_copy(tmp_path_factory):
    """A scratch copy of the repository (sources, configs, profiles; no results)."""
    target = tmp_path_factory.mktemp("repo") / "ogn"
    shutil.copytree(REPO, target, ignore=SKIP_IN_COPY, symlinks=True)
    return target
