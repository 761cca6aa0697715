"""The energy decoder: a learned pair + three-body energy whose gradient is integrated over
the stride. Checked for what it promises: Stillinger-Weber lies in its family exactly,
momentum is exact, the output rotates with the input, the motion conserves the learned
energy, it learns, and its options are checked before any job."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from md_runs import paper_config
from test_extended import MASSES, SMALL, assert_learned_force_laws, random_configuration
from test_training import toy_pairs, training_config

from ogn.md.neighbors import build_neighbor_list
from ogn.md.potentials.sw import stillinger_weber_parameters, stillinger_weber_potential
from ogn.net.energy import angular_invariants, mean_neighbours, moment_energy
from ogn.net.graph import build_edges, edge_vectors
from ogn.net.modelfile import network_config_of
from ogn.net.options import architecture_label, network_config
from ogn.net.simulator import make_simulator
from ogn.workflow.checks import startup_problems

jax.config.update("jax_enable_x64", True)

ENERGY = {**SMALL, "architecture": "extended",
          "options": {"radial_basis": 8, "decoder": "energy", "pair_force_substep": 2.0,
                      "three_body_cutoff": 1.8, "three_body_channels": 4,
                      "three_body_order": 2}}


def energy_model(dtype=jnp.float64, k=5, stride_time=0.025, edge_fraction=None, **options):
    block = {**ENERGY, "options": {**ENERGY["options"], **options}}
    config = network_config(block, 2, graph_cutoff=2.0, species_masses=MASSES,
                            stride_steps=k, stride_time=stride_time, three_body_neighbours=6.0,
                            three_body_edge_fraction=edge_fraction)
    return make_simulator(config, 2), config


def perturbed_diamond(seed, cells=2, lattice=5.431, amplitude=0.25):
    """Diamond-cubic silicon, ``cells``^3 unit cells, each atom moved by up to ``amplitude`` A
    (so that the angles differ from the tetrahedral one)."""
    basis = np.array([[0, 0, 0], [0, 2, 2], [2, 0, 2], [2, 2, 0],
                      [1, 1, 1], [1, 3, 3], [3, 1, 3], [3, 3, 1]]) / 4.0
    cells_at = np.stack(np.meshgrid(*[np.arange(cells)] * 3, indexing="ij"), -1).reshape(-1, 3)
    position = ((cells_at[:, None, :] + basis[None]) * lattice).reshape(-1, 3)
    rng = np.random.default_rng(seed)
    position = position + rng.uniform(-amplitude, amplitude, position.shape)
    return position, np.full(3, cells * lattice)


def stillinger_weber_terms(parameters):
    """Our SW as the energy decoder's terms: per directed edge half the two-body energy less
    the j = k part of the angular sum, R = exp(gamma sigma / (r - a sigma)), one channel,
    weights lambda eps / 2 x (1/9, 2/3, 1) of (cos theta + 1/3)^2 = cos^2 + 2/3 cos + 1/9."""
    eps, sigma, a, lam, gamma = (parameters[k] for k in ("epsilon", "sigma", "a", "lambda",
                                                            "gamma"))
    big_a, big_b, p, q = (parameters[k] for k in ("A", "B", "p", "q"))
    cutoff = a * sigma
    c0 = parameters["cos_theta0"]

    def decay(r, scale):
        inside = r < cutoff
        safe = jnp.where(inside, r, 0.5 * cutoff)
        return jnp.where(inside, jnp.exp(scale * sigma / (safe - cutoff)), 0.0)

    def pair_energy(r):
        safe = jnp.where(r < cutoff, r, 0.5 * cutoff)
        two_body = big_a * eps * (big_b * (sigma / safe) ** p - (sigma / safe) ** q) * decay(r, 1)
        return 0.5 * two_body - 0.5 * lam * eps * (1 - c0) ** 2 * decay(r, gamma) ** 2

    def radial(r):
        return decay(r, gamma)[:, None]

    weights = 0.5 * lam * eps * jnp.array([[[c0 * c0, -2 * c0, 1.0]]])
    return pair_energy, radial, weights, cutoff


def test_stillinger_weber_is_in_the_family_exactly():
    """With SW's own functions in place of phi, R and w, the moment energy is our SW energy,
    and its gradient our SW forces, on perturbed diamond silicon (measured: energy 1e-15 and
    forces 2e-15 of their scale)."""
    block = paper_config()["systems"]["si"]["potential"]
    parameters = stillinger_weber_parameters(block)
    pair_energy, radial, weights, cutoff = stillinger_weber_terms(parameters)
    for seed in range(3):
        position, box = perturbed_diamond(seed)
        potential = stillinger_weber_potential(block, box, np.zeros(len(position), int))
        neighbors = build_neighbor_list(jnp.asarray(position), box, potential.cutoff, 0.3)
        energy, forces = potential.energy_and_forces(jnp.asarray(position), neighbors.idx)
        edges = build_edges(position, box, cutoff + 0.2)

        def model_energy(p, edges=edges, box=box):
            vectors = edge_vectors(p, jnp.asarray(box), edges.senders, edges.receivers)
            return moment_energy(vectors, jnp.asarray(edges.senders), p.shape[0],
                                 jnp.ones((p.shape[0], 1)), pair_energy, radial, weights, 2)

        ours, gradient = jax.value_and_grad(model_energy)(jnp.asarray(position))
        assert abs(float(energy)) > 10.0
        np.testing.assert_allclose(float(ours), float(energy), rtol=1e-12)
        scale = float(jnp.abs(forces).max())
        assert scale > 0.5
        np.testing.assert_allclose(-np.asarray(gradient), np.asarray(forces), rtol=0,
                                   atol=1e-12 * scale)


def test_angular_invariants_are_sums_over_angles():
    """S_l = sum_{j,k} R_j R_k cos^l(theta_jk), against the explicit double loop (1e-12)."""
    rng = np.random.default_rng(3)
    n_edges = 7
    vectors = rng.normal(size=(n_edges, 3))
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    radial = rng.normal(size=(n_edges, 2))
    senders = np.array([0, 0, 0, 1, 1, 1, 2])
    invariants = np.asarray(angular_invariants(jnp.asarray(radial), jnp.asarray(unit),
                                               jnp.asarray(senders), 3, 4))
    for atom in range(3):
        rows = np.flatnonzero(senders == atom)
        cosines = unit[rows] @ unit[rows].T
        for channel in range(2):
            r = radial[rows, channel]
            expected = [np.sum(np.outer(r, r) * cosines ** power) for power in range(5)]
            np.testing.assert_allclose(invariants[atom, channel], expected, rtol=1e-12,
                                       atol=1e-12)


@pytest.mark.parametrize("dtype, tolerance, dr_tolerance, dv_tolerance",
                         [(jnp.float64, 1e-12, 1e-12, 2e-12), (jnp.float32, 1e-5, 3e-5, 2e-4)])
def test_energy_decoder_conserves_momentum_and_rotates(dtype, tolerance, dr_tolerance,
                                                       dv_tolerance):
    """Random parameters: sum_i m_i dv_i = 0 to rounding, the force moves the atoms, and a
    random rotation of the input rotates dr and dv. Measured: momentum 2e-15 (float64) and
    3.4e-6 (float32; 3e-8 on another CPU: the per-atom sums of float32 pair forces round with
    the CPU's vector code) of the largest m dv; rotated dr 3e-16 and 4e-7, dv 4e-15 and
    3e-6."""
    simulator, config = energy_model(dtype)
    assert_learned_force_laws(simulator, config, dtype, tolerance, dr_tolerance, dv_tolerance,
                              min_force_motion=1e-5)


def test_the_angular_terms_change_the_force():
    """The three-body part is live: the same pair parameters with the angular weights zeroed
    give other increments (a pair-only model)."""
    simulator, _ = energy_model()
    position, velocity, species, _ = (np.asarray(a) for a in _configuration())
    box = np.full(3, 1000.0)
    edges = build_edges(position, box, 2.0, capacity=4000)
    standard = _identity_standardization()
    params = simulator.init(jax.random.PRNGKey(1), len(species), 4000, jnp.float64)
    weights_key = next(key for key in params if "three_body_weights" in params[key])
    pair_only = {**params, weights_key: {"three_body_weights": jnp.zeros_like(
        params[weights_key]["three_body_weights"])}}
    outputs = [simulator.predict_increments(p, standard, jnp.asarray(position),
                                            jnp.asarray(velocity), species, jnp.asarray(box),
                                            edges.senders, edges.receivers)[1]
               for p in (params, pair_only)]
    assert float(jnp.abs(outputs[0] - outputs[1]).max()) > 1e-3 * float(
        jnp.abs(outputs[0]).max())


def _configuration():
    from test_extended import random_configuration
    position, velocity, species, _ = random_configuration(6)
    return position + 500.0, velocity, species, None


def _identity_standardization():
    from ogn.net.normalizer import Standardization
    return Standardization(*(jnp.asarray(f(d), jnp.float64) for d in (5, 3, 6)
                             for f in (jnp.zeros, jnp.ones)))


def energy_error(substep, pair_term="energy"):
    """(change of the conserved energy, change of the kinetic energy, dv) of one stride of
    40 MD steps in substeps of ``substep`` steps, random parameters, in the conserved
    energy's units (``sum (m / m_mean) v^2 / 2 + force_scale (rc E + V)``; V, the learned pair
    force's potential, by Gauss-Legendre quadrature of the force from each edge's length to
    the cutoff)."""
    import haiku as hk

    from ogn.net.decoders import pair_force_magnitude
    from ogn.net.energy import learned_energy
    from ogn.net.simulator import network_graph, node_inputs

    simulator, config = energy_model(k=40, stride_time=0.4, pair_force_substep=substep,
                                     pair_term=pair_term)
    position, velocity, species, _ = _configuration()
    velocity = 0.05 * velocity
    box = np.full(3, 1000.0)
    edges = build_edges(position, box, 2.0, capacity=4000)
    standard = _identity_standardization()
    params = simulator.init(jax.random.PRNGKey(4), len(species), 4000, jnp.float64)
    dr, dv = simulator.predict_increments(params, standard, jnp.asarray(position),
                                          jnp.asarray(velocity), species, jnp.asarray(box),
                                          edges.senders, edges.receivers)
    vectors = edge_vectors(jnp.asarray(position), jnp.asarray(box), edges.senders,
                           edges.receivers)
    graph = network_graph(config, 2, standard, node_inputs(jnp.asarray(velocity), species, 2),
                          vectors, edges.senders, edges.receivers)
    energy = hk.without_apply_rng(hk.transform(
        lambda d: learned_energy(graph, config)(d))).apply
    scale = float(graph.force_scale)
    nodes, weights = np.polynomial.legendre.leggauss(64)
    magnitude = hk.without_apply_rng(hk.transform(
        lambda r: pair_force_magnitude(graph, config)(r))).apply
    real = np.asarray(edges.senders) < len(species)

    def pair_potential(displacement):
        """V = sum over directed edges of -(1/2) integral of f from the edge length to rc."""
        if pair_term == "energy":
            return 0.0
        moved = (vectors + displacement[edges.receivers.clip(max=len(species) - 1)]
                 - displacement[edges.senders.clip(max=len(species) - 1)])
        length = jnp.where(real, jnp.linalg.norm(moved, axis=-1), config.radial_cutoff)
        half = 0.5 * (config.radial_cutoff - length)
        total = sum(w * magnitude(params, length + half * (1 + x))
                    for x, w in zip(nodes, weights, strict=True))
        return float(-0.5 * jnp.sum(jnp.where(real, half * total, 0.0)))

    relative_mass = (np.asarray(MASSES)[species] / np.mean(MASSES))[:, None]
    kinetic = 0.5 * np.sum(relative_mass * (np.asarray(velocity + dv) ** 2 - velocity ** 2))
    potential = scale * (config.radial_cutoff * float(energy(params, dr)
                                                      - energy(params, jnp.zeros_like(dr)))
                         + pair_potential(dr) - pair_potential(jnp.zeros_like(dr)))
    return kinetic + potential, kinetic, np.asarray(dv)


@pytest.mark.parametrize("pair_term", ["energy", "force"])
def test_substeps_conserve_the_learned_energy(pair_term):
    """The motion conserves the learned energy as velocity Verlet does: the error falls as
    the substep squared (one stride of 40 MD steps; measured with the pair term an energy:
    20 substeps 2.4e-4 of the kinetic energy's change of 21, 40 substeps 5.5e-5, ratio 4.35,
    and 80 substeps 1.4e-5; as a force, whose potential comes by quadrature: 6.5e-5 and 1.6e-5
    of a change of 0.55, ratio 4.0), which a force that is not a gradient would not do."""
    coarse, kinetic, dv_coarse = energy_error(2.0, pair_term)
    fine, _, dv_fine = energy_error(1.0, pair_term)
    assert abs(kinetic) > 0.3
    assert abs(fine) < 2e-4 * abs(kinetic), (fine, kinetic)
    assert 3.5 < coarse / fine < 5.0, (coarse, fine)
    assert 0 < np.abs(dv_fine - dv_coarse).max() < 1e-2 * np.abs(dv_fine).max()


def test_energy_decoder_learns_the_toy_pair_force(tmp_path):
    """The toy pairs (a soft pair force, k = 1) lie in the family: 300 steps bring the test
    loss from 0.5 to below 1e-2 (measured 2e-3)."""
    from test_training import run

    from ogn.learn.steps import make_eval_loss, mean_test_loss, prepare_test_set
    from ogn.net.normalizer import standardization

    block = {**ENERGY, "options": {**ENERGY["options"], "three_body_cutoff": 1.2}}
    config = network_config(block, 1, graph_cutoff=1.6, species_masses=(1.0, 1.0),
                            stride_steps=1, stride_time=0.005, three_body_neighbours=4.0)
    simulator = make_simulator(config, 2)
    train_pairs, test_pairs = toy_pairs(10, 32), toy_pairs(11, 6)
    steps = 300
    recipe = training_config(learning_rate=3e-3, lr_decay_rate=0.1, lr_decay_steps=steps,
                             max_steps=steps, eval_every=steps, checkpoint_every=steps, seed=2)
    state = run(tmp_path, "energy", train_pairs, test_pairs, recipe, simulator)
    test_set = prepare_test_set(test_pairs, 1.6, 2)
    evaluate = make_eval_loss(simulator)
    initial = simulator.init(jax.random.PRNGKey(2), 24, test_set.edges[0].shape[0])
    standard = standardization(state.normalizer)
    before = mean_test_loss(evaluate, initial, standard, test_set)
    after = mean_test_loss(evaluate, state.params, standard, test_set)
    assert before > 0.3, before
    assert after < 1e-2, (before, after)


def test_energy_options_are_checked_and_recorded():
    with pytest.raises(ValueError, match="three_body_cutoff"):
        energy_model(three_body_cutoff=2.5)
    with pytest.raises(ValueError, match="three_body_order"):
        energy_model(three_body_order=5)
    with pytest.raises(ValueError, match="stride"):
        network_config(ENERGY, 2, graph_cutoff=2.0, species_masses=MASSES)
    curriculum = {**ENERGY, "options": {**ENERGY["options"], "curriculum_k1_fraction": 0.3}}
    assert any("curriculum_k1_fraction" in p
               for p in startup_problems({"model": curriculum, "systems": {}}))
    _, config = energy_model()
    assert (config.three_body_cutoff, config.three_body_channels, config.three_body_order,
            config.three_body_neighbours, config.substeps) == (1.8, 4, 2, 6.0, 3)
    assert config.learned_force and config.equivariant
    assert network_config_of({"network": config._asdict()}) == config
    assert config.pair_term == "force" and "pair force + three-body" in config.step_family
    with pytest.raises(ValueError, match="pair_term"):
        energy_model(pair_term="spline")
    with pytest.raises(ValueError, match="three_body_edge_fraction"):
        energy_model(edge_fraction=1.5)
    # a model file written before these options: the pair term an energy, the graph's list
    older = {key: value for key, value in config._asdict().items()
             if key not in ("pair_term", "three_body_edge_fraction")}
    older_config = network_config_of({"network": older})
    assert (older_config.pair_term, older_config.three_body_edge_fraction) == ("energy", 1.0)
    default_cutoff = network_config({**ENERGY, "options": {**ENERGY["options"],
                                                           "three_body_cutoff": None}},
                                    2, graph_cutoff=2.0, species_masses=MASSES,
                                    stride_steps=5, stride_time=0.025)
    assert default_cutoff.three_body_cutoff == 2.0 and default_cutoff.three_body_neighbours == 1
    assert "three-body energy within 1.8" in architecture_label(ENERGY)


@pytest.mark.parametrize("pair_term", ["energy", "force"])
def test_the_three_body_edge_list_changes_nothing_but_the_cost(pair_term):
    """The angular terms on their own edge list (0.70 of the graph's slots here, 0.68 holding
    edges within the 1.8 three-body cutoff and its margin of this 2.0 graph) give the
    increments of the graph's own list to rounding (measured 1.5e-16 of their scale); a list
    too short for the edges within the cutoff gives NaN, which stops a rollout and a training
    run, instead of dropping edges."""
    position, velocity, species, box = random_configuration(2, n_atoms=64, side=5.0)
    velocity = 0.5 * velocity  # no pair moves by the list's margin (0.09) over the stride
    edges = build_edges(position, box, 2.0)
    standard = _identity_standardization()
    within = np.linalg.norm(np.asarray(edge_vectors(
        jnp.asarray(position), jnp.asarray(box), edges.senders, edges.receivers)), axis=1)
    share = np.sum(within[:edges.n_edges] < 1.8 * 1.05) / edges.capacity  # of the slots
    assert 0.3 < share < 0.75, share
    outputs = {}
    fitting, short = share + 0.02, 0.9 * share
    for fraction in (1.0, fitting, short):
        simulator, config = energy_model(edge_fraction=fraction, pair_term=pair_term)
        assert config.three_body_edge_fraction == fraction
        params = simulator.init(jax.random.PRNGKey(1), len(species), edges.capacity,
                                jnp.float64)
        outputs[fraction] = np.concatenate(simulator.predict_increments(
            params, standard, jnp.asarray(position), jnp.asarray(velocity), species,
            jnp.asarray(box), edges.senders, edges.receivers), axis=1)
    scale = np.abs(outputs[1.0]).max()
    assert np.isfinite(outputs[1.0]).all() and scale > 0
    np.testing.assert_allclose(outputs[fitting], outputs[1.0], rtol=0, atol=1e-13 * scale)
    assert np.isnan(outputs[short]).all()


def test_three_body_edge_fraction_is_measured_with_head_room():
    """Diamond silicon: 4 of its 16 neighbours within 4.0 A lie within 3.0 A (and its 5 %
    margin), so the list
    holds 1.25 x 0.25 of the slots; a cutoff at the graph's, or a share of 0.8 and more,
    keeps the graph's own list."""
    from ogn.net.energy import three_body_capacity, three_body_edge_fraction

    position, box = perturbed_diamond(0, amplitude=0.0)
    frames = np.stack([position, position])
    assert three_body_edge_fraction(frames, box, 3.0, 4.0) == pytest.approx(0.3125)
    assert three_body_edge_fraction(frames, box, 4.0, 4.0) == 1.0
    assert three_body_edge_fraction(frames, box, 3.0, 3.2) == 1.0
    assert three_body_capacity(1000, 0.3125) == 320 and three_body_capacity(10, 1.0) == 10


def test_mean_neighbours_counts_pairs_within_the_cutoff():
    """Diamond silicon has 4 neighbours at 2.35 A and 12 at 3.84 A."""
    position, box = perturbed_diamond(0, amplitude=0.0)
    frames = np.stack([position, position])
    assert mean_neighbours(frames, box, 3.0) == pytest.approx(4.0)
    assert mean_neighbours(frames, box, 4.0) == pytest.approx(16.0)
