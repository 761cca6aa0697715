"""Limit the CPU threads JAX/XLA and BLAS use to a job's share. Must run before JAX starts.

XLA sizes its CPU thread pools from the cores the process may run on (its affinity mask, which
a cluster scheduler's cgroup sets). On a shared workstation a one-thread job additionally
switches XLA's multi-threaded Eigen kernels off, and BLAS/OpenMP get ``threads`` threads.
"""

import os
import sys
from importlib.metadata import version


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


YNN_FUSIONS = "dot,eltwise,reduce"


def use_ynnpack_fusions() -> None:
    """Graph-network training jobs: let XLA's CPU backend hand matrix products, elementwise
    fusions and reductions to YNNPACK (``--xla_cpu_experimental_ynn_fusion_type``).

    Measured on a 2-core Xeon (benchmarks/bench_model.py, LJ-265, quiet machine): the 2-layer
    training step 134 -> 112-117 ms and the forward step 45 -> 31-34 ms against matrix
    products alone, and the 10-layer training step 577 -> 513-531 ms. Loss and gradients agree with XLA's own
    kernels to float32 rounding (5e-7 of the largest gradient). The products that contract
    over the edges (the weight gradients) stay with XLA's own kernels, which YNNPACK does not
    take. The flag is experimental and XLA aborts on a flag it does not know, so it is set only
    for the pinned jaxlib (0.10.2) and only before JAX starts.
    """
    flags = os.environ.get("XLA_FLAGS", "")
    if "jax" in sys.modules or "ynn_fusion_type" in flags or version("jaxlib") != "0.10.2":
        return
    os.environ["XLA_FLAGS"] = (
        flags + f" --xla_cpu_experimental_ynn_fusion_type={YNN_FUSIONS}").strip()
