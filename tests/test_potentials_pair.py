"""Kob-Andersen LJ and BKS silica against LAMMPS, exact float64 sums and automatic differentiation.

Configurations: the paper's system sizes and boxes (config/config.yaml), (a) atoms placed at
random with a minimum distance and (b) the same after a short steepest descent.
"""

import copy
import functools
import json
import math
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import yaml
from lammps_cases import (
    pair_sum,
    random_configuration,
    relative_energy_error,
    relative_force_error,
    steepest_descent,
)
from scipy.special import erfc

from ogn.md.lammps import lammps_energy_forces
from ogn.md.neighbors import build_neighbor_list
from ogn.md.potentials import make_potential
from ogn.md.potentials.bks import bks_potential
from ogn.md.potentials.lj import kob_andersen_potential

SYSTEMS = ("lj", "sio2")
CONFIGURATIONS = ("random", "relaxed")
# Steepest descent for the "relaxed" configurations: steps, largest move per step.
RELAXATION = {"lj": (40, 0.02), "sio2": (40, 0.03)}
SEED = {"lj": 11, "sio2": 12}
# Minimum distances of the random placement: the config's 0.8 sigma_AA for LJ (denser packing
# jams random placement at this density); per species pair for silica ([[Si-Si, Si-O],
# [O-Si, O-O]], A), so that no Si-Si pair sits on the steep D/r^24 wall.
MIN_DISTANCE = {"lj": None, "sio2": [[2.6, 1.5], [1.5, 2.2]]}


CONFIG_FILE = Path(__file__).resolve().parents[1] / "config" / "config.yaml"


@functools.cache
def system_config(name: str) -> dict:
    with open(CONFIG_FILE) as handle:
        return yaml.safe_load(handle)["systems"][name]


def box_of(name: str) -> np.ndarray:
    return np.full(3, float(system_config(name)["box"]))


def potential_for(name: str, species, **overrides):
    params = copy.deepcopy(system_config(name)["potential"])
    params.update(overrides)
    maker = {"lj": kob_andersen_potential, "sio2": bks_potential}[name]
    return maker(params, box_of(name), species)


@functools.cache
def configuration(name: str, kind: str):
    """(position, species) of test configuration ``kind`` of system ``name``."""
    config = system_config(name)
    box = box_of(name)
    min_distance = MIN_DISTANCE[name] or config["min_distance"]
    position, species = random_configuration(config["counts"], box[0], min_distance,
                                             seed=SEED[name])
    if kind == "relaxed":
        potential = potential_for(name, species)
        steps, max_move = RELAXATION[name]
        position = steepest_descent(jax.jit(potential.energy_and_forces), position, box,
                                    potential.cutoff, steps, max_move)
    return position, species


def neighbor_idx(name: str, position, potential, skin: float = 0.0, capacity=None):
    box = box_of(name)
    return build_neighbor_list(position, box, potential.cutoff, skin, capacity=capacity).idx


def our_energy_forces(name: str, position, species, **overrides):
    potential = potential_for(name, species, **overrides)
    idx = neighbor_idx(name, position, potential, skin=float(system_config(name)["skin"]))
    energy, forces = jax.jit(potential.energy_and_forces)(jnp.asarray(position), idx)
    return float(energy), np.asarray(forces)


# --- independent numpy references -------------------------------------------------------------

def kob_andersen_reference(position, box, species, params):
    """Energy and forces of the KA mixture by a brute-force float64 sum over all pairs."""
    eps = np.asarray(params["epsilon"], dtype=np.float64)
    sigma = np.asarray(params["sigma"], dtype=np.float64)
    cut = params["cutoff_sigma"] * sigma

    def lj(r, a, b):
        x = (sigma[a, b] / r) ** 6
        return 4.0 * eps[a, b] * (x * x - x)

    offset = lj(cut, *np.indices(cut.shape)) if params["shift"] else np.zeros_like(cut)

    def energy(r, a, b):
        return lj(r, a, b) - offset[a, b]

    def dphi(r, a, b):
        s = sigma[a, b]
        return 4.0 * eps[a, b] * (-12.0 * s**12 / r**13 + 6.0 * s**6 / r**7)

    return pair_sum(position, box, species, energy, dphi, lambda a, b: cut[a, b])


def abramowitz_stegun_erfc(x):
    """erfc by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): what LAMMPS coul/dsf uses per pair."""
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741
                                                       + t * (-1.453152027 + t * 1.061405429))))
    return poly * np.exp(-x * x)


def bks_reference(position, box, species, params, short_range=True, coulomb=True,
                  pair_erfc=erfc):
    """BKS energy and forces by a brute-force float64 sum.

    The Coulomb DSF uses ``pair_erfc`` for the pair terms (scipy's exact erfc by default) and
    the exact erfc for the cutoff constants.
    """
    A, rho, C, D = (np.asarray(params[k], dtype=np.float64) for k in ("A", "rho", "C", "D"))
    q = np.asarray(params["charges"], dtype=np.float64)
    alpha, rc = params["coulomb_alpha"], params["coulomb_cutoff"]
    r_short = params["short_range_cutoff"]
    k_e = 14.399645  # LAMMPS metal-units qqr2e, eV A / e^2

    def buckingham(r, a, b):
        return A[a, b] * np.exp(-r / rho[a, b]) - C[a, b] / r**6 + D[a, b] / r**24

    offset = (buckingham(r_short, *np.indices(A.shape)) if params["shift"]
              else np.zeros_like(A))

    def short_energy(r, a, b):
        return np.where(r < r_short, buckingham(r, a, b) - offset[a, b], 0.0)

    def short_dphi(r, a, b):
        return np.where(r < r_short, -A[a, b] / rho[a, b] * np.exp(-r / rho[a, b])
                        + 6.0 * C[a, b] / r**7 - 24.0 * D[a, b] / r**25, 0.0)

    gauss_rc = 2.0 * alpha / math.sqrt(math.pi) * math.exp(-(alpha * rc) ** 2)
    slope_rc = erfc(alpha * rc) / rc**2 + gauss_rc / rc

    def coulomb_energy(r, a, b):
        value = pair_erfc(alpha * r) / r - erfc(alpha * rc) / rc + slope_rc * (r - rc)
        return np.where(r < rc, k_e * q[a] * q[b] * value, 0.0)

    def coulomb_dphi(r, a, b):
        gauss = 2.0 * alpha / math.sqrt(math.pi) * np.exp(-(alpha * r) ** 2)
        value = -pair_erfc(alpha * r) / r**2 - gauss / r + slope_rc
        return np.where(r < rc, k_e * q[a] * q[b] * value, 0.0)

    def energy(r, a, b):
        return short_range * short_energy(r, a, b) + coulomb * coulomb_energy(r, a, b)

    def dphi(r, a, b):
        return short_range * short_dphi(r, a, b) + coulomb * coulomb_dphi(r, a, b)

    total, forces = pair_sum(position, box, species, energy, dphi,
                             lambda a, b: max(r_short, rc) + 0.0 * a)
    if coulomb:
        # LAMMPS coul/dsf self term: -k_e q_i^2 (e_shift/2 + alpha/sqrt(pi)), with
        # e_shift/2 = erfc(alpha rc)/rc + alpha/sqrt(pi) exp(-alpha^2 rc^2).
        per_charge_sq = erfc(alpha * rc) / rc + 0.5 * gauss_rc + alpha / math.sqrt(math.pi)
        total -= k_e * per_charge_sq * np.sum(q[species] ** 2)
    return total, forces


def reference_energy_forces(name, position, species, **overrides):
    params = copy.deepcopy(system_config(name)["potential"])
    params.update(overrides)
    reference = {"lj": kob_andersen_reference, "sio2": bks_reference}[name]
    return reference(position, box_of(name), species, params)


# --- tests ------------------------------------------------------------------------------------

# (energy, force) tolerances. KA LJ is evaluated exactly by both codes (measured <= 3e-14);
# LAMMPS coul/dsf approximates erfc by a 5-term polynomial (~1e-7 relative), which sets the BKS
# errors (measured up to ~1.6e-7 in energy, ~3e-7 in forces; see the erfc test below).
LAMMPS_TOLERANCE = {"lj": (1e-12, 1e-12), "sio2": (1e-6, 2e-6)}


@pytest.mark.parametrize("shift", [True, False])
@pytest.mark.parametrize("kind", CONFIGURATIONS)
@pytest.mark.parametrize("name", SYSTEMS)
def test_energy_and_forces_match_lammps(name, kind, shift):
    position, species = configuration(name, kind)
    potential = potential_for(name, species, shift=shift)
    energy, forces = our_energy_forces(name, position, species, shift=shift)
    lammps_energy, lammps_forces = lammps_energy_forces(
        position, box_of(name), species, system_config(name)["masses"],
        potential.lammps_commands, potential.lammps_units)
    energy_tolerance, force_tolerance = LAMMPS_TOLERANCE[name]
    assert relative_energy_error(energy, lammps_energy) < energy_tolerance
    assert relative_force_error(forces, lammps_forces) < force_tolerance


@pytest.mark.parametrize("kind", CONFIGURATIONS)
def test_bks_difference_from_lammps_is_its_erfc_approximation(kind):
    """With LAMMPS's polynomial erfc in the pair terms, the float64 reference sum reproduces
    LAMMPS to rounding: our remaining ~1e-7 difference is LAMMPS's approximation, not ours."""
    position, species = configuration("sio2", kind)
    potential = potential_for("sio2", species)
    lammps_energy, lammps_forces = lammps_energy_forces(
        position, box_of("sio2"), species, system_config("sio2")["masses"],
        potential.lammps_commands, potential.lammps_units)
    energy, forces = bks_reference(position, box_of("sio2"), species,
                                   system_config("sio2")["potential"],
                                   pair_erfc=abramowitz_stegun_erfc)
    assert relative_energy_error(energy, lammps_energy) < 1e-12
    assert relative_force_error(forces, lammps_forces) < 1e-12


@pytest.mark.parametrize("kind", CONFIGURATIONS)
def test_coulomb_dsf_matches_exact_erfc_sum(kind):
    position, species = configuration("sio2", kind)
    zero = [[0.0, 0.0], [0.0, 0.0]]
    energy, forces = our_energy_forces("sio2", position, species, A=zero, C=zero, D=zero)
    exact_energy, exact_forces = bks_reference(position, box_of("sio2"), species,
                                               system_config("sio2")["potential"],
                                               short_range=False)
    assert relative_energy_error(energy, exact_energy) < 1e-12
    assert relative_force_error(forces, exact_forces) < 1e-12


@pytest.mark.parametrize("kind", CONFIGURATIONS)
@pytest.mark.parametrize("name", SYSTEMS)
def test_neighbor_list_sum_equals_all_pairs_sum(name, kind):
    position, species = configuration(name, kind)
    energy, forces = our_energy_forces(name, position, species)
    reference_energy, reference_forces = reference_energy_forces(name, position, species)
    assert relative_energy_error(energy, reference_energy) < 1e-12
    assert relative_force_error(forces, reference_forces) < 1e-12


@pytest.mark.parametrize("kind", CONFIGURATIONS)
@pytest.mark.parametrize("name", SYSTEMS)
def test_forces_are_minus_energy_gradient(name, kind):
    position, species = configuration(name, kind)
    potential = potential_for(name, species)
    idx = neighbor_idx(name, position, potential, skin=0.3)
    position = jnp.asarray(position)
    _, forces = jax.jit(potential.energy_and_forces)(position, idx)
    gradient = jax.jit(jax.grad(potential.energy))(position, idx)
    assert relative_force_error(forces, -np.asarray(gradient)) < 1e-12


@pytest.mark.parametrize("name", SYSTEMS)
def test_padding_and_pairs_beyond_cutoff_contribute_nothing(name):
    position, species = configuration(name, "random")
    n_atoms = len(species)
    potential = potential_for(name, species)
    tight = neighbor_idx(name, position, potential, skin=0.0)
    # The largest skin the box allows (list radius = half the box side), twice the capacity.
    skin = 0.5 * box_of(name)[0] - potential.cutoff - 1e-9
    wide = neighbor_idx(name, position, potential, skin=skin)
    wide = neighbor_idx(name, position, potential, skin=skin, capacity=2 * wide.shape[1])
    assert np.all(np.sum(np.asarray(wide) == n_atoms, axis=1) > 0)  # padding in every row
    assert np.sum(np.asarray(wide) < n_atoms) > np.sum(np.asarray(tight) < n_atoms)
    energy_and_forces = jax.jit(potential.energy_and_forces)
    energy_tight, forces_tight = energy_and_forces(jnp.asarray(position), tight)
    energy_wide, forces_wide = energy_and_forces(jnp.asarray(position), wide)
    assert relative_energy_error(energy_wide, energy_tight) < 1e-13
    assert relative_force_error(forces_wide, forces_tight) < 1e-13
    assert relative_energy_error(potential.energy(jnp.asarray(position), wide),
                                 energy_tight) < 1e-13


# float32 arithmetic on the same positions: measured errors up to ~1e-6 (energy) and ~1e-5
# (forces, where pair forces of ~1e3 cancel to net forces of ~10).
@pytest.mark.parametrize("name", SYSTEMS)
def test_float32_positions_give_float32_results(name):
    position, species = configuration(name, "relaxed")
    potential = potential_for(name, species)
    idx = neighbor_idx(name, position, potential, skin=0.3)
    position32 = jnp.asarray(position, dtype=jnp.float32)
    # Same (rounded) positions in float64, so that only the arithmetic precision differs.
    energy64, forces64 = jax.jit(potential.energy_and_forces)(position32.astype(jnp.float64), idx)
    energy32, forces32 = jax.jit(potential.energy_and_forces)(position32, idx)
    assert energy32.dtype == jnp.float32 and forces32.dtype == jnp.float32
    assert jax.jit(potential.energy)(position32, idx).dtype == jnp.float32
    assert energy64.dtype == jnp.float64 and forces64.dtype == jnp.float64
    assert relative_energy_error(energy32, energy64) < 1e-5
    assert relative_force_error(forces32, forces64) < 5e-5


def test_make_potential_builds_both_from_config(paper_config):
    for name, kind, cutoff, units in (("lj", "kob_andersen", 2.5, "lj"),
                                      ("sio2", "bks", 8.0, "metal"),
                                      ("lj_glass", "kob_andersen", 2.5, "lj")):
        system = paper_config["systems"][name]
        species = np.repeat(np.arange(len(system["counts"])), system["counts"])
        potential = make_potential(system, np.full(3, system["box"]), species)
        assert potential.name == kind
        assert potential.cutoff == cutoff
        assert potential.lammps_units == units
        assert json.loads(json.dumps(potential.parameters))["shift"] is True


def test_kob_andersen_pair_cutoffs_and_shift():
    """An A-B pair (cutoff 2.0 sigma_AA) and an A-A pair (cutoff 2.5) in a large box."""
    def lj_ab(r):
        return 4 * 1.5 * ((0.8 / r) ** 12 - (0.8 / r) ** 6)

    species = np.array([0, 1])
    shifted = potential_for("lj", species)
    assert shifted.parameters["pair_cutoff"] == [[2.5, 2.0], [2.0, 2.2]]
    shifted_energy = jax.jit(shifted.energy)
    unshifted_energy = jax.jit(potential_for("lj", species, shift=False).energy)
    idx = jnp.array([[1], [0]])
    for r in (1.0, 1.5, 1.999999, 2.000001, 2.4):
        position = jnp.array([[0.0, 0.0, 0.0], [r, 0.0, 0.0]])
        inside = r < 2.0
        assert float(unshifted_energy(position, idx)) == pytest.approx(
            lj_ab(r) if inside else 0.0, rel=1e-13, abs=0.0)
        assert float(shifted_energy(position, idx)) == pytest.approx(
            lj_ab(r) - lj_ab(2.0) if inside else 0.0, rel=1e-12, abs=1e-15)
    # The same distance 2.4 between two A atoms is inside their 2.5 cutoff.
    position = jnp.array([[0.0, 0.0, 0.0], [2.4, 0.0, 0.0]])
    a_a = potential_for("lj", np.array([0, 0]), shift=False)
    assert float(a_a.energy(position, idx)) == pytest.approx(4 * (2.4**-12 - 2.4**-6), rel=1e-13)


@pytest.mark.parametrize("bad", [
    {"epsilon": [[1.0, 1.5], [1.4, 0.5]]},
    {"sigma": [[1.0, 0.8, 0.1], [0.8, 0.88, 0.1]]},
])
def test_kob_andersen_rejects_bad_parameters(bad):
    with pytest.raises(ValueError):
        potential_for("lj", np.array([0, 1]), **bad)


def test_potentials_reject_unknown_species():
    with pytest.raises(ValueError, match="species"):
        potential_for("lj", np.array([0, 2]))
    with pytest.raises(ValueError, match="species"):
        potential_for("sio2", np.array([-1, 0]))
