"""The learned embedded-atom term of the pair-force decoder (``model.options.embedding``) and
the exponential wall that continues a learned table below its core radius: momentum exact,
rotations commute, the force is minus the gradient of the embedding energy written out
independently, it is many-body (a pair force is not), its tables match its MLPs, and the wall
is a Born-Mayer repulsion continued, idempotent and safe to train through."""

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from test_extended import (
    MASSES,
    PAIR_FORCE,
    fitted_standardization,
    random_configuration,
)

from ogn.net.decoders import learned_pair_forces
from ogn.net.embedding import COEFFICIENTS, DENSITY_TABLE, embedding_forces
from ogn.net.graph import build_edges
from ogn.net.modelfile import network_config_of
from ogn.net.options import architecture_label, network_config, option_conflicts
from ogn.net.simulator import make_simulator
from ogn.net.structures import Graph
from ogn.net.tables import PAIR_TABLE, hermite, tabulated_model, wall_continued

jax.config.update("jax_enable_x64", True)

EMBEDDING = {**PAIR_FORCE, "options": {**PAIR_FORCE["options"], "embedding": True}}
CUTOFF = 2.0


def embedding_config(density=(3.0, 0.5), **replace):
    config = network_config(EMBEDDING, 2, graph_cutoff=CUTOFF, species_masses=MASSES,
                            stride_steps=5, stride_time=0.025, embedding_density=density)
    return config._replace(**replace)


def switched_on(params, scale=0.7, share=0.5):
    """The parameters with the embedding's coefficients and the learned share of its density
    (both 0 at initialisation) set: coefficients ``scale`` x [[1, -0.5, 0.3], [-0.8, 0.6,
    0.2]] (species by power)."""
    coefficients = scale * jnp.asarray([[1.0, -0.5, 0.3], [-0.8, 0.6, 0.2]])
    return {**params, "~": {**params.get("~", {}), COEFFICIENTS: coefficients,
                            "embedding_density_share": jnp.asarray(share)}}


def open_graph(position, species, config):
    """The graph of ``position`` in a box too large for periodic images, and its raw edge
    vectors."""
    box = np.full(3, 1000.0)
    edges = build_edges(position, box, CUTOFF, capacity=4000)
    last = len(position) - 1
    d = (position[np.minimum(edges.receivers, last)]
         - position[np.minimum(edges.senders, last)])
    vectors = np.where((edges.senders < len(position))[:, None], d, 0.0)
    return Graph(nodes=jnp.eye(2)[species], edges=jnp.asarray(vectors),
                 senders=jnp.asarray(edges.senders), receivers=jnp.asarray(edges.receivers))


def force_parts(config):
    """A transformed function (graph) -> (pair forces, embedding forces) at the graph's
    positions."""
    def parts(graph):
        zero = jnp.zeros((graph.nodes.shape[0], 3), graph.edges.dtype)
        return learned_pair_forces(graph, config)(zero), embedding_forces(graph, config)(zero)

    return hk.without_apply_rng(hk.transform(parts))


def test_embedding_keeps_momentum_and_rotates():
    """Random parameters with the embedding switched on: sum_i m_i dv_i = 0 to rounding and
    a random rotation of the input rotates dr and dv. Measured: momentum 8e-16 of the largest
    m dv, rotated dr and dv 1.3e-13 and 1.2e-13 of their largest component (the embedding's
    force here outweighs the pair force's a thousand times)."""
    from scipy.spatial.transform import Rotation

    config = embedding_config()
    simulator = make_simulator(config, 2)
    position, velocity, species, _ = random_configuration(6)
    rotation = Rotation.random(random_state=7).as_matrix()
    box = np.full(3, 1000.0)
    outputs = []
    for matrix in (np.eye(3), rotation):
        p, v = position @ matrix.T + 500.0, velocity @ matrix.T
        edges = build_edges(p, box, CUTOFF, capacity=4000)
        if not outputs:
            d = p[edges.receivers[:edges.n_edges]] - p[edges.senders[:edges.n_edges]]
            standard = fitted_standardization(velocity, species, d)
            params = switched_on(simulator.init(jax.random.PRNGKey(8), len(species), 4000,
                                                jnp.float64))
        dr, dv = simulator.predict_increments(params, standard, jnp.asarray(p), jnp.asarray(v),
                                              species, jnp.asarray(box), edges.senders,
                                              edges.receivers)
        outputs.append((np.asarray(dr), np.asarray(dv)))
    (dr0, dv0), (dr1, dv1) = outputs
    mass = np.asarray(MASSES)[species]
    scale = np.abs(mass[:, None] * dv0).max()
    assert scale > 1e-3
    assert np.abs(np.sum(mass[:, None] * dv0, axis=0)).max() < 1e-12 * scale
    np.testing.assert_allclose(dr0 @ rotation.T, dr1, rtol=0, atol=1e-12 * np.abs(dr0).max())
    np.testing.assert_allclose(dv0 @ rotation.T, dv1, rtol=0, atol=2e-12 * np.abs(dv0).max())


def independent_embedding_energy(params, config, position, species):
    """E_emb written out with numpy: every ordered pair within the cutoff adds
    g(r; s_i, s_j) = (1 + b MLP(radial features, both one-hot species)) x cosine envelope / sigma
    to rho_i, and F_s(x) = c1 x + c2 x^2 / 2 + c3 ln cosh x of x = rho_i - mu / sigma."""
    from ogn.net.decoders import cosine_envelope, radial_features

    def mlp(prefix, x):
        layers = sorted(k for k in params if k.startswith(prefix + "/"))
        for index, name in enumerate(layers):
            x = x @ np.asarray(params[name]["w"]) + np.asarray(params[name]["b"])
            if index < len(layers) - 1:
                x = x * (1.0 / (1.0 + np.exp(-x)))
        return x

    one_hot = np.eye(2)[species]
    i, j = np.nonzero(~np.eye(len(position), dtype=bool))
    r = np.linalg.norm(position[j] - position[i], axis=1)
    i, j, r = i[r < CUTOFF], j[r < CUTOFF], r[r < CUTOFF]
    features = np.concatenate([np.asarray(radial_features(jnp.asarray(r), config.radial_cutoff,
                                                          config.radial_basis)),
                               one_hot[i], one_hot[j]], axis=1)
    share = float(params["~"]["embedding_density_share"])
    mean, std = config.embedding_density
    g = (1.0 + share * mlp("embedding_density", features)[:, 0]) * np.asarray(
        cosine_envelope(jnp.asarray(r) / config.radial_cutoff)) / std
    rho = np.bincount(i, weights=g, minlength=len(position))
    x = rho - mean / std
    coefficients = np.asarray(params["~"][COEFFICIENTS])[species]
    return float(np.sum(coefficients[:, 0] * x + coefficients[:, 1] * x ** 2 / 2
                        + coefficients[:, 2] * np.log(np.cosh(x))))


def test_embedding_force_is_minus_the_gradient_of_the_embedding_energy():
    """The force the decoder integrates equals the central difference of E_emb computed
    independently (to 1e-7 of the largest force; measured 2.6e-9 at h = 1e-5), and it is no
    pair force: moving a third atom changes the force between the first two."""
    config = embedding_config()
    rng = np.random.default_rng(3)
    position = rng.uniform(0.0, 2.2, (9, 3)) + 500.0
    species = np.array([0, 1, 0, 0, 1, 1, 0, 1, 0])
    graph = open_graph(position, species, config)
    transformed = force_parts(config)
    params = switched_on(transformed.init(jax.random.PRNGKey(2), graph))
    _, force = (np.asarray(f) for f in transformed.apply(params, graph))
    numeric = np.zeros_like(force)
    h = 1e-5
    for atom in range(len(position)):
        for axis in range(3):
            shifted = [position.copy(), position.copy()]
            shifted[0][atom, axis] += h
            shifted[1][atom, axis] -= h
            up, down = (independent_embedding_energy(params, config, p, species)
                        for p in shifted)
            numeric[atom, axis] = -(up - down) / (2 * h)
    assert np.abs(force).max() > 1e-3
    np.testing.assert_allclose(force, numeric, rtol=0, atol=1e-7 * np.abs(force).max())

    # many-body: the force of atom 1 on atom 0 depends on where atom 2 is (densities
    # standardised near these few atoms' own, where F bends)
    transformed = force_parts(embedding_config(density=(0.4, 0.3)))
    pair = np.array([[500.0, 500, 500], [501.0, 500, 500]])
    trio = [np.vstack([pair, [[500.0, 500.0 + y, 500]]]) for y in (0.6, 1.9)]
    species3 = np.array([0, 0, 1])
    between = []
    for position3 in trio:
        pair_part, emb_part = (np.asarray(f) for f in transformed.apply(
            params, open_graph(position3, species3, config)))
        alone_pair, alone_emb = (np.asarray(f) for f in transformed.apply(
            params, open_graph(position3[[0, 2]], species3[[0, 2]], config)))
        between.append((pair_part[0] - alone_pair[0], emb_part[0] - alone_emb[0]))
    np.testing.assert_allclose(between[0][0], between[1][0], atol=1e-12)  # pair: additive
    # embedding: not (measured: it changes by 0.12 of itself)
    change = np.abs(between[0][1] - between[1][1]).max()
    assert change > 0.03 * np.abs(between[1][1]).max() > 0


def test_embedding_tables_match_its_mlps_and_the_model_file(tmp_path):
    """The density MLP sampled into a float32 table of 1024 points gives the same forces (to
    1e-4 of the largest; measured 3.5e-5), and the options come back from the model file."""
    config = embedding_config()
    position, _, species, _ = random_configuration(11, n_atoms=30, side=4.0)
    graph = open_graph(position + 500.0, species, config)
    params = switched_on(force_parts(config).init(jax.random.PRNGKey(5), graph))
    mlp_forces = np.asarray(force_parts(config).apply(params, graph)[1])
    table_config, table_params = tabulated_model(config, params, 2, 1024)
    assert DENSITY_TABLE in table_params["~"] and PAIR_TABLE in table_params["~"]
    assert not any(name.startswith("embedding_density/") for name in table_params)
    table_forces = np.asarray(force_parts(table_config).apply(table_params, graph)[1])
    np.testing.assert_allclose(table_forces, mlp_forces, rtol=0,
                               atol=1e-4 * np.abs(mlp_forces).max())
    again = network_config_of({"network": table_config._asdict()})
    assert again.embedding and again.embedding_density == (3.0, 0.5)
    assert "embedding" in again.step_family


def test_density_statistics_count_the_neighbours_smoothly():
    """Two frames of three atoms on a line, 1 apart, cutoff 2: the envelope weighs a
    neighbour at 1 by 1/2 and one at 2 by 0, so the counts are 1/2, 1, 1/2 per frame."""
    from ogn.net.embedding import density_statistics

    line = np.array([[10.0, 10, 10], [11.0, 10, 10], [12.0, 10, 10]])
    mean, std = density_statistics(np.stack([line, line]), np.full(3, 40.0), 2.0)
    assert mean == pytest.approx(2.0 / 3.0) and std == pytest.approx(np.std([0.5, 1.0, 0.5]))


def test_starting_density_decays_and_is_one_at_half_the_cutoff():
    """exp(-(r - r_c / 2) / l) times the envelope (1/2 at half the cutoff); without a decay
    the envelope; the statistics read the same start."""
    from ogn.net.embedding import density_statistics, starting_density

    r = jnp.array([0.5, 1.0, 1.5])
    np.testing.assert_allclose(starting_density(r, 2.0), [0.8535534, 0.5, 0.1464466], rtol=1e-6)
    decayed = np.asarray(starting_density(r, 2.0, 0.25))
    np.testing.assert_allclose(decayed, [0.8535534 * np.exp(2.0), 0.5, 0.1464466 * np.exp(-2.0)],
                               rtol=1e-5)
    line = np.array([[10.0, 10, 10], [11.0, 10, 10], [12.0, 10, 10]])
    mean, std = density_statistics(line[None], np.full(3, 40.0), 2.0, 0.25)
    assert mean == pytest.approx(2.0 / 3.0) and std == pytest.approx(np.std([0.5, 1.0, 0.5]))


def test_fresh_density_has_unit_spread_about_the_data_mean():
    """The density a fresh model reads is counted in units of the data's spread: with the
    statistics measured on a configuration, x = rho - mu / sigma over its atoms has mean 0 and
    standard deviation 1, with or without a decay (the MLP's share starts at 0)."""
    from ogn.net.embedding import density_function, density_statistics

    rng = np.random.default_rng(3)
    position = rng.uniform(0.0, 4.0, size=(12, 3))
    species = np.arange(12) % 2
    for decay in (0.0, 0.4):
        stats = density_statistics(position[None], np.full(3, 40.0), CUTOFF, decay)
        config = embedding_config(density=stats, embedding_decay=decay)
        graph = open_graph(position, species, config)
        n_edges = int(np.sum(np.asarray(graph.senders) < len(position)))

        def rho(graph=graph, config=config):
            g = density_function(graph, config)(jnp.linalg.norm(graph.edges, axis=-1))
            real = graph.senders < len(position)
            return jax.ops.segment_sum(jnp.where(real, g, 0.0), graph.senders,
                                       num_segments=graph.nodes.shape[0])

        transformed = hk.transform(rho)
        params = transformed.init(jax.random.PRNGKey(0))
        x = np.asarray(transformed.apply(params, None))[:len(position)] - stats[0] / stats[1]
        assert n_edges > 0
        assert abs(x.mean()) < 1e-5 and x.std() == pytest.approx(1.0, rel=1e-5)


def test_embedding_options_are_checked_and_named():
    assert option_conflicts(EMBEDDING["options"]) == []
    wrong = {**EMBEDDING["options"], "decoder": "vector"}
    assert any("embedding" in c and "pair_force" in c for c in option_conflicts(wrong))
    lonely = {**EMBEDDING["options"], "embedding": False, "embedding_decay": 0.7}
    assert any("embedding_decay" in c for c in option_conflicts(lonely))
    assert option_conflicts({**EMBEDDING["options"], "embedding_decay": 0.7}) == []
    assert "learned embedding" in architecture_label(EMBEDDING)
    assert embedding_config().embedding is True


def born_mayer_table(points=512, cutoff=3.0, amplitude=5.0, length=0.2):
    """A one-species pair-force table of the repulsion -A exp(-r / l) (values and slopes),
    zero at the cutoff."""
    r = np.linspace(0.0, cutoff, points)
    value = -amplitude * np.exp(-r / length)
    table = np.stack([value, -value / length], axis=-1)
    table[-1] = 0.0
    return jnp.asarray(table[None, :, None, :])


def test_wall_continues_a_repulsion_and_changes_nothing_else():
    """Below r0 the continued table is the Born-Mayer wall it was cut from (to 1e-9 of its
    value down to 0.6 r0; measured 4e-15: an exponential is continued exactly), beyond r0 it
    is untouched, continuing twice changes nothing, and a force that attracts at r0 is held
    at its value there."""
    cutoff, r0 = 3.0, 1.0
    exact = born_mayer_table()
    garbage = exact.at[:, :150].set(7.0)  # an attractive plateau where no pair was (r < 0.88)
    continued = wall_continued(garbage, cutoff, ((r0,),))
    r = jnp.linspace(0.6, 0.99, 40)
    zero = jnp.zeros(40, jnp.int32)
    want = np.asarray(hermite(exact, zero, r, cutoff))
    got = np.asarray(hermite(continued, zero, r, cutoff))
    np.testing.assert_allclose(got, want, rtol=1e-9)
    beyond = np.arange(512) * cutoff / 511 >= r0
    np.testing.assert_array_equal(np.asarray(continued)[0, beyond], np.asarray(garbage)[0, beyond])
    np.testing.assert_array_equal(np.asarray(wall_continued(continued, cutoff, ((r0,),))),
                                  np.asarray(continued))
    attracting = wall_continued(-exact, cutoff, ((r0,),))
    held = np.asarray(attracting)[0, ~beyond, 0, 0]
    np.testing.assert_allclose(held, held[-1])
    assert held[-1] > 0


def test_wall_is_safe_to_train_through():
    """The gradient of a loss through the continuation is finite whatever the table holds
    (where the force does not repel, its log-slope is not taken)."""
    cutoff = 3.0
    for table in (born_mayer_table(), -born_mayer_table(), jnp.zeros((1, 512, 1, 2))):
        def loss(t):
            return jnp.sum(jnp.square(wall_continued(t, cutoff, ((1.0,),))))
        gradient = np.asarray(jax.grad(loss)(table))
        assert np.all(np.isfinite(gradient))


@pytest.mark.parametrize("fraction", [0.95, 1.2])
def test_core_fraction_above_one_is_allowed(fraction):
    options = {**PAIR_FORCE["options"], "repulsive_core": fraction}
    assert option_conflicts(options) == []
