"""Timing and the machine: repeated runs with median, min and max, peak memory, fitted
scaling exponents, and the CPU and device a time was measured on."""

import os
import platform
import statistics
import threading
import time
from collections.abc import Callable
from typing import NamedTuple

import jax
import numpy as np

ENGINES = ("md", "fast_ogn", "lammps", "md_all_pairs", "paper_ogn")
RUNTIME_COLUMNS = ["system", "N", "engine", "steps", "compile_s", "median_s", "min_s", "max_s",
                   "repeats", "peak_mem_mb", "memory", "rebuilds", "layout", "model", "model_k",
                   "substeps", "network_passes_per_100_md_steps",
                   "force_evaluations_per_100_md_steps", "device", "cpu_model", "cpu_threads",
                   "threads"]


# --------------------------------------------------------------------------------------------
# measuring


class Timing(NamedTuple):
    compile_s: float  # first (untimed) run minus the median timed run, s
    seconds: tuple  # wall time of each timed run, s
    peak_mem_mb: float  # peak memory during the timed runs (see the module docstring), MB
    memory: str  # "host_rss" or "device_peak"

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def resident_set_mb() -> float:
    """Current resident memory of this process in MB (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_memory_during(fn: Callable[[], object], interval_s: float = 0.005):
    """``(fn(), peak MB, kind)``: peak host RSS sampled while ``fn`` runs on CPU, or the
    device's ``peak_bytes_in_use`` (since the process started) on an accelerator."""
    if jax.default_backend() != "cpu":
        result = fn()
        stats = jax.local_devices()[0].memory_stats() or {}
        return result, stats.get("peak_bytes_in_use", float("nan")) / 1e6, "device_peak"
    peak = [resident_set_mb()]
    stop = threading.Event()

    def sample():
        while not stop.wait(interval_s):
            peak[0] = max(peak[0], resident_set_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = fn()
    finally:
        stop.set()
        sampler.join()
    return result, max(peak[0], resident_set_mb()), "host_rss"


def measure(run: Callable[[], float | None], repeats: int) -> Timing:
    """Time ``run`` (which must block until its work is done) once untimed, then ``repeats``
    times. ``run`` may return its own measured seconds (used instead of the wall time around
    the call, e.g. LAMMPS excluding its setup) or None."""
    if repeats < 1:
        raise ValueError(f"repeats = {repeats}; at least one timed run is needed")

    def timed():
        start = time.perf_counter()
        own = run()
        wall = time.perf_counter() - start
        return wall if own is None else float(own)

    first = timed()

    def all_repeats():
        return tuple(timed() for _ in range(repeats))

    seconds, peak, kind = peak_memory_during(all_repeats)
    return Timing(compile_s=max(0.0, first - statistics.median(seconds)), seconds=seconds,
                  peak_mem_mb=peak, memory=kind)


def interleaved_seconds(runs: dict[str, Callable[[], float | None]],
                        repeats: int) -> dict[str, list[float]]:
    """Wall seconds of every run of ``runs`` (name -> zero-argument function that blocks until
    its work is done, and may return its own measured seconds, as for :func:`measure`): each
    once untimed (compilation, warm-up), then ``repeats`` rounds in which the runs take turns
    in the order given, so that a change of the machine's load hits all of them alike."""
    if repeats < 1:
        raise ValueError(f"repeats = {repeats}; at least one timed run is needed")

    def timed(run):
        start = time.perf_counter()
        own = run()
        wall = time.perf_counter() - start
        return wall if own is None else float(own)

    for run in runs.values():
        timed(run)
    seconds = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            seconds[name].append(timed(run))
    return seconds


def fitted_exponent(n_atoms, seconds, n_min: float | None = None,
                    n_max: float | None = None) -> float:
    """Slope b of log(seconds) = a + b log(N), least squares over n_min <= N <= n_max.

    b = 1 is linear scaling, 2 quadratic. Needs at least two distinct N in the range.
    """
    n = np.asarray(n_atoms, dtype=np.float64)
    t = np.asarray(seconds, dtype=np.float64)
    keep = np.isfinite(t) & (t > 0)
    if n_min is not None:
        keep &= n >= n_min
    if n_max is not None:
        keep &= n <= n_max
    if np.unique(n[keep]).size < 2:
        raise ValueError(f"a scaling exponent needs times at two or more sizes N in "
                         f"[{n_min}, {n_max}]; got N = {sorted(set(n[keep].tolist()))}")
    slope, _ = np.polyfit(np.log(n[keep]), np.log(t[keep]), 1)
    return float(slope)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(threads: int) -> dict:
    """Where the times come from: CPU model and cores, threads used, JAX device."""
    device = jax.local_devices()[0]
    kind = getattr(device, "device_kind", device.platform)
    return {"device": f"{device.platform}:{kind}", "cpu_model": cpu_model(),
            "cpu_threads": os.cpu_count(), "threads": int(threads)}


def machine_label(row: dict) -> str:
    """One line naming the machine and device of a runtime table row."""
    return (f"{row['device']}; CPU {row['cpu_model']} ({row['cpu_threads']} logical cores, "
            f"{row['threads']} threads used)")


def timing_row(system_name: str, n_atoms: int, engine: str, n_steps: int, timing: Timing,
               info: dict, machine: dict, model: str = "", costs: dict | None = None) -> dict:
    """One row of ``results/runtime/{system}.csv`` (:data:`RUNTIME_COLUMNS`): for the learned
    simulator, the model file timed (the one whose rollouts the accuracy table reports) and
    its cost per 100 MD steps (:func:`ogn.runtime.engines.stride_costs`) and the pair table
    it ran on (``layout``: rows, edges); an MD engine evaluates its forces once per MD
    step."""
    costs = costs or {"model_k": 1, "substeps": 1, "network_passes_per_100_md_steps": 0.0,
                      "force_evaluations_per_100_md_steps": 100.0}
    return {"system": system_name, "N": int(n_atoms), "engine": engine, "steps": int(n_steps),
            "compile_s": timing.compile_s, "median_s": timing.median,
            "min_s": min(timing.seconds), "max_s": max(timing.seconds),
            "repeats": len(timing.seconds), "peak_mem_mb": timing.peak_mem_mb,
            "memory": timing.memory, "rebuilds": int(info.get("rebuilds", -1)),
            "layout": str(info.get("layout", "")), "model": str(model), **costs, **machine}
