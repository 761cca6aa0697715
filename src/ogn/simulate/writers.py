"""Trajectories written for other tools: H5MD (:mod:`ogn.data.h5md`; MDAnalysis, OVITO,
VMD), extended XYZ (ASE, OVITO) or a LAMMPS dump (``read_dump``, OVITO), by the output's
suffix. Every write is atomic.

* Extended XYZ: positions wrapped into the box (A or sigma), velocities in the column
  ``vel`` in the file unit (A/fs or sigma/tau); the comment line holds the lattice, ``pbc``,
  the step, the time and the units. Species that are not chemical symbols (LJ's ``A``, ``B``)
  are written as ``X`` with their names in a ``type_name`` column.
* LAMMPS dump (``.lammpstrj``): ``id type x y z ix iy iz vx vy vz`` with positions wrapped
  and image flags, in the LAMMPS units of the same name (``metal`` velocities in A/ps); the
  types are the model's species in order, 1-based.
"""

from pathlib import Path

import numpy as np

from ogn.data.atomic import atomic_path
from ogn.data.h5md import Trajectory, write_trajectory
from ogn.simulate.readers import H5MD_SUFFIXES, LAMMPS_METAL_VELOCITY_PER_FILE

OUTPUT_FORMATS = {".h5": "h5md", ".h5md": "h5md", ".hdf5": "h5md", ".xyz": "extxyz",
                  ".extxyz": "extxyz", ".lammpstrj": "lammps-dump", ".dump": "lammps-dump"}


class OutputError(ValueError):
    pass


def output_format(path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        raise OutputError(f"{path}: unknown output type {suffix or '(no suffix)'}; use "
                          f"{', '.join(H5MD_SUFFIXES)} (H5MD), .xyz (extended XYZ) or "
                          ".lammpstrj (LAMMPS dump)")
    return OUTPUT_FORMATS[suffix]


def check_output(path, force: bool) -> None:
    """Refuse an output path that exists (unless ``force``), a directory that does not, or
    an unknown suffix; before anything is computed."""
    path = Path(path)
    output_format(path)
    if path.exists() and not force:
        raise OutputError(f"{path} exists; choose another --out or pass --force to "
                          "overwrite it")
    if not path.parent.exists():
        raise OutputError(f"the directory of {path} does not exist; create it first")


def write_output(path, trajectory: Trajectory) -> None:
    kind = output_format(path)
    if kind == "h5md":
        write_trajectory(path, trajectory)
    elif kind == "extxyz":
        write_extxyz(path, trajectory)
    else:
        write_lammps_dump(path, trajectory)


def _wrapped(position, box):
    images = np.floor(position / box).astype(np.int64)
    return position - images * box, images


def _is_element(name: str) -> bool:
    from ase.data import chemical_symbols

    return name in chemical_symbols[1:]


def write_extxyz(path, trajectory: Trajectory) -> None:
    names = list(trajectory.species_names)
    elements = all(_is_element(name) for name in names)
    symbols = [names[s] if elements else "X" for s in trajectory.species]
    type_names = [names[s] for s in trajectory.species]
    units = trajectory.metadata.get("units", "")
    box = np.asarray(trajectory.box, np.float64)
    lattice = " ".join(f"{v:.10g}" for v in np.diag(box).ravel())
    properties = "species:S:1:pos:R:3:vel:R:3" + ("" if elements else ":type_name:S:1")
    with atomic_path(path) as tmp, open(tmp, "w") as handle:
        for frame in range(len(trajectory.step)):
            wrapped, _ = _wrapped(np.asarray(trajectory.position[frame], np.float64), box)
            velocity = np.asarray(trajectory.velocity[frame], np.float64)
            handle.write(f"{len(symbols)}\n")
            handle.write(f'Lattice="{lattice}" Properties={properties} pbc="T T T" '
                         f"step={int(trajectory.step[frame])} "
                         f"time={float(trajectory.time[frame]):.10g} units={units}\n")
            for atom, symbol in enumerate(symbols):
                row = " ".join(f"{v:.10g}" for v in (*wrapped[atom], *velocity[atom]))
                tail = "" if elements else f" {type_names[atom]}"
                handle.write(f"{symbol} {row}{tail}\n")


def write_lammps_dump(path, trajectory: Trajectory) -> None:
    box = np.asarray(trajectory.box, np.float64)
    scale = LAMMPS_METAL_VELOCITY_PER_FILE if trajectory.metadata.get("units") == "metal" \
        else 1.0
    n_atoms = len(trajectory.species)
    with atomic_path(path) as tmp, open(tmp, "w") as handle:
        for frame in range(len(trajectory.step)):
            wrapped, images = _wrapped(np.asarray(trajectory.position[frame], np.float64), box)
            velocity = np.asarray(trajectory.velocity[frame], np.float64) * scale
            handle.write(f"ITEM: TIMESTEP\n{int(trajectory.step[frame])}\n")
            handle.write(f"ITEM: NUMBER OF ATOMS\n{n_atoms}\n")
            handle.write("ITEM: BOX BOUNDS pp pp pp\n")
            for side in box:
                handle.write(f"0 {side:.16g}\n")
            handle.write("ITEM: ATOMS id type x y z ix iy iz vx vy vz\n")
            for atom in range(n_atoms):
                handle.write(
                    f"{atom + 1} {int(trajectory.species[atom]) + 1} "
                    + " ".join(f"{v:.16g}" for v in wrapped[atom]) + " "
                    + " ".join(str(int(i)) for i in images[atom]) + " "
                    + " ".join(f"{v:.16g}" for v in velocity[atom]) + "\n")
