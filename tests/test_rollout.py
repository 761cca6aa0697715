"""Rollouts against MD: the plumbing (a stand-in model that returns the true MD increments),
the instability checks (LJ MD at 5x dt blows up and is caught) and an untrained model that
must never be reported as fine; metrics on known curves."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import REPO

from ogn.evaluate.checks import RolloutChecks, rollout_checks, usable_skin
from ogn.evaluate.md_reference import md_rollout
from ogn.evaluate.metrics import (
    cage_size,
    energies_and_momentum,
    make_energy_function,
    make_energy_jump_check,
    rollout_errors,
    self_intermediate_scattering,
    shortest_pair_distances,
)
from ogn.evaluate.rollout import make_rollout, rollout
from ogn.md.placement import minimize_fire, random_non_overlapping
from ogn.md.protocols import frames_to_trajectory, produce
from ogn.md.systems import make_system
from ogn.net.normalizer import init_normalizer, standardization, update_normalizer
from ogn.net.options import network_config
from ogn.net.simulator import make_simulator, node_inputs
from ogn.workflow.config import load_config

CHECKS = {"close_pair_fraction": 0.8, "kinetic_energy_factor": 3.0, "energy_jump": 0.5}
K = 5


@functools.cache
def lj_trajectory():
    """A short NVE trajectory of the paper's LJ liquid (file units), every step saved."""
    system = make_system("lj", load_config(REPO / "config" / "config.yaml"))
    rng = np.random.default_rng(0)
    position = random_non_overlapping(rng, len(system.species), system.box, 0.8)
    position, _ = minimize_fire(position, system.potential.energy_and_forces, system.box,
                                system.potential.cutoff, system.skin, 50, log=None)
    frames, _ = produce(system, np.asarray(position),
                        {"decorrelation_steps": 50, "steps": 50, "save_every": 1}, 4,
                        log=lambda m: None)
    return system, frames_to_trajectory(frames, system, {})


def workflow_checks(system, trajectory):
    check = make_energy_jump_check(system, CHECKS["energy_jump"])
    return rollout_checks(trajectory.position, system.box, system.species, 2, CHECKS,
                          host_check=check)


def test_stand_in_model_with_true_increments_reproduces_md_exactly():
    system, md = lj_trajectory()
    positions, velocities = jnp.asarray(md.position), jnp.asarray(md.velocity)

    def true_increments(params, standard, position, velocity, species, box, senders,
                        receivers):
        frame = jnp.argmin(jnp.sum((velocities - velocity) ** 2, axis=(1, 2)))
        return positions[frame + K] - positions[frame], velocities[frame + K] - velocities[frame]

    skin = usable_skin(3.0, 0.5, system.box)
    assert skin == pytest.approx(0.5 * 6.038 - 3.0)
    fns = make_rollout(true_increments, 3.0, skin, system.box, masses=system.mass,
                       checks=workflow_checks(system, md), model_dtype=None)
    result = rollout(fns, None, None, md.position[0], md.velocity[0], system.species,
                     system.box, 10, record_every=2)
    assert result.stop_reason is None and result.stopped_at is None
    np.testing.assert_array_equal(result.model_steps, [0, 2, 4, 6, 8, 10])
    assert result.n_rebuilds >= 5  # no room for a skin in this box: rebuilt every chunk
    truth = md.position[result.model_steps * K], md.velocity[result.model_steps * K]
    errors = rollout_errors(result.position_unwrapped, result.velocity, *truth, system.species,
                            system.species_names)
    assert np.max(errors["position_rmse"]) < 1e-12
    assert np.max(errors["velocity_rmse"]) < 1e-12
    assert set(errors) >= {"position_rmse_A", "velocity_rmse_B"}
    values = energies_and_momentum(system, result.position_unwrapped, result.velocity)
    kinetic = values["kinetic_energy"].mean()
    assert np.ptp(values["total_energy"]) < 2e-3 * kinetic
    np.testing.assert_allclose(values["total_energy"],
                               md.observables["total_energy"][result.model_steps * K],
                               rtol=0, atol=1e-9 * kinetic)
    assert np.max(np.abs(values["momentum"])) < 1e-9


def test_md_at_five_times_dt_blows_up_and_the_checks_catch_it():
    system, md = lj_trajectory()
    start = md.position[0], system.units.velocity_from_files(md.velocity[0])
    checks = workflow_checks(system, md)._replace(
        host_check=make_energy_jump_check(system, CHECKS["energy_jump"],
                                          velocity_in_files=False))
    fine = md_rollout(system, *start, 50, dt_factor=1, checks=checks)
    assert fine.stop_reason is None and len(fine.model_steps) == 51
    np.testing.assert_allclose(fine.position_unwrapped, md.position, atol=1e-9)
    coarse = md_rollout(system, *start, 20, dt_factor=5, checks=checks)
    # within a few (long) steps, as the paper reports: measured, an atom crosses skin/2 in
    # the second step of 5 dt
    assert (coarse.stop_reason, coarse.stopped_at) == ("md_step_too_large", 2)
    # and the one step kept has already moved the total energy (measured 0.35 of KE(0))
    energy = make_energy_function(system)
    total = [energy(p) + 0.5 * np.sum(system.mass[:, None] * v * v)
             for p, v in zip(coarse.position_unwrapped, coarse.velocity, strict=True)]
    kinetic0 = 0.5 * np.sum(system.mass[:, None] * start[1] ** 2)
    assert len(total) == 2 and abs(total[-1] - total[0]) > 0.1 * kinetic0


def test_untrained_model_is_stopped_by_the_energy_check():
    system, md = lj_trajectory()
    simulator = make_simulator(network_config(
        {"architecture": "paper", "latent_size": 16, "hidden_size": 16,
         "mlp_hidden_layers": 1}, 2), 2)
    # a normalizer from the real data, so the outputs have the scale of true increments
    normalizer = init_normalizer(5)
    for t in range(0, 40, 10):
        nodes = node_inputs(md.velocity[t], system.species, 2)
        d = md.position[t][None] - md.position[t][:, None]
        d -= system.box * np.round(d / system.box)
        targets = np.concatenate([md.position[t + K] - md.position[t],
                                  md.velocity[t + K] - md.velocity[t]], axis=1)
        normalizer = update_normalizer(normalizer, nodes, d.reshape(-1, 3), targets)
    standard = jax.tree_util.tree_map(jnp.asarray, standardization(normalizer))
    params = simulator.init(jax.random.PRNGKey(0), len(system.species), 8)
    fns = make_rollout(simulator, 3.0, usable_skin(3.0, 0.5, system.box), system.box,
                       masses=system.mass, checks=workflow_checks(system, md))
    n_steps = 4
    result = rollout(fns, params, standard, md.position[0], md.velocity[0], system.species,
                     system.box, n_steps)
    last = int(result.model_steps[-1])
    errors = rollout_errors(result.position_unwrapped[-1:], result.velocity[-1:],
                            md.position[last * K][None], md.velocity[last * K][None],
                            system.species, system.species_names)
    scale = np.sqrt(system.temperature)  # velocity scale, m = 1
    # measured: the total energy jumps at the second model step, where the velocity RMSE is
    # already 1.8 of the thermal scale: the rollout is stopped and called unstable
    assert (result.stop_reason, result.stopped_at) == ("energy_jump", 2), result.stop_reason
    assert errors["velocity_rmse"][0] > 0.5 * scale, errors


def test_close_pair_check_fires_inside_the_chunk():
    system, md = lj_trajectory()

    def squeeze(params, standard, position, velocity, species, box, senders, receivers):
        # pulls atom 1 onto atom 0 over a few steps, leaves the rest alone
        d = position[0] - position[1]
        d = d - box * jnp.round(d / box)
        dr = jnp.zeros_like(position).at[1].set(0.3 * d)
        return dr, jnp.zeros_like(velocity)

    shortest = shortest_pair_distances(md.position[::10], system.box, system.species, 2, 2.0)
    assert np.all(shortest > 0.5) and np.all(shortest < 1.2)
    fns = make_rollout(squeeze, 3.0, 0.0, system.box,
                       checks=RolloutChecks(min_distance=0.8 * shortest), model_dtype=None)
    result = rollout(fns, None, None, md.position[0], md.velocity[0], system.species,
                     system.box, 40, record_every=100)
    assert result.stop_reason == "close_pair"
    assert 1 <= result.stopped_at < 40
    assert result.model_steps[-1] == result.stopped_at  # the offending state is kept


def test_cage_size_and_scattering_on_known_curves():
    t = np.linspace(0, 10, 1001)
    msd = 0.16 * (1 - np.exp(-(t / 0.1) ** 2))  # ballistic, then a plateau at RMSD 0.4
    cage, when = cage_size(t, msd)
    assert 0.25 < cage < 0.4 and 0.05 < when < 0.2
    positions = np.zeros((2, 3, 3))
    positions[1, :, 0] = [0.0, 1.0, 2.0]
    fs = self_intermediate_scattering(positions, q=np.pi)
    assert fs[0] == pytest.approx(1.0)
    assert fs[1] == pytest.approx((1 + 0 + 0) / 3, abs=1e-12)


def test_verlet_reference_is_exact_at_k_substeps_and_coarse_at_one():
    """The ablation's integrator reference: k substeps per stride are the MD of the data;
    one step of 5 dt (MD at 5 x dt) misses the force badly, two steps much less so."""
    from ogn.evaluate.verlet_reference import (
        check_substeps,
        standardized_split_loss,
        verlet_reference_rollout,
        verlet_stride_increments,
    )

    system, md = lj_trajectory()
    starts = np.array([0, 15, 30, 45 - K])
    shift = md.position[starts + K] - md.position[starts]
    true_dr = shift - system.box * np.round(shift / system.box)
    true_dv = md.velocity[starts + K] - md.velocity[starts]
    losses = {}
    for substeps in (1, 2, K):
        dr, dv = verlet_stride_increments(system, md.position[starts], md.velocity[starts], K,
                                          substeps)
        losses[substeps] = standardized_split_loss(dr, dv, true_dr, true_dv)
    assert max(losses[K]) < 1e-15
    assert losses[1][1] > 0.1  # dv: 0.44 on the quick preset's LJ test pairs
    assert losses[2][1] < 0.05 * losses[1][1] and losses[2][0] < 0.05 * losses[1][0]
    checks, energy = workflow_checks(system, md), make_energy_function(system)
    checks = checks._replace(host_check=make_energy_jump_check(
        system, CHECKS["energy_jump"], velocity_in_files=False))
    result, table = verlet_reference_rollout(system, md, K, K, 50, checks, energy)
    np.testing.assert_array_equal(result.model_steps, np.arange(11))
    np.testing.assert_array_equal(table["md_step"], np.arange(0, 51, K))
    assert table["position_rmse"].max() < 1e-9 and table["velocity_rmse"].max() < 1e-9
    result, table = verlet_reference_rollout(system, md, K, 1, 50, checks, energy)
    assert result.stop_reason is not None and result.stopped_at <= 10
    for bad in (0, K + 1):
        with pytest.raises(ValueError, match="reference_substeps"):
            check_substeps(K, bad)


def test_a_non_finite_step_stops_the_rollout_and_is_not_kept():
    system, md = lj_trajectory()

    def blows_up(params, standard, position, velocity, species, box, senders, receivers):
        # speeds atom 0 up by 1 per step (velocities are not wrapped: a counter), then NaN
        dv = jnp.zeros_like(velocity).at[0, 0].set(1.0)
        bad = velocity[0, 0] > md.velocity[0][0, 0] + 2.5
        return jnp.zeros_like(position), jnp.where(bad, jnp.nan, dv)

    fns = make_rollout(blows_up, 3.0, 0.0, system.box, model_dtype=None)
    result = rollout(fns, None, None, md.position[0], md.velocity[0], system.species,
                     system.box, 10)
    assert result.stop_reason == "non_finite"
    assert result.stopped_at == 4  # steps 1-3 add 1 each; the fourth gives NaN
    assert list(result.model_steps) == [0, 1, 2, 3]  # the last finite state is the last frame
    assert np.all(np.isfinite(result.position_unwrapped))


def test_a_kinetic_energy_runaway_stops_the_rollout():
    system, md = lj_trajectory()

    def heats(params, standard, position, velocity, species, box, senders, receivers):
        return jnp.zeros_like(position), 0.5 * velocity  # kinetic energy x 2.25 per step

    fns = make_rollout(heats, 3.0, 0.0, system.box, masses=system.mass,
                       checks=RolloutChecks(kinetic_energy_factor=3.0), model_dtype=None)
    result = rollout(fns, None, None, md.position[0], md.velocity[0], system.species,
                     system.box, 10)
    # KE(1) = 2.25 KE(0) passes, KE(2) = 5.06 KE(0) is checked before step 3 and stops it
    assert (result.stop_reason, result.stopped_at) == ("kinetic_energy", 2)
    assert result.model_steps[-1] == 2  # the offending state is kept


def test_md_that_explodes_raises_naming_the_step():
    from ogn.md.dynamics import MDExplodedError, init_state, make_advance, simulate
    from ogn.md.neighbors import build_neighbor_list

    system, md = lj_trajectory()
    pot = system.potential
    position = jnp.asarray(md.position[0])
    velocity = 1e4 * jnp.asarray(system.units.velocity_from_files(md.velocity[0]))
    neighbors = build_neighbor_list(position, system.box, pot.cutoff, system.skin)
    advance = make_advance(pot.energy_and_forces, system.mass, system.dt, system.skin,
                           system.units.boltzmann)
    state = init_state(position, velocity, pot.energy_and_forces, neighbors)
    with pytest.raises(MDExplodedError, match=r"at MD step \d+: an atom moved more than "
                       r"skin/2 = [0-9.]+ in one step; the time step is too large"):
        simulate(state, neighbors, advance, 10, 10, system.mass, system.units.boltzmann,
                 system.box, pot.cutoff, system.skin)
