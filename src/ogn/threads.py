"""Limit the CPU threads JAX/XLA and BLAS use to a job's share. Must run before JAX starts.

XLA sizes its CPU thread pools from the cores the process may run on (its affinity mask, which
a cluster scheduler's cgroup sets). On a shared workstation a one-thread job additionally
switches XLA's multi-threaded Eigen kernels off, and BLAS/OpenMP get ``threads`` threads.
"""

import os
import sys


def configure_cpu_threads(threads: int) -> None:
    """Restrict XLA's intra-op threading and BLAS/OpenMP to ``threads`` (before importing jax)."""
    threads = max(1, int(threads))
    if "jax" in sys.modules:
        return  # too late to change XLA's pool; the job keeps its default
    flags = os.environ.get("XLA_FLAGS", "")
    if threads == 1 and "xla_cpu_multi_thread_eigen" not in flags:
        os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=false").strip()
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(threads)
