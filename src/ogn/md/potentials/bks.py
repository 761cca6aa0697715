"""BKS silica: Buckingham + D/r^24 short range, Coulomb by damped shifted force (metal units).

For atoms of species a and b at distance r (eV, A, charges in e)::

    phi_ab(r) = [A_ab exp(-r / rho_ab) - C_ab / r^6 + D_ab / r^24 - offset_ab] (r < rc_sr)
              + k_e q_a q_b [erfc(alpha r)/r - erfc(alpha rc)/rc + F_c (r - rc)]  (r < rc)

    F_c = erfc(alpha rc)/rc^2 + 2 alpha/sqrt(pi) exp(-alpha^2 rc^2)/rc

The short-range part is van Beest, Kramer and van Santen's (1990) Buckingham form with the
repulsive D/r^24 wall that keeps Si-O from collapsing at short range; with ``shift`` its value
at ``short_range_cutoff`` is subtracted (offset_ab). The Coulomb part is the damped shifted
force of Fennell and Gezelter (J. Chem. Phys. 124, 234104, 2006): energy and force both go to
zero at ``coulomb_cutoff`` rc. k_e = 14.399645 eV A / e^2 is the constant LAMMPS uses in metal
units (``qqr2e``).

The total energy also holds the constant DSF self term that LAMMPS ``coul/dsf`` adds,
-k_e (e_shift / 2 + alpha / sqrt(pi)) sum_i q_i^2 with e_shift = erfc(alpha rc)/rc + F_c rc, so
energies agree with LAMMPS; it depends on the composition only and changes no force.

The parameter set is the one in the config (the paper's, in eV and A); jax_md's
``bks_silica_*`` functions use another set (kcal/mol, other charges).
"""

import math
from collections.abc import Callable

import jax.numpy as jnp
import jax.scipy.special
import numpy as np

from ogn.md.neighbors import map_row_blocks
from ogn.md.potentials.base import Potential
from ogn.md.potentials.lj import (
    row_displacement_components,
    species_matrix,
    species_pair_selector,
    validated_species,
)

# LAMMPS metal units: force->qqr2e = e^2 / (4 pi eps0) in eV A.
COULOMB_CONSTANT_EV_A = 14.399645


def buckingham_wall_energy(A, rho, C, D, r):
    """A exp(-r/rho) - C/r^6 + D/r^24 (eV), elementwise (numpy, float64); A = 0 allows rho = 0."""
    A, rho, C, D = (np.asarray(x, dtype=np.float64) for x in (A, rho, C, D))
    safe_rho = np.where(rho > 0, rho, 1.0)
    exponential = np.where(A != 0, A * np.exp(-r / safe_rho), 0.0)
    return exponential - C / r**6 + D / r**24


def dsf_constants(alpha: float, cutoff: float):
    """(erfc(alpha rc)/rc, F_c, self-energy factor) of the damped shifted force, 1/A units.

    The self energy of an atom of charge q is ``-k_e q^2 * factor``.
    """
    erfc_over_rc = math.erfc(alpha * cutoff) / cutoff
    force_shift = (
        erfc_over_rc / cutoff
        + 2.0 * alpha / math.sqrt(math.pi) * math.exp(-(alpha * cutoff) ** 2) / cutoff
    )
    energy_shift = erfc_over_rc + force_shift * cutoff
    self_factor = 0.5 * energy_shift + alpha / math.sqrt(math.pi)
    return erfc_over_rc, force_shift, self_factor


def lepton_expression(A: float, rho: float, C: float, D: float) -> str:
    """LAMMPS ``pair_style lepton`` expression of the short-range BKS pair energy."""
    A, rho, C, D = (float(x) for x in (A, rho, C, D))
    return f"A*exp(-r/rho)-C/r^6+D/r^24;A={A!r};rho={rho!r};C={C!r};D={D!r}"


def bks_pair_terms(tables, select, box, short_range_cutoff: float, alpha: float,
                   coulomb_cutoff: float) -> Callable:
    """``pair_terms(position, rows, neighbor_idx)`` of BKS with damped shifted-force Coulomb,
    the species-pair ``tables`` (A, 1/rho, C, D, energy offset, k q_a q_b) picked by
    ``select``."""
    erfc_over_rc, force_shift, _ = dsf_constants(alpha, coulomb_cutoff)
    two_alpha_over_sqrt_pi = 2.0 * alpha / math.sqrt(math.pi)

    def pair_terms(position, rows, neighbor_idx):
        """((dx, dy, dz) of r_j - r_i, pair energies, phi'(r)/r) of the list rows of the atoms
        ``rows``; zero beyond the cutoffs and on padding."""
        dtype = position.dtype
        (dx, dy, dz), r, mask = row_displacement_components(
            position, rows, neighbor_idx, jnp.asarray(box, dtype))
        a, inv_rho, c, dd, shift_energy, qq = select(neighbor_idx, tables, dtype, rows)
        inv_r = 1.0 / r
        inv_r2 = inv_r * inv_r
        inv_r6 = inv_r2 * inv_r2 * inv_r2
        inv_r24 = (inv_r6 * inv_r6) * (inv_r6 * inv_r6)
        exponential = a * jnp.exp(-r * inv_rho)
        short_energy = exponential - c * inv_r6 + dd * inv_r24 - shift_energy
        short_dphi = -exponential * inv_rho + (6.0 * c * inv_r6 - 24.0 * dd * inv_r24) * inv_r
        in_short = mask & (r < short_range_cutoff)

        erfc_term = jax.scipy.special.erfc(alpha * r) * inv_r
        gauss = two_alpha_over_sqrt_pi * jnp.exp(-(alpha * r) ** 2)
        coulomb_energy = qq * (erfc_term - erfc_over_rc + force_shift * (r - coulomb_cutoff))
        coulomb_dphi = qq * (force_shift - (erfc_term + gauss) * inv_r)
        in_coulomb = mask & (r < coulomb_cutoff)

        pair_energy = (jnp.where(in_short, short_energy, 0.0)
                       + jnp.where(in_coulomb, coulomb_energy, 0.0))
        dphi_over_r = (jnp.where(in_short, short_dphi, 0.0)
                       + jnp.where(in_coulomb, coulomb_dphi, 0.0)) * inv_r
        return (dx, dy, dz), pair_energy, dphi_over_r

    return pair_terms


def bks_lammps_commands(A, rho, C, D, charges, short_range_cutoff: float, shift: bool,
                        alpha: float, coulomb_cutoff: float) -> tuple:
    """The same potential in LAMMPS: ``coul/dsf`` overlaid on a ``lepton`` short range."""
    n_species = len(charges)
    return (
        f"pair_style hybrid/overlay coul/dsf {alpha!r} {coulomb_cutoff!r} "
        f"lepton {short_range_cutoff!r}",
        "pair_coeff * * coul/dsf",
        *(
            f'pair_coeff {a + 1} {b + 1} lepton '
            f'"{lepton_expression(A[a, b], rho[a, b], C[a, b], D[a, b])}" '
            f"{short_range_cutoff!r}"
            for a in range(n_species)
            for b in range(a, n_species)
        ),
        f"pair_modify pair lepton shift {'yes' if shift else 'no'}",
        *(f"set type {a + 1} charge {float(charges[a])!r}" for a in range(n_species)),
    )


def checked_parameters(params: dict) -> tuple:
    """(A, rho, C, D, charges, short_range_cutoff, alpha, coulomb_cutoff, shift) of a BKS
    config block, each checked (ValueError naming the parameter)."""
    n_species = len(np.atleast_1d(params["A"]))
    A = species_matrix(params, "A", n_species)
    rho = species_matrix(params, "rho", n_species)
    C = species_matrix(params, "C", n_species)
    D = species_matrix(params, "D", n_species)
    if np.any((rho <= 0) & (A != 0)):
        raise ValueError(f"rho must be positive where A != 0, got rho = {rho.tolist()}")
    charges = np.asarray(params["charges"], dtype=np.float64)
    if charges.shape != (n_species,):
        raise ValueError(f"charges must hold one value per species ({n_species}), got {charges}")
    short_range_cutoff = float(params["short_range_cutoff"])
    alpha = float(params["coulomb_alpha"])
    coulomb_cutoff = float(params["coulomb_cutoff"])
    if min(short_range_cutoff, coulomb_cutoff) <= 0 or alpha < 0:
        raise ValueError("short_range_cutoff and coulomb_cutoff must be positive, alpha >= 0")
    shift = bool(params["shift"])
    return A, rho, C, D, charges, short_range_cutoff, alpha, coulomb_cutoff, shift


def bks_potential(params: dict, box, species) -> Potential:
    """BKS silica potential (eV, A).

    ``params``: the ``systems.<name>.potential`` block of the config: symmetric species x species
    matrices ``A`` (eV), ``rho`` (A), ``C`` (eV A^6), ``D`` (eV A^24); ``charges`` (e, one per
    species); ``short_range_cutoff`` (A); ``shift`` (bool, short-range part only);
    ``coulomb_alpha`` (1/A) and ``coulomb_cutoff`` (A) of the damped shifted force. ``box`` is
    the (3,) array of box sides (A), ``species`` the (N,) species indices. The neighbor list must
    reach ``Potential.cutoff`` = max(short_range_cutoff, coulomb_cutoff).
    """
    A, rho, C, D, charges, short_range_cutoff, alpha, coulomb_cutoff, shift = \
        checked_parameters(params)
    n_species = len(charges)
    species = validated_species(species, n_species)
    box = np.asarray(box, dtype=np.float64) * np.ones(3)

    offset = (buckingham_wall_energy(A, rho, C, D, short_range_cutoff) if shift
              else np.zeros_like(A))
    inverse_rho = np.where(rho > 0, 1.0 / np.where(rho > 0, rho, 1.0), 0.0)
    charge_product = COULOMB_CONSTANT_EV_A * np.outer(charges, charges)
    self_factor = dsf_constants(alpha, coulomb_cutoff)[2]
    self_energy = float(-COULOMB_CONSTANT_EV_A * self_factor * np.sum(charges[species] ** 2))
    tables = (A, inverse_rho, C, D, offset, charge_product)
    select = species_pair_selector(species, n_species)

    pair_terms = bks_pair_terms(tables, select, box, short_range_cutoff, alpha, coulomb_cutoff)

    def energy(position, neighbor_idx):
        """Total potential energy (eV), DSF self term included."""
        def row_energies(rows, idx_rows):
            return jnp.sum(pair_terms(position, rows, idx_rows)[1], axis=1)

        pair_energy = 0.5 * jnp.sum(map_row_blocks(row_energies, neighbor_idx))
        return pair_energy + jnp.asarray(self_energy, position.dtype)

    def energy_and_forces(position, neighbor_idx):
        """(energy (eV), forces (N, 3) eV/A) with F_i = sum_j phi'(r_ij)/r_ij (r_j - r_i)."""
        def row_terms(rows, idx_rows):
            components, pair_energy, dphi_over_r = pair_terms(position, rows, idx_rows)
            # separate row sums: a single variadic reduction (ogn.md.potentials.base.row_sums)
            # makes this kernel (erfc, two exp per pair) about 1.5x slower on XLA CPU
            forces = jnp.stack([jnp.sum(dphi_over_r * d, axis=1) for d in components], axis=-1)
            return jnp.sum(pair_energy, axis=1), forces

        row_energy, forces = map_row_blocks(row_terms, neighbor_idx)
        return 0.5 * jnp.sum(row_energy) + jnp.asarray(self_energy, position.dtype), forces

    parameters = {
        "model": "BKS silica (van Beest, Kramer, van Santen 1990) with D/r^24 wall; "
                 "Coulomb by damped shifted force (Fennell & Gezelter 2006)",
        "A": A.tolist(),
        "rho": rho.tolist(),
        "C": C.tolist(),
        "D": D.tolist(),
        "charges": charges.tolist(),
        "short_range_cutoff": short_range_cutoff,
        "shift": shift,
        "short_range_offset": offset.tolist(),
        "coulomb_alpha": alpha,
        "coulomb_cutoff": coulomb_cutoff,
        "coulomb_constant": COULOMB_CONSTANT_EV_A,
        "coulomb_self_energy": self_energy,
    }
    return Potential(
        name="bks",
        cutoff=max(short_range_cutoff, coulomb_cutoff),
        energy=energy,
        energy_and_forces=energy_and_forces,
        lammps_commands=bks_lammps_commands(A, rho, C, D, charges, short_range_cutoff, shift,
                                            alpha, coulomb_cutoff),
        lammps_units="metal",
        parameters=parameters,
    )
