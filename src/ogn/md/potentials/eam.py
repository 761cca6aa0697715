"""Multi-element Finnis-Sinclair EAM read from a LAMMPS ``.eam.fs`` (setfl/FS) file.

Energy (eV), with ``a = type of i`` and ``b = type of j``:

    E = sum_i F_a(rho_i) + 1/2 sum_{i != j} phi_ab(r_ij),   rho_i = sum_{j != i} rho_{a<-b}(r_ij)

where ``rho_{a<-b}`` is the density that an atom of type b contributes at an atom of type a.
Tables are interpolated by the LAMMPS cubic (:mod:`ogn.md.potentials.splines`) with the same
clamping as LAMMPS ``pair_style eam/fs``: r beyond the last grid point takes the end value;
rho beyond the table continues F linearly with the end slope. Only pairs with r < cutoff
(the file's cutoff) count; no self pairs.

The file is read by :mod:`ogn.md.potentials.eam_file`. LAMMPS uses the density table listed in element J's block at index I for the
density at an atom of element I due to an atom of element J (``type2rhor[jtype][itype]``);
we follow it.
"""

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from ogn.data.atomic import file_sha256
from ogn.md.neighbors import map_row_blocks
from ogn.md.potential_files import CONFIG_KEY, WHERE_TO_GET, resolve_potential_file
from ogn.md.potentials.base import Potential, row_sums
from ogn.md.potentials.eam_file import EamFsTables, read_eam_fs
from ogn.md.potentials.lj import row_displacement_components
from ogn.md.potentials.splines import cubic_coefficients, cubic_slope, cubic_value, locate


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


class EamSetup(NamedTuple):
    """The spline tables of one potential for the species of a system, laid out for gathers:
    cubic coefficients in columns (pair tables: rho of i from j, rho of j from i, r phi;
    embedding F), and the grids (eV, A)."""

    cutoff: float
    inv_dr: float
    inv_drho: float
    rho_max: float
    n_r: int
    n_rho: int
    n_species: int
    pair_columns: np.ndarray  # (12, S*S*(Nr-1))
    embedding_columns: np.ndarray  # (4, S*(Nrho-1))


def eam_setup(tables: EamFsTables, splines, n_species: int) -> EamSetup:
    return EamSetup(cutoff=tables.cutoff, inv_dr=1.0 / tables.d_r, inv_drho=1.0 / tables.d_rho,
                    rho_max=(tables.n_rho - 1) * tables.d_rho, n_r=tables.n_r,
                    n_rho=tables.n_rho, n_species=n_species,
                    pair_columns=splines.pair.reshape(-1, 12).T.copy(),
                    embedding_columns=splines.embedding.reshape(-1, 4).T.copy())


def eam_row_functions(setup: EamSetup, species, box):
    """(pair_geometry, coefficients, density_rows) on blocks of list rows."""

    def pair_geometry(position, rows, idx_rows):
        """Components of r_j - r_i, distances, in-cutoff mask, spline fraction and the row of
        each pair in the coefficient columns, for the list rows of the atoms ``rows``."""
        components, r, mask = row_displacement_components(position, rows, idx_rows,
                                                           box.astype(position.dtype))
        within = mask & (r < setup.cutoff)
        interval, t = locate(r, setup.inv_dr, setup.n_r)
        species_j = species.at[idx_rows].get(mode="fill", fill_value=0)
        pair_type = species[rows][:, None] * setup.n_species + species_j
        return components, r, within, t, pair_type * (setup.n_r - 1) + interval

    def coefficients(position, columns, row):
        """Cubic coefficients of the pair tables, one gather per coefficient column: much
        faster on CPU than gathering (..., 12) rows."""
        table = jnp.asarray(setup.pair_columns, dtype=position.dtype)
        return tuple(table[k][row] for k in columns)

    def density_rows(position, rows, idx_rows, with_pair_energy: bool):
        """rho_i (and sum_j phi_ij if asked) of the atoms ``rows``."""
        _, r, within, t, row = pair_geometry(position, rows, idx_rows)
        rho = jnp.where(within, cubic_value(coefficients(position, range(0, 4), row), t), 0.0)
        if not with_pair_energy:
            return row_sums(rho)[0]
        r_phi = cubic_value(coefficients(position, range(8, 12), row), t)
        return row_sums(rho, jnp.where(within, r_phi / r, 0.0))

    return pair_geometry, coefficients, density_rows


def embedding_energy_and_slope(setup: EamSetup, species, rho):
    """F(rho) and F'(rho) per atom, continued linearly beyond the table as LAMMPS does."""
    interval, t = locate(rho, setup.inv_drho, setup.n_rho)
    table = jnp.asarray(setup.embedding_columns, dtype=rho.dtype)
    row = species * (setup.n_rho - 1) + interval
    c = tuple(table[k][row] for k in range(4))
    slope = cubic_slope(c, t, setup.inv_drho)
    value = cubic_value(c, t) + jnp.where(rho > setup.rho_max, slope * (rho - setup.rho_max),
                                          0.0)
    return value, slope


def eam_functions(setup: EamSetup, species, box):
    """``(energy, energy_and_forces)`` of ``(position, neighbor_idx)``: eV and eV/A."""
    pair_geometry, coefficients, density_rows = eam_row_functions(setup, species, box)
    inv_dr = setup.inv_dr

    def energy(position, neighbor_idx):
        rho, pair_energy = map_row_blocks(
            lambda rows, idx_rows: density_rows(position, rows, idx_rows, True), neighbor_idx)
        embedding, _ = embedding_energy_and_slope(setup, species, rho)
        return jnp.sum(embedding) + 0.5 * jnp.sum(pair_energy)

    def energy_and_forces(position, neighbor_idx):
        """Two passes over the list in row blocks: densities, then forces (which need F'(rho)
        of both atoms of a pair) with the pair energy."""
        rho = map_row_blocks(
            lambda rows, idx_rows: density_rows(position, rows, idx_rows, False), neighbor_idx)
        embedding, f_slope = embedding_energy_and_slope(setup, species, rho)

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

    return energy, energy_and_forces


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
    energy, energy_and_forces = eam_functions(eam_setup(tables, splines, n_species),
                                              jnp.asarray(species_np, dtype=jnp.int32),
                                              jnp.asarray(box))
    quoted = f'"{path}"' if any(ch.isspace() for ch in str(path)) else str(path)
    commands = ("pair_style eam/fs", f"pair_coeff * * {quoted} {' '.join(species_names)}")
    parameters = {
        "file_spec": str(params["file"]),
        "file": str(path),
        "sha256": file_sha256([path]),
        "elements_in_file": list(tables.elements),
        "species": list(species_names),
        "cutoff": tables.cutoff,
        "n_rho": tables.n_rho,
        "d_rho": tables.d_rho,
        "n_r": tables.n_r,
        "d_r": tables.d_r,
        "interpolation": "LAMMPS eam cubic (pair_eam.cpp interpolate), rho clamped as LAMMPS",
    }
    return Potential(
        name="eam_fs",
        cutoff=tables.cutoff,
        energy=energy,
        energy_and_forces=energy_and_forces,
        lammps_commands=commands,
        lammps_units="metal",
        parameters=parameters,
    )
