"""Tabulated learned functions (``model.options.tabulate``): the cubic Hermite table is exact
for cubics, a tabulated model gives the increments of its MLPs, keeps momentum and rotation,
survives the model file, and its options are checked."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.spatial.transform import Rotation
from test_core import cored_pair_force
from test_energy_decoder import ENERGY as ENERGY_BLOCK
from test_energy_decoder import energy_model
from test_extended import MASSES, fitted_standardization, random_configuration

from ogn.net.graph import build_edges
from ogn.net.modelfile import network_config_of
from ogn.net.options import architecture_label, option_conflicts
from ogn.net.simulator import make_simulator
from ogn.net.tables import hermite, tabulated_model

jax.config.update("jax_enable_x64", True)


def test_hermite_table_is_exact_for_cubics_and_zero_beyond_the_cutoff():
    """Values and slopes of a cubic at 9 points give the cubic everywhere between (1e-12)."""
    grid = np.linspace(0.0, 2.0, 9)
    cubic = [lambda r: 1.0 - 2.0 * r + 0.5 * r ** 3, lambda r: -2.0 + 1.5 * r ** 2]
    table = np.stack([np.stack([f(grid) for f in cubic], axis=-1)] * 2)[:, :, None, :]
    distance = jnp.asarray([0.0, 0.13, 0.77, 1.5, 1.99, 2.0, 2.7])
    values = np.asarray(hermite(jnp.asarray(table), jnp.asarray([0, 1, 0, 1, 0, 1, 0]),
                                distance, 2.0))[:, 0]
    inside = np.asarray(distance) < 2.0
    np.testing.assert_allclose(values[inside], cubic[0](np.asarray(distance)[inside]),
                               rtol=0, atol=1e-12)
    assert np.all(values[~inside] == 0.0)


def increments(simulator, params, position, velocity, species, box, standard):
    edges = build_edges(position, box, 2.0, capacity=4000)
    dr, dv = simulator.predict_increments(params, standard, jnp.asarray(position),
                                          jnp.asarray(velocity), species, jnp.asarray(box),
                                          edges.senders, edges.receivers)
    return np.concatenate([np.asarray(dr), np.asarray(dv)], axis=1)


def isolated_configuration():
    """(position, velocity, species, box, Standardization): random atoms in the middle of a
    box too large for periodic images to matter, targets fitted to them."""
    position, velocity, species, _ = random_configuration(6)
    position = position + 500.0
    box = np.full(3, 1000.0)
    edges = build_edges(position, box, 2.0, capacity=4000)
    d = position[edges.receivers[:edges.n_edges]] - position[edges.senders[:edges.n_edges]]
    return position, velocity, species, box, fitted_standardization(velocity, species, d)


@pytest.mark.parametrize("model", ["energy", "cored_pair_force"])
def test_a_tabulated_model_gives_its_mlps_increments_and_keeps_the_laws(model):
    """1024 points: the tabulated increments are those of the MLPs to 1e-5 of their scale
    (measured: energy decoder 2.2e-6, cored pair force 4e-10; the tables are float32);
    momentum is exact (measured 1e-16 of the largest m dv) and a rotation of the input
    rotates the output (1e-15); the model file's configuration records the tables."""
    # the cores end well below the closest pair (0.127): closer, the MLP is held at its value at
    # the core radius and the table continues as a wall (test_embedding.py)
    simulator, config = (energy_model(k=5) if model == "energy"
                         else cored_pair_force(radii=((0.08, 0.08), (0.08, 0.0))))
    position, velocity, species, box, standard = isolated_configuration()
    params = simulator.init(jax.random.PRNGKey(3), len(species), 4000, jnp.float64)
    table_config, table_params = tabulated_model(config, params, 2, 1024)
    assert table_config.tabulated == 1024
    assert not any(key.startswith(("pair_force/", "three_body_radial/")) for key in table_params)
    table_simulator = make_simulator(table_config, 2)
    reference = increments(simulator, params, position, velocity, species, box, standard)
    tabulated = increments(table_simulator, table_params, position, velocity, species, box,
                           standard)
    scale = np.abs(reference).max()
    assert scale > 1e-3
    np.testing.assert_allclose(tabulated, reference, rtol=0, atol=1e-5 * scale)
    mass = np.asarray(MASSES)[species]
    momentum = np.abs(np.sum(mass[:, None] * tabulated[:, 3:], axis=0)).max()
    assert momentum < 1e-13 * np.abs(mass[:, None] * tabulated[:, 3:]).max()
    rotation = Rotation.random(random_state=5).as_matrix()
    turned = increments(table_simulator, table_params, (position - 500.0) @ rotation.T + 500.0,
                        velocity @ rotation.T, species, box, standard)
    np.testing.assert_allclose(tabulated[:, :3] @ rotation.T, turned[:, :3], rtol=0,
                               atol=1e-12 * np.abs(tabulated[:, :3]).max())
    np.testing.assert_allclose(tabulated[:, 3:] @ rotation.T, turned[:, 3:], rtol=0,
                               atol=1e-12 * np.abs(tabulated[:, 3:]).max())
    assert network_config_of({"network": table_config._asdict()}) == table_config


def test_tabulate_options_are_checked():
    assert any("tabulate" in c for c in option_conflicts({"decoder": "vector", "tabulate": 512}))
    assert any("tabulate" in c for c in option_conflicts(
        {"decoder": "energy", "pair_term": "energy", "tabulate": 512}))
    assert any("at least 16" in c for c in option_conflicts(
        {"decoder": "pair_force", "tabulate": 8}))
    assert not option_conflicts({"decoder": "pair_force", "radial_basis": 8, "tabulate": 512})
    _, config = energy_model(pair_term="energy")
    with pytest.raises(ValueError, match="pair_term"):
        tabulated_model(config, {}, 2, 512)
    label = architecture_label({"architecture": "extended", "options": {
        "radial_basis": 8, "decoder": "pair_force", "tabulate": 512}})
    assert "tabulated on 512 points" in label


def test_a_trained_model_is_written_tabulated_with_its_test_loss(tmp_path):
    """The training job's last step (``model.options.tabulate``): the trained energy model
    (toy pairs, 40 steps) becomes tables whose test loss is the MLPs' to 5e-5 of it
    (measured 1.1e-5 at 512 points), both logged."""
    from test_training import run, toy_pairs, training_config

    from ogn.learn.job import tabulated
    from ogn.net.options import network_config

    block = {**ENERGY_BLOCK, "options": {**ENERGY_BLOCK["options"], "three_body_cutoff": 1.2}}
    config = network_config(block, 1, graph_cutoff=1.6, species_masses=(1.0, 1.0),
                            stride_steps=1, stride_time=0.005, three_body_neighbours=4.0,
                            three_body_edge_fraction=0.6)
    simulator = make_simulator(config, 2)
    train_pairs, test_pairs = toy_pairs(10, 8), toy_pairs(11, 4)
    recipe = training_config(learning_rate=3e-3, max_steps=40, eval_every=40,
                             checkpoint_every=40, seed=2)
    state = run(tmp_path, "energy", train_pairs, test_pairs, recipe, simulator)
    said = []
    params, written = tabulated(simulator, state, test_pairs, 1.6, 512, said.append)
    assert written.network_config.tabulated == 512
    assert "three_body_radial_table" in params["~"] and "pair_force_table" in params["~"]
    losses = [float(word.strip("():;")) for word in said[0].split() if word[:1].isdigit()
              and "." in word]
    mlp, table = losses[1], losses[0]
    assert abs(table - mlp) < 5e-5 * mlp, said


@pytest.mark.parametrize("slopes_from_values", [False, True])
def test_a_free_pair_table_still_obeys_newtons_third_law_and_rotates(slopes_from_values):
    """A table whose two orders of the mixed species pair differ (as a table learned from
    the data may) is read through pair_table_in_use: momentum stays exact (1e-13 of the
    largest m dv) and a rotation of the input rotates the output, with its slopes as stored
    or taken from its values; a table sampled from an MLP passes through it unchanged, bit
    for bit."""
    from ogn.net.tables import PAIR_TABLE, pair_table_in_use

    simulator, config = cored_pair_force()
    position, velocity, species, box, standard = isolated_configuration()
    params = simulator.init(jax.random.PRNGKey(3), len(species), 4000, jnp.float64)
    table_config, table_params = tabulated_model(config, params, 2, 256)
    sampled = table_params["~"][PAIR_TABLE]
    assert np.array_equal(np.asarray(pair_table_in_use(sampled, 2.0)), np.asarray(sampled))
    table_config = table_config._replace(table_slopes_from_values=slopes_from_values)
    noise = jax.random.normal(jax.random.PRNGKey(4), sampled.shape, sampled.dtype)
    free = {**table_params, "~": {**table_params["~"], PAIR_TABLE: sampled + 0.3 * noise}}
    assert not np.allclose(free["~"][PAIR_TABLE][1], free["~"][PAIR_TABLE][2])
    table_simulator = make_simulator(table_config, 2)
    out = increments(table_simulator, free, position, velocity, species, box, standard)
    mass = np.asarray(MASSES)[species]
    push = mass[:, None] * out[:, 3:]
    assert np.abs(push.sum(axis=0)).max() < 1e-13 * np.abs(push).max()
    rotation = Rotation.random(random_state=5).as_matrix()
    turned = increments(table_simulator, free, (position - 500.0) @ rotation.T + 500.0,
                        velocity @ rotation.T, species, box, standard)
    np.testing.assert_allclose(out[:, 3:] @ rotation.T, turned[:, 3:], rtol=0,
                               atol=1e-12 * np.abs(out[:, 3:]).max())
    in_use = np.asarray(pair_table_in_use(free["~"][PAIR_TABLE], 2.0, slopes_from_values))
    assert np.all(in_use[:, -1] == 0.0) and np.array_equal(in_use[1], in_use[2])


def test_slopes_from_values_are_central_differences_exact_for_a_quadratic():
    """A learned table's slopes (radial_table_in_use with slopes_from_values): the central
    difference of the values, exact for a quadratic inside, one-sided at 0, and value and
    slope 0 at the cutoff whatever was stored there (the sample before it sees that 0)."""
    from ogn.net.tables import radial_table_in_use

    grid = np.linspace(0.0, 2.0, 17)
    values = 3.0 - grid + 0.25 * grid ** 2
    table = np.stack([values, np.full_like(values, 99.0)], axis=-1)[None, :, None, :]
    used = np.asarray(radial_table_in_use(jnp.asarray(table), 2.0, True))[0, :, 0]
    np.testing.assert_allclose(used[1:-2, 1], -1.0 + 0.5 * grid[1:-2], rtol=0, atol=1e-12)
    np.testing.assert_allclose(used[-2, 1], (0.0 - values[-3]) / 0.25, rtol=1e-12)  # the 0
    np.testing.assert_allclose(used[0, 1], (values[1] - values[0]) / 0.125, rtol=1e-12)
    assert used[-1, 0] == 0.0 and used[-1, 1] == 0.0
    np.testing.assert_array_equal(used[:-1, 0], values[:-1])


def test_learned_tables_options_are_checked():
    assert any("learned_tables" in c for c in option_conflicts(
        {"decoder": "vector", "radial_basis": 8, "learned_tables": 256}))
    assert any("at least 16" in c for c in option_conflicts(
        {"decoder": "pair_force", "learned_tables": 8}))
    assert any("set tabulate to 0" in c for c in option_conflicts(
        {"decoder": "pair_force", "learned_tables": 256, "tabulate": 1024}))
    assert not option_conflicts({"decoder": "pair_force", "radial_basis": 8,
                                 "learned_tables": 256})
    label = architecture_label({"architecture": "extended", "options": {
        "radial_basis": 8, "decoder": "pair_force", "learned_tables": 256}})
    assert "learned as tables of 256 points" in label


def train_learned_tables(folder, **options):
    """The training job with ``model.options.learned_tables: 128`` (and ``options``) on the
    toy pairs (a soft-sphere pair force), 60 steps at lr 0.03; returns the lines it logged."""
    from test_training import toy_pairs

    from ogn.data.pairs import content_sha256, write_pairs
    from ogn.learn.job import train_model_file

    folder.mkdir(exist_ok=True)
    train_path, test_path = folder / "train.h5", folder / "test.h5"
    for path, pairs in ((train_path, toy_pairs(10, 8)), (test_path, toy_pairs(11, 4))):
        pairs = pairs._replace(attrs={**pairs.attrs, "dt": 0.005})
        write_pairs(path, pairs._replace(attrs={**pairs.attrs,
                                                "sha256": content_sha256(pairs)}))
    system = {"species": ["A", "B"], "graph_cutoff": 1.6}
    block = {"architecture": "extended", "latent_size": 16, "hidden_size": 16,
             "mlp_hidden_layers": 1, "options": {
                 "radial_basis": 8, "aggregation": "mean", "decoder": "pair_force",
                 "pair_force_substep": 1.0, "learned_tables": 128, "learning_rate": 0.03,
                 **options}}
    recipe = {"optimizer": "adam", "learning_rate": 1e-3, "lr_decay_rate": 0.1,
              "lr_decay_steps": 1e7, "epochs": 1000, "max_steps": 60, "max_minutes": None,
              "batch_size": 1, "eval_every": 10, "checkpoint_every": 60, "test_pairs": 4,
              "augment_cube_symmetry": True, "seed": 0}
    said = []
    train_model_file(train_path, test_path, system, block, recipe, 1, folder / "model.npz",
                     folder / "curve.csv", log=said.append)
    return said


def test_a_pair_force_learned_as_tables_learns_and_is_written_as_tables(tmp_path):
    """The training job with ``model.options.learned_tables``: it begins from the untrained
    MLP sampled into tables, trains the tables themselves and writes them; on the toy pairs
    (a soft-sphere pair force) the test loss falls from step 10 to step 60 at lr 0.03
    (measured: to 0.37 of it)."""
    import pandas as pd

    from ogn.net.modelfile import load_model

    said = train_learned_tables(tmp_path)
    assert any("tables of 128 points" in line for line in said)
    params, _, metadata = load_model(tmp_path / "model.npz")
    assert metadata["network"]["tabulated"] == 128
    assert not metadata["network"]["table_slopes_from_values"]  # written with its slopes
    table = np.asarray(params["~"]["pair_force_table"])[:, :, 0]
    spacing = 1.6 / 127
    np.testing.assert_allclose(table[:, 1:-1, 1], (table[:, 2:, 0] - table[:, :-2, 0])
                               / (2 * spacing), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(table[1], table[2])  # both orders of the mixed pair
    assert "pair_force_table" in params["~"] and not any(
        key.startswith("pair_force/") for key in params)
    curve = pd.read_csv(tmp_path / "curve.csv")
    assert curve.test_loss.iloc[-1] < 0.6 * curve.test_loss.iloc[0], curve


def test_table_roughness_is_the_mean_squared_second_difference_of_the_values():
    from ogn.net.tables import PAIR_TABLE, RADIAL_TABLE, table_roughness

    grid = np.linspace(0.0, 2.0, 17)  # spacing 0.125
    line = np.stack([1.0 - 0.5 * grid, np.full_like(grid, 7.0)], axis=-1)[None, :, None, :]
    parabola = line.copy()
    parabola[..., 0] = 3.0 * grid[None, :, None] ** 2  # second difference 2 * 3 * 0.125^2
    assert float(table_roughness({"~": {PAIR_TABLE: jnp.asarray(line)}})) < 1e-24
    expected = (6.0 * 0.125 ** 2) ** 2
    both = {"~": {PAIR_TABLE: jnp.asarray(line), RADIAL_TABLE: jnp.asarray(parabola)}}
    np.testing.assert_allclose(float(table_roughness(both)), expected, rtol=1e-12)
    assert float(table_roughness({"lin": {"w": jnp.ones(3)}})) == 0.0  # no tables


def test_table_smoothness_smooths_what_the_data_leave_free_and_is_checked(tmp_path):
    """The same 60 toy steps with ``table_smoothness: 1``: the written pair table's
    roughness falls to a small fraction of the run without it (measured 0.046 of it) and
    the test loss does not suffer (measured 0.72x). The option needs learned tables."""
    import pandas as pd

    from ogn.net.modelfile import load_model
    from ogn.net.tables import table_roughness

    roughness, losses = [], []
    for weight in (0.0, 1.0):
        folder = tmp_path / f"smooth{weight:g}"
        said = train_learned_tables(folder, table_smoothness=weight)
        params, _, _ = load_model(folder / "model.npz")
        roughness.append(float(table_roughness(params)))
        losses.append(float(pd.read_csv(folder / "curve.csv").test_loss.iloc[-1]))
    assert any("smoothness 1" in line for line in said)
    assert roughness[1] < 0.15 * roughness[0], roughness
    assert losses[1] < 1.5 * losses[0], losses
    assert any("table_smoothness" in c and "learned_tables" in c for c in option_conflicts(
        {"decoder": "pair_force", "radial_basis": 8, "table_smoothness": 1e-4}))
