"""The extended OGN: radial basis, mean aggregation, vector decoder, time reversal,
loss weights, stride curriculum. Each option is checked for what it promises."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import yaml
from test_training import SMALL, toy_pairs, training_config

from ogn.learn.batches import host_batch, reversed_pair
from ogn.learn.curriculum import curriculum_phases, train_with_curriculum
from ogn.learn.loop import train
from ogn.learn.recipe import learning_rate_schedule
from ogn.net.decoders import radial_features
from ogn.net.graph import build_edges
from ogn.net.network import Graph, NetworkConfig, aggregation_scale, make_network
from ogn.net.normalizer import init_normalizer, standardization, update_normalizer
from ogn.net.options import architecture_label, network_config, training_recipe, uses_curriculum
from ogn.net.simulator import make_simulator, node_inputs
from ogn.workflow.checks import startup_problems

EXTENDED = {**SMALL, "architecture": "extended",
            "options": {"radial_basis": 8, "aggregation": "mean", "decoder": "vector",
                        "relative_velocity_vectors": True, "time_reversal": True, "loss_weights": {"dr": 1.0, "dv": 3.0},
                        "curriculum_k1_fraction": 0.5, "learning_rate": 3e-3}}
MASSES = (28.0855, 15.999)


def random_configuration(seed, n_atoms=48, side=5.0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(0, side, (n_atoms, 3)), rng.normal(size=(n_atoms, 3)),
            (np.arange(n_atoms) % 3 == 0).astype(np.int32), np.full(3, side))


def fitted_standardization(velocity, species, edges, n_species=2, dtype=jnp.float64):
    rng = np.random.default_rng(5)
    normalizer = update_normalizer(init_normalizer(n_species + 3),
                                   node_inputs(velocity, species, n_species), edges,
                                   rng.normal(scale=[0.1] * 3 + [2.0] * 3,
                                              size=(len(species), 6)))
    return jax.tree_util.tree_map(lambda a: jnp.asarray(a, dtype),
                                  standardization(normalizer, None))


def vector_model(dtype):
    config = network_config(EXTENDED, 2, graph_cutoff=2.0, species_masses=MASSES)
    simulator = make_simulator(config, 2)
    return simulator, config


@pytest.mark.parametrize("dtype, tolerance", [(jnp.float64, 1e-12), (jnp.float32, 3e-6)])
def test_vector_decoder_conserves_momentum_exactly(dtype, tolerance):
    """sum_i m_i dv_i = 0 to float rounding, for random parameters and inputs."""
    position, velocity, species, box = random_configuration(0)
    simulator, _ = vector_model(dtype)
    edges = build_edges(position, box, 2.0)
    d = position[edges.receivers[:edges.n_edges]] - position[edges.senders[:edges.n_edges]]
    standard = fitted_standardization(velocity, species, d - box * np.round(d / box),
                                      dtype=dtype)
    params = simulator.init(jax.random.PRNGKey(3), len(species), edges.capacity, dtype)
    dr, dv = simulator.predict_increments(params, standard, jnp.asarray(position, dtype),
                                          jnp.asarray(velocity, dtype), species,
                                          jnp.asarray(box, dtype), edges.senders,
                                          edges.receivers)
    assert np.asarray(dv).dtype == dtype
    mass = np.asarray(MASSES)[species]
    momentum = np.sum(mass[:, None] * np.asarray(dv, np.float64), axis=0)
    scale = np.sum(mass[:, None] * np.abs(np.asarray(dv, np.float64)), axis=0)
    assert np.all(np.abs(dv) > 0).any() and np.all(scale > 0)
    assert np.max(np.abs(momentum) / scale) < tolerance


def test_a_bfloat16_network_gives_the_float32_networks_increments_to_its_rounding():
    """The vector decoder's network in bfloat16 (parameters and inputs cast on entry, its
    output back to float32): float32 increments within 5 % of the float32 network's largest
    (measured 1.1 % and 1.4 % for dr and dv; bfloat16 keeps 8 bits), momentum still exact to
    float32 rounding (the equivariant decoder sums in float32; measured 1.3e-7), float32
    parameters from init; a learned force has no bfloat16 form."""
    from ogn.net.trained import TrainedModel, with_network_precision

    position, velocity, species, box = random_configuration(0)
    simulator, config = vector_model(jnp.float32)
    edges = build_edges(position, box, 2.0)
    d = position[edges.receivers[:edges.n_edges]] - position[edges.senders[:edges.n_edges]]
    standard = fitted_standardization(velocity, species, d - box * np.round(d / box),
                                      dtype=jnp.float32)
    half = make_simulator(config, 2, "bfloat16")
    params = half.init(jax.random.PRNGKey(3), len(species), edges.capacity)
    assert all(leaf.dtype == jnp.float32 for leaf in jax.tree_util.tree_leaves(params))
    arguments = (standard, jnp.asarray(position, jnp.float32),
                 jnp.asarray(velocity, jnp.float32), species, jnp.asarray(box, jnp.float32),
                 edges.senders, edges.receivers)
    full_dr, full_dv = simulator.predict_increments(params, *arguments)
    half_dr, half_dv = half.predict_increments(params, *arguments)
    for ours, theirs in ((half_dr, full_dr), (half_dv, full_dv)):
        assert np.asarray(ours).dtype == np.float32
        scale = float(np.abs(np.asarray(theirs)).max())
        difference = float(np.abs(np.asarray(ours) - np.asarray(theirs)).max())
        assert 0 < difference < 0.05 * scale
    mass = np.asarray(MASSES)[species][:, None]
    push = mass * np.asarray(half_dv, np.float64)
    assert np.abs(push.sum(axis=0)).max() < 1e-5 * np.abs(push).max()
    model = TrainedModel(simulator, params, standard, None, {}, 2.0, 5, ("A", "B"))
    assert with_network_precision(model, "bfloat16").metadata["network_precision"] == "bfloat16"
    _, pair = cored_pair_force_config()
    with pytest.raises(ValueError, match="no bfloat16 form"):
        make_simulator(pair, 2, "bfloat16")
    with pytest.raises(ValueError, match="float16"):
        make_simulator(config, 2, "float16")


def cored_pair_force_config():
    from test_core import cored_pair_force

    return cored_pair_force()


def rotated_outputs(simulator, configuration_seed, rotation_seed, params_seed,
                    dtype=jnp.float64):
    """``(dr, dv)`` of a random configuration and of its randomly rotated copy (in a box too
    large for periodic images, so any rotation is a symmetry), the rotation matrix, and the
    configuration's velocity and species."""
    from scipy.spatial.transform import Rotation

    position, velocity, species, _ = random_configuration(configuration_seed)
    rotation = Rotation.random(random_state=rotation_seed).as_matrix()
    box = np.full(3, 1000.0)
    outputs = []
    for matrix in (np.eye(3), rotation):
        p, v = position @ matrix.T + 500.0, velocity @ matrix.T
        edges = build_edges(p, box, 2.0, capacity=4000)
        if not outputs:
            d = p[edges.receivers[:edges.n_edges]] - p[edges.senders[:edges.n_edges]]
            standard = fitted_standardization(velocity, species, d, dtype=dtype)
            params = simulator.init(jax.random.PRNGKey(params_seed), len(species), 4000, dtype)
        dr, dv = simulator.predict_increments(params, standard, jnp.asarray(p, dtype),
                                              jnp.asarray(v, dtype), species,
                                              jnp.asarray(box, dtype), edges.senders,
                                              edges.receivers)
        assert np.asarray(dv).dtype == dtype
        outputs.append((np.asarray(dr, np.float64), np.asarray(dv, np.float64)))
    return outputs, rotation, velocity, species


def assert_learned_force_laws(simulator, config, dtype, tolerance, dr_tolerance,
                              dv_tolerance, min_force_motion):
    """For a learned-force decoder with random parameters: sum_i m_i dv_i = 0 to
    ``tolerance`` of the largest m dv, the force moves the atoms (dr - v k dt above
    ``min_force_motion``), and a random rotation of the input rotates dr and dv to
    ``dr_tolerance`` and ``dv_tolerance`` of their largest component."""
    ((dr0, dv0), (dr1, dv1)), rotation, velocity, species = rotated_outputs(
        simulator, 6, 7, 8, dtype)
    mass = np.asarray(MASSES)[species]
    scale = np.abs(mass[:, None] * dv0).max()
    assert scale > 1e-3
    assert np.abs(np.sum(mass[:, None] * dv0, axis=0)).max() < tolerance * scale
    assert np.abs(dr0 - velocity * config.stride_time).max() > min_force_motion
    np.testing.assert_allclose(dr0 @ rotation.T, dr1, rtol=0,
                               atol=dr_tolerance * np.abs(dr0).max())
    np.testing.assert_allclose(dv0 @ rotation.T, dv1, rtol=0,
                               atol=dv_tolerance * np.abs(dv0).max())


def test_vector_decoder_is_rotation_equivariant_without_augmentation():
    """Rotating the input by any rotation rotates dr and dv (not only the cube's 48)."""
    simulator, _ = vector_model(jnp.float64)
    ((dr0, dv0), (dr1, dv1)), rotation, _, _ = rotated_outputs(simulator, 1, 2, 4)
    assert np.abs(dv0).max() > 1e-3 and np.abs(dr0).max() > 1e-3
    np.testing.assert_allclose(dr0 @ rotation.T, dr1, atol=1e-10)
    np.testing.assert_allclose(dv0 @ rotation.T, dv1, atol=1e-10)


def test_radial_basis_vanishes_smoothly_at_the_cutoff():
    cutoff = 2.5
    distance = jnp.asarray([0.0, 1.0, 2.5 - 1e-3, 2.5, 3.0], jnp.float32)
    features = np.asarray(radial_features(distance, cutoff, 8))
    assert features.shape == (5, 9)
    np.testing.assert_allclose(features[:, 0], np.asarray(distance) / cutoff, rtol=1e-6)
    assert np.all(features[3:, 1:] == 0.0)
    # value and slope go to zero: 1e-3 before the cutoff the envelope is ~ (pi x / 2)^2
    assert np.max(features[2, 1:]) < 1e-6
    assert features[0, 1] == pytest.approx(1.0) and features[1, 1:].max() > 0.5


def test_mean_aggregation_divides_by_the_mean_edge_count():
    n_nodes, capacity = 5, 16
    senders = jnp.asarray([0, 1, 2, 3, 4, 0, 1, 2] + [n_nodes] * 8, jnp.int32)
    graph = Graph(nodes=jnp.zeros((n_nodes, 3)), edges=jnp.zeros((capacity, 3)),
                  senders=senders, receivers=senders)
    assert float(aggregation_scale(graph, NetworkConfig(1, aggregation="mean"))) == \
        pytest.approx(5 / 8)
    assert aggregation_scale(graph, NetworkConfig(1)) == 1.0


@pytest.mark.parametrize("options", [{"aggregation": "mean"}, {"radial_basis": 6},
                                     {"radial_basis": 6, "decoder": "vector"},
                                     {"radial_basis": 6, "decoder": "vector",
                                      "relative_velocity_vectors": True}])
def test_fast_and_straightforward_forms_agree_with_options(options):
    """The speed-organised forward equals the readable one with every option (same params)."""
    model = {**SMALL, "architecture": "extended", "options": options}
    position, velocity, species, box = random_configuration(2, n_atoms=30)
    edges = build_edges(position, box, 2.0)
    d = position[edges.receivers[:edges.n_edges]] - position[edges.senders[:edges.n_edges]]
    standard = fitted_standardization(velocity, species, d - box * np.round(d / box))
    results = []
    for split in (True, False):
        simulator = make_simulator(network_config(model, 2, split_edge_projection=split,
                                                  graph_cutoff=2.0, species_masses=MASSES), 2)
        if split:
            params = simulator.init(jax.random.PRNGKey(0), len(species), edges.capacity,
                                    jnp.float64)
        results.append(np.concatenate(simulator.predict_increments(
            params, standard, position, velocity, species, box, edges.senders,
            edges.receivers), axis=-1))
    assert results[0].dtype == np.float64 and np.abs(results[0]).max() > 1e-3
    np.testing.assert_allclose(results[0], results[1], rtol=0, atol=1e-10)


def test_the_paper_architecture_ignores_the_options():
    paper = {**EXTENDED, "architecture": "paper"}
    assert network_config(paper, 2) == network_config(SMALL, 2)
    assert training_recipe(paper, training_config()) == training_config()
    recipe = training_recipe(EXTENDED, training_config())
    assert recipe["time_reversal"] is True and recipe["loss_weights"]["dv"] == 3.0
    assert recipe["learning_rate"] == 3e-3
    unset = {**EXTENDED, "options": {**EXTENDED["options"], "learning_rate": None}}
    assert training_recipe(unset, training_config())["learning_rate"] == \
        training_config()["learning_rate"]
    decaying = {**EXTENDED, "options": {**EXTENDED["options"], "lr_decay_rate": 0.01,
                                        "lr_decay_steps": 8000}}
    recipe = training_recipe(decaying, training_config())
    assert (recipe["lr_decay_rate"], recipe["lr_decay_steps"]) == (0.01, 8000)
    schedule = learning_rate_schedule(recipe)
    np.testing.assert_allclose([schedule(0), schedule(4000), schedule(8000)],
                               [3e-3, 3e-4, 3e-5], rtol=1e-5)
    assert "learning-rate decay" in architecture_label(decaying)
    assert "learning-rate decay" not in architecture_label(EXTENDED)
    assert architecture_label(paper) == "paper OGN"
    assert "vector decoder" in architecture_label(EXTENDED)
    assert "relative-velocity vectors" in architecture_label(EXTENDED)
    assert uses_curriculum(EXTENDED, 5) and not uses_curriculum(EXTENDED, 1)
    assert not uses_curriculum(paper, 5)


def test_vector_decoder_needs_a_radial_basis():
    bad = {**SMALL, "architecture": "extended", "options": {"decoder": "vector"}}
    with pytest.raises(ValueError, match="radial_basis"):
        network_config(bad, 2, graph_cutoff=2.0, species_masses=MASSES)
    config = {"model": bad, "systems": {}}
    assert any("radial_basis" in p for p in startup_problems(config))


def test_relative_velocity_vectors_need_the_vector_decoder():
    bad = {**SMALL, "architecture": "extended",
           "options": {"radial_basis": 4, "relative_velocity_vectors": True}}
    with pytest.raises(ValueError, match="decoder = vector"):
        network_config(bad, 2, graph_cutoff=2.0, species_masses=MASSES)


def test_time_reversed_pair_is_what_md_does_backwards():
    """From (r(t+k), -v(t+k)) velocity Verlet reaches (r(t), -v(t)): the reversed targets."""
    from md_runs import nve_frames, system

    from ogn.evaluate.md_reference import md_rollout

    frames, k, t = nve_frames("lj"), 5, 200
    lj = system("lj")
    start, end = frames[t], frames[t + k]
    dr = end.position - start.position
    dr -= lj.box * np.round(dr / lj.box)
    dv = end.velocity - start.velocity
    position, velocity, target_dr, target_dv = reversed_pair(start.position, start.velocity,
                                                             dr, dv)
    back = md_rollout(lj, np.mod(position, lj.box), velocity, k)
    moved = back.position_unwrapped[-1] - back.position_unwrapped[0]
    np.testing.assert_allclose(moved, target_dr, atol=1e-9)
    np.testing.assert_allclose(back.velocity[-1] - back.velocity[0], target_dv, atol=1e-9)
    assert np.abs(target_dv).max() > 1e-2  # a real change, not a trivial match


def test_host_batch_reverses_only_the_flagged_pairs():
    pairs = toy_pairs(3, 2)
    forward, _ = host_batch(pairs, [0, 1], [None, None], 1.6, 4000, 2, reverse=[False, True])
    plain, _ = host_batch(pairs, [0, 1], [None, None], 1.6, 4000, 2)
    np.testing.assert_array_equal(forward.targets[0], plain.targets[0])
    np.testing.assert_allclose(forward.targets[1, :, :3], -plain.targets[1, :, :3])
    np.testing.assert_allclose(forward.targets[1, :, 3:], plain.targets[1, :, 3:])
    np.testing.assert_allclose(forward.nodes[1, :, 2:],
                               -(pairs.velocity[1] + pairs.dv[1]))


def test_loss_weights_weigh_the_dr_and_dv_terms():
    simulator = make_simulator(network_config(SMALL, 1), 2)
    position, velocity, species, box = random_configuration(4, n_atoms=20)
    edges = build_edges(position, box, 2.0)
    d = position[edges.receivers[:edges.n_edges]] - position[edges.senders[:edges.n_edges]]
    standard = fitted_standardization(velocity, species, d - box * np.round(d / box),
                                      dtype=jnp.float32)
    params = simulator.init(jax.random.PRNGKey(1), len(species), edges.capacity)
    from ogn.net.graph import edge_vectors_numpy
    nodes = node_inputs(velocity, species, 2).astype(np.float32)
    vectors = edge_vectors_numpy(position, box, edges).astype(np.float32)
    targets = np.random.default_rng(0).normal(size=(len(species), 6)).astype(np.float32)
    args = (params, standard, nodes, vectors, edges.senders, edges.receivers, targets)
    predicted = np.asarray(simulator.standardized_output(*args[:-1]))
    error2 = (predicted - (targets - np.asarray(standard.target_mean))
              / np.asarray(standard.target_std)) ** 2
    weighted = float(simulator.loss(*args, weights=np.array([1.0] * 3 + [3.0] * 3)))
    expected = (np.mean(error2[:, :3]) * 1.0 + np.mean(error2[:, 3:]) * 3.0) / 4.0  # mean w = 2
    assert weighted == pytest.approx(expected, rel=1e-5)
    assert float(simulator.loss(*args)) == pytest.approx(np.mean(error2), rel=1e-5)


def test_curriculum_splits_the_budget():
    first, second = curriculum_phases(training_config(max_minutes=10.0, max_steps=100,
                                                      curriculum_k1_fraction=0.3))
    assert first["max_minutes"] == pytest.approx(3.0) and second["max_minutes"] == \
        pytest.approx(7.0)
    assert (first["max_steps"], second["max_steps"]) == (30, 70)
    assert first["curriculum_k1_fraction"] == 0.0 == second["curriculum_k1_fraction"]
    with pytest.raises(ValueError, match="between 0 and 1"):
        curriculum_phases(training_config(curriculum_k1_fraction=1.0))


def test_curriculum_continues_from_the_k1_parameters(tmp_path):
    """Phase 2 starts from phase 1's parameters (not from random ones) and both phases'
    steps are counted; a rerun resumes both from their checkpoints."""
    simulator = make_simulator(network_config(SMALL, 1), 2)
    config = training_config(max_steps=8, eval_every=4, checkpoint_every=4,
                             curriculum_k1_fraction=0.5)
    k1_train, k1_test, train_pairs, test_pairs = (toy_pairs(s, n) for s, n in
                                                  ((0, 6), (1, 2), (2, 6), (3, 2)))
    kwargs = {"graph_cutoff": 1.6, "checkpoint_path": tmp_path / "model.checkpoint.npz",
              "curve_path": tmp_path / "curve.csv", "log": lambda m: None}
    state = train_with_curriculum(simulator, train_pairs, test_pairs, k1_train, k1_test,
                                  config, **kwargs)
    assert state.step == 8
    assert (tmp_path / "model.checkpoint.k1.npz").exists()
    assert (tmp_path / "curve.k1.csv").exists()
    first, _ = curriculum_phases(config)
    alone = train(simulator, k1_train, k1_test, first, graph_cutoff=1.6,
                  checkpoint_path=tmp_path / "alone.npz", curve_path=tmp_path / "alone.csv",
                  log=lambda m: None)
    scratch = train(simulator, train_pairs, test_pairs, curriculum_phases(config)[1],
                    graph_cutoff=1.6, checkpoint_path=tmp_path / "scratch.npz",
                    curve_path=tmp_path / "scratch.csv", log=lambda m: None)
    leaf = lambda s: np.asarray(jax.tree_util.tree_leaves(s.params)[0])  # noqa: E731
    assert not np.allclose(leaf(state), leaf(scratch))
    assert not np.allclose(leaf(state), leaf(alone))  # phase 2 moved on from phase 1
    again = train_with_curriculum(simulator, train_pairs, test_pairs, k1_train, k1_test,
                                  config, **kwargs)
    np.testing.assert_array_equal(leaf(again), leaf(state))


def test_network_config_round_trips_through_the_model_file(tmp_path):
    from ogn.net.modelfile import load_model, save_model

    simulator, config = vector_model(jnp.float32)
    params = simulator.init(jax.random.PRNGKey(0), 10, 64)
    metadata = {"network": config._asdict(), "species_names": ["Si", "O"], "n_species": 2,
                "graph_cutoff": 2.0, "k": 10}
    save_model(tmp_path / "m.npz", params, init_normalizer(5), metadata)
    assert load_model(tmp_path / "m.npz").network_config == config


def test_vector_network_parameters_are_shared_with_the_paper_encoder():
    """The vector decoder replaces only the decoder: encoder and message passing are the
    paper's modules (an ablation changes one thing at a time)."""
    paper = make_network(network_config(SMALL, 2))
    graph = Graph(nodes=jnp.zeros((4, 5)), edges=jnp.zeros((8, 3)),
                  senders=jnp.full((8,), 4, jnp.int32), receivers=jnp.full((8,), 4, jnp.int32))
    paper_modules = set(paper.init(jax.random.PRNGKey(0), graph))
    simulator, _ = vector_model(jnp.float32)
    vector_modules = set(simulator.init(jax.random.PRNGKey(0), 4, 8))
    assert paper_modules - vector_modules == {"decoder"}
    assert vector_modules - paper_modules == {"pair_decoder", "velocity_decoder"}


def test_paper_options_name_every_option_and_give_the_paper_model():
    """An ablation variant starts from PAPER_OPTIONS: a key missing there would leak the
    value of model.options into the paper row (it did once, with a new option)."""
    from conftest import REPO

    from ogn.net.options import PAPER_OPTIONS

    with open(REPO / "config" / "schema.yaml") as handle:
        schema = yaml.safe_load(handle)
    assert set(PAPER_OPTIONS) == set(schema["$defs"]["model_options"]["properties"])
    extended_paper = {**SMALL, "architecture": "extended", "options": dict(PAPER_OPTIONS)}
    assert network_config(extended_paper, 2, graph_cutoff=2.0,
                          species_masses=MASSES) == network_config(SMALL, 2)
    recipe, paper_recipe = training_recipe(extended_paper, training_config()), training_config()
    assert {key: recipe[key] for key in paper_recipe} == paper_recipe
    assert {key: value for key, value in recipe.items() if key not in paper_recipe} == {
        "time_reversal": False, "loss_weights": {"dr": 1.0, "dv": 1.0},
        "curriculum_k1_fraction": 0.0, "table_smoothness": 0.0}


PAIR_FORCE = {**SMALL, "architecture": "extended",
              "options": {"radial_basis": 8, "decoder": "pair_force", "pair_force_substep": 2.0,
                          "time_reversal": True}}


def pair_force_model(dtype=jnp.float64, k=5, stride_time=0.025):
    config = network_config(PAIR_FORCE, 2, graph_cutoff=2.0, species_masses=MASSES,
                            stride_steps=k, stride_time=stride_time)
    return make_simulator(config, 2), config


def test_pair_force_substeps_follow_the_largest_substep():
    """ceil(k / pair_force_substep) velocity-Verlet steps per stride."""
    for k, substep, expected in ((5, 2.0, 3), (10, 2.0, 5), (1, 2.0, 1), (4, 2.0, 2),
                                 (5, 1.0, 5)):
        options = {**PAIR_FORCE["options"], "pair_force_substep": substep}
        config = network_config({**PAIR_FORCE, "options": options}, 2, graph_cutoff=2.0,
                                species_masses=MASSES, stride_steps=k, stride_time=0.1)
        assert config.substeps == expected and config.stride_time == 0.1


def test_pair_force_decoder_needs_the_stride_and_no_curriculum():
    with pytest.raises(ValueError, match="stride"):
        network_config(PAIR_FORCE, 2, graph_cutoff=2.0, species_masses=MASSES)
    curriculum = {**PAIR_FORCE, "options": {**PAIR_FORCE["options"],
                                            "curriculum_k1_fraction": 0.3}}
    with pytest.raises(ValueError, match="curriculum_k1_fraction"):
        network_config(curriculum, 2, graph_cutoff=2.0, species_masses=MASSES, stride_steps=5,
                       stride_time=0.025)
    assert any("curriculum_k1_fraction" in p
               for p in startup_problems({"model": curriculum, "systems": {}}))
    assert startup_problems({"model": PAIR_FORCE, "systems": {}}) == []
    no_basis = {**PAIR_FORCE, "options": {"decoder": "pair_force"}}
    assert any("radial_basis" in p for p in startup_problems({"model": no_basis,
                                                              "systems": {}}))


@pytest.mark.parametrize("dtype, tolerance, dr_tolerance, dv_tolerance",
                         [(jnp.float64, 1e-12, 1e-12, 2e-12), (jnp.float32, 3e-6, 3e-5, 2e-4)])
def test_pair_force_decoder_conserves_momentum_and_rotates(dtype, tolerance, dr_tolerance,
                                                           dv_tolerance):
    """Random parameters: sum_i m_i dv_i = 0 to rounding, dr = v k dt + the force's part, and a
    random rotation of the input rotates dr and dv (no augmentation). Measured: momentum 5e-14
    (float64) and 1.5e-6 (float32) of the largest m dv; rotated dr 6e-15 and 7e-6, rotated dv
    5e-13 and 6e-5 of their largest component (float32 draws other weights, with larger
    forces)."""
    simulator, config = pair_force_model(dtype)
    # the force's share of the motion: 1e-3 here
    assert_learned_force_laws(simulator, config, dtype, tolerance, dr_tolerance, dv_tolerance,
                              min_force_motion=1e-4)


def test_pair_force_integrator_is_md_with_the_true_force():
    """velocity_verlet_increments with Kob-Andersen forces and k substeps reproduces k steps of
    the MD that made the data; with ceil(k / 2) substeps it is MD at 1.67 dt (both to 1e-12;
    measured: at most 5e-14, the order of float64 sums)."""
    from md_runs import nve_frames, system

    from ogn.evaluate.md_reference import md_rollout
    from ogn.md.neighbors import build_neighbor_list
    from ogn.net.decoders import velocity_verlet_increments

    lj, k = system("lj"), 5
    start = nve_frames("lj")[200]
    pot = lj.potential
    position = jnp.asarray(start.position)
    neighbors = build_neighbor_list(position, lj.box, pot.cutoff, lj.skin)
    mass = jnp.asarray(lj.mass)

    def acceleration(displacement):
        return pot.energy_and_forces(position + displacement, neighbors.idx)[1] / mass[:, None]

    dr, dv = velocity_verlet_increments(acceleration, jnp.asarray(start.velocity), k * lj.dt, k)
    md = md_rollout(lj, start.position, start.velocity, k)
    np.testing.assert_allclose(dr, md.position_unwrapped[-1] - md.position_unwrapped[0],
                               atol=1e-12)
    np.testing.assert_allclose(dv, md.velocity[-1] - md.velocity[0], atol=1e-12)
    assert np.abs(dv).max() > 1e-2
    coarse = md_rollout(lj, start.position, start.velocity, 3, dt_factor=k / 3)
    dr3, dv3 = velocity_verlet_increments(acceleration, jnp.asarray(start.velocity),
                                          k * lj.dt, 3)
    np.testing.assert_allclose(dr3, coarse.position_unwrapped[-1] - coarse.position_unwrapped[0],
                               atol=1e-12)
    np.testing.assert_allclose(dv3, coarse.velocity[-1] - coarse.velocity[0], atol=1e-12)
    assert np.abs(dv3 - dv).max() > 1e-6  # a coarser integration, not the same numbers


def test_pair_force_model_learns_the_toy_pair_force(tmp_path):
    """400 steps on the toy pairs (a soft pair force, k = 1) bring the test loss from 0.55 to
    1.5e-4 (measured; the paper network needs 2,000 steps for a 10x drop on the same kind of
    data: test_short_training_lowers_the_test_loss_tenfold)."""
    from test_training import run

    from ogn.learn.steps import make_eval_loss, mean_test_loss, prepare_test_set

    config = network_config({**PAIR_FORCE, "options": {**PAIR_FORCE["options"],
                                                       "time_reversal": False}},
                            1, graph_cutoff=1.6, species_masses=(1.0, 1.0), stride_steps=1,
                            stride_time=0.005)
    simulator = make_simulator(config, 2)
    train_pairs, test_pairs = toy_pairs(10, 32), toy_pairs(11, 6)
    steps = 400
    recipe = training_config(learning_rate=3e-3, lr_decay_rate=0.1, lr_decay_steps=steps,
                             max_steps=steps, eval_every=steps, checkpoint_every=steps, seed=2)
    state = run(tmp_path, "pair", train_pairs, test_pairs, recipe, simulator)
    standard = standardization(state.normalizer)
    test_set = prepare_test_set(test_pairs, 1.6, 2)
    evaluate = make_eval_loss(simulator)
    initial = simulator.init(jax.random.PRNGKey(2), 24, test_set.edges[0].shape[0])
    before = mean_test_loss(evaluate, initial, standard, test_set)
    after = mean_test_loss(evaluate, state.params, standard, test_set)
    assert before > 0.4, before
    assert after < 1e-3, (before, after)
