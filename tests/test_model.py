"""The graph network and its inputs: graph building, architecture, invariances, augmentation,
online standardization and model files."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ogn.data.augment import apply_symmetry, cube_symmetries, transform_box, transform_position
from ogn.data.pairs import Pairs
from ogn.learn.batches import host_batch
from ogn.md.neighbors import build_neighbor_list
from ogn.md.placement import random_non_overlapping
from ogn.md.potentials.lj import kob_andersen_potential
from ogn.net.graph import build_edges, edge_vectors, edge_vectors_numpy
from ogn.net.modelfile import (
    IncompatibleModelError,
    ModelFileError,
    check_compatible,
    load_compatible_model,
    load_model,
    save_model,
)
from ogn.net.network import Graph, NetworkConfig, make_network, parameter_count
from ogn.net.normalizer import (
    init_normalizer,
    init_stats,
    mean_and_std,
    standardization,
    update_normalizer,
    update_stats,
    variance,
)
from ogn.net.options import network_config
from ogn.net.simulator import make_simulator, node_feature_size

SMALL = {"architecture": "paper", "latent_size": 16, "hidden_size": 16, "mlp_hidden_layers": 1}
KA = {"epsilon": [[1.0, 1.5], [1.5, 0.5]], "sigma": [[1.0, 0.8], [0.8, 0.88]],
      "cutoff_sigma": 2.5, "shift": True}


def brute_force_edges(position, box, cutoff):
    """{(i, j): r_j - r_i} for every ordered pair closer than cutoff (minimum image)."""
    d = position[None, :, :] - position[:, None, :]
    d -= box * np.round(d / box)
    r = np.linalg.norm(d, axis=-1)
    i, j = np.nonzero((r < cutoff) & ~np.eye(len(position), dtype=bool))
    return {(a, b): d[a, b] for a, b in zip(i.tolist(), j.tolist(), strict=True)}


def random_configuration(seed, n_atoms=60, side=5.0):
    rng = np.random.default_rng(seed)
    box = np.full(3, side)
    position = random_non_overlapping(rng, n_atoms, box, 0.8)
    velocity = rng.normal(size=(n_atoms, 3))
    species = (np.arange(n_atoms) % 5 == 0).astype(np.int32)
    return position, velocity, species, box


def random_standardization(n_species, seed=3):
    """A normalizer that is not the identity, from random data."""
    rng = np.random.default_rng(seed)
    normalizer = init_normalizer(node_feature_size(n_species))
    return standardization(update_normalizer(
        normalizer, rng.normal(0.3, 1.7, (50, n_species + 3)), rng.normal(0.1, 1.2, (80, 3)),
        rng.normal(-0.2, 0.05, (50, 6))), dtype=np.float64)


# ----------------------------------------------------------------------------- graph

@pytest.mark.parametrize("seed, cutoff", [(0, 2.0), (1, 2.45)])
def test_edges_equal_brute_force_pair_search(seed, cutoff):
    position, _, _, box = random_configuration(seed)
    position = position + np.array([7.0, -12.0, 3.0])  # unwrapped input
    edges = build_edges(position, box, cutoff)
    expected = brute_force_edges(position, box, cutoff)
    n = edges.n_edges
    found = set(zip(edges.senders[:n].tolist(), edges.receivers[:n].tolist(), strict=True))
    assert found == set(expected)
    assert n == len(expected) and edges.capacity >= n
    assert np.all(edges.senders[n:] == len(position))
    assert np.all(edges.receivers[n:] == len(position))
    vectors = edge_vectors_numpy(position, box, edges)
    vectors_jax = np.asarray(edge_vectors(jnp.asarray(position), jnp.asarray(box),
                                          jnp.asarray(edges.senders), jnp.asarray(edges.receivers)))
    for k in range(n):
        np.testing.assert_allclose(vectors[k], expected[(edges.senders[k], edges.receivers[k])],
                                   atol=1e-12)
    np.testing.assert_allclose(vectors_jax, vectors, atol=1e-12)
    assert np.all(vectors[n:] == 0) and np.all(vectors_jax[n:] == 0)


def test_edge_capacity_grows_and_no_edge_is_dropped():
    position, _, _, box = random_configuration(2)
    needed = len(brute_force_edges(position, box, 2.2))
    small = build_edges(position, box, 2.2, capacity=16)
    assert small.n_edges == needed and small.capacity >= needed
    kept = build_edges(position, box, 2.2, capacity=needed + 100)
    assert kept.capacity == needed + 100 and kept.n_edges == needed
    # the training batches grow their capacity the same way, for every configuration
    pairs = Pairs(position=np.stack([position, position[::-1]]), velocity=np.zeros((2, 60, 3)),
                  dr=np.zeros((2, 60, 3)), dv=np.zeros((2, 60, 3)), species=np.zeros(60, int),
                  mass=np.ones(60), box=box, trajectory=np.zeros(2, np.int32),
                  frame=np.zeros(2, np.int32), attrs={"k": 1})
    batch, capacity = host_batch(pairs, [0, 1], [None, None], 2.2, 16, 1)
    assert capacity >= needed and batch.edges.shape == (2, capacity, 3)
    np.testing.assert_array_equal(batch.edge_weights.sum(axis=1), [needed, needed])


# ----------------------------------------------------------------------------- network

def random_graph(seed, n_nodes=30, n_edges=200, capacity=230, node_features=5):
    rng = np.random.default_rng(seed)
    senders = np.full(capacity, n_nodes, np.int32)
    receivers = np.full(capacity, n_nodes, np.int32)
    senders[:n_edges] = np.sort(rng.integers(0, n_nodes, n_edges))
    receivers[:n_edges] = rng.integers(0, n_nodes, n_edges)
    edges = np.zeros((capacity, 3))
    edges[:n_edges] = rng.normal(size=(n_edges, 3))
    return Graph(jnp.asarray(rng.normal(size=(n_nodes, node_features))), jnp.asarray(edges),
                 jnp.asarray(senders), jnp.asarray(receivers))


def test_parameter_count_matches_the_paper_architecture(paper_config):
    """Every MLP: in -> 64 (ReLU) -> 64 (ReLU) -> LayerNorm; decoder 64 -> 64 -> 6, linear."""
    width = 64

    def mlp(n_in, n_out=width, layer_norm=True):
        return n_in * width + width + width * n_out + n_out + (2 * n_out if layer_norm else 0)

    n_species = 2
    for layers_key in ("fast_ogn_layers", "ogn_layers"):
        layers = paper_config["models"][layers_key]
        config = network_config(paper_config["model"], layers)
        params = jax.eval_shape(make_network(config).init, jax.random.PRNGKey(0),
                                random_graph(0, node_features=n_species + 3))
        expected = (mlp(n_species + 3) + mlp(3) + layers * (mlp(6 * width) + mlp(4 * width))
                    + mlp(width, 6, layer_norm=False))
        assert parameter_count(params) == expected
    assert config.n_layers == 10 and config.latent_size == 64


def test_split_edge_projection_is_the_same_function_as_the_straightforward_one():
    graph = random_graph(1)
    fast = make_network(NetworkConfig(n_layers=2, latent_size=8, hidden_size=8))
    reference = make_network(NetworkConfig(n_layers=2, latent_size=8, hidden_size=8,
                                           split_edge_projection=False))
    params = jax.jit(fast.init)(jax.random.PRNGKey(1), graph)
    # scale/offset of the LayerNorms away from (1, 0) so that folding them is exercised
    params = jax.tree_util.tree_map_with_path(
        lambda path, p: p * 1.3 + 0.2 if "ln_" in jax.tree_util.keystr(path) else p, params)

    def output_and_gradient(network):
        def loss(p):
            out = network.apply(p, graph)
            return jnp.sum(out**2), out
        return jax.jit(jax.grad(loss, has_aux=True))(params)

    grad_fast, out_fast = output_and_gradient(fast)
    grad_reference, out_reference = output_and_gradient(reference)
    assert out_fast.shape == (30, 6)
    np.testing.assert_allclose(out_fast, out_reference, rtol=0, atol=1e-11)
    for a, b in zip(jax.tree_util.tree_leaves(grad_fast),
                    jax.tree_util.tree_leaves(grad_reference), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("split", [True, False])
def test_padding_edges_contribute_nothing(split):
    graph = random_graph(2, capacity=200)
    bigger = random_graph(2, capacity=260)
    # garbage in the padding rows of the bigger graph
    garbage = np.asarray(bigger.edges).copy()
    garbage[200:] = 1e3 * np.random.default_rng(0).normal(size=(60, 3))
    bigger = bigger._replace(edges=jnp.asarray(garbage))
    network = make_network(NetworkConfig(n_layers=2, latent_size=16, hidden_size=16,
                                         split_edge_projection=split))
    params = jax.jit(network.init)(jax.random.PRNGKey(2), graph)
    apply = jax.jit(network.apply)
    np.testing.assert_allclose(apply(params, bigger), apply(params, graph), rtol=0, atol=1e-12)


def test_output_is_invariant_under_global_translation():
    position, velocity, species, box = random_configuration(4)
    simulator = make_simulator(network_config(SMALL, 2), 2)
    edges = build_edges(position, box, 2.2)
    params = jax.jit(simulator.init, static_argnums=(1, 2, 3))(
        jax.random.PRNGKey(4), len(position), edges.capacity, jnp.float64)
    standard = random_standardization(2)
    predict = jax.jit(simulator.predict_increments)
    dr, dv = predict(params, standard, position, velocity, species, box, edges.senders,
                     edges.receivers)
    assert float(jnp.std(dr)) > 1e-3 and float(jnp.std(dv)) > 1e-3  # not a constant output
    for shift in ([1.7, -0.4, 2.9], [13.1, 5.0, -8.2]):
        moved = np.mod(position + np.array(shift), box)
        moved_edges = build_edges(moved, box, 2.2, edges.capacity)
        np.testing.assert_array_equal(moved_edges.senders, edges.senders)
        np.testing.assert_array_equal(moved_edges.receivers, edges.receivers)
        dr2, dv2 = predict(params, standard, moved, velocity, species, box,
                           moved_edges.senders, moved_edges.receivers)
        np.testing.assert_allclose(dr2, dr, rtol=0, atol=1e-10)
        np.testing.assert_allclose(dv2, dv, rtol=0, atol=1e-10)


def test_network_config_refuses_unknown_architecture():
    with pytest.raises(ValueError, match="architecture"):
        network_config({**SMALL, "architecture": "transformer"}, 2)


# ----------------------------------------------------------------------------- augmentation

def test_the_48_cube_symmetries_form_the_octahedral_group():
    matrices = cube_symmetries()
    assert matrices.shape == (48, 3, 3)
    np.testing.assert_array_equal(matrices[0], np.eye(3))
    keys = {m.tobytes() for m in matrices}
    assert len(keys) == 48
    for m in matrices:
        np.testing.assert_allclose(m @ m.T, np.eye(3), atol=0)
        assert abs(abs(np.linalg.det(m)) - 1) < 1e-12
    products = {(a @ b).tobytes() for a in matrices for b in matrices}
    assert products == keys
    assert sum(np.linalg.det(m) > 0 for m in matrices) == 24  # 24 rotations, 24 improper


def lj_forces(position, species, box):
    potential = kob_andersen_potential(KA, box, species)
    neighbors = build_neighbor_list(position, box, potential.cutoff, 0.0)
    return np.asarray(potential.energy_and_forces(jnp.asarray(position), neighbors.idx)[1])


def test_cube_symmetry_keeps_an_exact_oracle_exact():
    """Targets dr = v k dt and dv = F(x) k dt / m (KA-LJ forces): after the training
    pipeline's augmentation, the transformed targets equal the oracle of the transformed
    input, and the graph equals the one built from the transformed configuration."""
    rng = np.random.default_rng(5)
    box = np.full(3, 6.038)
    n_atoms = 120
    position = random_non_overlapping(rng, n_atoms, box, 0.85)
    velocity = rng.normal(size=(n_atoms, 3))
    species = (np.arange(n_atoms) % 5 == 0).astype(np.int32)
    k_dt = 0.005
    forces = lj_forces(position, species, box)
    pairs = Pairs(position=position[None], velocity=velocity[None], dr=velocity[None] * k_dt,
                  dv=forces[None] * k_dt, species=species, mass=np.ones(n_atoms), box=box,
                  trajectory=np.zeros(1, np.int32), frame=np.zeros(1, np.int32),
                  attrs={"k": 1})
    matrices = cube_symmetries()
    for index in (1, 7, 20, 33, 47):
        matrix = matrices[index]
        batch, capacity = host_batch(pairs, [0], [matrix], 3.0, 20000, 2)
        new_position = transform_position(matrix, position, box)
        new_box = transform_box(matrix, box)
        new_velocity = apply_symmetry(matrix, velocity)
        oracle = np.concatenate([new_velocity * k_dt,
                                 lj_forces(new_position, species, new_box) * k_dt], axis=1)
        np.testing.assert_allclose(batch.targets[0], oracle, rtol=0, atol=1e-11)
        np.testing.assert_allclose(batch.nodes[0][:, 2:], new_velocity, atol=1e-14)
        # the transformed configuration has the same pairs, with transformed vectors
        edges = build_edges(new_position, new_box, 3.0, capacity)
        n = edges.n_edges
        np.testing.assert_array_equal(edges.senders, batch.senders[0])
        np.testing.assert_array_equal(edges.receivers, batch.receivers[0])
        np.testing.assert_allclose(edge_vectors_numpy(new_position, new_box, edges)[:n],
                                   batch.edges[0][:n], rtol=0, atol=1e-12)
        assert batch.edge_weights[0].sum() == n


# ----------------------------------------------------------------------------- normalizer

def test_normalizer_equals_numpy_over_the_same_stream():
    rng = np.random.default_rng(6)
    stats = init_stats(4)
    seen = []
    for _ in range(25):
        values = rng.normal([1e3, -2.0, 0.0, 5.0], [1.0, 1e-3, 10.0, 0.0],
                            size=(int(rng.integers(1, 300)), 4))
        weights = rng.random(len(values)) < 0.7
        stats = update_stats(stats, values, weights.astype(float))
        seen.append(values[weights])
    everything = np.concatenate(seen)
    assert stats.count == len(everything)
    np.testing.assert_allclose(stats.mean, everything.mean(axis=0), rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(variance(stats), everything.var(axis=0), rtol=1e-10,
                               atol=1e-18)
    mean, std = mean_and_std(stats)
    assert std[3] == pytest.approx(1e-8)  # a constant feature: floored, not zero
    # the same update inside jit (x64 on in the tests) gives the same numbers
    jitted = jax.jit(update_stats)
    stats_jax = jax.tree_util.tree_map(jnp.asarray, init_stats(4))
    stats_np = init_stats(4)
    for values in seen[:4]:
        stats_jax = jitted(stats_jax, jnp.asarray(values))
        stats_np = update_stats(stats_np, values)
    np.testing.assert_allclose(stats_jax.mean, stats_np.mean, rtol=1e-13)
    np.testing.assert_allclose(variance(stats_jax), variance(stats_np), rtol=1e-10, atol=1e-18)


def test_empty_normalizer_is_the_identity():
    standard = standardization(init_normalizer(5), dtype=np.float64)
    np.testing.assert_array_equal(standard.node_mean, np.zeros(5))
    np.testing.assert_array_equal(standard.node_std, np.ones(5))
    np.testing.assert_array_equal(standard.target_std, np.ones(6))


# ----------------------------------------------------------------------------- model files

def test_model_file_round_trip_and_compatibility(tmp_path):
    position, velocity, species, box = random_configuration(7)
    simulator = make_simulator(network_config(SMALL, 2), 2)
    edges = build_edges(position, box, 2.2)
    params = jax.jit(simulator.init, static_argnums=(1, 2))(jax.random.PRNGKey(7),
                                                            len(position), edges.capacity)
    rng = np.random.default_rng(7)
    normalizer = update_normalizer(init_normalizer(5), rng.normal(size=(60, 5)),
                                   rng.normal(size=(300, 3)), rng.normal(size=(60, 6)))
    metadata = {"network": simulator.network_config._asdict(), "species_names": ["A", "B"],
                "n_species": 2, "graph_cutoff": 2.2, "k": 5, "model_config": SMALL,
                "dt": 0.005, "units": "lj",
                "system_config": {"potential": {"kind": "kob_andersen", "cutoff_sigma": 2.5}}}
    path = tmp_path / "model.npz"
    save_model(path, params, normalizer, metadata)
    saved = load_model(path)
    assert saved.network_config == simulator.network_config
    for a, b in zip(jax.tree_util.tree_leaves(params), jax.tree_util.tree_leaves(saved.params),
                    strict=True):
        np.testing.assert_array_equal(np.asarray(a), b)
    for a, b in zip(normalizer, saved.normalizer, strict=True):
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x, y)
    # the loaded model predicts exactly what the original does
    args = (position, velocity, species, box, edges.senders, edges.receivers)
    predict = jax.jit(simulator.predict_increments)
    before = predict(params, standardization(normalizer), *args)
    after = predict(saved.params, standardization(saved.normalizer), *args)
    np.testing.assert_array_equal(before[0], after[0])
    np.testing.assert_array_equal(before[1], after[1])

    load_compatible_model(path, n_species=2, graph_cutoff=2.2, k=5, dt=0.005, units="lj")
    load_compatible_model(path, potential={"kind": "kob_andersen", "cutoff_sigma": 2.5})
    with pytest.raises(IncompatibleModelError,
                       match=r"trained under another potential \(differs in cutoff_sigma\)"):
        load_compatible_model(path, potential={"kind": "kob_andersen", "cutoff_sigma": 3.0})
    with pytest.raises(IncompatibleModelError,
                       match=r"it was trained on 2 species \(A, B\), the data has 3"):
        check_compatible(saved.metadata, n_species=3)
    with pytest.raises(IncompatibleModelError,
                       match=r"its species are \['A', 'B'\], the data's are \['A', 'C'\]"):
        check_compatible(saved.metadata, species_names=["A", "C"])
    with pytest.raises(IncompatibleModelError,
                       match=r"trained on MD with dt = 0.005, asked for dt = 0.002"):
        load_compatible_model(path, dt=0.002)
    with pytest.raises(IncompatibleModelError, match=r"trained in lj units, asked for metal"):
        load_compatible_model(path, units="metal")
    with pytest.raises(IncompatibleModelError, match="graph cutoff is 2.2"):
        load_compatible_model(path, graph_cutoff=3.0)
    with pytest.raises(IncompatibleModelError, match="k = 5 MD steps ahead, asked for k = 10"):
        load_compatible_model(path, k=10)
    truncated = tmp_path / "broken.npz"
    truncated.write_bytes(path.read_bytes()[:500])
    with pytest.raises(ModelFileError, match="truncated"):
        load_model(truncated)


def test_batched_loss_is_the_mean_over_configurations():
    from ogn.net.simulator import batched_loss

    simulator = make_simulator(network_config(SMALL, 1), 2)
    rng = np.random.default_rng(8)
    batch = []
    for seed in (8, 9):
        position, velocity, species, box = random_configuration(seed, n_atoms=30, side=4.0)
        edges = build_edges(position, box, 1.8, capacity=600)
        batch.append((np.concatenate([np.eye(2)[species], velocity], axis=1),
                      edge_vectors_numpy(position, box, edges), edges.senders, edges.receivers,
                      rng.normal(size=(30, 6))))
    stacked = [np.stack(column) for column in zip(*batch, strict=True)]
    params = jax.jit(simulator.init, static_argnums=(1, 2, 3))(
        jax.random.PRNGKey(8), 30, 600, jnp.float64)
    standard = random_standardization(2)
    single = jax.jit(simulator.loss)
    losses = [float(single(params, standard, *config)) for config in batch]
    loss = jax.jit(batched_loss(simulator))
    assert float(loss(params, standard, *stacked)) == pytest.approx(np.mean(losses), rel=1e-12)
    one = [column[:1] for column in stacked]
    assert float(loss(params, standard, *one)) == pytest.approx(losses[0], rel=1e-12)
