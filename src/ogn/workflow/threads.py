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


YNN_FUSION_TYPES = ("dot", "eltwise", "reduce", "individual_dot")


def ynn_fusion_flag(fusion_types) -> str:
    """The XLA flag that hands ``fusion_types`` (names of :data:`YNN_FUSION_TYPES`) to
    YNNPACK, or "" for an empty list (XLA's defaults)."""
    names = [str(name) for name in fusion_types]
    unknown = [name for name in names if name not in YNN_FUSION_TYPES]
    if unknown:
        raise ValueError(f"unknown YNNPACK fusion type(s) {unknown}: compute.xla_cpu_ynn_fusions "
                         f"takes a list of {', '.join(YNN_FUSION_TYPES)} (or [] for XLA's "
                         "defaults)")
    return f"--xla_cpu_experimental_ynn_fusion_type={','.join(names)}" if names else ""


def ynn_compiler_options(fusion_types) -> dict:
    """The same choice as per-compilation options (``jax.jit(...).lower(...).compile(
    compiler_options=...)``), so that one process can time several choices side by side."""
    ynn_fusion_flag(fusion_types)  # validates the names
    if not fusion_types:
        return {}
    return {"xla_cpu_experimental_ynn_fusion_type":
            ",".join("LIBRARY_FUSION_TYPE_" + str(name).upper() for name in fusion_types)}


def use_ynnpack_fusions(fusion_types) -> None:
    """Graph-network jobs: let XLA's CPU backend hand the operations ``fusion_types`` (config
    ``compute.xla_cpu_ynn_fusions``) to YNNPACK (``--xla_cpu_experimental_ynn_fusion_type``).

    Which choice is fastest depends on the CPU (benchmarks/bench_model.py --ynn-variants
    times several in one process). LJ-265, 2-layer training step: on a 2-core AMD EPYC,
    ``[dot]`` 69.5 ms against 77.5 ms with ``[dot, eltwise, reduce]`` (medians of 16
    interleaved rounds, 2026-11-25); on a 2-core Xeon (2026-11-24), ``[dot, eltwise, reduce]``
    112-117 ms against 134 ms with ``[dot]``. Loss and gradients agree with XLA's own kernels
    to float32 rounding. YNNPACK does not take the products that contract over the edges (the
    weight gradients) whatever the choice: :mod:`ogn.net.kernels` runs them instead. The flag is
    experimental and XLA aborts on a flag it does not know, so it is set only for the pinned
    jaxlib (0.10.2), only before JAX starts, and never over a choice already in XLA_FLAGS.
    """
    flag = ynn_fusion_flag(fusion_types)
    flags = os.environ.get("XLA_FLAGS", "")
    if (not flag or "jax" in sys.modules or "ynn_fusion_type" in flags
            or version("jaxlib") != "0.10.2"):
        return
    os.environ["XLA_FLAGS"] = (flags + " " + flag).strip()
