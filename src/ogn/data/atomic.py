"""Files: atomic writes (a temporary file beside the target, renamed when complete), CSV
tables, and content hashes.

A job killed half-way never leaves a file that looks finished (Snakemake also deletes outputs
of failed jobs, but a SIGKILL or a node failure can leave partial files behind).
"""

import contextlib
import hashlib
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
        flush_to_disk(tmp)
        os.replace(tmp, path)
        flush_to_disk(path.parent)  # the rename itself
    finally:
        if tmp.exists():
            tmp.unlink()


def flush_to_disk(path) -> None:
    """fsync a file or a folder, so that a crash after the rename finds the data written."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def write_csv(table, path) -> None:
    """Write a pandas DataFrame as CSV (no index) atomically."""
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)


def file_sha256(paths) -> str:
    """sha256 of the concatenated bytes of the files, in order."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()
