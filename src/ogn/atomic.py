"""Atomic outputs: write to a temporary file beside the target, rename when complete.

A job killed half-way never leaves a file that looks finished (Snakemake also deletes outputs
of failed jobs, but a SIGKILL or a node failure can leave partial files behind).
"""

import contextlib
import os
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path; on success move it onto ``path``, on error delete it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
