"""The repulsive core of the learned-force decoders (``model.options.repulsive_core``): zero
above its radius, the stated push below it, the energy decoder's term the exact integral of
the pair force's, radii from the training data, kept in the model file, and checked options."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from test_extended import (
    MASSES,
    PAIR_FORCE,
    assert_learned_force_laws,
    fitted_standardization,
    random_configuration,
)

from ogn.evaluate.metrics import shortest_pair_distances
from ogn.net.core import CORE_STRENGTH, core_energy, core_force, core_radii, edge_core_radii
from ogn.net.graph import build_edges, spread_frames
from ogn.net.modelfile import network_config_of
from ogn.net.options import architecture_label, network_config, option_conflicts
from ogn.net.simulator import make_simulator

jax.config.update("jax_enable_x64", True)

RADII = ((1.5, 1.2), (1.2, 0.0))  # species 1-1 has no core


def cored_pair_force(fraction=0.9, radii=RADII):
    block = {**PAIR_FORCE, "options": {**PAIR_FORCE["options"], "repulsive_core": fraction}}
    config = network_config(block, 2, graph_cutoff=2.0, species_masses=MASSES, stride_steps=5,
                            stride_time=0.025, core_radii=radii)
    return make_simulator(config, 2), config


def test_core_force_is_zero_outside_and_pushes_as_stated_inside():
    radius = jnp.full(5, 2.0)
    distance = jnp.asarray([2.5, 2.0, 1.9, 1.8, 1.0])
    force = np.asarray(core_force(distance, radius))
    np.testing.assert_allclose(force, [0.0, 0.0, -0.25 * CORE_STRENGTH, -CORE_STRENGTH * 1.0,
                                       -CORE_STRENGTH * 25.0], rtol=1e-12, atol=0)
    # no radius, no core, at any distance (the padding and the never-seen pairs)
    assert np.all(np.asarray(core_force(distance, jnp.zeros(5))) == 0.0)


def test_core_energy_is_the_integral_of_the_core_force():
    """L d(e_ij + e_ji)/dr is the core force's magnitude along r_j - r_i, in the energy
    decoder's convention (the force on i is -L dE/dr_i over both directed edges, L its graph
    cutoff): the same repulsion as the pair-force decoder's core."""
    length_unit = 3.7
    distance = jnp.linspace(0.5, 2.4, 40)
    radius = jnp.full(40, 2.0)
    slope = jax.vmap(jax.grad(lambda r, r0: 2.0 * core_energy(r, r0, length_unit)))(
        distance, radius)
    np.testing.assert_allclose(length_unit * np.asarray(slope),
                               np.asarray(core_force(distance, radius)), rtol=1e-12, atol=1e-14)
    assert np.all(np.asarray(core_energy(distance, radius, length_unit))[distance >= 2.0] == 0)


def test_core_radii_come_from_the_shortest_training_distances():
    """Two species on a line in a large box: each pair's shortest distance is the one placed,
    the radii that fraction of it, none for a pair never seen, and per edge by species."""
    position = np.array([[[0.0, 0, 0], [1.0, 0, 0], [2.5, 0, 0], [4.5, 0, 0]],
                         [[0.0, 0, 0], [1.1, 0, 0], [2.4, 0, 0], [4.5, 0, 0]]]) + 10.0
    box = np.full(3, 40.0)
    species = np.array([0, 0, 1, 0])
    shortest = shortest_pair_distances(spread_frames(position), box, species, 2, 3.0)
    np.testing.assert_allclose(shortest, [[1.0, 1.3], [1.3, np.inf]], rtol=1e-12)
    radii = core_radii(shortest, 0.9)
    np.testing.assert_allclose(radii, [[0.9, 1.17], [1.17, 0.0]], rtol=1e-12)
    one_hot = jnp.eye(2)
    per_edge = edge_core_radii(radii, one_hot[jnp.array([0, 0, 1, 1])],
                               one_hot[jnp.array([0, 1, 0, 1])])
    np.testing.assert_allclose(per_edge, [0.9, 1.17, 1.17, 0.0], rtol=1e-12)
    assert len(spread_frames(np.zeros((100, 2, 3)), 16)) == 16


def close_pair_increments(simulator, gap, seed=4):
    """dv of two atoms of species 0 ``gap`` apart, at rest, in an empty box (the
    standardisation fitted to a random configuration's statistics)."""
    position = np.array([[10.0, 10.0, 10.0], [10.0 + gap, 10.0, 10.0]])
    species = np.zeros(2, np.int32)
    box = np.full(3, 20.0)
    edges = build_edges(position, box, 2.0, capacity=8)
    fit_position, fit_velocity, fit_species, fit_box = random_configuration(0)
    fit_edges = build_edges(fit_position, fit_box, 2.0)
    d = (fit_position[fit_edges.receivers[:fit_edges.n_edges]]
         - fit_position[fit_edges.senders[:fit_edges.n_edges]])
    standard = fitted_standardization(fit_velocity, fit_species,
                                      d - fit_box * np.round(d / fit_box))
    params = simulator.init(jax.random.PRNGKey(seed), 2, edges.capacity, jnp.float64)
    _, dv = simulator.predict_increments(params, standard, jnp.asarray(position),
                                         jnp.zeros((2, 3)), species, jnp.asarray(box),
                                         edges.senders, edges.receivers)
    return np.asarray(dv)


def test_core_pushes_a_close_pair_apart_and_keeps_the_laws():
    """A pair at 0.8 of its core radius is pushed apart by the core, against the random
    network's force; beyond the radius the core changes nothing; momentum and rotation hold
    as for the pair force without a core (measured: momentum 4e-16 of the largest m dv,
    rotated dr 3e-13 and dv 7e-13 of their largest component)."""
    cored, _ = cored_pair_force()
    plain, _ = cored_pair_force(0.0, None)
    inside_cored, inside_plain = (close_pair_increments(s, 1.2) for s in (cored, plain))
    # atom 0 sits left of atom 1: the core adds a push to the left on 0, to the right on 1
    assert inside_cored[0, 0] < inside_plain[0, 0] - 1e-3
    assert inside_cored[1, 0] > inside_plain[1, 0] + 1e-3
    np.testing.assert_allclose(inside_cored.sum(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(close_pair_increments(cored, 1.8),
                               close_pair_increments(plain, 1.8), rtol=1e-12, atol=1e-14)
    simulator, config = cored_pair_force(radii=((1.6, 1.6), (1.6, 1.6)))
    assert_learned_force_laws(simulator, config, jnp.float64, 1e-14, 1e-12, 3e-12,
                              min_force_motion=1e-4)


def test_core_radii_travel_in_the_model_file_and_the_options_are_checked():
    _, config = cored_pair_force()
    # the model file stores JSON: tuples come back as lists
    restored = network_config_of({"network": {**config._asdict(),
                                              "core_radii": [list(r) for r in RADII],
                                              "species_masses": list(MASSES)}})
    assert restored == config and restored.core_radii == RADII
    with pytest.raises(ValueError, match="core_radii"):
        cored_pair_force(radii=None)
    assert "repulsive core below 0.9" in architecture_label(
        {**PAIR_FORCE, "options": {**PAIR_FORCE["options"], "repulsive_core": 0.9}})
    assert option_conflicts({**PAIR_FORCE["options"], "repulsive_core": 0.9}) == []
    assert any("repulsive_core" in c for c in option_conflicts(
        {"decoder": "vector", "radial_basis": 8, "repulsive_core": 0.9}))
    assert any("[0, 1.5)" in c for c in option_conflicts(
        {**PAIR_FORCE["options"], "repulsive_core": 1.5}))
