"""The dense-row evaluation of a tabulated learned force (ogn.net.row_forces), a pair force or
the energy decoder's pair force and angular terms: the strides and rollouts of the graph's edge
list, momentum exact, the same close-pair stop, and the layout chosen only where it
applies."""

from types import SimpleNamespace

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from test_core import cored_pair_force
from test_energy_decoder import energy_model
from test_extended import MASSES, fitted_standardization, random_configuration

from ogn.evaluate.checks import RolloutChecks
from ogn.evaluate.rollout import make_model_rollout, make_rollout, make_row_rollout, rollout
from ogn.md.neighbors import neighbor_rows
from ogn.net.embedding import density_statistics
from ogn.net.graph import build_edges, edge_vectors_numpy
from ogn.net.row_forces import (
    make_row_angular_forces,
    make_row_stride,
    row_force_field,
    row_layout_problem,
)
from ogn.net.simulator import make_simulator
from ogn.net.tables import tabulated_model

jax.config.update("jax_enable_x64", True)

CORE_RADII = ((0.14, 0.14), (0.14, 0.0))


def tabulated_setup(seed=6, embedding=False):
    """A cored pair-force model (random weights) as 1024-point tables, its standardisation
    and a periodic configuration of 48 atoms (box 5, graph cutoff 2). The core radii put the
    closest random pair (0.127 apart) just inside a core: a deep overlap would fling its
    atoms across the box within one stride. With ``embedding``, the learned embedded-atom
    term is switched on (a cubic embedding of both species)."""
    simulator, config = cored_pair_force(radii=CORE_RADII)
    position, velocity, species, box = random_configuration(seed)
    if embedding:
        config = config._replace(embedding=True, embedding_density=density_statistics(
            position[None], box, config.radial_cutoff))
        simulator = make_simulator(config, 2)
    edges = build_edges(position, box, 2.0)
    vectors = edge_vectors_numpy(position, box, edges)[:edges.n_edges]
    standard = fitted_standardization(velocity, species, vectors, dtype=jnp.float32)
    params = simulator.init(jax.random.PRNGKey(3), len(species), edges.capacity, jnp.float32)
    if embedding:
        params = {**params, "~": {**params.get("~", {}),
                                  "embedding_coefficients": jnp.asarray(
                                      [[1.0, -0.5, 0.3], [-0.8, 0.6, 0.2]], jnp.float32),
                                  "embedding_density_share": jnp.asarray(0.5, jnp.float32)}}
    table_config, table_params = tabulated_model(config, params, 2, 1024)
    model = SimpleNamespace(simulator=make_simulator(table_config, 2),
                            network_config=table_config, n_species=2, graph_cutoff=2.0,
                            network_dtype=jnp.float32)
    return model, table_params, standard, (position, velocity, species, box)


def tabulated_energy_setup(seed=6, order=2):
    """The energy decoder (pair force, 4 angular channels within 1.8, powers of cos(theta)
    up to ``order``; random weights) as 1024-point tables, with the configuration and
    standardisation of :func:`tabulated_setup`."""
    simulator, config = energy_model(three_body_order=order)
    position, velocity, species, box = random_configuration(seed)
    edges = build_edges(position, box, 2.0)
    vectors = edge_vectors_numpy(position, box, edges)[:edges.n_edges]
    standard = fitted_standardization(velocity, species, vectors, dtype=jnp.float32)
    params = simulator.init(jax.random.PRNGKey(3), len(species), edges.capacity, jnp.float32)
    table_config, table_params = tabulated_model(config, params, 2, 1024)
    model = SimpleNamespace(simulator=make_simulator(table_config, 2),
                            network_config=table_config, n_species=2, graph_cutoff=2.0,
                            network_dtype=jnp.float32)
    return model, table_params, standard, (position, velocity, species, box)


@pytest.mark.parametrize("order", [0, 1, 2])
def test_the_angular_row_force_is_minus_the_gradient_of_the_edge_lists_angular_energy(order):
    """The rows' angular force (the moments' six-component square, a row sum, the reaction
    by autodiff) against -rc dE/dr of the edge list's angular energy
    (ogn.net.energy.angular_energy over every directed pair), float64: measured 1e-13 of the
    largest force for each power of cos(theta)."""
    from ogn.net.energy import angular_energy
    from ogn.net.tables import RADIAL_TABLE, hermite, radial_table_in_use, species_pair_index

    model, params, standard, (position, _, species, box) = tabulated_energy_setup(order=order)
    config = model.network_config
    params = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float64), params)
    field = row_force_field(config, params, standard, 2)
    idx, _, _ = neighbor_rows(position, box, config.three_body_cutoff)
    rows = make_row_angular_forces(field, jnp.asarray(species), box, rows_per_block=16)
    ours = np.asarray(rows(jnp.asarray(position), jnp.asarray(idx)))

    edges = build_edges(position, box, 2.0)
    senders, receivers = jnp.asarray(edges.senders), jnp.asarray(edges.receivers)
    n_atoms = len(species)
    one_hot = jnp.eye(2)[jnp.asarray(species)]
    table = radial_table_in_use(params["~"][RADIAL_TABLE], config.three_body_cutoff)
    pair = species_pair_index(jnp.take(one_hot, senders, axis=0, mode="clip"),
                              jnp.take(one_hot, receivers, axis=0, mode="clip"))

    def energy(x):
        d = x[jnp.minimum(receivers, n_atoms - 1)] - x[jnp.minimum(senders, n_atoms - 1)]
        d = d - box * jnp.round(d / box)
        return angular_energy(d, senders, n_atoms, one_hot,
                              lambda r: hermite(table, pair, r, config.three_body_cutoff),
                              params["~"]["three_body_weights"], order)

    theirs = -config.radial_cutoff * np.asarray(jax.grad(energy)(jnp.asarray(position)))
    scale = np.abs(theirs).max()
    assert scale > 1e-3
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12 * scale)


def one_stride_on_both_layouts(model, params, standard, configuration, three_body=False):
    """One stride from ``configuration`` on the edge list ((dr, dv)) and on rows within the
    graph cutoff ((dr, dv, close, end); with ``three_body``, the same rows as the angular
    terms' list), and (the jitted row stride, the rows)."""
    position, velocity, species, box = configuration
    edges = build_edges(position, box, 2.0)
    on_edges = model.simulator.predict_increments(
        params, standard, jnp.asarray(position, jnp.float32), jnp.asarray(velocity, jnp.float32),
        jnp.asarray(species), jnp.asarray(box, jnp.float32), edges.senders, edges.receivers)
    idx, _, _ = neighbor_rows(position, box, 2.0)
    field = row_force_field(model.network_config, params, standard, 2)
    stride = jax.jit(make_row_stride(field, jnp.asarray(species), box))
    on_rows = stride(jnp.asarray(position, jnp.float32), jnp.asarray(velocity, jnp.float32),
                     jnp.asarray(idx), None, jnp.asarray(idx) if three_body else None)
    return on_edges, on_rows, (stride, idx)


@pytest.mark.parametrize("embedding", [False, True])
def test_one_stride_on_rows_is_the_stride_on_edges_and_keeps_momentum(embedding):
    """dr and dv of one stride (3 substeps, a core in use) agree with the edge list's to
    1e-6 of their scale (measured 5e-8 and 1.4e-7, float32). With the learned embedding,
    here almost all of dv, to 1e-4 (measured 2.0e-5 and 1.1e-5 in float32, 3.7e-8 and
    2.7e-8 in float64: F' of the standardised density amplifies the float32 rounding of the
    density sums, which the edge list differentiates by autodiff and the rows by the tables'
    own slopes). Total momentum is exact to float32 rounding (measured 2.9e-7 and 1.1e-7 of
    the largest m dv)."""
    model, params, standard, (_, _, species, _) = setup = tabulated_setup(embedding=embedding)
    (dr, dv), (row_dr, row_dv, close, _), _ = one_stride_on_both_layouts(*setup)
    assert not bool(close)
    for ours, theirs in ((row_dr, dr), (row_dv, dv)):
        scale = float(np.abs(np.asarray(theirs)).max())
        assert scale > 1e-3
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=0,
                                   atol=(1e-4 if embedding else 1e-6) * scale)
    mass = np.asarray(MASSES)[species][:, None]
    push = mass * np.asarray(row_dv, np.float64)
    assert np.abs(push.sum(axis=0)).max() < 2e-6 * np.abs(push).max()


def test_one_stride_of_the_energy_decoder_on_rows_is_the_stride_on_edges():
    """The energy decoder (pair-force tables and angular tables), 3 substeps: dr and dv of
    the rows (pairs within 2, angular pairs within 2 as well, so that both read every pair
    within the three-body cutoff at every substep) agree with the edge list's to 1e-5 of
    their scale (measured 1.9e-7 and 3.3e-6, float32: the angular sums' rounding); momentum
    exact to that rounding (measured 3.6e-6 of the largest m dv, the edge list's 5.1e-6)."""
    model, params, standard, (position, velocity, species, box) = setup = (
        tabulated_energy_setup())
    assert row_layout_problem(model.network_config) is None
    (dr, dv), (row_dr, row_dv, _, _), (stride, idx) = one_stride_on_both_layouts(
        *setup, three_body=True)
    for ours, theirs in ((row_dr, dr), (row_dv, dv)):
        scale = float(np.abs(np.asarray(theirs)).max())
        assert scale > 1e-3
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=0,
                                   atol=1e-5 * scale)
    push = np.asarray(MASSES)[species][:, None] * np.asarray(row_dv, np.float64)
    assert np.abs(push.sum(axis=0)).max() < 2e-5 * np.abs(push).max()
    with pytest.raises(ValueError, match="three_body_idx"):
        stride(jnp.asarray(position, jnp.float32), jnp.asarray(velocity, jnp.float32),
               jnp.asarray(idx))


def test_a_rollout_of_the_energy_decoder_on_rows_follows_the_rollout_on_edges():
    """Six model steps, skin 0.4, from the same start: the rows' two lists (within 2.4 and
    within the three-body cutoff 1.8 + 0.4) against the edge list. Measured 1.4e-5 and
    2.6e-5 of the scales of the positions' motion and of the velocities."""
    model, params, standard, (position, velocity, species, box) = tabulated_energy_setup()
    row_fns = make_model_rollout(model, 0.4, box)
    assert row_fns.layout == "rows" and row_fns.three_body_reach == pytest.approx(2.2)
    edge_fns = make_model_rollout(model, 0.4, box, layout="edges")
    rows_run, edges_run = (rollout(fns, params, standard, position, velocity, species, box, 6)
                           for fns in (row_fns, edge_fns))
    assert rows_run.stop_reason is None and edges_run.stop_reason is None
    moved = np.abs(edges_run.position_unwrapped[-1] - position).max()
    assert moved > 1e-3
    np.testing.assert_allclose(rows_run.position_unwrapped, edges_run.position_unwrapped,
                               rtol=0, atol=3e-4 * moved)
    np.testing.assert_allclose(rows_run.velocity, edges_run.velocity, rtol=0,
                               atol=3e-4 * np.abs(edges_run.velocity).max())


@pytest.mark.parametrize(("skin", "tolerance"), [(0.0, 1e-6), (0.4, 3e-4)])
def test_a_rollout_on_rows_follows_the_rollout_on_edges(skin, tolerance):
    """Six model steps from the same start, with the same rebuild count. Skin 0: the same
    pairs, positions and velocities agree to float32 rounding (measured 9e-8 and 1.6e-7 of
    their scales). Skin 0.4: the rows also hold the pairs that enter the cutoff during a
    stride, which the edge list leaves out (measured 5.8e-5 and 8.2e-5)."""
    model, params, standard, (position, velocity, species, box) = tabulated_setup()
    edge_fns = make_rollout(model.simulator, 2.0, skin, box)
    row_fns = make_row_rollout(model.network_config, 2, skin, box)
    runs = [rollout(fns, params, standard, position, velocity, species, box, 6)
            for fns in (edge_fns, row_fns)]
    edges_run, rows_run = runs
    assert rows_run.stop_reason is None and edges_run.stop_reason is None
    moved = np.abs(edges_run.position_unwrapped[-1] - position).max()
    assert moved > 1e-3
    np.testing.assert_allclose(rows_run.position_unwrapped, edges_run.position_unwrapped,
                               rtol=0, atol=tolerance * moved)
    np.testing.assert_allclose(rows_run.velocity, edges_run.velocity, rtol=0,
                               atol=tolerance * np.abs(edges_run.velocity).max())
    assert rows_run.n_rebuilds == edges_run.n_rebuilds


def test_the_close_pair_check_stops_both_layouts_at_the_same_step():
    """A limit above the closest pair within the cutoff stops both rollouts at step 0."""
    model, params, standard, (position, velocity, species, box) = tabulated_setup()
    idx, counts, _ = neighbor_rows(position, box, 2.0)
    closest = min(np.linalg.norm((d := position[j] - position[i]) - box * np.round(d / box))
                  for i in range(len(position)) for j in idx[i, :counts[i]])
    checks = RolloutChecks(min_distance=np.full((2, 2), 1.01 * closest))
    reasons = []
    for fns in (make_rollout(model.simulator, 2.0, 0.0, box, checks=checks),
                make_row_rollout(model.network_config, 2, 0.0, box, checks=checks)):
        result = rollout(fns, params, standard, position, velocity, species, box, 4)
        reasons.append((result.stop_reason, result.stopped_at))
    assert reasons[0] == reasons[1] == ("close_pair", 0)


def test_the_rows_layout_is_chosen_only_for_a_tabulated_learned_force():
    model, _, _, (_, _, _, box) = tabulated_setup()
    assert row_layout_problem(model.network_config) is None
    assert make_model_rollout(model, 0.0, box).layout == "rows"
    assert make_model_rollout(model, 0.0, box, layout="edges").layout == "edges"
    simulator, config = cored_pair_force()
    untabled = SimpleNamespace(simulator=simulator, network_config=config, n_species=2,
                               graph_cutoff=2.0, network_dtype=jnp.float32)
    assert "MLP" in row_layout_problem(config)
    _, energy_config = energy_model()
    assert "MLPs" in row_layout_problem(energy_config)
    assert "pair term" in row_layout_problem(energy_model(pair_term="energy")[1])
    assert "vector" in row_layout_problem(energy_config._replace(decoder="vector"))
    assert make_model_rollout(untabled, 0.0, box).layout == "edges"
    with pytest.raises(ValueError, match="tabulate it"):
        make_model_rollout(untabled, 0.0, box, layout="rows")


def test_each_stride_starts_from_the_last_strides_force_and_a_rebuild_drops_it():
    """checked_strides hands the state of one accepted stride to the next and returns the
    last; a stride that fails a check keeps the old one. The row rollout evaluates the
    force once per substep, plus once at its start and once after each rebuild of its rows
    that brought a pair within reach which the old rows lacked (the skin-0 rollout above
    checks that case against the edge list): counted here with a host callback in the force
    (6 strides of 3 substeps, skin 0.4)."""
    from ogn.evaluate.rollout import checked_strides

    def counting(pos, vel, state):
        return jnp.zeros_like(pos), jnp.zeros_like(vel), jnp.asarray(False), state + 1

    zeros = jnp.zeros((3, 3))
    *_, done, _, _, state = checked_strides(counting, zeros, zeros, zeros, 5, jnp.inf, None,
                                            1.0, state=jnp.asarray(0))
    assert int(done) == 5 and int(state) == 5

    def failing(pos, vel, state):
        return jnp.full_like(pos, jnp.nan), jnp.zeros_like(vel), jnp.asarray(False), state + 1

    *_, done, _, status, state = checked_strides(failing, zeros, zeros, zeros, 5, jnp.inf,
                                                 None, 1.0, state=jnp.asarray(0))
    assert int(done) == 0 and int(state) == 0 and int(status) != 0

    import ogn.net.row_forces as row_forces

    model, params, standard, (position, velocity, species, box) = tabulated_setup()
    calls = []
    original = row_forces.make_row_forces

    def counted_forces(*args, **kwargs):
        forces = original(*args, **kwargs)

        def wrapped(position, *rest):
            jax.debug.callback(lambda: calls.append(1))
            return forces(position, *rest)

        return wrapped

    row_forces.make_row_forces = counted_forces
    try:
        fns = make_row_rollout(model.network_config, 2, 0.4, box)
        result = rollout(fns, params, standard, position, velocity, species, box, 6)
    finally:
        row_forces.make_row_forces = original
    assert result.stop_reason is None
    assert model.network_config.substeps == 3
    # measured 19: 18 substeps and the start (2 rebuilds, neither brought a new pair); without
    # the kept force it would be 6 x 4 = 24
    assert 6 * 3 + 1 <= len(calls) <= 6 * 3 + 1 + result.n_rebuilds < 6 * 4
