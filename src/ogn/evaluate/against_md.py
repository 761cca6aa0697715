"""A trained model rolled out against its MD reference, and the summary numbers of that run.

Shared by the rules ``rollout`` (Figs. 2, 3; accuracy.csv) and ``ablation_eval`` (figS12):
one place decides how a rollout is checked, compared and summarised.
"""

from collections.abc import Callable

import numpy as np

from ogn.evaluate.checks import rollout_checks
from ogn.evaluate.glass import mean_square_displacement
from ogn.evaluate.metrics import (
    cage_size,
    energy_and_momentum_drift,
    make_energy_function,
    make_energy_jump_check,
    rollout_table,
    velocity_scale,
)
from ogn.evaluate.rollout import make_model_rollout, rollout
from ogn.learn.steps import prepare_test_set
from ogn.net.trained import TrainedModel, one_step_losses


def rolled_out_steps(settings: dict, md, k: int, log: Callable) -> int:
    """MD steps to roll out: ``settings["steps"]``, cut to what the MD trajectory holds; at
    least one model step."""
    available = int(md.step[-1] - md.step[0])
    md_steps = min(int(settings["steps"]), available)
    if md_steps < int(settings["steps"]):
        log(f"rollout.steps = {settings['steps']} MD steps but the test trajectory holds "
            f"{available}: rolling out {md_steps}")
    if md_steps // k < 1:
        raise ValueError(f"{md_steps} MD steps are less than one model step (k = {k}); raise "
                         "rollout.steps or md.production.steps")
    return md_steps


def md_based_checks(system, md, settings: dict, velocity_in_files: bool = True):
    """(RolloutChecks, potential_energy function) of the workflow (``settings["checks"]``):
    close pairs judged against the MD trajectory ``md`` (50 frames of it), the kinetic-energy
    limit and the total-energy jump under the true potential. ``velocity_in_files``: whether
    the rollout hands the checks velocities in file units (model) or internal units (MD)."""
    potential_energy = make_energy_function(system)
    energy_check = make_energy_jump_check(system, float(settings["checks"]["energy_jump"]),
                                          velocity_in_files=velocity_in_files,
                                          potential_energy=potential_energy)
    checks = rollout_checks(md.position[::max(1, len(md.step) // 50)], system.box,
                            system.species, len(system.species_names), settings["checks"],
                            host_check=energy_check)
    return checks, potential_energy


def model_rollout(system, model: TrainedModel, settings: dict, md, n_model_steps: int,
                  record_every: int, checks, log: Callable):
    """The model rolled out from the first MD frame with ``checks``; pairs within its reach
    + the usable part of ``settings["graph_skin"]`` (:func:`ogn.evaluate.rollout.
    make_model_rollout`). Returns (RolloutResult, skin used)."""
    fns = make_model_rollout(model, float(settings["graph_skin"]), system.box,
                             masses=system.mass, checks=checks, log=log)
    skin = fns.skin
    log(f"pairs listed within {fns.graph_cutoff:g} + skin {skin:g} (graph rc "
        f"{model.graph_cutoff:g}); close-pair limits (length unit): "
        f"{np.round(checks.min_distance, 4).tolist()}")
    result = rollout(fns, model.params, model.standard, md.position[0], md.velocity[0],
                     system.species, system.box, n_model_steps, record_every=record_every,
                     log=log)
    log(f"rollout: {len(result.model_steps)} frames, {result.n_rebuilds} pair-table rebuilds, "
        f"{result.seconds:.1f} s; stop: {result.stop_reason or 'none'}")
    return result, skin


def rollout_against_md(system, model: TrainedModel, settings: dict, md, md_steps: int,
                       log: Callable):
    """Roll the model out from the first MD frame for ``md_steps`` MD steps with the checks of
    ``settings["checks"]``; returns (RolloutResult, per-frame table of errors and energies,
    graph skin used)."""
    checks, potential_energy = md_based_checks(system, md, settings)
    k = model.k
    result, skin = model_rollout(system, model, settings, md, md_steps // k,
                                 int(settings["record_every"]), checks, log)
    table = rollout_table(system, k, result.model_steps, result.position_unwrapped,
                          result.velocity, md, result.stop_reason, potential_energy)
    return result, table, skin


def rollout_summary(system, settings: dict, table, result, md, k: int, md_steps: int,
                    figure_step: int) -> dict:
    """Errors at ``figure_step`` (or the last frame before it), the cage size and velocity
    scale they are judged by, energy and momentum drift over the first 100 MD steps (and
    MD's own) and over the whole rollout, how far it ran, where and why it stopped, and
    the verdict."""
    mass = np.asarray(system.mass)
    msd = mean_square_displacement(md.position)
    cage, cage_time = cage_size(md.time - md.time[0], msd, float(settings["cage_slope"]))
    v_scale = velocity_scale(system.temperature, system.units.boltzmann, mass,
                             system.units.config_time_per_internal)
    figure_step = min(int(figure_step), md_steps)
    at = table[table["md_step"] <= figure_step].iloc[-1]
    window = table[table["md_step"] <= min(100, md_steps)]
    drift_args = (mass, system.units.config_time_per_internal, system.temperature,
                  system.units.boltzmann)
    e_drift, p_drift = energy_and_momentum_drift(
        window["total_energy"], window[["momentum_x", "momentum_y", "momentum_z"]].to_numpy(),
        window["kinetic_energy"], *drift_args)
    md_e_drift, _ = energy_and_momentum_drift(
        window["md_total_energy"],
        window[["md_momentum_x", "md_momentum_y", "md_momentum_z"]].to_numpy(),
        window["md_kinetic_energy"], *drift_args)
    e_drift_all, p_drift_all = energy_and_momentum_drift(
        table["total_energy"], table[["momentum_x", "momentum_y", "momentum_z"]].to_numpy(),
        table["kinetic_energy"], *drift_args)
    stopped = result.stop_reason is not None
    accurate = float(settings["accurate_below"])
    position_rmse, velocity_rmse = float(at["position_rmse"]), float(at["velocity_rmse"])
    return {
        "evaluated_md_step": int(at["md_step"]), "wanted_md_step": figure_step,
        "position_rmse": position_rmse, "velocity_rmse": velocity_rmse,
        "cage_size": cage, "cage_time": cage_time, "velocity_scale": v_scale,
        "position_rmse_over_cage": position_rmse / cage,
        "velocity_rmse_over_scale": velocity_rmse / v_scale,
        "energy_drift_100": e_drift, "md_energy_drift_100": md_e_drift,
        "momentum_drift_100": p_drift, "rolled_out_md_steps": int(table["md_step"].iloc[-1]),
        "energy_drift_rollout": e_drift_all, "momentum_drift_rollout": p_drift_all,
        "stopped_at_md_step": None if not stopped else int(result.stopped_at) * k,
        "stop_reason": result.stop_reason or "",
        "verdict": ("unstable" if stopped else
                    "accurate" if position_rmse < accurate * cage
                    and velocity_rmse < accurate * v_scale else "inaccurate"),
    }


def ablation_row(system_name: str, k: int, variant: str, model: str, losses: tuple,
                 summary: dict, training_steps: int = 0,
                 training_seconds: float = float("nan")) -> dict:
    """One row of the ablation table (rules ablation_eval and ablation_reference): one-step
    test losses ``(dr, dv)``, the :func:`rollout_summary` of its rollout, and the training
    effort (none for the integrator reference)."""
    return {"system": system_name, "k": int(k), "variant": variant, "model": model,
            "training_steps": int(training_steps), "training_minutes": training_seconds / 60.0,
            "ms_per_step": (1000.0 * training_seconds / training_steps if training_steps
                            else float("nan")),
            "test_loss_dr": losses[0], "test_loss_dv": losses[1],
            "rollout_md_steps": summary["evaluated_md_step"],
            "position_rmse": summary["position_rmse"],
            "velocity_rmse": summary["velocity_rmse"],
            "cage_size": summary["cage_size"], "velocity_scale": summary["velocity_scale"],
            "energy_drift": summary["energy_drift_100"],
            "md_energy_drift": summary["md_energy_drift_100"],
            "momentum_drift": summary["momentum_drift_100"],
            "stopped_at_md_step": summary["stopped_at_md_step"],
            "stop_reason": summary["stop_reason"], "verdict": summary["verdict"]}


def rollout_trajectory(system, model: TrainedModel, result, table, skin: float, model_path,
                       start_path):
    """The rollout as an H5MD :class:`ogn.data.h5md.Trajectory` (file units), with the
    energies, temperature and momentum of ``table`` and where and why it stopped."""
    from ogn.data.h5md import Trajectory

    k = model.k
    mass = np.asarray(system.mass)
    kinetic = table["kinetic_energy"].to_numpy()
    observables = {"kinetic_energy": kinetic,
                   "potential_energy": table["potential_energy"].to_numpy(),
                   "total_energy": table["total_energy"].to_numpy(),
                   "temperature": 2 * kinetic / ((3 * len(mass) - 3) * system.units.boltzmann),
                   "momentum": table[["momentum_x", "momentum_y", "momentum_z"]].to_numpy()}
    metadata = {"system": system.name, "units": system.units.name, "dt": system.dt_config,
                "dt_unit": system.units.time_in_files, "kind": "rollout", "k": k,
                "layers": int(model.network_config.n_layers), "model": str(model_path),
                "training_steps": model.training_steps, "start": str(start_path),
                "step_family": model.step_label,
                "graph_skin": skin, "stopped_at_model_step": result.stopped_at,
                "stop_reason": result.stop_reason, "edge_rebuilds": result.n_rebuilds}
    steps = result.model_steps * k
    return Trajectory(position=result.position_unwrapped, velocity=result.velocity, step=steps,
                      time=steps * system.dt_config, species=system.species,
                      species_names=system.species_names, mass=mass, box=system.box,
                      observables=observables, metadata=metadata)


def figure_step_of(settings: dict, system_name: str) -> int:
    """The MD step at which a system's rollout is judged (``rollout.figure_steps``)."""
    return int(settings["figure_steps"].get(system_name, settings["figure_steps_default"]))


def ablation_evaluation(system, model: TrainedModel, test_pairs, md, settings: dict,
                        variant: str, label: str, training_seconds: float,
                        log: Callable) -> dict:
    """One ablation model judged on its system's test data: one-step losses of dr and dv,
    then a rollout over ``settings["steps"]`` MD steps (:func:`ablation_row`)."""
    test_set = prepare_test_set(test_pairs, model.graph_cutoff, model.n_species)
    losses = one_step_losses(model, test_set)
    log(f"{variant}: one-step test loss dr {losses[0]:.4g}, dv {losses[1]:.4g} "
        f"({test_pairs.n_pairs} pairs)")
    md_steps = rolled_out_steps(settings, md, model.k, log)
    result, table, _ = rollout_against_md(system, model, settings, md, md_steps, log)
    summary = rollout_summary(system, settings, table, result, md, model.k, md_steps, md_steps)
    return ablation_row(system.name, model.k, variant, label, losses, summary,
                        int(model.training_steps or 0), training_seconds)
