"""Limit the CPU threads JAX/XLA and BLAS use to a job's share. Must run before JAX starts."""

import os
import sys


def configure_cpu_threads(threads: int) -> None:
    """Restrict XLA's CPU thread pool and BLAS/OpenMP to ``threads`` (call before importing jax)."""
    threads = max(1, int(threads))
    if "jax" in sys.modules:
        return  # too late to change XLA's pool; the job keeps its default
    flags = os.environ.get("XLA_FLAGS", "")
    if threads == 1 and "xla_cpu_multi_thread_eigen" not in flags:
        flags += " --xla_cpu_multi_thread_eigen=false"
    if "intra_op_parallelism_threads" not in flags:
        flags += f" intra_op_parallelism_threads={threads}"
    os.environ["XLA_FLAGS"] = flags.strip()
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(threads)
