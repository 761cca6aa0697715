"""Kob-Andersen binary Lennard-Jones mixture with a hard cutoff per species pair.

For atoms of species a and b at distance r (LJ reduced units: sigma_AA, epsilon_AA)::

    phi_ab(r) = 4 eps_ab [(sigma_ab / r)^12 - (sigma_ab / r)^6] - offset_ab   for r < rc_ab
              = 0                                                              for r >= rc_ab

with rc_ab = cutoff_sigma * sigma_ab and, when ``shift`` is true, offset_ab = the LJ value at
rc_ab (energy continuous at the cutoff, forces unchanged); offset_ab = 0 otherwise. This is
LAMMPS ``pair_style lj/cut`` with per-pair cutoffs, not jax_md's smoothly switched
``lennard_jones`` (which scales its cutoff by the largest sigma).

Forces are evaluated directly as row sums over the dense full neighbor list (one gather per
Cartesian component, see :func:`ogn.md.potentials.base.neighbor_displacement_components`),
F_i = sum_j phi'(r_ij) / r_ij * (r_j - r_i), so no scatter and no automatic differentiation
through the position gather is needed. The list is processed in blocks of rows
(:func:`ogn.md.neighbors.map_row_blocks`), which keeps the temporaries in cache on CPU.

The helpers :func:`species_matrix`, :func:`validated_species`, :func:`species_pair_selector`
and :func:`row_displacement_components` are shared with the other pair potentials.
"""

from collections.abc import Callable

import jax.numpy as jnp
import numpy as np

from ogn.md.neighbors import map_row_blocks
from ogn.md.potentials.base import Potential, row_sums


def species_matrix(params: dict, key: str, n_species: int) -> np.ndarray:
    """The symmetric (n_species, n_species) float64 matrix ``params[key]``, validated."""
    matrix = np.asarray(params[key], dtype=np.float64)
    if matrix.shape != (n_species, n_species):
        raise ValueError(
            f"potential parameter {key!r} must be a {n_species}x{n_species} matrix "
            f"(one row and column per species), got shape {matrix.shape}"
        )
    if not np.array_equal(matrix, matrix.T):
        raise ValueError(f"potential parameter {key!r} must be symmetric, got {matrix.tolist()}")
    return matrix


def validated_species(species, n_species: int) -> np.ndarray:
    """Species as an (N,) int array with every value in 0..n_species-1."""
    species = np.asarray(species)
    if species.ndim != 1 or not np.issubdtype(species.dtype, np.integer):
        raise ValueError(f"species must be a 1-d integer array, got {species.dtype} "
                         f"{species.shape}")
    if species.size and (species.min() < 0 or species.max() >= n_species):
        raise ValueError(
            f"species values must lie in 0..{n_species - 1} (the parameter matrices are "
            f"{n_species}x{n_species}), got {species.min()}..{species.max()}"
        )
    return species.astype(np.int32)


def species_pair_selector(species, n_species: int):
    """Function ``(neighbor_idx, tables, dtype) -> [(N, capacity) arrays]`` of pair parameters.

    Each table is an (n_species, n_species) matrix; entry [i, k] of the result is
    ``table[species[i], species[neighbor_idx[i, k]]]`` (species 0 on padding entries, which
    callers mask out). Row i's parameters are gathered once per atom and the neighbor's species
    is picked with ``where``: on CPU this is markedly faster than a gather per pair. With one
    species the arrays are (N, 1) and broadcast against the pair arrays.
    """
    species_all = jnp.asarray(species, dtype=jnp.int32)
    species_padded = jnp.asarray(np.append(species, 0), dtype=jnp.int32)

    def select(neighbor_idx, tables, dtype, rows=None):
        """``rows`` (B,): the atoms whose rows ``neighbor_idx`` (B, capacity) holds (all N
        atoms when None)."""
        species_i = species_all if rows is None else species_all[rows]
        species_j = species_padded[neighbor_idx]
        selected = []
        for table in tables:
            table_rows = jnp.asarray(table, dtype)[species_i]  # (B, n_species)
            value = table_rows[:, n_species - 1:n_species]
            for b in range(n_species - 2, -1, -1):
                value = jnp.where(species_j == b, table_rows[:, b:b + 1], value)
            selected.append(value)
        return selected

    return select


def row_displacement_components(position, rows, neighbor_idx, box):
    """:func:`ogn.md.potentials.base.neighbor_displacement_components` for some rows of the list.

    ``rows`` (B,) are atom indices and ``neighbor_idx`` (B, capacity) their neighbor rows.
    Returns ``(dx, dy, dz)`` of r_j - r_i (minimum image), distances (1 on padding) and the
    pair mask, each (B, capacity).
    """
    n_atoms = position.shape[0]
    mask = neighbor_idx < n_atoms
    components = []
    for axis in range(3):
        column = position[:, axis]
        # padding (index N) reads 0 and is masked; multiplying by 1/box instead of dividing
        # changes a rounding only for pairs half a box apart, far beyond every cutoff
        delta = column.at[neighbor_idx].get(mode="fill", fill_value=0) - column[rows][:, None]
        components.append(delta - box[axis] * jnp.round(delta * (1.0 / box[axis])))
    dx, dy, dz = components
    r_sq = jnp.where(mask, dx * dx + dy * dy + dz * dz, 1.0)
    return (dx, dy, dz), jnp.sqrt(r_sq), mask


def lennard_jones_energy(epsilon, sigma, r):
    """4 eps [(sigma/r)^12 - (sigma/r)^6], elementwise (numpy, float64)."""
    sr6 = (np.asarray(sigma, dtype=np.float64) / r) ** 6
    return 4.0 * np.asarray(epsilon, dtype=np.float64) * (sr6 * sr6 - sr6)


def kob_andersen_pair_terms(tables, select, box) -> Callable:
    """``pair_terms(position, rows, neighbor_idx)`` of the Kob-Andersen potential with the
    species-pair ``tables`` (epsilon, sigma^2, rc^2, energy offset) picked by ``select``."""

    def pair_terms(position, rows, neighbor_idx):
        """((dx, dy, dz) of r_j - r_i, pair energies, phi'(r)/r) of the list rows of the atoms
        ``rows``; zero beyond the cutoff and on padding."""
        dtype = position.dtype
        (dx, dy, dz), _, mask = row_displacement_components(
            position, rows, neighbor_idx, jnp.asarray(box, dtype))
        r_sq = jnp.where(mask, dx * dx + dy * dy + dz * dz, 1.0)
        eps, sigma_sq, cutoff_sq, shift_energy = select(neighbor_idx, tables, dtype, rows)
        within = mask & (r_sq < cutoff_sq)
        inv_r_sq = 1.0 / r_sq
        sr6 = (sigma_sq * inv_r_sq) ** 3
        sr12 = sr6 * sr6
        pair_energy = jnp.where(within, 4.0 * eps * (sr12 - sr6) - shift_energy, 0.0)
        dphi_over_r = jnp.where(within, -24.0 * eps * (2.0 * sr12 - sr6) * inv_r_sq, 0.0)
        return (dx, dy, dz), pair_energy, dphi_over_r

    return pair_terms


def kob_andersen_lammps_commands(epsilon, sigma, pair_cutoff, shift: bool) -> tuple:
    """The same potential as LAMMPS ``pair_style lj/cut`` commands."""
    n_species = len(epsilon)
    return (f"pair_style lj/cut {float(np.max(pair_cutoff))!r}",) + tuple(
        f"pair_coeff {a + 1} {b + 1} {float(epsilon[a, b])!r} {float(sigma[a, b])!r} "
        f"{float(pair_cutoff[a, b])!r}"
        for a in range(n_species)
        for b in range(a, n_species)
    ) + (f"pair_modify shift {'yes' if shift else 'no'}",)


def kob_andersen_potential(params: dict, box, species) -> Potential:
    """Kob-Andersen LJ potential (energy in eps_AA, length in sigma_AA).

    ``params``: the ``systems.<name>.potential`` block of the config: ``epsilon`` and ``sigma``
    (symmetric species x species matrices), ``cutoff_sigma`` (rc_ab = cutoff_sigma * sigma_ab)
    and ``shift`` (bool). ``box`` is the (3,) array of box sides, ``species`` the (N,) species
    indices. The neighbor list must reach ``Potential.cutoff`` = cutoff_sigma * max(sigma).
    """
    n_species = len(np.atleast_1d(params["epsilon"]))
    epsilon = species_matrix(params, "epsilon", n_species)
    sigma = species_matrix(params, "sigma", n_species)
    if np.any(sigma <= 0):
        raise ValueError(f"sigma must be positive, got {sigma.tolist()}")
    cutoff_sigma = float(params["cutoff_sigma"])
    if cutoff_sigma <= 0:
        raise ValueError(f"cutoff_sigma must be positive, got {cutoff_sigma}")
    shift = bool(params["shift"])
    species = validated_species(species, n_species)
    box = np.asarray(box, dtype=np.float64) * np.ones(3)

    pair_cutoff = cutoff_sigma * sigma
    offset = lennard_jones_energy(epsilon, sigma, pair_cutoff) if shift else np.zeros_like(sigma)
    tables = (epsilon, sigma**2, pair_cutoff**2, offset)
    select = species_pair_selector(species, n_species)

    pair_terms = kob_andersen_pair_terms(tables, select, box)

    def energy(position, neighbor_idx):
        """Total potential energy (eps_AA); each pair appears twice in the full list."""
        def row_energies(rows, idx_rows):
            return jnp.sum(pair_terms(position, rows, idx_rows)[1], axis=1)

        return 0.5 * jnp.sum(map_row_blocks(row_energies, neighbor_idx))

    def energy_and_forces(position, neighbor_idx):
        """(energy, forces (N, 3)) with F_i = sum_j phi'(r_ij)/r_ij (r_j - r_i)."""
        def row_terms(rows, idx_rows):
            (dx, dy, dz), pair_energy, dphi_over_r = pair_terms(position, rows, idx_rows)
            energy_i, fx, fy, fz = row_sums(pair_energy, dphi_over_r * dx, dphi_over_r * dy,
                                            dphi_over_r * dz)
            return energy_i, jnp.stack([fx, fy, fz], axis=-1)

        row_energy, forces = map_row_blocks(row_terms, neighbor_idx)
        return 0.5 * jnp.sum(row_energy), forces

    parameters = {
        "model": "Kob-Andersen binary Lennard-Jones, hard cutoff per species pair",
        "epsilon": epsilon.tolist(),
        "sigma": sigma.tolist(),
        "cutoff_sigma": cutoff_sigma,
        "pair_cutoff": pair_cutoff.tolist(),
        "shift": shift,
        "energy_offset": offset.tolist(),
    }
    return Potential(
        name="kob_andersen",
        cutoff=float(np.max(pair_cutoff)),
        energy=energy,
        energy_and_forces=energy_and_forces,
        lammps_commands=kob_andersen_lammps_commands(epsilon, sigma, pair_cutoff, shift),
        lammps_units="lj",
        parameters=parameters,
    )
