"""MD throughput, ours (JAX) against LAMMPS, in atom-steps per second.

For each potential at the paper's N and at about 2,000 and 10,000 atoms (same density and
composition, :func:`ogn.md.sizing.scaled_counts_and_box`): one starting configuration (random
non-overlapping placement, a short FIRE minimisation, Maxwell-Boltzmann velocities at T) is run
NVE with the same N, dt and neighbor skin by

* ours in float64 (the workflow's precision) and float32 (extra column),
* LAMMPS with the same potential on 2 threads (OPENMP styles, ``-sf omp -pk omp 2``: the cores
  JAX uses here) and on 1 core.

Each engine first runs ``warm-up`` steps untimed (ours: after compiling; its compile time is
reported apart), then ``steps`` timed steps, ``--repeats`` times from the same warmed-up state
(LAMMPS: a fresh instance each time); the median is reported. The repeats are interleaved
(ours f64, ours f32, LAMMPS 2 threads, LAMMPS 1 core, then again), so a change of the machine's
load hits every engine alike. Our runs record one frame at the end (``record_every = steps``);
the time includes the host neighbor-list rebuilds. Most rebuilds overlap the force computation
(:func:`ogn.md.dynamics.simulate` builds the next list while a chunk runs); ``rebuilds`` gives all lists
used and, in brackets, those built while the run waited, and ``rebuild share`` is the time of
the latter as a share of the run time (one rebuild timed apart, times their count). ``E/atom diff`` is our final total energy per atom minus
LAMMPS's (2 threads), relative to the mean kinetic energy per atom: both start from the same
state, so it checks they integrate the same system.

    python benchmarks/md_throughput.py [--systems lj sio2 si cuzr] [--sizes paper 2000 10000]
        [--steps 200] [--repeats 3] [--csv benchmarks/out/md_throughput.csv]

``--steps`` is the step count at 10,000 atoms; smaller systems run steps * sqrt(10,000 / N)
steps (at most 5 * steps), so that the small systems are timed over several hundred steps.
"""

import argparse
import csv
import os
import statistics
import time
from pathlib import Path

# OpenMP threads that spin at barriers (the default) stall when the cores are shared with
# other jobs: LAMMPS on 2 threads then runs up to 10x slower. Sleeping threads are its best
# case on a busy machine (set OMP_WAIT_POLICY yourself to override).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from ogn.md.precision import enable_float64

enable_float64()

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from scipy.spatial import cKDTree  # noqa: E402

from ogn.md.dynamics import init_state, make_advance, maxwell_boltzmann_velocities, simulate  # noqa: E402
from ogn.md.lammps import lammps_md_seconds, lammps_timestep, lammps_velocity  # noqa: E402
from ogn.md.neighbors import build_neighbor_list  # noqa: E402
from ogn.md.placement import minimize_fire  # noqa: E402
from ogn.md.sizing import scaled_counts_and_box  # noqa: E402
from ogn.md.systems import make_system  # noqa: E402
from ogn.workflow.config import REPO_ROOT, load_config  # noqa: E402

SYSTEMS = ["lj", "sio2", "si", "cuzr"]
SIZES = ["paper", "2000", "10000"]
FIRE_STEPS = 100
SEED = 2


def sized_system(name: str, config: dict, size: str):
    """The system at the paper's size or at about ``size`` atoms (same density, composition)."""
    if size == "paper":
        return make_system(name, config)
    counts, side = scaled_counts_and_box(config["systems"][name], int(size))
    return make_system(name, config, counts=counts, box=side)


# Minimum distances of the random placement per species pair, where the config's single value
# does not do: silica at 1.5 A lets Si-Si pairs sit on the steep D/r^24 wall (hundreds of eV),
# and FIRE then never settles. The test suite places silica the same way.
PAIR_MIN_DISTANCE = {"sio2": [[2.6, 1.5], [1.5, 2.2]]}


def random_placement(rng: np.random.Generator, species, box, min_distance,
                     max_batches: int = 10_000) -> np.ndarray:
    """Random sequential addition in vectorised batches, one species after the other: no two
    atoms of species a and b closer than ``min_distance[a][b]`` (a scalar: the same for all
    pairs; minimum image). 10,000 atoms near the jamming density take seconds."""
    box = np.asarray(box, dtype=np.float64)
    species = np.asarray(species)
    n_species = int(species.max()) + 1
    limits = np.broadcast_to(np.asarray(min_distance, dtype=np.float64), (n_species, n_species))
    position = np.empty((len(species), 3))
    placed = {}
    for s in range(n_species):
        n_wanted = int(np.sum(species == s))
        new = np.empty((0, 3))
        for _ in range(max_batches):
            missing = n_wanted - len(new)
            if missing == 0:
                break
            trial = rng.uniform(0.0, 1.0, (min(100 * missing, 200_000), 3)) * box
            for other, points in list(placed.items()) + [(s, new)]:
                if len(points) and len(trial):
                    distance, _ = cKDTree(points, boxsize=box).query(
                        trial, distance_upper_bound=limits[s, other])
                    trial = trial[np.isinf(distance)]
            trial = trial[:missing]
            pairs = cKDTree(trial, boxsize=box).query_pairs(limits[s, s], output_type="ndarray")
            keep = np.ones(len(trial), dtype=bool)
            keep[pairs.max(axis=1) if len(pairs) else []] = False  # the later one of each pair
            new = np.concatenate([new, trial[keep]])
        else:
            raise ValueError(f"placed only {len(new)} of {n_wanted} atoms of species {s}")
        placed[s] = new
        position[species == s] = new
    return position


def starting_configuration(system, min_distance, seed: int):
    """(position, velocity) internal units: random placement, FIRE, Maxwell-Boltzmann at T."""
    pot = system.potential
    rng = np.random.default_rng(seed)
    position = random_placement(rng, system.species, system.box, min_distance)
    position, _ = minimize_fire(position, pot.energy_and_forces, system.box, pot.cutoff,
                                system.skin, FIRE_STEPS)
    velocity = maxwell_boltzmann_velocities(jax.random.PRNGKey(seed), jnp.asarray(system.mass),
                                            system.temperature, system.units.boltzmann)
    return np.asarray(position), np.asarray(velocity)


def rebuild_seconds(position, system, repeats: int = 3) -> float:
    """Median host time (s) of one neighbor-list build at ``position``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(build_neighbor_list(position, system.box, system.potential.cutoff,
                                                  system.skin))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def total_energy_per_atom(state, mass) -> float:
    velocity = np.asarray(state.velocity, dtype=np.float64)
    kinetic = 0.5 * np.sum(np.asarray(mass)[:, None] * velocity**2)
    return (float(state.potential_energy) + kinetic) / len(mass)


def prepared_ours(system, position, velocity, dtype, warmup: int):
    """Compile and warm up our MD; returns (compile seconds, ``run``) where ``run(n_steps)``
    times ``n_steps`` from the warmed-up state: (seconds, MDRun)."""
    pot = system.potential
    mass = jnp.asarray(system.mass, dtype)
    neighbors = build_neighbor_list(position, system.box, pot.cutoff, system.skin)
    state = init_state(jnp.asarray(position, dtype), jnp.asarray(velocity, dtype),
                       pot.energy_and_forces, neighbors)
    advance = make_advance(pot.energy_and_forces, mass, system.dt, system.skin,
                           system.units.boltzmann)
    start = time.perf_counter()
    jax.block_until_ready(advance(state, neighbors, 0, 0))
    compile_seconds = time.perf_counter() - start

    def simulated(state, neighbors, steps):
        return simulate(state, neighbors, advance, steps, steps, mass, system.units.boltzmann,
                        system.box, pot.cutoff, system.skin, record_first=False)

    warm = simulated(state, neighbors, warmup)

    def run(n_steps: int):
        start = time.perf_counter()
        result = simulated(warm.state, warm.neighbors, n_steps)
        jax.block_until_ready(result.state)
        return time.perf_counter() - start, result

    return compile_seconds, run


def lammps_run(system, position, velocity, n_steps: int, warmup: int, threads: int):
    """Seconds of ``n_steps`` LAMMPS NVE steps (fresh instance) and the final E/atom (our
    energy unit)."""
    pot = system.potential
    n_species = len(system.species_names)
    masses = [float(system.mass[np.argmax(system.species == s)]) for s in range(n_species)]
    return lammps_md_seconds(position, lammps_velocity(velocity, system.units), system.box,
                             system.species, masses, pot.lammps_commands, pot.lammps_units,
                             lammps_timestep(system.dt_config, system.units), n_steps,
                             system.skin, threads, warmup_steps=warmup)


def timed_round_robin(system, position, velocity, n_steps: int, warmup: int, repeats: int):
    """Median seconds per engine, the repeats interleaved (ours f64, ours f32, LAMMPS 2 threads,
    LAMMPS 1 core, then again), so that a change of machine load hits every engine alike.

    Returns (seconds by engine, f64 compile seconds, last f64 MDRun, f64 and LAMMPS-2c E/atom).
    """
    compile_seconds, run_f64 = prepared_ours(system, position, velocity, jnp.float64, warmup)
    _, run_f32 = prepared_ours(system, position, velocity, jnp.float32, warmup)
    seconds = {"f64": [], "f32": [], "l2": [], "l1": []}
    for _ in range(repeats):
        elapsed, result = run_f64(n_steps)
        seconds["f64"].append(elapsed)
        seconds["f32"].append(run_f32(n_steps)[0])
        elapsed, l2_energy = lammps_run(system, position, velocity, n_steps, warmup, threads=2)
        seconds["l2"].append(elapsed)
        seconds["l1"].append(lammps_run(system, position, velocity, n_steps, warmup,
                                        threads=1)[0])
    medians = {key: statistics.median(values) for key, values in seconds.items()}
    return (medians, compile_seconds, result, total_energy_per_atom(result.state, system.mass),
            l2_energy)


def steps_for(n_atoms: int, steps_at_10k: int) -> int:
    """Timed steps: ``steps_at_10k`` * sqrt(10,000 / N), at most 5 * ``steps_at_10k``."""
    scaled = round(steps_at_10k * np.sqrt(10_000 / n_atoms))
    return int(min(5 * steps_at_10k, max(steps_at_10k, scaled)))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--systems", nargs="*", default=SYSTEMS)
    parser.add_argument("--sizes", nargs="*", default=SIZES,
                        help="'paper' or an approximate atom count")
    parser.add_argument("--steps", type=int, default=200, help="timed steps at 10,000 atoms")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--csv", type=Path, default=REPO_ROOT / "benchmarks" / "out" /
                        "md_throughput.csv")
    args = parser.parse_args()
    config = load_config(REPO_ROOT / "config" / "config.yaml")
    columns = ["system", "N", "steps", "skin", "rebuilds", "rebuild share", "compile s",
               "ours f64", "ours f32", "LAMMPS 2c", "LAMMPS 1c", "f64/L2", "f32/L2", "f64/L1",
               "E/atom diff"]
    print(f"atom-steps per second (median of {args.repeats}); ours = JAX {jax.__version__} "
          f"on {jax.default_backend()}; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns), flush=True)
    rows = []
    for name in args.systems:
        for size in args.sizes:
            system = sized_system(name, config, size)
            n_atoms = len(system.species)
            n_steps = steps_for(n_atoms, args.steps)
            warmup = max(10, n_steps // 5)
            position, velocity = starting_configuration(
                system, PAIR_MIN_DISTANCE.get(name, config["systems"][name]["min_distance"]),
                SEED)
            median, compile_s, result, energy, l2_energy = timed_round_robin(
                system, position, velocity, n_steps, warmup, args.repeats)
            rebuild_s = rebuild_seconds(np.asarray(result.state.position), system)
            share = result.n_blocking_rebuilds * rebuild_s / median["f64"]
            kinetic = 1.5 * system.units.boltzmann * system.temperature
            rate = {key: n_atoms * n_steps / s for key, s in median.items()}
            row = [name, n_atoms, n_steps, system.skin,
                   f"{result.n_rebuilds} ({result.n_blocking_rebuilds})", f"{share:.0%}",
                   f"{compile_s:.1f}", f"{rate['f64']:.3g}", f"{rate['f32']:.3g}",
                   f"{rate['l2']:.3g}", f"{rate['l1']:.3g}", f"{rate['f64'] / rate['l2']:.2f}",
                   f"{rate['f32'] / rate['l2']:.2f}", f"{rate['f64'] / rate['l1']:.2f}",
                   f"{(energy - l2_energy) / kinetic:+.1e}"]
            rows.append(row)
            print("| " + " | ".join(str(c) for c in row) + " |", flush=True)
    if args.csv:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        with open(args.csv, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            writer.writerows(rows)


if __name__ == "__main__":
    main()
