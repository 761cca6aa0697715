"""Stillinger-Weber and multi-element Finnis-Sinclair EAM: LAMMPS, brute force, file reader."""

import hashlib
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ogn.md.lammps import lammps_energy_forces
from ogn.md.neighbors import build_neighbor_list
from ogn.md.potential_files import resolve_potential_file
from ogn.md.potentials import make_potential
from ogn.md.potentials.eam import eam_fs_potential
from ogn.md.potentials.eam_file import read_eam_fs

# Both engines evaluate the same formulas and the same splines in float64: they agree to
# round-off. These bounds leave room for summation order only.
# against LAMMPS, as measured (2026-12-02, float64): energies within 8.8e-15 relative, forces
# within 1.3e-14 of the largest force, for SW and EAM; the bounds are a few times that
ENERGY_RTOL = 5e-14
FORCE_TOL = 5e-14  # times the largest force magnitude


# ---------------------------------------------------------------------------- configurations

def random_positions(n_atoms, box_side, min_distance, seed):
    """Random non-overlapping positions in a cubic periodic box (sequential insertion)."""
    rng = np.random.default_rng(seed)
    positions = np.empty((0, 3))
    while len(positions) < n_atoms:
        trial = rng.uniform(0.0, box_side, 3)
        d = positions - trial
        d -= box_side * np.round(d / box_side)
        if np.all(np.sum(d * d, axis=1) > min_distance ** 2):
            positions = np.vstack([positions, trial])
    return positions


def diamond_positions(cells, lattice_constant):
    basis = np.array([[0, 0, 0], [0, .5, .5], [.5, 0, .5], [.5, .5, 0],
                      [.25, .25, .25], [.25, .75, .75], [.75, .25, .75], [.75, .75, .25]])
    corners = np.array(list(itertools.product(range(cells), repeat=3)), dtype=float)
    return ((corners[:, None, :] + basis[None]) * lattice_constant).reshape(-1, 3)


def species_from_counts(counts):
    return np.repeat(np.arange(len(counts)), counts)


def relative_errors(energy, forces, energy_ref, forces_ref):
    energy_error = abs(float(energy) - energy_ref) / abs(energy_ref)
    force_error = np.max(np.abs(np.asarray(forces) - forces_ref)) / np.max(
        np.linalg.norm(forces_ref, axis=1))
    return energy_error, force_error


def potential_and_list(system, position, capacity=None):
    box = np.full(3, system["box"])
    species = species_from_counts(system["counts"])
    potential = make_potential(system, box, species)
    neighbors = build_neighbor_list(position, box, potential.cutoff, system["skin"],
                                    capacity=capacity)
    return potential, neighbors, box, species


# ---------------------------------------------------------------------------- Stillinger-Weber

@pytest.fixture(scope="module")
def si(paper_config):
    return paper_config["systems"]["si"]


@pytest.fixture(scope="module")
def si_configurations(si):
    """(position, box side): the config's random liquid box, and a 3x3x3 diamond crystal
    (216 atoms, a = 5.431 A; 128 atoms cannot form a cubic diamond cell) displaced ~0.15 A."""
    random = random_positions(sum(si["counts"]), si["box"], 2.1, seed=1)
    rng = np.random.default_rng(2)
    crystal = diamond_positions(3, 5.431)
    crystal = crystal + rng.normal(0.0, 0.15, crystal.shape)
    return {"random": (random, si["box"]), "diamond": (crystal, 3 * 5.431)}


@pytest.mark.parametrize("kind", ["random", "diamond"])
def test_sw_matches_lammps(si, si_configurations, kind):
    position, side = si_configurations[kind]
    system = {**si, "box": side, "counts": [len(position)]}
    potential, neighbors, box, species = potential_and_list(system, position)
    energy, forces = jax.jit(potential.energy_and_forces)(jnp.asarray(position), neighbors.idx)
    energy_ref, forces_ref = lammps_energy_forces(position, box, species, si["masses"],
                                                  potential.lammps_commands, "metal")
    energy_error, force_error = relative_errors(energy, forces, energy_ref, forces_ref)
    print(f"SW {kind}: E={float(energy):.10f} eV, LAMMPS {energy_ref:.10f}; "
          f"relative energy error {energy_error:.2e}, max force error / max |F| {force_error:.2e}")
    assert energy_error < ENERGY_RTOL
    assert force_error < FORCE_TOL


@pytest.mark.parametrize("kind", ["random", "diamond"])
def test_sw_forces_are_minus_gradient(si, si_configurations, kind):
    position, side = si_configurations[kind]
    system = {**si, "box": side, "counts": [len(position)]}
    potential, neighbors, _, _ = potential_and_list(system, position)
    x = jnp.asarray(position)
    energy, forces = jax.jit(potential.energy_and_forces)(x, neighbors.idx)
    gradient = jax.jit(jax.grad(potential.energy))(x, neighbors.idx)
    assert float(energy) == pytest.approx(float(jax.jit(potential.energy)(x, neighbors.idx)),
                                          rel=1e-14)
    scale = float(jnp.max(jnp.linalg.norm(forces, axis=1)))
    assert float(jnp.max(jnp.abs(forces + gradient))) < 1e-12 * scale


def test_sw_float32_in_float32_out(si, si_configurations):
    position, _ = si_configurations["random"]
    potential, neighbors, _, _ = potential_and_list(si, position)
    e64, f64 = jax.jit(potential.energy_and_forces)(jnp.asarray(position), neighbors.idx)
    e32, f32 = jax.jit(potential.energy_and_forces)(jnp.asarray(position, jnp.float32),
                                                    neighbors.idx)
    assert e32.dtype == jnp.float32 and f32.dtype == jnp.float32 and e64.dtype == jnp.float64
    assert float(e32) == pytest.approx(float(e64), rel=1e-5)
    assert float(jnp.max(jnp.abs(f32 - f64))) < 1e-4 * float(jnp.max(jnp.abs(f64)))


def sw_brute_force_energy(position, box, p):
    """All pairs and triplets by minimum image, no neighbor list (float64 numpy)."""
    eps, sigma, rc = p["epsilon"], p["sigma"], p["a"] * p["sigma"]
    energy = 0.0
    for i in range(len(position)):
        d = position - position[i]
        d -= box * np.round(d / box)
        r = np.linalg.norm(d, axis=1)
        near = np.flatnonzero((r < rc) & (np.arange(len(position)) != i))
        for j in near:
            rj = r[j]
            energy += 0.5 * p["A"] * eps * np.exp(sigma / (rj - rc)) * (
                p["B"] * (sigma / rj) ** p["p"] - (sigma / rj) ** p["q"])
        for a, b in itertools.combinations(near, 2):
            cos = d[a] @ d[b] / (r[a] * r[b])
            energy += p["lambda"] * eps * (cos + 1.0 / 3.0) ** 2 * np.exp(
                p["gamma"] * sigma / (r[a] - rc) + p["gamma"] * sigma / (r[b] - rc))
    return energy


def test_sw_neighbor_list_equals_brute_force(si):
    """A 2x2x2 diamond supercell of real Si (a = 5.431 A), displaced atoms."""
    rng = np.random.default_rng(3)
    perfect = diamond_positions(2, 5.431)
    position = perfect + rng.normal(0.0, 0.15, (64, 3))
    box = np.full(3, 2 * 5.431)
    potential = make_potential(si, box, np.zeros(64, int))
    neighbors = build_neighbor_list(position, box, potential.cutoff, 1.0)
    energy = float(jax.jit(potential.energy)(jnp.asarray(position), neighbors.idx))
    reference = sw_brute_force_energy(position, box, si["potential"])
    assert energy == pytest.approx(reference, rel=1e-12)
    # the perfect crystal sits at the SW minimum: 2 bonds of depth epsilon per atom, no 3-body
    crystal = float(jax.jit(potential.energy)(jnp.asarray(perfect), neighbors.idx))
    assert crystal / 64 == pytest.approx(-2 * si["potential"]["epsilon"], rel=1e-7)


def test_sw_zero_and_finite_at_and_beyond_cutoff(si):
    box = np.full(3, 20.0)
    cutoff = si["potential"]["a"] * si["potential"]["sigma"]
    potential = make_potential(si, box, np.zeros(3, int))
    idx = jnp.array([[1, 2, 3], [0, 2, 3], [0, 1, 3]], dtype=jnp.int32)  # 3 = padding
    for gap in (0.0, 1e-13, -0.5):  # at, a hair inside, and beyond the cutoff
        position = jnp.array([[5.0, 5.0, 5.0], [5.0 + cutoff - gap, 5.0, 5.0],
                              [5.0, 5.0 + cutoff - gap, 5.0]])
        energy, forces = jax.jit(potential.energy_and_forces)(position, idx)
        assert float(energy) == 0.0
        assert np.all(np.asarray(forces) == 0.0)
    inside = position.at[1, 0].set(5.0 + cutoff - 0.3).at[2, 1].set(5.0 + cutoff - 0.3)
    energy, forces = jax.jit(potential.energy_and_forces)(inside, idx)
    assert float(energy) < 0.0
    assert np.all(np.isfinite(np.asarray(forces))) and float(jnp.max(jnp.abs(forces))) > 1e-3


def test_sw_padding_changes_nothing(si, si_configurations):
    position, _ = si_configurations["random"]
    potential, neighbors, _, _ = potential_and_list(si, position)
    _, wide, _, _ = potential_and_list(si, position, capacity=neighbors.idx.shape[1] + 29)
    assert wide.idx.shape[1] > neighbors.idx.shape[1]
    e1, f1 = jax.jit(potential.energy_and_forces)(jnp.asarray(position), neighbors.idx)
    e2, f2 = jax.jit(potential.energy_and_forces)(jnp.asarray(position), wide.idx)
    assert float(e2) == pytest.approx(float(e1), rel=1e-14)
    np.testing.assert_allclose(np.asarray(f2), np.asarray(f1), rtol=0, atol=1e-12)


def test_sw_lammps_commands_work_anywhere(si, si_configurations, tmp_path, monkeypatch):
    position, _ = si_configurations["random"]
    potential, neighbors, box, species = potential_and_list(si, position)
    monkeypatch.chdir(tmp_path)
    energy_ref, _ = lammps_energy_forces(position, box, species, si["masses"],
                                         potential.lammps_commands, "metal")
    energy = float(jax.jit(potential.energy)(jnp.asarray(position), neighbors.idx))
    assert energy == pytest.approx(energy_ref, rel=ENERGY_RTOL)  # measured 3.6e-15
    assert potential.parameters["epsilon"] == 2.1683


# ---------------------------------------------------------------------------- EAM: Cu-Zr

@pytest.fixture(scope="module")
def cuzr(paper_config):
    return paper_config["systems"]["cuzr"]


def steepest_descent(potential, position, box, skin, steps, max_move):
    """A few capped steepest-descent steps (A): relaxes the random start a little."""
    x = jnp.asarray(position)
    energy_and_forces = jax.jit(potential.energy_and_forces)
    for _ in range(steps):
        neighbors = build_neighbor_list(np.asarray(x), box, potential.cutoff, skin)
        _, forces = energy_and_forces(x, neighbors.idx)
        x = x + max_move * forces / jnp.max(jnp.linalg.norm(forces, axis=1))
    return np.asarray(x)


@pytest.fixture(scope="module")
def cuzr_configurations(cuzr):
    n_atoms, side = sum(cuzr["counts"]), cuzr["box"]
    random = random_positions(n_atoms, side, 2.1, seed=4)
    box = np.full(3, side)
    potential = make_potential(cuzr, box, species_from_counts(cuzr["counts"]))
    relaxed = steepest_descent(potential, random, box, cuzr["skin"], steps=20, max_move=0.05)
    return {"random": random, "relaxed": relaxed}


@pytest.mark.parametrize("kind", ["random", "relaxed"])
def test_eam_matches_lammps(cuzr, cuzr_configurations, kind):
    position = cuzr_configurations[kind]
    potential, neighbors, box, species = potential_and_list(cuzr, position)
    energy, forces = jax.jit(potential.energy_and_forces)(jnp.asarray(position), neighbors.idx)
    energy_ref, forces_ref = lammps_energy_forces(position, box, species, cuzr["masses"],
                                                  potential.lammps_commands, "metal")
    energy_error, force_error = relative_errors(energy, forces, energy_ref, forces_ref)
    print(f"EAM {kind}: E={float(energy):.10f} eV, LAMMPS {energy_ref:.10f}; "
          f"relative energy error {energy_error:.2e}, max force error / max |F| {force_error:.2e}")
    assert energy_error < ENERGY_RTOL
    assert force_error < FORCE_TOL


def test_eam_relaxation_lowers_energy(cuzr, cuzr_configurations):
    box = np.full(3, cuzr["box"])
    potential = make_potential(cuzr, box, species_from_counts(cuzr["counts"]))
    energies = {}
    for kind, position in cuzr_configurations.items():
        neighbors = build_neighbor_list(position, box, potential.cutoff, cuzr["skin"])
        energies[kind] = float(jax.jit(potential.energy)(jnp.asarray(position), neighbors.idx))
    assert energies["relaxed"] < energies["random"] - 0.05 * 245


def test_eam_forces_are_minus_gradient(cuzr, cuzr_configurations):
    position = jnp.asarray(cuzr_configurations["random"])
    potential, neighbors, _, _ = potential_and_list(cuzr, cuzr_configurations["random"])
    energy, forces = jax.jit(potential.energy_and_forces)(position, neighbors.idx)
    gradient = jax.jit(jax.grad(potential.energy))(position, neighbors.idx)
    assert float(energy) == pytest.approx(float(jax.jit(potential.energy)(position, neighbors.idx)),
                                          rel=1e-14)
    scale = float(jnp.max(jnp.linalg.norm(forces, axis=1)))
    assert float(jnp.max(jnp.abs(forces + gradient))) < 1e-9 * scale


def test_eam_padding_changes_nothing(cuzr, cuzr_configurations):
    position = cuzr_configurations["relaxed"]
    potential, neighbors, _, _ = potential_and_list(cuzr, position)
    _, wide, _, _ = potential_and_list(cuzr, position, capacity=neighbors.idx.shape[1] + 40)
    e1, f1 = jax.jit(potential.energy_and_forces)(jnp.asarray(position), neighbors.idx)
    e2, f2 = jax.jit(potential.energy_and_forces)(jnp.asarray(position), wide.idx)
    assert float(e2) == pytest.approx(float(e1), rel=1e-14)
    np.testing.assert_allclose(np.asarray(f2), np.asarray(f1), rtol=0, atol=1e-12)


def test_eam_float32_in_float32_out(cuzr, cuzr_configurations):
    position = cuzr_configurations["relaxed"]
    potential, neighbors, _, _ = potential_and_list(cuzr, position)
    e64, f64 = jax.jit(potential.energy_and_forces)(jnp.asarray(position), neighbors.idx)
    e32, f32 = jax.jit(potential.energy_and_forces)(jnp.asarray(position, jnp.float32),
                                                    neighbors.idx)
    assert e32.dtype == jnp.float32 and f32.dtype == jnp.float32
    assert e64.dtype == jnp.float64
    assert float(e32) == pytest.approx(float(e64), rel=1e-5)
    assert float(jnp.max(jnp.abs(f32 - f64))) < 1e-3 * float(jnp.max(jnp.abs(f64)))


# ---------------------------------------------------------------------------- EAM: own file

# A synthetic two-element file with known smooth functions and *asymmetric* cross densities,
# so that the convention "density at an atom of element I due to element J = the table listed
# in J's block at position I" is tested (Cu-Zr's file has equal cross densities).
SYNTH_CUTOFF = 5.0
SYNTH_NR, SYNTH_DR = 2001, 0.0025
SYNTH_NRHO, SYNTH_DRHO = 1001, 0.00015  # rho table ends at 0.15: dense configs go beyond
SYNTH_ELEMENTS = ("Ni", "Al")
SYNTH_MASSES = (58.6934, 26.9815)


def smooth_cut(r):
    return np.where(r < SYNTH_CUTOFF, (1.0 - r / SYNTH_CUTOFF) ** 4, 0.0)


def synth_embedding(element, rho):
    return -(1.0 + 0.5 * element) * np.sqrt(rho + 1.0) + 0.01 * (element + 1) * rho ** 2


def synth_listed_density(block, index, r):
    """The density table at position ``index`` of element ``block``'s block."""
    amplitude = (1.0, 2.5, 0.7, 1.8)[2 * block + index]
    decay = (0.6, 0.9, 0.4, 0.75)[2 * block + index]
    return amplitude * np.exp(-decay * r) * smooth_cut(r)


def synth_r_phi(i, j, r):
    depth = (0.5, 0.8, 1.1)[i + j]
    return depth * r * (np.exp(-3.0 * (r - 2.4)) - 2.0 * np.exp(-1.5 * (r - 2.4))) * smooth_cut(r)


def write_values(lines, values, per_line_cycle=(1, 4, 7, 3, 5)):
    """Values in lines of irregular length (every block starts on a new line)."""
    k, cycle = 0, itertools.cycle(per_line_cycle)
    while k < len(values):
        width = next(cycle)
        lines.append(" ".join(f"{v:.17g}" for v in values[k:k + width]))
        k += width


def write_synthetic_eam_fs(path, setfl: bool = False):
    """The synthetic two-element file: Finnis-Sinclair (a density table per pair of elements),
    or with ``setfl`` the .eam.alloy layout (one density table per element)."""
    r = np.arange(SYNTH_NR) * SYNTH_DR
    rho = np.arange(SYNTH_NRHO) * SYNTH_DRHO
    lines = ["synthetic Finnis-Sinclair file", "for tests", "values wrap irregularly",
             f"2 {SYNTH_ELEMENTS[0]} {SYNTH_ELEMENTS[1]}",
             f"{SYNTH_NRHO} {SYNTH_DRHO!r} {SYNTH_NR} {SYNTH_DR!r} {SYNTH_CUTOFF!r}"]
    for i in range(2):
        lines.append(f"{(28, 13)[i]} {SYNTH_MASSES[i]!r} {(3.52, 4.05)[i]} fcc")
        write_values(lines, synth_embedding(i, rho))
        for j in range(1 if setfl else 2):
            write_values(lines, synth_listed_density(i, j, r))
    for i in range(2):
        for j in range(i + 1):
            write_values(lines, synth_r_phi(i, j, r))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_setfl_file_given_as_eam_fs_is_named(tmp_path):
    """A two-element .eam.alloy file read as .eam.fs would shift every table by the missing
    density blocks: it is recognised by its length and refused with what it is."""
    path = write_synthetic_eam_fs(tmp_path / "mislabelled.eam.fs", setfl=True)
    with pytest.raises(ValueError, match=r"systems\.<system>\.potential\.file: .*mislabelled"
                       r"\.eam\.fs is a setfl \(\.eam\.alloy\) file: it holds one density "
                       r"table per element, where an \.eam\.fs file holds one per pair"):
        read_eam_fs(path)


@pytest.fixture
def synthetic_file(tmp_path):
    return write_synthetic_eam_fs(tmp_path / "synthetic.eam.fs")


def test_eam_fs_reader_round_trip(synthetic_file):
    tables = read_eam_fs(synthetic_file)
    r = np.arange(SYNTH_NR) * SYNTH_DR
    rho = np.arange(SYNTH_NRHO) * SYNTH_DRHO
    assert tables.elements == SYNTH_ELEMENTS
    assert tables.masses == SYNTH_MASSES
    assert (tables.n_rho, tables.d_rho, tables.n_r, tables.d_r, tables.cutoff) == (
        SYNTH_NRHO, SYNTH_DRHO, SYNTH_NR, SYNTH_DR, SYNTH_CUTOFF)
    for i in range(2):
        np.testing.assert_array_equal(tables.embedding[i], synth_embedding(i, rho))
        for j in range(2):
            np.testing.assert_array_equal(tables.density[i, j], synth_listed_density(i, j, r))
            np.testing.assert_array_equal(tables.r_phi[i, j], synth_r_phi(max(i, j), min(i, j), r))


@pytest.mark.parametrize("distance", [1.8, 2.1234567, 2.3])
def test_eam_dimer_interpolates_the_analytic_functions(synthetic_file, distance):
    """Off-grid dimer energy and force vs the analytic functions the file tabulates.

    The densities here stay beyond the first two F(rho) intervals, where LAMMPS' one-sided end
    slopes make the spline only first-order accurate (errors ~1e-6 there, by design)."""
    box = np.full(3, 12.0)
    potential = eam_fs_potential({"file": str(synthetic_file)}, box, np.array([0, 1]),
                                 list(SYNTH_ELEMENTS))
    position = jnp.array([[1.0, 2.0, 3.0], [1.0 + distance, 2.0, 3.0]])
    idx = jnp.array([[1], [0]], dtype=jnp.int32)
    energy, forces = jax.jit(potential.energy_and_forces)(position, idx)
    assert max(synth_listed_density(1, 0, distance), synth_listed_density(0, 1, distance)) < 0.15

    def analytic(r):
        rho_at_0 = synth_listed_density(1, 0, r)  # at element 0 due to element 1
        rho_at_1 = synth_listed_density(0, 1, r)
        return (synth_embedding(0, rho_at_0) + synth_embedding(1, rho_at_1)
                + synth_r_phi(1, 0, r) / r)

    h = 1e-5
    analytic_force = (analytic(distance + h) - analytic(distance - h)) / (2 * h)
    assert float(energy) == pytest.approx(float(analytic(distance)), abs=1e-10)
    assert float(forces[0, 0]) == pytest.approx(float(analytic_force), abs=1e-8)
    assert float(forces[1, 0]) == pytest.approx(-float(analytic_force), abs=1e-8)
    # the swapped convention would give a clearly different energy
    swapped = (synth_embedding(0, synth_listed_density(0, 1, distance))
               + synth_embedding(1, synth_listed_density(1, 0, distance)))
    assert abs(float(swapped) + synth_r_phi(1, 0, distance) / distance - float(energy)) > 1e-4


def test_eam_synthetic_file_matches_lammps(synthetic_file):
    """Asymmetric cross densities and densities beyond the F(rho) table, against LAMMPS."""
    box_side, n_atoms = 10.5, 60
    box = np.full(3, box_side)
    position = random_positions(n_atoms, box_side, 1.9, seed=5)
    species = np.arange(n_atoms) % 2
    potential = eam_fs_potential({"file": str(synthetic_file)}, box, species,
                                 list(SYNTH_ELEMENTS))
    neighbors = build_neighbor_list(position, box, potential.cutoff, 0.2)
    energy, forces = jax.jit(potential.energy_and_forces)(jnp.asarray(position), neighbors.idx)
    energy_ref, forces_ref = lammps_energy_forces(position, box, species, SYNTH_MASSES,
                                                  potential.lammps_commands, "metal")
    energy_error, force_error = relative_errors(energy, forces, energy_ref, forces_ref)
    print(f"EAM synthetic: relative energy error {energy_error:.2e}, "
          f"max force error / max |F| {force_error:.2e}")
    assert energy_error < ENERGY_RTOL
    assert force_error < FORCE_TOL
    # some densities run past the table end, so the linear continuation of F is exercised
    d = position[None] - position[:, None]
    d -= box_side * np.round(d / box_side)
    r = np.linalg.norm(d, axis=-1) + np.eye(n_atoms) * 1e3
    listed = np.array([[synth_listed_density(b, a, r) for b in range(2)] for a in range(2)])
    rho = np.array([listed[species[i], species, i, np.arange(n_atoms)].sum()
                    for i in range(n_atoms)])
    assert np.sum(rho > (SYNTH_NRHO - 1) * SYNTH_DRHO) >= 5


def lammps_style_spline(values, delta, extrapolate_linearly):
    """The LAMMPS EAM spline of one table, re-implemented one scalar at a time."""
    f, n = [float(v) for v in values], len(values)
    slope = [0.0] * n
    slope[0], slope[n - 1] = f[1] - f[0], f[n - 1] - f[n - 2]
    slope[1], slope[n - 2] = 0.5 * (f[2] - f[0]), 0.5 * (f[n - 1] - f[n - 3])
    for m in range(2, n - 2):
        slope[m] = ((f[m - 2] - f[m + 2]) + 8.0 * (f[m + 1] - f[m - 1])) / 12.0

    def evaluate(x):
        p = x / delta
        m = max(0, min(int(np.floor(p)), n - 2))
        t = min(p - m, 1.0)
        rise = f[m + 1] - f[m]
        c2 = 3.0 * rise - 2.0 * slope[m] - slope[m + 1]
        c3 = slope[m] + slope[m + 1] - 2.0 * rise
        value = f[m] + t * (slope[m] + t * (c2 + t * c3))
        if extrapolate_linearly and x > (n - 1) * delta:
            value += (slope[m] + 2 * c2 + 3 * c3) / delta * (x - (n - 1) * delta)
        return value

    return evaluate


def eam_brute_force_energy(position, box, species, tables, element_of_species):
    """All pairs by minimum image, no neighbor list, scalar splines (slow, small systems)."""
    e = element_of_species
    n_species = len(e)
    embedding = [lammps_style_spline(tables.embedding[e[a]], tables.d_rho, True)
                 for a in range(n_species)]
    # density at an atom of species a due to one of species b
    density = [[lammps_style_spline(tables.density[e[b], e[a]], tables.d_r, False)
                for b in range(n_species)] for a in range(n_species)]
    r_phi = [[lammps_style_spline(tables.r_phi[e[a], e[b]], tables.d_r, False)
              for b in range(n_species)] for a in range(n_species)]
    n_atoms = len(position)
    rho = np.zeros(n_atoms)
    energy = 0.0
    for i in range(n_atoms):
        d = position - position[i]
        d -= box * np.round(d / box)
        r = np.linalg.norm(d, axis=1)
        for j in np.flatnonzero(r < tables.cutoff):
            if j == i:
                continue
            a, b = species[i], species[j]
            rho[i] += density[a][b](r[j])
            energy += 0.5 * r_phi[a][b](r[j]) / r[j]
    for i in range(n_atoms):
        energy += embedding[species[i]](rho[i])
    return energy


def test_eam_neighbor_list_equals_brute_force(cuzr):
    """60 atoms in a 16 A box (> 2 cutoffs), so every pair within 7.6 A counts once."""
    box_side, n_atoms = 16.0, 60
    box = np.full(3, box_side)
    position = random_positions(n_atoms, box_side, 2.2, seed=6)
    species = (np.arange(n_atoms) % 3 == 0).astype(int)
    potential = make_potential(cuzr, box, species)
    neighbors = build_neighbor_list(position, box, potential.cutoff, cuzr["skin"])
    energy = float(jax.jit(potential.energy)(jnp.asarray(position), neighbors.idx))
    tables = read_eam_fs(resolve_potential_file(cuzr["potential"]["file"]))
    element_of_species = [tables.elements.index(name) for name in cuzr["species"]]
    reference = eam_brute_force_energy(position, box, species, tables, element_of_species)
    assert energy == pytest.approx(reference, rel=1e-12)


def test_eam_parameters_name_file_and_hash(cuzr):
    box = np.full(3, cuzr["box"])
    potential = make_potential(cuzr, box, species_from_counts(cuzr["counts"]))
    path = resolve_potential_file(cuzr["potential"]["file"])
    assert potential.parameters["file"] == str(path)
    assert potential.parameters["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert potential.lammps_commands == ("pair_style eam/fs", f"pair_coeff * * {path} Cu Zr")
    assert potential.cutoff == 7.6


# ---------------------------------------------------------------------------- EAM: bad input

def test_truncated_file_raises_helpful_error(synthetic_file):
    lines = synthetic_file.read_text().splitlines()
    synthetic_file.write_text("\n".join(lines[:-20]) + "\n")
    with pytest.raises(ValueError) as error:
        eam_fs_potential({"file": str(synthetic_file)}, np.full(3, 12.0), np.array([0, 1]),
                         list(SYNTH_ELEMENTS))
    message = str(error.value)
    assert "potential.file" in message and str(synthetic_file) in message
    assert "ends before r*phi of Al-Al is complete" in message
    assert "NIST" in message and "CuZr_mm.eam.fs" in message


def test_non_numeric_value_raises(synthetic_file):
    text = synthetic_file.read_text().splitlines()
    text[40] = "1.0 oops 2.0"
    synthetic_file.write_text("\n".join(text) + "\n")
    with pytest.raises(ValueError, match="non-numeric value"):
        read_eam_fs(synthetic_file)


@pytest.mark.parametrize("spec", ["/nonexistent/Mendelev_CuZr_2009.eam.fs", "lammps:NoSuch.eam.fs"])
def test_missing_file_raises_helpful_error(spec):
    with pytest.raises(ValueError) as error:
        resolve_potential_file(spec, key="systems.cuzr.potential.file")
    message = str(error.value)
    assert "systems.cuzr.potential.file" in message and spec in message
    assert "no potential file at /" in message
    assert "NIST" in message and "lammps:CuZr_mm.eam.fs" in message


def test_unknown_element_raises(cuzr):
    with pytest.raises(ValueError, match=r"include \['Al'\]"):
        eam_fs_potential(cuzr["potential"], np.full(3, 16.0), np.array([0, 1]), ["Cu", "Al"])
