"""The interaction complexity index (Fig. 4D): one potential-energy evaluation per 100 atoms
relative to Kob-Andersen LJ's, in our code and in LAMMPS."""

import statistics
import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

COMPLEXITY_COLUMNS = ["system", "potential", "n_atoms_timed", "per_atoms", "energy_s",
                      "energy_forces_s", "lammps_s", "index_energy", "index_energy_forces",
                      "index_lammps"]


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
    from ogn.md.lammps import new_lammps, setup_system

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
