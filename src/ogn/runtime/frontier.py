"""One point of the accuracy/speed frontier, measured like MD, and the front itself.

A point's row (:func:`frontier_accuracy` and :func:`frontier_speed`) holds, for one trained
model file:

* its one-step test losses of dr and dv (standardized, as in training);
* one rollout from the test trajectory's first frame over the longest of
  ``frontier.rollout_steps`` MD steps, with the workflow's checks: at each of those steps the
  position RMSE as a fraction of the cage size and the velocity RMSE as a fraction of
  sqrt(kB T / m) (empty where the rollout stopped before), the MD steps it ran stably (up to
  the last state before the one a check stopped it at), and its energy drift
  (max |E(t) - E(0)| under the true potential, over <KE>) and momentum drift;
* the wall time of ``runtime.md_steps`` MD steps at about ``frontier.size`` atoms for the same
  model, our MD and LAMMPS, built from one sized configuration in the same process and timed
  in interleaved rounds (:func:`ogn.runtime.timing.interleaved_seconds`), their medians and
  the model's ratios to our MD and to LAMMPS.

Its error (:func:`point_error`) is the larger of the two fractions at the first of
``rollout_steps``; an unstable point has none. :func:`pareto_mask` marks the points no other
point beats in both time and error; :func:`meets_targets` those within ``frontier.targets``.
"""

import statistics
from collections.abc import Callable

import numpy as np

from ogn.evaluate.against_md import rollout_against_md, rollout_summary
from ogn.learn.steps import prepare_test_set
from ogn.md.resize import sized_configuration
from ogn.net.trained import TrainedModel, one_step_losses
from ogn.runtime.engines import make_engine, stride_costs
from ogn.runtime.timing import interleaved_seconds, machine_info


def rollout_columns(steps) -> list[str]:
    return [f"{kind}_{int(step)}" for step in steps
            for kind in ("position_over_cage", "velocity_over_scale")]


def frontier_accuracy(system, model: TrainedModel, test_pairs, md, rollout_settings: dict,
                      rollout_steps, log: Callable) -> dict:
    """The one-step losses and rollout numbers of a point's row (module docstring); the
    rollout is cut to what the MD trajectory ``md`` holds."""
    test_set = prepare_test_set(test_pairs, model.graph_cutoff, model.n_species)
    loss_dr, loss_dv = one_step_losses(model, test_set)
    log(f"one-step test loss dr {loss_dr:.4g}, dv {loss_dv:.4g} ({test_pairs.n_pairs} pairs)")
    steps = sorted(int(s) for s in rollout_steps)
    available = int(md.step[-1] - md.step[0])
    md_steps = min(steps[-1], available)
    if md_steps < steps[-1]:
        log(f"the test trajectory holds {available} MD steps: rolling out {md_steps}, not "
            f"{steps[-1]}")
    if md_steps // model.k < 1:
        raise ValueError(f"{md_steps} MD steps are less than one stride (k = {model.k}); raise "
                         "md.production.steps or frontier.rollout_steps")
    settings = {**rollout_settings, "steps": md_steps}
    result, table, _ = rollout_against_md(system, model, settings, md, md_steps, log)
    row = {"test_loss_dr": loss_dr, "test_loss_dv": loss_dv}
    summary = None
    for step in steps:
        summary = rollout_summary(system, settings, table, result, md, model.k, md_steps,
                                  step)
        # the last frame at or before the step, if it is the stride that holds the step
        reached = step <= md_steps and summary["evaluated_md_step"] > step - model.k
        row[f"position_over_cage_{step}"] = (summary["position_rmse_over_cage"] if reached
                                             else float("nan"))
        row[f"velocity_over_scale_{step}"] = (summary["velocity_rmse_over_scale"] if reached
                                              else float("nan"))
    stopped = summary["stopped_at_md_step"]
    row.update({"rollout_md_steps": md_steps,
                # a check fires on the first bad state: the one a stride before it was good
                "stable_md_steps": (md_steps if stopped is None
                                    else max(0, int(stopped) - model.k)),
                "stop_reason": summary["stop_reason"],
                "energy_drift": summary["energy_drift_rollout"],
                "md_energy_drift_100": summary["md_energy_drift_100"],
                "momentum_drift": summary["momentum_drift_rollout"],
                "cage_size": summary["cage_size"], "velocity_scale": summary["velocity_scale"]})
    log(f"rollout: stable for {row['stable_md_steps']} of {md_steps} MD steps, energy drift "
        f"{row['energy_drift']:.3g} of <KE>; " + ", ".join(
            f"{key} {row[key]:.3g}" for key in rollout_columns(steps)))
    return row


def frontier_speed(name: str, block: dict, start, model: TrainedModel, n_atoms: int,
                   runtime_settings: dict, engines, repeats: int, threads: int,
                   log: Callable, skin: float | None = None) -> dict:
    """The speed numbers of a point's row (module docstring): ``runtime_settings`` gives the
    MD steps timed and how the sized configuration is prepared (the ``runtime`` block); the
    model runs with the graph skin ``skin`` (default ``runtime.graph_skin``): the frontier
    passes the rollout's, so that the model is timed as its accuracy was judged."""
    steps = int(runtime_settings["md_steps"])
    sized = sized_configuration(name, block, start.position[-1], start.species, start.box,
                                int(n_atoms), int(runtime_settings["fire_steps"]),
                                int(runtime_settings["settle_steps"]),
                                int(runtime_settings["seed"]), log=log)
    skin = float(runtime_settings["graph_skin"] if skin is None else skin)
    timed = {"learned": make_engine("fast_ogn", sized, steps, threads, model, skin)}
    for engine in engines:
        timed[engine] = make_engine(engine, sized, steps, threads)
    seconds = interleaved_seconds({label: engine.run for label, engine in timed.items()},
                                  int(repeats))
    median = {label: statistics.median(values) for label, values in seconds.items()}
    costs = stride_costs(model)
    machine = machine_info(threads)
    row = {"N": len(sized.system.species), "timed_md_steps": steps, "repeats": int(repeats),
           "layout": timed["learned"].info().get("layout", ""),
           "graph_skin": timed["learned"].info().get("skin", skin),  # the skin used
           "force_evaluations_per_100_md_steps": costs["force_evaluations_per_100_md_steps"],
           "network_passes_per_100_md_steps": costs["network_passes_per_100_md_steps"],
           "learned_s": median["learned"],
           "md_s": median.get("md", float("nan")),
           "lammps_s": median.get("lammps", float("nan"))}
    row["over_md"] = row["learned_s"] / row["md_s"]
    row["over_lammps"] = row["learned_s"] / row["lammps_s"]
    row.update(cpu_model=machine["cpu_model"], device=machine["device"], threads=int(threads))
    log(f"N = {row['N']}, {steps} MD steps, medians of {repeats} interleaved rounds: learned "
        f"{row['learned_s']:.4g} s, our MD {row['md_s']:.4g} s, LAMMPS {row['lammps_s']:.4g} s"
        f" (learned / MD {row['over_md']:.3g}, / LAMMPS {row['over_lammps']:.3g})")
    return row


def point_error(row, first_step: int):
    """The larger of the position and velocity fractions at ``first_step`` (NaN: unstable
    before it); works on one row (dict) or a table's columns."""
    return np.maximum(np.asarray(row[f"position_over_cage_{first_step}"], np.float64),
                      np.asarray(row[f"velocity_over_scale_{first_step}"], np.float64))


def pareto_mask(seconds, errors) -> np.ndarray:
    """True where no other point is at least as fast and at least as accurate and better in
    one of the two; points without a finite error are never on the front."""
    seconds = np.asarray(seconds, np.float64)
    errors = np.asarray(errors, np.float64)
    valid = np.isfinite(seconds) & np.isfinite(errors)
    mask = np.zeros(len(seconds), bool)
    for i in np.flatnonzero(valid):
        others = valid.copy()
        others[i] = False
        beaten = (others & (seconds <= seconds[i]) & (errors <= errors[i])
                  & ((seconds < seconds[i]) | (errors < errors[i])))
        mask[i] = not beaten.any()
    return mask


def meets_targets(table, targets: dict, first_step: int, long_step: int) -> np.ndarray:
    """True where a point is within ``targets``: error at ``first_step`` at most
    ``targets["error"]`` (both fractions), stable for ``long_step`` MD steps, energy drift at
    most ``targets["energy_drift"]`` of <KE>."""
    error = point_error(table, first_step)
    stable = np.asarray(table["stable_md_steps"], np.float64) >= long_step
    drift = np.asarray(table["energy_drift"], np.float64) <= float(targets["energy_drift"])
    return (np.nan_to_num(error, nan=np.inf) <= float(targets["error"])) & stable & drift


def frontier_table(rows, settings: dict):
    """One system's point rows (DataFrames of :func:`frontier_accuracy` and
    :func:`frontier_speed` numbers) as one table, fastest first, with each point's
    ``error``, its ``pareto`` flag and ``meets_targets`` (``settings``: the ``frontier``
    block)."""
    import pandas as pd

    table = pd.concat(list(rows), ignore_index=True)
    steps = sorted(int(s) for s in settings["rollout_steps"])
    table["error"] = point_error(table, steps[0])
    table["pareto"] = pareto_mask(table["learned_s"], table["error"])
    table["meets_targets"] = meets_targets(table, settings["targets"], steps[0], steps[-1])
    return table.sort_values("learned_s", kind="stable").reset_index(drop=True)


def recommended_point(table):
    """The fastest point of a :func:`frontier_table` that meets the targets (its row), or
    None where none does."""
    good = table[table["meets_targets"].astype(bool)]
    return None if good.empty else good.sort_values("learned_s", kind="stable").iloc[0]
