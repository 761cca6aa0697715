"""The integrator reference of the ablation: velocity Verlet with the true potential, taking a
stride of k MD steps in ``substeps`` steps of k dt / substeps.

A learned simulator at stride k replaces k steps of MD by one call. How good must that call
be? The same question asked of MD itself gives the scale: velocity Verlet over the stride in
one step (MD at k x dt, Fig. 4B), two steps, three, ... up to k steps, which is the MD that
made the data (exact up to round-off). Each is judged exactly like a trained model:

* :func:`verlet_stride_increments` and :func:`standardized_split_loss`: the one-step loss of
  dr and of dv on the test pairs, standardized by the test targets' per-component standard
  deviation (the models use their training set's, which agrees to a few per cent);
* :func:`verlet_reference_rollout`: the rollout from the first frame of the test trajectory,
  with the rollouts' instability checks, as a per-frame table of
  :func:`ogn.evaluate.metrics.rollout_table`.

Measured on the LJ liquid at k = 5 (T = 3.0, quick-preset test data): one step of 5 dt has dv
loss 0.44 and blows up; two steps, 0.0029 and a 100-MD-step velocity RMSE of 1.4; three steps,
2.5e-4 and 0.39 (README, "Beyond the paper").
"""

from collections.abc import Callable

import jax.numpy as jnp
import numpy as np

from ogn.evaluate.checks import RolloutChecks
from ogn.evaluate.md_reference import md_rollout
from ogn.evaluate.metrics import rollout_table
from ogn.md.dynamics import init_state, make_advance, simulate
from ogn.md.neighbors import build_neighbor_list


def check_substeps(k: int, substeps: int) -> None:
    if int(substeps) < 1 or int(substeps) > int(k):
        raise ValueError(f"ablation.reference_substeps: {substeps} substeps per stride of "
                         f"k = {k} MD steps; use 1 to {k} (k reproduces the MD data)")


def verlet_stride_increments(system, positions, velocities, k: int, substeps: int):
    """(dr, dv) (P, N, 3) in file units: velocity Verlet with the true potential from each of
    the states ``positions``, ``velocities`` (P, N, 3; file units), over k MD steps taken in
    ``substeps`` steps of k dt / substeps; dr is unwrapped."""
    check_substeps(k, substeps)
    pot = system.potential
    advance = make_advance(pot.energy_and_forces, jnp.asarray(system.mass),
                           system.dt * k / substeps, system.skin, system.units.boltzmann)
    drs, dvs, capacity = [], [], None
    for position, velocity in zip(positions, velocities, strict=True):
        start = jnp.asarray(np.asarray(position, np.float64))
        neighbors = build_neighbor_list(start, system.box, pot.cutoff, system.skin,
                                        capacity=capacity)
        capacity = neighbors.idx.shape[1]
        state = init_state(start, jnp.asarray(system.units.velocity_from_files(
            np.asarray(velocity, np.float64))), pot.energy_and_forces, neighbors)
        # simulate rebuilds the list when an atom has moved skin/2 and raises, naming the
        # step, if one moves that far in a single step
        state = simulate(state, neighbors, advance, substeps, substeps, system.mass,
                         system.units.boltzmann, system.box, pot.cutoff, system.skin,
                         record_first=False, overlap_rebuilds=False).state
        drs.append(np.asarray(state.position) - np.asarray(start))
        dvs.append(system.units.velocity_to_files(np.asarray(state.velocity))
                   - np.asarray(velocity, np.float64))
    return np.stack(drs), np.stack(dvs)


def standardized_split_loss(dr, dv, true_dr, true_dv) -> tuple[float, float]:
    """Mean squared error of dr and of dv (P, N, 3 each), each component divided by the
    standard deviation of the true values of that component: the two halves of a model's
    standardized loss."""
    def part(predicted, true):
        true = np.asarray(true, np.float64).reshape(-1, 3)
        error = np.asarray(predicted, np.float64).reshape(-1, 3) - true
        return float(np.mean(np.mean(error * error, axis=0) / np.var(true, axis=0)))
    return part(dr, true_dr), part(dv, true_dv)


def verlet_reference_rollout(system, md, k: int, substeps: int, md_steps: int,
                             checks: RolloutChecks, potential_energy: Callable,
                             log: Callable | None = None):
    """Velocity Verlet at k dt / substeps from the first frame of the MD trajectory ``md``
    (file units) for ``md_steps`` MD steps (a multiple of k), recorded once per stride.

    Returns (RolloutResult whose ``model_steps`` and ``stopped_at`` count strides of k MD
    steps, as a model's would; the per-frame table of :func:`ogn.evaluate.metrics.rollout_table`)."""
    check_substeps(k, substeps)
    if md_steps % k:
        raise ValueError(f"{md_steps} MD steps are not a whole number of strides of k = {k}")
    result = md_rollout(system, md.position[0], system.units.velocity_from_files(md.velocity[0]),
                        (md_steps // k) * substeps, dt_factor=k / substeps,
                        record_every=substeps, checks=checks, log=log)
    in_strides = result._replace(
        velocity=system.units.velocity_to_files(result.velocity),
        model_steps=result.model_steps // substeps,
        stopped_at=None if result.stopped_at is None else result.stopped_at // substeps)
    table = rollout_table(system, k, in_strides.model_steps, in_strides.position_unwrapped,
                          in_strides.velocity, md, result.stop_reason, potential_energy)
    return in_strides, table


def reference_rows(system, pairs, md, settings: dict, k: int, substep_counts,
                   log: Callable) -> list[dict]:
    """One ablation row (:func:`ogn.evaluate.against_md.ablation_row`) per substep count
    n <= k: velocity Verlet with the true potential, n steps of k/n dt per stride, judged by
    its one-step losses on ``pairs`` and a rollout against the trajectory ``md``."""
    from ogn.evaluate.against_md import (
        ablation_row,
        md_based_checks,
        rolled_out_steps,
        rollout_summary,
    )

    md_steps = (rolled_out_steps(settings, md, k, log) // k) * k
    checks, potential_energy = md_based_checks(system, md, settings, velocity_in_files=False)
    rows = []
    for substeps in substep_counts:
        if substeps > k:
            log(f"{substeps} substeps: more than k = {k} MD steps per stride, skipped")
            continue
        dr, dv = verlet_stride_increments(system, pairs.position, pairs.velocity, k, substeps)
        losses = standardized_split_loss(dr, dv, pairs.dr, pairs.dv)
        result, table = verlet_reference_rollout(system, md, k, substeps, md_steps, checks,
                                                 potential_energy, log)
        summary = rollout_summary(system, settings, table, result, md, k, md_steps, md_steps)
        label = f"{substeps} x {k / substeps:g} dt"
        rows.append(ablation_row(system.name, k, f"verlet{substeps}",
                                 f"velocity Verlet, true potential, {label}", losses, summary))
        log(f"velocity Verlet, {label}: one-step loss dr {losses[0]:.4g}, dv {losses[1]:.4g} "
            f"({pairs.n_pairs} pairs); rollout over {summary['evaluated_md_step']} MD steps: "
            f"position RMSE {summary['position_rmse']:.4g}, velocity RMSE "
            f"{summary['velocity_rmse']:.4g}, energy drift {summary['energy_drift_100']:.3g} "
            f"of <KE>; {summary['verdict']}")
    return rows
