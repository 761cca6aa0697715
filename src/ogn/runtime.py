"""Timing harness of the runtime stage (issue 5, Fig. 4C and 4D).

What is timed, per system and size N (all engines from the same starting configuration):

* ``md``: our MD (:mod:`ogn.md`, jitted velocity Verlet, host-built neighbor lists with
  skin-based rebuilds), ``n_steps`` NVE steps, the initial list build and force evaluation and
  every rebuild included;
* ``fast_ogn``: a rollout of ceil(n_steps / k) model steps of the Fast-OGN (:mod:`ogn.rollout`),
  the graph builds included;
* ``lammps``: LAMMPS with the same potential, N, dt and skin on ``threads`` OpenMP threads
  (the cores JAX uses); its setup is excluded (``run N pre no``, after a few warm-up steps);
* ``md_all_pairs``: our MD without a neighbor list, the potential evaluated on every ordered
  pair each step (:mod:`ogn.baseline`, O(N^2) time and memory per step).

Each engine is run once untimed (compilation and warm-up: ``compile_s`` is that run's time
minus the median of the timed ones), then ``repeats`` times; median, min and max wall times are
reported with the peak memory during the timed runs: the process's resident set (host RSS,
sampled every few ms) on CPU, the device's peak bytes in use on an accelerator.

The complexity index (Fig. 4D) is the time of one potential-energy evaluation of a
configuration, per ``n_atoms`` atoms, relative to the Kob-Andersen LJ's, in our code and in
LAMMPS (:func:`energy_seconds`, :func:`lammps_force_seconds`).
"""

import math
import os
import platform
import statistics
import threading
import time
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

ENGINES = ("md", "fast_ogn", "lammps", "md_all_pairs")
RUNTIME_COLUMNS = ["system", "N", "engine", "steps", "compile_s", "median_s", "min_s", "max_s",
                   "repeats", "peak_mem_mb", "memory", "rebuilds", "device", "cpu_model",
                   "cpu_threads", "threads"]
COMPLEXITY_COLUMNS = ["system", "potential", "n_atoms_timed", "per_atoms", "energy_s",
                      "energy_forces_s", "lammps_s", "index_energy", "index_energy_forces",
                      "index_lammps"]


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


def quadratic_memory_mb(n_atoms: int, measured_n: int, measured_peak_mb: float,
                        base_mb: float) -> float:
    """Peak memory (MB) predicted at ``n_atoms`` for a run whose memory above ``base_mb`` grows
    as N^2 (the no-list baseline), from the peak ``measured_peak_mb`` of a run at
    ``measured_n`` atoms that started with ``base_mb`` in use."""
    extra = max(0.0, float(measured_peak_mb) - float(base_mb))
    return float(base_mb) + extra * (float(n_atoms) / float(measured_n)) ** 2


def all_pairs_skip_reason(n_atoms: int, max_atoms: int, mem_mb: float,
                          measured: tuple | None) -> str | None:
    """Why the no-list baseline is not run at ``n_atoms`` (None: run it): above
    ``runtime.all_pairs_max_atoms``, or a memory need, extrapolated as N^2 by
    :func:`quadratic_memory_mb` from ``measured`` = (N, peak MB, MB in use before) of its
    last run (None: none yet), above ``runtime.mem_mb``."""
    if n_atoms > max_atoms:
        return f"runtime.all_pairs_max_atoms = {max_atoms}"
    if measured is not None:
        needed = quadratic_memory_mb(n_atoms, *measured)
        if needed > mem_mb:
            return (f"it would need about {needed:.0f} MB (N^2 from {measured[1]:.0f} MB at "
                    f"N = {measured[0]}), more than runtime.mem_mb = {mem_mb}; raise "
                    "runtime.mem_mb or lower runtime.all_pairs_max_atoms")
    return None


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


# --------------------------------------------------------------------------------------------
# configurations at other sizes


def closest_distances(position, species, box) -> np.ndarray:
    """(S, S) shortest minimum-image distance between atoms of species a and b (inf where a
    pair of species never comes within half the box)."""
    from .neighbors import ordered_pairs

    species = np.asarray(species)
    n_species = int(species.max()) + 1
    senders, receivers = ordered_pairs(np.asarray(position, np.float64), box,
                                       0.49 * float(np.min(box)))
    d = position[receivers] - position[senders]
    d -= box * np.round(d / box)
    r = np.linalg.norm(d, axis=1)
    closest = np.full((n_species, n_species), np.inf)
    np.minimum.at(closest, (species[senders], species[receivers]), r)
    return closest


def cropped_tiling(position, species, box, counts, side: float, rng: np.random.Generator,
                   margin: float = 0.02, closeness: float = 0.9):
    """A configuration of ``counts`` atoms per species in a cubic box of ``side``, cut from
    periodic copies of ``position`` at the same density.

    The copies fill a cube of side ``side * (1 + m)``, which is then scaled onto the box (a
    compression by 1/(1 + m)); atoms meeting new neighbours across the cut faces closer than
    ``closeness`` times the shortest distance of their species pair in ``position`` are
    removed (one of each such pair), then random atoms of each species down to ``counts``.
    m starts at ``margin`` and grows until every species has enough atoms left. Relax before
    use (:func:`sized_configuration`). Returns (position (N, 3), species (N,) grouped in
    species order, as :func:`ogn.systems.species_vector`).
    """
    from scipy.spatial import cKDTree

    box = np.asarray(box, np.float64) * np.ones(3)
    position = np.mod(np.asarray(position, np.float64), box)
    species = np.asarray(species)
    counts = np.asarray(counts, dtype=int)
    limit = closeness * closest_distances(position, species, box)
    for grow in range(50):
        crop = side * (1.0 + margin * (grow + 1))
        copies = np.ceil(crop / box).astype(int)
        shifts = np.stack(np.meshgrid(*(np.arange(c) for c in copies), indexing="ij"),
                          -1).reshape(-1, 3) * box
        tiled = (position[None] + shifts[:, None]).reshape(-1, 3)
        tiled_species = np.tile(species, len(shifts))
        inside = np.all(tiled < crop, axis=1)
        scaled = np.mod(tiled[inside] * (side / crop), side)
        scaled_species = tiled_species[inside]
        pairs = cKDTree(scaled, boxsize=side).query_pairs(float(np.max(limit[np.isfinite(
            limit)])), output_type="ndarray")
        usable = np.ones(len(scaled), dtype=bool)
        if len(pairs):
            d = scaled[pairs[:, 1]] - scaled[pairs[:, 0]]
            d -= side * np.round(d / side)
            too_close = np.linalg.norm(d, axis=1) < limit[scaled_species[pairs[:, 0]],
                                                          scaled_species[pairs[:, 1]]]
            for i, j in pairs[too_close]:
                if usable[i] and usable[j]:
                    usable[j] = False
        available = np.bincount(scaled_species[usable], minlength=len(counts))
        if np.all(available[:len(counts)] >= counts):
            break
    else:  # pragma: no cover - needs a pathological composition
        raise ValueError(f"cannot cut {counts.tolist()} atoms from copies of the box")
    kept_position, kept_species = [], []
    for s, wanted in enumerate(counts):
        candidates = np.flatnonzero(usable & (scaled_species == s))
        chosen = np.sort(rng.choice(candidates, size=int(wanted), replace=False))
        kept_position.append(scaled[chosen])
        kept_species.append(np.full(int(wanted), s, dtype=np.int32))
    return np.concatenate(kept_position), np.concatenate(kept_species)


class SizedStart(NamedTuple):
    system: object  # ogn.systems.System at the new size
    position: np.ndarray  # (N, 3) internal length unit
    velocity: np.ndarray  # (N, 3) internal velocity unit


def sized_configuration(name: str, system_config: dict, position, species, box, n_atoms: int,
                        fire_steps: int, settle_steps: int, seed: int,
                        log: Callable | None = None) -> SizedStart:
    """The system ``name`` at about ``n_atoms`` atoms (same density and composition,
    :func:`ogn.systems.scaled_counts_and_box`), cut from copies of an equilibrated configuration
    (:func:`cropped_tiling`), relaxed by ``fire_steps`` FIRE steps, given Maxwell-Boltzmann
    velocities at T and run ``settle_steps`` MD steps with velocity rescaling to T."""
    from .md import Thermostat, maxwell_boltzmann_velocities
    from .placement import minimize_fire
    from .protocols import run_segment, start_state
    from .systems import make_system, scaled_counts_and_box

    counts, side = scaled_counts_and_box(system_config, n_atoms)
    system = make_system(name, {"systems": {name: system_config}}, counts=counts, box=side)
    rng = np.random.default_rng(seed)
    cut, _ = cropped_tiling(position, species, box, counts, side, rng)
    pot = system.potential
    relaxed, energy = minimize_fire(cut, pot.energy_and_forces, system.box, pot.cutoff,
                                    system.skin, fire_steps)
    velocity = maxwell_boltzmann_velocities(jax.random.PRNGKey(seed), jnp.asarray(system.mass),
                                            system.temperature, system.units.boltzmann)
    state, neighbors = start_state(system, relaxed, velocity)
    if settle_steps > 0:
        thermostat = Thermostat(system.temperature, system.temperature, 1)
        run = run_segment(system, state, neighbors, settle_steps, settle_steps, thermostat,
                          record_first=False)
        state = run.state
    if log is not None:
        log(f"{name}: N = {len(system.species)} in a box of {side:.4g} (counts {counts}); "
            f"FIRE {fire_steps} steps (E_pot {energy:.6g}), {settle_steps} steps at T")
    return SizedStart(system, np.asarray(state.position), np.asarray(state.velocity))


# --------------------------------------------------------------------------------------------
# the engines, each as a zero-argument run function for :func:`measure`


class Engine(NamedTuple):
    run: Callable[[], float | None]
    info: Callable[[], dict]  # extra facts after the runs (e.g. neighbor-list rebuilds)


def md_engine(system, position, velocity, n_steps: int) -> Engine:
    """Our MD: ``n_steps`` NVE steps from (position, velocity), internal units."""
    from .md import init_state, make_advance, simulate
    from .neighbors import build_neighbor_list

    pot = system.potential
    mass = jnp.asarray(system.mass)
    advance = make_advance(pot.energy_and_forces, mass, system.dt, system.skin,
                           system.units.boltzmann)
    last = {}

    def run():
        neighbors = build_neighbor_list(position, system.box, pot.cutoff, system.skin)
        state = init_state(jnp.asarray(position), jnp.asarray(velocity), pot.energy_and_forces,
                           neighbors)
        result = simulate(state, neighbors, advance, n_steps, n_steps, mass,
                          system.units.boltzmann, system.box, pot.cutoff, system.skin,
                          record_first=False)
        jax.block_until_ready(result.state)
        last["rebuilds"] = result.n_rebuilds
        return None

    return Engine(run, lambda: {"rebuilds": last.get("rebuilds", -1)})


def all_pairs_engine(system, position, velocity, n_steps: int) -> Engine:
    """Our MD without a neighbor list (:mod:`ogn.baseline`): every step evaluates the
    potential on all N (N - 1) ordered pairs."""
    from .baseline import all_pairs_neighbors
    from .md import init_state, make_advance, simulate

    pot = system.potential
    mass = jnp.asarray(system.mass)
    advance = make_advance(pot.energy_and_forces, mass, system.dt, math.inf,
                           system.units.boltzmann)
    # a constant of the method, not work it does per run: built once, outside the timing
    neighbors = all_pairs_neighbors(position)

    def run():
        state = init_state(jnp.asarray(position), jnp.asarray(velocity), pot.energy_and_forces,
                           neighbors)
        result = simulate(state, neighbors, advance, n_steps, n_steps, mass,
                          system.units.boltzmann, system.box, pot.cutoff, math.inf,
                          record_first=False)
        jax.block_until_ready(result.state)
        return None

    return Engine(run, lambda: {"rebuilds": 0})


def fast_ogn_engine(simulator, params, standard, system, graph_cutoff: float, skin: float,
                    k: int, n_steps: int, position, velocity) -> Engine:
    """A Fast-OGN rollout covering ``n_steps`` MD steps: ceil(n_steps / k) model steps.

    ``position`` and ``velocity`` in internal units (converted here to the file units the
    model was trained in); ``skin`` the graph's Verlet skin (0: edges rebuilt every model
    step); no instability checks (a timing must not stop early).
    """
    from .rollout import make_rollout, rollout, usable_skin

    box = np.asarray(system.box, np.float64)
    skin = usable_skin(graph_cutoff, skin, box)
    fns = make_rollout(simulator, graph_cutoff, skin, box)
    n_model_steps = max(1, -(-int(n_steps) // int(k)))
    velocity_files = system.units.velocity_to_files(np.asarray(velocity, np.float64))
    last = {}

    def run():
        result = rollout(fns, params, standard, position, velocity_files, system.species, box,
                         n_model_steps, record_every=n_model_steps)
        last["rebuilds"] = result.n_rebuilds
        last["stop"] = result.stop_reason
        return None

    return Engine(run, lambda: {"rebuilds": last.get("rebuilds", -1)})


def lammps_engine(system, position, velocity, n_steps: int, threads: int,
                  warmup_steps: int = 10) -> Engine:
    """LAMMPS NVE with our potential, N, dt and skin; the run's own time (setup excluded)."""
    from .lammps_bridge import lammps_md_seconds, lammps_timestep, lammps_velocity

    pot = system.potential
    n_species = len(system.species_names)
    masses = [float(system.mass[np.argmax(system.species == s)]) for s in range(n_species)]

    def run():
        seconds, _ = lammps_md_seconds(
            position, lammps_velocity(velocity, system.units), system.box, system.species,
            masses, pot.lammps_commands, pot.lammps_units,
            lammps_timestep(system.dt_config, system.units), n_steps, system.skin, threads,
            warmup_steps=warmup_steps)
        return seconds

    return Engine(run, lambda: {"rebuilds": -1})


def timing_row(system_name: str, n_atoms: int, engine: str, n_steps: int, timing: Timing,
               info: dict, machine: dict) -> dict:
    """One row of ``results/runtime/{system}.csv`` (:data:`RUNTIME_COLUMNS`)."""
    return {"system": system_name, "N": int(n_atoms), "engine": engine, "steps": int(n_steps),
            "compile_s": timing.compile_s, "median_s": timing.median,
            "min_s": min(timing.seconds), "max_s": max(timing.seconds),
            "repeats": len(timing.seconds), "peak_mem_mb": timing.peak_mem_mb,
            "memory": timing.memory, "rebuilds": int(info.get("rebuilds", -1)), **machine}


# --------------------------------------------------------------------------------------------
# complexity index


def chained_energy_loop(fn: Callable, calls: int) -> Callable:
    """Jitted ``(position, neighbor_idx) -> sum of calls energies``: ``calls`` evaluations of
    ``fn`` (energy, or (energy, forces)) chained in one loop; each sees a position shifted by
    a vanishing amount that depends on the previous result, so none can be skipped."""

    def energy_of(value):
        return value[0] if isinstance(value, tuple) else value

    @jax.jit
    def loop(position, neighbor_idx):
        def body(_, carry):
            shifted, total = carry
            energy = energy_of(fn(shifted, neighbor_idx))
            return shifted + 0.0 * energy, total + energy

        return jax.lax.fori_loop(0, calls, body, (position, jnp.zeros((), position.dtype)))[1]

    return loop


def energy_seconds(fn: Callable, position, neighbor_idx, calls: int = 200,
                   repeats: int = 5) -> float:
    """Median seconds of one call ``fn(position, neighbor_idx)``, measured over ``calls``
    evaluations chained inside one jitted loop (:func:`chained_energy_loop`, so that the
    per-call dispatch of Python does not count)."""
    position = jnp.asarray(position)
    loop = chained_energy_loop(fn, calls)
    jax.block_until_ready(loop(position, neighbor_idx))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(loop(position, neighbor_idx))
        times.append((time.perf_counter() - start) / calls)
    return statistics.median(times)


def lammps_force_seconds(system, position, steps: int = 200, repeats: int = 5,
                         threads: int = 1) -> float:
    """Median seconds per LAMMPS force (and energy) evaluation of a fixed configuration: a run
    of ``steps`` steps without an integrator (atoms do not move; setup excluded)."""
    from .lammps_bridge import new_lammps, setup_system

    pot = system.potential
    n_species = len(system.species_names)
    masses = [float(system.mass[np.argmax(system.species == s)]) for s in range(n_species)]
    lmp = new_lammps(threads)
    try:
        setup_system(lmp, position, system.box, system.species, masses, pot.lammps_commands,
                     pot.lammps_units, skin=system.skin)
        lmp.commands_list([f"thermo {steps}", "run 0"])
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            lmp.command(f"run {int(steps)} pre no post no")
            times.append((time.perf_counter() - start) / steps)
    finally:
        lmp.close()
    return statistics.median(times)


def complexity_rows(timings: dict, per_atoms: int, reference: str = "lj") -> list[dict]:
    """Rows of ``complexity.csv`` from ``timings[system] = {potential, n_atoms_timed, energy_s,
    energy_forces_s, lammps_s}`` (seconds per evaluation of the whole configuration).

    Times are scaled to ``per_atoms`` atoms (t * per_atoms / N) and divided by those of
    ``reference`` for the indices."""
    if reference not in timings:
        raise ValueError(f"the complexity index is relative to {reference!r}, which was not "
                         f"timed (systems: {sorted(timings)}); add it to runtime.systems")
    keys = ("energy_s", "energy_forces_s", "lammps_s")
    scaled = {name: {key: t[key] * per_atoms / t["n_atoms_timed"] for key in keys}
              for name, t in timings.items()}
    rows = []
    for name, t in timings.items():
        row = {"system": name, "potential": t["potential"],
               "n_atoms_timed": int(t["n_atoms_timed"]), "per_atoms": int(per_atoms),
               **scaled[name]}
        for key, index in zip(keys, ("index_energy", "index_energy_forces", "index_lammps"),
                              strict=True):
            row[index] = scaled[name][key] / scaled[reference][key]
        rows.append(row)
    return rows


# --------------------------------------------------------------------------------------------
# summaries of the runtime tables


def median_seconds(table, engine: str):
    """Median seconds by N of one engine (a pandas Series indexed by N; empty if absent)."""
    rows = table[table["engine"] == engine]
    return rows.groupby("N")["median_s"].median()


def scaling_summary(table, n_min: float | None = None) -> dict:
    """Per engine of a runtime table (one system): the fitted exponent of time vs N over the
    sizes >= ``n_min`` (NaN with fewer than two sizes)."""
    exponents = {}
    for engine in ENGINES:
        times = median_seconds(table, engine)
        try:
            exponents[engine] = fitted_exponent(times.index, times.values, n_min=n_min)
        except ValueError:
            exponents[engine] = float("nan")
    return exponents


def ratio_summary(table, n_min: float | None = None) -> dict:
    """The headline ratios of one system's runtime table, at the largest N timed:
    Fast-OGN / MD and MD / LAMMPS there; all-pairs MD / Fast-OGN at the largest N where the
    baseline ran; plus the scaling exponents (:func:`scaling_summary`)."""
    md, fast, lammps, all_pairs = (median_seconds(table, e) for e in ENGINES)
    largest = int(table["N"].max())

    def ratio(a, b, n):
        return float(a[n] / b[n]) if n in a.index and n in b.index else float("nan")

    baseline_n = int(all_pairs.index.max()) if len(all_pairs) else None
    summary = {"system": str(table["system"].iloc[0]), "N": largest,
               "fast_ogn_over_md": ratio(fast, md, largest),
               "md_over_lammps": ratio(md, lammps, largest),
               "all_pairs_N": baseline_n,
               "all_pairs_over_fast_ogn": (ratio(all_pairs, fast, baseline_n)
                                           if baseline_n is not None else float("nan"))}
    summary.update({f"exponent_{e}": v for e, v in scaling_summary(table, n_min).items()})
    return summary


class FastOgn(NamedTuple):
    """A Fast-OGN to time: the simulator, its parameters and standardization, graph rc,
    graph skin and k (MD steps per model step)."""

    simulator: object
    params: dict
    standard: object
    graph_cutoff: float
    skin: float
    k: int


def network_to_time(network_config, n_species: int, params, seed: int = 0):
    """(NetworkConfig, params) of the graph network the ``fast_ogn`` engine times.

    A message-passing model (paper or extended with the node or vector decoder) is timed as
    trained. The pair-force decoder has no message passing: it is not the paper's Fast-OGN, so
    the paper's network of the same width and layer count is timed instead, with weights drawn
    from ``seed`` (a step costs the same whatever the weights). Returns the third item
    ``note``: None, or a sentence saying the substitution was made.
    """
    if network_config.decoder != "pair_force":
        return network_config, params, None
    import jax

    from .model import NetworkConfig
    from .simulator import make_simulator

    # the shape fields only: every option at its default, the paper's
    paper = NetworkConfig(**{name: getattr(network_config, name) for name in (
        "n_layers", "latent_size", "hidden_size", "mlp_hidden_layers", "output_size",
        "split_edge_projection")})
    fresh = make_simulator(paper, n_species).init(jax.random.PRNGKey(seed), 2, 8)
    note = (f"the trained model is a learned pair force (no message passing); the paper's "
            f"{paper.n_layers}-layer network of width {paper.latent_size} is timed instead, "
            "with untrained weights")
    return paper, fresh, note


def make_engine(engine: str, start: SizedStart, n_steps: int, threads: int,
                model: FastOgn | None = None) -> Engine:
    """The engine named ``engine`` (one of :data:`ENGINES`) from a sized starting state."""
    system, position, velocity = start
    if engine == "md":
        return md_engine(system, position, velocity, n_steps)
    if engine == "md_all_pairs":
        return all_pairs_engine(system, position, velocity, n_steps)
    if engine == "lammps":
        return lammps_engine(system, position, velocity, n_steps, threads)
    if engine == "fast_ogn":
        if model is None:
            raise ValueError("timing fast_ogn needs a model (FastOgn)")
        return fast_ogn_engine(model.simulator, model.params, model.standard, system,
                               model.graph_cutoff, model.skin, model.k, n_steps, position,
                               velocity)
    raise ValueError(f"runtime.engines names {engine!r}; use some of {', '.join(ENGINES)}")
