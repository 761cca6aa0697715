"""The reference MD of a rollout (e.g. at k dt, Fig. 4B): the same result type and the same
checks as a learned rollout, stopping instead of raising when the integration blows up."""

import time
from collections.abc import Callable

import jax.numpy as jnp
import numpy as np

from ogn.evaluate.checks import RolloutChecks, _kinetic, closest_approach_ratio
from ogn.evaluate.rollout import RolloutResult, _result
from ogn.md.neighbors import build_neighbor_list


def md_rollout(system, position, velocity, n_steps: int, dt_factor: float = 1,
               record_every: int = 1, checks: RolloutChecks | None = None,
               log: Callable | None = None) -> RolloutResult:
    """NVE MD of ``system`` (:class:`ogn.md.systems.System`) at ``dt_factor`` (any positive
    number) times its time step, as a :class:`RolloutResult` (``model_steps`` counts steps
    of the scaled dt).

    ``position`` (N, 3) and ``velocity`` (N, 3) in *internal* units; frames are returned in
    internal units too (convert velocities with ``system.units.velocity_to_files``). Unlike
    :func:`ogn.md.dynamics.simulate`, a blow-up does not raise: the run stops with ``non_finite``
    (non-finite energy or positions), ``close_pair``, ``kinetic_energy`` or a host check
    reason (``checks.host_check`` receives internal-unit velocities), or ``md_step_too_large``
    when an atom crosses skin/2 in a single step.
    """
    from ogn.md.dynamics import init_state, make_advance

    start_time = time.monotonic()
    checks = checks or RolloutChecks()
    pot = system.potential
    mass = jnp.asarray(system.mass)
    dt = system.dt * dt_factor
    advance = make_advance(pot.energy_and_forces, mass, dt, system.skin, system.units.boltzmann)
    position = jnp.asarray(position)
    neighbors = build_neighbor_list(position, system.box, pot.cutoff, system.skin)
    state = init_state(position, jnp.asarray(velocity), pot.energy_and_forces, neighbors)
    kinetic_start = _kinetic(velocity, system.mass)
    positions, velocities, steps = [np.asarray(state.position)], [np.asarray(state.velocity)], [0]
    reason = None if checks.host_check is None else checks.host_check(
        0, positions[0], velocities[0])
    stopped_at = 0 if reason else None
    done, n_rebuilds, just_rebuilt = 0, 0, False
    while reason is None and done < n_steps:
        target = min(n_steps, (done // record_every + 1) * record_every)
        state, advanced = advance(state, neighbors, done, target - done)
        advanced = int(advanced)
        done += advanced
        if done < target:
            if advanced == 0 and just_rebuilt:
                reason, stopped_at = "md_step_too_large", done + 1
                break
            if not np.all(np.isfinite(np.asarray(state.position))):
                reason, stopped_at = "non_finite", done
                break
            neighbors = build_neighbor_list(state.position, system.box, pot.cutoff,
                                            system.skin, capacity=neighbors.idx.shape[1],
                                            log=log)
            n_rebuilds += 1
            just_rebuilt = True
            continue
        just_rebuilt = False
        p, v = np.asarray(state.position), np.asarray(state.velocity)
        positions.append(p)
        velocities.append(v)
        steps.append(done)
        reason = _md_state_problem(system, state, v, kinetic_start, checks)
        if reason is None and checks.host_check is not None:
            reason = checks.host_check(done, p, v)
        stopped_at = done if reason else None
    if reason is not None and log is not None:
        log(f"MD at {dt_factor:g} x dt stopped at step {stopped_at}: {reason}")
    return _result(positions, velocities, steps, n_rebuilds, stopped_at, reason, start_time)


def _md_state_problem(system, state, velocity, kinetic_start: float,
                      checks: RolloutChecks) -> str | None:
    """The in-jit checks of :func:`make_rollout`, on the host for one MD state."""
    if not (np.isfinite(float(state.potential_energy)) and np.all(np.isfinite(velocity))):
        return "non_finite"
    if checks.kinetic_energy_factor is not None and \
            _kinetic(velocity, system.mass) > checks.kinetic_energy_factor * kinetic_start:
        return "kinetic_energy"
    if checks.min_distance is not None and \
            closest_approach_ratio(np.asarray(state.position), system.box, system.species,
                                   checks.min_distance) < 1.0:
        return "close_pair"
    return None


def md_kdt_table(system, md, settings: dict, k: int, log: Callable | None = None):
    """NVE MD at ``k`` times the time step from the first frame of the trajectory ``md``, with
    the rollouts' checks, over ``settings["energy_steps"]`` MD steps (Fig. 4B): a table per
    step of k dt (md_step, energies, momentum in file units, status)."""
    import pandas as pd

    from ogn.evaluate.against_md import md_based_checks
    from ogn.evaluate.metrics import energies_and_momentum

    n_steps = max(1, int(settings["energy_steps"]) // k)
    checks, potential_energy = md_based_checks(system, md, settings, velocity_in_files=False)
    result = md_rollout(system, md.position[0],
                        system.units.velocity_from_files(md.velocity[0]), n_steps,
                        dt_factor=k, checks=checks, log=log)
    values = energies_and_momentum(system, result.position_unwrapped,
                                   system.units.velocity_to_files(result.velocity),
                                   potential_energy)
    table = pd.DataFrame({"md_step": result.model_steps * k, "step_of_kdt": result.model_steps,
                          "time": result.model_steps * k * system.dt_config,
                          "kinetic_energy": values["kinetic_energy"],
                          "potential_energy": values["potential_energy"],
                          "total_energy": values["total_energy"],
                          **{f"momentum_{a}": values["momentum"][:, i]
                             for i, a in enumerate("xyz")}})
    status = ["ok"] * len(table)
    if result.stop_reason:
        status[-1] = result.stop_reason
    table["status"] = status
    return table, result
