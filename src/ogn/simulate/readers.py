"""Starting configurations from files: an H5MD trajectory of this project, an extended XYZ
file (through ASE) or a LAMMPS data file (atom_style atomic or charge).

Everything is returned in the *file* units of the model (:mod:`ogn.md.units`): for ``metal``,
A and A/fs; for ``lj``, sigma and sigma/tau.

* LAMMPS data files are read in LAMMPS's units of the same name: ``metal`` velocities are in
  A/ps (divided by 1000 here), ``lj`` ones in sigma/tau. Types are numbered 1, 2, ...;
  ``types`` names them in the model's species (``--types Si O``). Image flags, when present,
  unwrap the positions.
* Extended XYZ: positions in A (ASE's length unit); velocities from a ``velo`` / ``vel`` /
  ``velocities`` column in the file's velocity unit (A/fs for metal models), or from ASE's
  ``momenta`` column in ASE units, converted. Species are the chemical symbols, or the
  ``type_name`` column where there is one (names that are not elements, as
  :mod:`ogn.simulate.writers` writes them). For LJ models the numbers are taken as reduced units.
"""

from pathlib import Path

import numpy as np

from ogn.simulate.configuration import Configuration, StartError

H5MD_SUFFIXES = (".h5", ".h5md", ".hdf5")
XYZ_SUFFIXES = (".xyz", ".extxyz")
LAMMPS_DATA_SUFFIXES = (".data", ".lmp", ".lammps")
LAMMPS_METAL_VELOCITY_PER_FILE = 1000.0  # A/ps per A/fs


def start_format(path) -> str:
    """``"h5md"``, ``"extxyz"`` or ``"lammps-data"`` from the file name (``data.*`` names a
    LAMMPS data file too)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in H5MD_SUFFIXES:
        return "h5md"
    if suffix in XYZ_SUFFIXES:
        return "extxyz"
    if suffix in LAMMPS_DATA_SUFFIXES or path.name.startswith("data."):
        return "lammps-data"
    raise StartError(f"{path}: unknown starting-file type; use an H5MD file of this project "
                     f"({', '.join(H5MD_SUFFIXES)}), extended XYZ ({', '.join(XYZ_SUFFIXES)}) "
                     f"or a LAMMPS data file ({', '.join(LAMMPS_DATA_SUFFIXES)} or data.*)")


def read_start(path, *, units: str, frame: int = 0, types=None) -> Configuration:
    """The configuration in ``path`` in the file units of ``units`` (``"lj"`` or
    ``"metal"``): frame ``frame`` of an H5MD or extended XYZ file, or a LAMMPS data file with
    its types named by ``types``."""
    if not Path(path).exists():
        raise StartError(f"starting file {path} does not exist")
    kind = start_format(path)
    if kind == "h5md":
        return read_h5md_start(path, units=units, frame=frame)
    if kind == "extxyz":
        return read_extxyz_start(path, units=units, frame=frame)
    return read_lammps_data(path, units=units, types=types)


def read_h5md_start(path, *, units: str, frame: int = 0) -> Configuration:
    from ogn.data.h5md import read_trajectory

    trajectory = read_trajectory(path, frames=slice(frame, frame + 1))
    if len(trajectory.step) == 0:
        raise StartError(f"{path}: no frame {frame} (use --frame with a frame the file has)")
    file_units = trajectory.metadata.get("units")
    if file_units and file_units != units:
        raise StartError(f"{path} is in {file_units} units, the model in {units}")
    return Configuration(position=np.asarray(trajectory.position[0], np.float64),
                         velocity=np.asarray(trajectory.velocity[0], np.float64),
                         species=np.asarray(trajectory.species, np.int32),
                         species_names=list(trajectory.species_names),
                         box=np.asarray(trajectory.box, np.float64),
                         mass=np.asarray(trajectory.mass, np.float64),
                         source=f"{path} (frame {frame})")


def read_extxyz_start(path, *, units: str, frame: int = 0) -> Configuration:
    import ase.io
    import ase.units

    try:
        atoms = ase.io.read(str(path), index=frame, format="extxyz")
    except (IndexError, StopIteration):
        raise StartError(f"{path}: no frame {frame}") from None
    cell = np.asarray(atoms.cell[:], np.float64)
    if not np.all(atoms.pbc) or np.any(np.abs(cell - np.diag(np.diag(cell))) > 1e-9):
        raise StartError(f"{path}: the learned simulator needs an orthorhombic, fully "
                         f"periodic cell; this one is {cell.tolist()} with pbc {atoms.pbc}")
    box = np.diag(cell).copy()
    velocity = None
    for column in ("velo", "vel", "velocities"):
        if column in atoms.arrays:
            velocity = np.asarray(atoms.arrays[column], np.float64)
            break
    if velocity is None and "momenta" in atoms.arrays:
        velocity = atoms.get_velocities()  # A per ASE time unit
        if units == "metal":
            velocity = velocity * ase.units.fs
    names = list(atoms.arrays.get("type_name", atoms.get_chemical_symbols()))
    unique = list(dict.fromkeys(str(n) for n in names))
    return Configuration(position=np.asarray(atoms.positions, np.float64) - cell_origin(atoms),
                         velocity=velocity,
                         species=np.array([unique.index(str(n)) for n in names], np.int32),
                         species_names=unique, box=box,
                         mass=None, source=f"{path} (frame {frame})")


def cell_origin(atoms) -> np.ndarray:
    return np.asarray(atoms.info.get("origin", np.zeros(3)), np.float64)


def _data_sections(lines):
    """The header lines and {section name: body lines} of a LAMMPS data file."""
    names = ("Atoms", "Velocities", "Masses", "Bonds", "Angles", "Dihedrals", "Impropers",
             "Pair Coeffs", "PairIJ Coeffs", "Bond Coeffs", "Angle Coeffs",
             "Dihedral Coeffs", "Improper Coeffs", "Ellipsoids", "Lines", "Triangles",
             "Bodies")
    header, sections, current = [], {}, None
    for raw in lines[1:]:
        text = raw.split("#")[0].strip()
        keyword = next((name for name in names if text == name), None)
        if keyword is not None:
            current = keyword
            sections[current] = {"style": raw.partition("#")[2].strip(), "rows": []}
        elif text:
            (header if current is None else sections[current]["rows"]).append(text.split())
    return header, sections


def _header_box(header, path):
    counts, bounds = {}, {}
    for fields in header:
        if fields[-1] in ("atoms", "types") or fields[-2:] == ["atom", "types"]:
            counts[" ".join(fields[1:])] = int(fields[0])
        elif len(fields) == 4 and fields[2].endswith("lo") and fields[3].endswith("hi"):
            bounds[fields[2][0]] = (float(fields[0]), float(fields[1]))
        elif fields[-3:] == ["xy", "xz", "yz"] and any(float(v) != 0 for v in fields[:3]):
            raise StartError(f"{path}: a triclinic box (tilts {fields[:3]}); the learned "
                             "simulator needs an orthorhombic one")
    if "atoms" not in counts or set(bounds) != {"x", "y", "z"}:
        raise StartError(f"{path}: not a LAMMPS data file (its header needs `N atoms` and "
                         "`xlo xhi`, `ylo yhi`, `zlo zhi` lines)")
    low = np.array([bounds[a][0] for a in "xyz"])
    high = np.array([bounds[a][1] for a in "xyz"])
    return counts["atoms"], low, high - low


def _atom_columns(section, path):
    """(style, rows as floats) of the Atoms section: ``atomic`` rows are id type x y z
    [ix iy iz], ``charge`` rows id type q x y z [ix iy iz]."""
    rows = section["rows"]
    widths = {len(row) for row in rows}
    style = section["style"].split()[0] if section["style"] else None
    if style is None:
        style = "atomic" if widths <= {5, 8} else "charge" if widths <= {6, 9} else None
    if style not in ("atomic", "charge"):
        raise StartError(f"{path}: Atoms section in style {style or 'unknown'} (rows of "
                         f"{sorted(widths)} columns); write the file with atom_style atomic "
                         "or charge")
    return style, rows


def read_lammps_data(path, *, units: str, types=None) -> Configuration:
    try:
        return _lammps_data(path, units, types)
    except (ValueError, IndexError, KeyError) as error:
        if isinstance(error, StartError):
            raise
        raise StartError(f"{path}: not a readable LAMMPS data file ({type(error).__name__}: "
                         f"{error}); write it with LAMMPS's write_data, atom_style atomic or "
                         "charge") from None


def _lammps_data(path, units: str, types) -> Configuration:
    lines = Path(path).read_text().splitlines()
    if not lines:
        raise StartError(f"{path} is empty")
    header, sections = _data_sections(lines)
    n_atoms, low, box = _header_box(header, path)
    if "Atoms" not in sections:
        raise StartError(f"{path}: no Atoms section")
    style, rows = _atom_columns(sections["Atoms"], path)
    if len(rows) != n_atoms:
        raise StartError(f"{path}: the header says {n_atoms} atoms, the Atoms section has "
                         f"{len(rows)}")
    xyz = 2 if style == "atomic" else 3
    ids = np.array([int(row[0]) for row in rows])
    order = np.argsort(ids)
    table = np.array([[float(v) for v in row[1:xyz + 3]] for row in rows])[order]
    atom_types = table[:, 0].astype(int)
    position = table[:, xyz - 1:xyz + 2] - low
    images = [row[xyz + 3:xyz + 6] for row in rows]
    if all(len(image) == 3 for image in images):
        position = position + np.array(images, np.float64)[order] * box
    names = _type_names(types, atom_types, path)
    velocity = None
    if "Velocities" in sections:
        velocity = _velocities(sections["Velocities"]["rows"], ids, path)
        if units == "metal":
            velocity = velocity / LAMMPS_METAL_VELOCITY_PER_FILE
    mass = None
    if "Masses" in sections:
        masses = {int(row[0]): float(row[1]) for row in sections["Masses"]["rows"]}
        mass = np.array([masses[t] for t in atom_types], np.float64)
    return Configuration(position=position, velocity=velocity,
                         species=(atom_types - 1).astype(np.int32), species_names=names,
                         box=box, mass=mass, source=str(path))


def _type_names(types, atom_types, path) -> list:
    n_types = int(np.max(atom_types))
    if types is None:
        return [str(t) for t in range(1, n_types + 1)]
    if len(types) < n_types:
        raise StartError(f"{path}: atoms of type {n_types} but --types names only "
                         f"{len(types)} ({' '.join(types)}); name every type in order")
    return [str(name) for name in types]


def _velocities(rows, ids, path) -> np.ndarray:
    velocities = {int(row[0]): [float(v) for v in row[1:4]] for row in rows}
    missing = [int(i) for i in ids if int(i) not in velocities]
    if missing:
        raise StartError(f"{path}: the Velocities section lacks atoms {missing[:5]}")
    return np.array([velocities[int(i)] for i in np.sort(ids)], np.float64)
