"""The preamble of every rule's script: the job's CPU threads, XLA options, compilation cache
and precision set before JAX starts, a progress logger on the rule's log file, and uncaught
errors written to that log as well as to stderr.

A script starts with ``log = start_job(snakemake, ...)`` and only then imports the library
modules that load JAX (the ruff config exempts workflow/scripts from E402 for this).
"""

import os
import sys
import traceback
from collections.abc import Callable

from ogn.workflow.compile_cache import use_compilation_cache
from ogn.workflow.runlog import make_logger
from ogn.workflow.threads import configure_cpu_threads, use_ynnpack_fusions


def start_job(snakemake, *, precision: str | None = None, network: bool = False,
              omp_passive: bool = False, compilation_cache: bool = True
              ) -> Callable[[str], None]:
    """Configure this job's process and return its ``log(message)`` function.

    ``precision``: ``float64`` or ``float32`` for JAX (None: leave JAX alone, e.g. a
    figure job); ``network``: a graph-network job, whose XLA options come from the config
    (``compute.xla_cpu_ynn_fusions``); ``omp_passive``: OpenMP threads sleep at barriers
    (LAMMPS timings on shared cores); ``compilation_cache``: load and keep compiled programs
    in the config's ``compute.compilation_cache`` (False, for jobs that time compilation: off
    even where the environment names a cache).
    """
    if omp_passive:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    configure_cpu_threads(snakemake.threads)
    use_compilation_cache(snakemake.config.get("compute", {}).get("compilation_cache"),
                          on=compilation_cache)
    if network:
        use_ynnpack_fusions(snakemake.config["compute"]["xla_cpu_ynn_fusions"])
    log_file = snakemake.log[0] if len(snakemake.log) else None
    log = make_logger(log_file)
    if log_file is not None:
        log_uncaught_errors(log_file)
    if precision is not None:
        from ogn.md.precision import set_precision

        set_precision(precision)
    return log


def log_uncaught_errors(path) -> None:
    """An error that ends the script is written to ``path`` (the rule's log) as well as to
    stderr, so that ``results/logs/`` says why a job failed."""
    previous = sys.excepthook

    def hook(kind, value, trace):
        with open(path, "a") as handle:
            handle.write("".join(traceback.format_exception(kind, value, trace)))
        previous(kind, value, trace)

    sys.excepthook = hook
