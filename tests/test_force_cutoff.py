"""model.options.force_cutoff: a learned force that ends before the graph cutoff, so that the
margin between the two lists the pairs that come within its reach during a stride. Without
that margin (the paper's boxes are twice the graph cutoff wide, so no skin fits beyond it),
such a pair is missed until the next stride and then appears with its energy: a learned force
whose tail is not exactly zero changes the energy at every stride."""

from types import SimpleNamespace

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ogn.evaluate.rollout import make_model_rollout, make_row_rollout, rollout
from ogn.net.normalizer import Standardization
from ogn.net.options import architecture_label, network_config, option_conflicts
from ogn.net.simulator import make_simulator
from ogn.net.structures import NetworkConfig
from ogn.net.tables import PAIR_TABLE, tabulated_model
from ogn.workflow.frontier import point_model_block

jax.config.update("jax_enable_x64", True)

PAIR_FORCE = {"architecture": "extended", "latent_size": 16, "hidden_size": 16,
              "mlp_hidden_layers": 1,
              "options": {"radial_basis": 8, "decoder": "pair_force", "force_cutoff": 2.0}}


def pair_force_config(options: dict, graph_cutoff: float = 2.5) -> NetworkConfig:
    block = {**PAIR_FORCE, "options": {**PAIR_FORCE["options"], **options}}
    return network_config(block, 2, graph_cutoff=graph_cutoff, species_masses=(1.0, 1.0),
                          stride_steps=5, stride_time=0.05)


def test_the_learned_force_ends_at_the_force_cutoff_not_the_graph_cutoff():
    assert pair_force_config({}).radial_cutoff == 2.0
    assert pair_force_config({"force_cutoff": None}).radial_cutoff == 2.5
    energy = pair_force_config({"decoder": "energy", "three_body_cutoff": 1.5})
    assert energy.radial_cutoff == 2.0 and energy.three_body_cutoff == 1.5
    vector = network_config({**PAIR_FORCE, "options": {"radial_basis": 8, "decoder": "vector"}},
                            2, graph_cutoff=2.5, species_masses=(1.0, 1.0))
    assert vector.radial_cutoff == 2.5
    assert "force cutoff 2" in architecture_label(PAIR_FORCE)


def test_a_force_cutoff_beyond_the_graph_cutoff_or_without_a_learned_force_is_refused():
    with pytest.raises(ValueError, match="force_cutoff = 3 must lie in"):
        pair_force_config({"force_cutoff": 3.0})
    (message,) = option_conflicts({"radial_basis": 8, "decoder": "vector",
                                   "force_cutoff": 2.0})
    assert "force_cutoff" in message and "pair_force or energy" in message


def test_a_frontier_point_cuts_the_force_cutoff_to_its_graph_cutoff():
    config = {"model": {"latent_size": 64, "options": {"decoder": "pair_force"}},
              "systems": {"s": {"graph_cutoff": 8.8, "model_options": {"force_cutoff": 8.0}}}}
    point = {"k": 10, "substeps": 5, "width": 64, "cutoff_fraction": 0.5}
    assert point_model_block(config, "s", point)["options"]["force_cutoff"] == 4.4
    direct = point_model_block(config, "s", {**point, "substeps": 0})["options"]
    assert direct["force_cutoff"] is None and direct["decoder"] == "vector"


def test_the_sampled_tables_span_the_force_cutoff_and_vanish_beyond_it():
    config = pair_force_config({})
    simulator = make_simulator(config, 2)
    params = simulator.init(jax.random.PRNGKey(0), 4, 8, jnp.float32)
    table_config, table_params = tabulated_model(config, params, 2, 64)
    table = np.asarray(table_params["~"][PAIR_TABLE])
    assert table_config.radial_cutoff == 2.0
    assert np.abs(table[:, :-1, 0, 0]).max() > 1e-3  # a learned function up to its end
    np.testing.assert_array_equal(table[:, -1], 0.0)  # value and slope 0 at 2.0, not at 2.5


# ---------------------------------------------------------------------- the energy it keeps

SIDE, GRAPH_CUTOFF, FORCE_CUTOFF, STRENGTH = 5.0, 2.5, 2.0, 20.0


def soft_model(points: int = 512):
    """A tabulated pair-force "model" whose force is the soft repulsion
    f(r) = -STRENGTH (1 - r / rc) (rc = FORCE_CUTOFF, force unit 1), so that its pair energy
    is STRENGTH rc / 2 (1 - r / rc)^2; masses 1, k dt = 0.05 in 5 substeps."""
    config = NetworkConfig(n_layers=1, radial_basis=8, radial_cutoff=FORCE_CUTOFF,
                           decoder="pair_force", species_masses=(1.0, 1.0), stride_time=0.05,
                           substeps=5, tabulated=points)
    r = np.linspace(0.0, FORCE_CUTOFF, points)
    value, slope = -STRENGTH * (1.0 - r / FORCE_CUTOFF), np.full(points, STRENGTH / FORCE_CUTOFF)
    value[-1] = slope[-1] = 0.0  # the tables' rule at the cutoff
    table = np.stack([value, slope], axis=-1)[None, :, None, :].repeat(4, axis=0)
    params = {"~": {PAIR_TABLE: jnp.asarray(table, jnp.float32)}}
    ones, zeros = jnp.ones(6, jnp.float32), jnp.zeros(6, jnp.float32)
    # force scale rms(target_std[3:]) / stride_time = 1
    standard = Standardization(zeros[:5], ones[:5], zeros[:3], ones[:3], zeros,
                               jnp.full(6, 0.05, jnp.float32))
    model = SimpleNamespace(simulator=make_simulator(config, 2), network_config=config,
                            n_species=2, graph_cutoff=GRAPH_CUTOFF, network_dtype=jnp.float32)
    return model, params, standard


def soft_energy(position, velocity):
    """Kinetic energy (masses 1) + the pair energy of :func:`soft_model`."""
    delta = position[None] - position[:, None]
    delta -= SIDE * np.round(delta / SIDE)
    r = np.sqrt((delta * delta).sum(-1))[np.triu_indices(len(position), 1)]
    inside = r < FORCE_CUTOFF
    return (0.5 * float((velocity * velocity).sum())
            + float((STRENGTH * FORCE_CUTOFF / 2 * (1 - r[inside] / FORCE_CUTOFF) ** 2).sum()))


def soft_run(fns, model, params, standard, strides=40):
    rng = np.random.default_rng(4)
    grid = (np.arange(4) + 0.5) * SIDE / 4
    position = np.stack(np.meshgrid(grid, grid, grid), -1).reshape(-1, 3)  # 64 atoms
    position = position + rng.normal(scale=0.1, size=position.shape)
    velocity = rng.normal(scale=1.0, size=position.shape)
    velocity -= velocity.mean(axis=0)
    species = (np.arange(len(position)) % 2).astype(np.int32)
    result = rollout(fns, params, standard, position, velocity, species, np.full(3, SIDE),
                     strides)
    assert result.stop_reason is None
    energy = np.array([soft_energy(p, v) for p, v in
                       zip(result.position_unwrapped, result.velocity, strict=True)])
    kinetic = 0.5 * float((result.velocity ** 2).sum(axis=(1, 2)).mean())
    return float(np.abs(energy - energy[0]).max() / kinetic)


def test_the_margin_lists_the_pairs_that_come_within_reach_and_the_energy_is_kept():
    """40 strides of a soft fluid whose learned force ends at 2.0 in a graph of 2.5 (box 5:
    no skin fits beyond the graph cutoff). On rows within 2.0 + skin 0.5 (the margin to the
    graph cutoff, taken as skin beyond the force's end) and on the graph's edges within 2.5, the energy is kept to
    velocity Verlet's error in float32 (measured 4.5e-4 of <KE> for both); on rows within 2.0
    and no skin, the pairs entering during a stride are missed and it moves by 300x more
    (measured 0.13)."""
    model, params, standard = soft_model()
    box = np.full(3, SIDE)
    rows = make_model_rollout(model, 0.0, box)  # the margin to the graph cutoff as skin
    edges = make_model_rollout(model, 0.5, box, layout="edges")
    assert (rows.layout, rows.skin, edges.layout, edges.skin) == ("rows", 0.5, "edges", 0.0)
    assert make_model_rollout(model, 0.3, box).skin == 0.5  # at least the margin
    assert make_model_rollout(model, 9.0, box).skin == 0.5  # what fits in half the box
    kept = [soft_run(fns, model, params, standard) for fns in (rows, edges)]
    missed = soft_run(make_row_rollout(model.network_config, 2, 0.0, box), model, params,
                      standard)
    assert max(kept) < 1.5e-3
    assert missed > 50 * max(kept)
