"""Rule rollout: a trained model rolled out from the first frame of a test trajectory, compared
with that trajectory step by step.

snakemake.input.model, .md (test trajectory); params.system (config block), params.rollout
(config block), params.k; output.trajectory (H5MD), .metrics (CSV per recorded frame),
.summary (CSV, one row).
"""
from ogn.threads import configure_cpu_threads

configure_cpu_threads(snakemake.threads)  # noqa: F821

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ogn.atomic import atomic_path  # noqa: E402
from ogn.h5md import Trajectory, read_trajectory, write_trajectory  # noqa: E402
from ogn.metrics import (  # noqa: E402
    cage_size,
    energy_and_momentum_drift,
    make_energy_function,
    make_energy_jump_check,
    mean_square_displacement,
    rollout_table,
    velocity_scale,
)
from ogn.precision import enable_float64  # noqa: E402
from ogn.rollout import (  # noqa: E402
    load_rollout_model,
    make_rollout,
    rollout,
    rollout_checks,
    usable_skin,
)
from ogn.runlog import make_logger  # noqa: E402
from ogn.systems import make_system  # noqa: E402

enable_float64()
sm = snakemake  # noqa: F821
log = make_logger(sm.log[0])
name, k, settings = sm.wildcards.system, int(sm.params.k), sm.params.rollout
system = make_system(name, {"systems": {name: sm.params.system}})
md = read_trajectory(sm.input.md)
simulator, params, standard, meta = load_rollout_model(sm.input.model, sm.params.system, k)
available = int(md.step[-1] - md.step[0])
md_steps = min(int(settings["steps"]), available)
if md_steps < int(settings["steps"]):
    log(f"rollout.steps = {settings['steps']} MD steps but the test trajectory holds "
        f"{available}: rolling out {md_steps}")
n_model_steps = md_steps // k
if n_model_steps < 1:
    raise ValueError(f"{md_steps} MD steps are less than one model step (k = {k}); raise "
                     "rollout.steps or md.production.steps")
system_graph_cutoff = float(sm.params.system["graph_cutoff"])
skin = usable_skin(system_graph_cutoff, float(settings["graph_skin"]), system.box)
log(f"{name} L{sm.wildcards.layers} k={k}: {n_model_steps} model steps ({md_steps} MD steps), "
    f"graph rc {system_graph_cutoff} + skin {skin:g} (edges rebuilt when an atom moved "
    f"skin/2), model trained {meta.get('steps')} steps")
potential_energy = make_energy_function(system)
energy_check = make_energy_jump_check(system, float(settings["checks"]["energy_jump"]),
                                      velocity_in_files=True, potential_energy=potential_energy)
checks = rollout_checks(md.position[::max(1, len(md.step) // 50)], system.box, system.species,
                        len(system.species_names), settings["checks"], host_check=energy_check)
log(f"close-pair limits (length unit): {np.round(checks.min_distance, 4).tolist()}")
fns = make_rollout(simulator, system_graph_cutoff, skin, system.box,
                   masses=system.mass, checks=checks)
result = rollout(fns, params, standard, md.position[0], md.velocity[0], system.species,
                 system.box, n_model_steps, record_every=int(settings["record_every"]), log=log)
log(f"rollout: {len(result.model_steps)} frames, {result.n_rebuilds} edge rebuilds, "
    f"{result.seconds:.1f} s; stop: {result.stop_reason or 'none'}")

table = rollout_table(system, k, result.model_steps, result.position_unwrapped,
                      result.velocity, md, result.stop_reason, potential_energy)
with atomic_path(sm.output.metrics) as tmp:
    table.to_csv(tmp, index=False)

mass = np.asarray(system.mass)
momentum = table[["momentum_x", "momentum_y", "momentum_z"]].to_numpy()
observables = {"kinetic_energy": table["kinetic_energy"].to_numpy(),
               "potential_energy": table["potential_energy"].to_numpy(),
               "total_energy": table["total_energy"].to_numpy(),
               "temperature": 2 * table["kinetic_energy"].to_numpy()
               / ((3 * len(mass) - 3) * system.units.boltzmann),
               "momentum": momentum}
metadata = {"system": name, "units": system.units.name, "dt": system.dt_config,
            "dt_unit": system.units.time_in_files, "kind": "rollout", "k": k,
            "layers": int(sm.wildcards.layers), "model": str(sm.input.model),
            "training_steps": meta.get("steps"), "start": str(sm.input.md),
            "graph_skin": skin, "stopped_at_model_step": result.stopped_at,
            "stop_reason": result.stop_reason, "edge_rebuilds": result.n_rebuilds}
write_trajectory(sm.output.trajectory, Trajectory(
    position=result.position_unwrapped, velocity=result.velocity,
    step=result.model_steps * k, time=result.model_steps * k * system.dt_config,
    species=system.species, species_names=system.species_names, mass=mass, box=system.box,
    observables=observables, metadata=metadata))

# summary row: errors at the figure step, cage size and velocity scale, conservation
msd = mean_square_displacement(md.position)
cage, cage_time = cage_size(md.time - md.time[0], msd, float(settings["cage_slope"]))
v_scale = velocity_scale(system.temperature, system.units.boltzmann, mass,
                         system.units.config_time_per_internal)
figure_step = int(settings["figure_steps"].get(name, settings["figure_steps_default"]))
figure_step = min(figure_step, md_steps)
at = table[table["md_step"] <= figure_step].iloc[-1]
window = table[table["md_step"] <= min(100, md_steps)]
e_drift, p_drift = energy_and_momentum_drift(
    window["total_energy"], window[["momentum_x", "momentum_y", "momentum_z"]].to_numpy(),
    window["kinetic_energy"], mass, system.units.config_time_per_internal,
    system.temperature, system.units.boltzmann)
md_e_drift, _ = energy_and_momentum_drift(
    window["md_total_energy"], window[["md_momentum_x", "md_momentum_y",
                                       "md_momentum_z"]].to_numpy(),
    window["md_kinetic_energy"], mass, system.units.config_time_per_internal,
    system.temperature, system.units.boltzmann)
stopped = result.stop_reason is not None
accurate = float(settings["accurate_below"])
summary = {
    "system": name, "layers": int(sm.wildcards.layers), "k": k,
    "training_steps": meta.get("steps"), "evaluated_md_step": int(at["md_step"]),
    "wanted_md_step": figure_step,
    "position_rmse": float(at["position_rmse"]), "velocity_rmse": float(at["velocity_rmse"]),
    "cage_size": cage, "cage_time": cage_time, "velocity_scale": v_scale,
    "position_rmse_over_cage": float(at["position_rmse"]) / cage,
    "velocity_rmse_over_scale": float(at["velocity_rmse"]) / v_scale,
    "energy_drift_100": e_drift, "md_energy_drift_100": md_e_drift,
    "momentum_drift_100": p_drift,
    "stopped_at_md_step": None if not stopped else int(result.stopped_at) * k,
    "stop_reason": result.stop_reason or "",
    "verdict": ("unstable" if stopped else
                "accurate" if float(at["position_rmse"]) < accurate * cage
                and float(at["velocity_rmse"]) < accurate * v_scale else "inaccurate"),
}
with atomic_path(sm.output.summary) as tmp:
    pd.DataFrame([summary]).to_csv(tmp, index=False)
log(f"at MD step {summary['evaluated_md_step']}: position RMSE {summary['position_rmse']:.4g} "
    f"(cage {cage:.3g}), velocity RMSE {summary['velocity_rmse']:.4g} (scale {v_scale:.3g}); "
    f"verdict {summary['verdict']}")
