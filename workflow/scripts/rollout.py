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
from ogn.evaluation import (  # noqa: E402
    rolled_out_steps,
    rollout_against_md,
    rollout_summary,
)
from ogn.h5md import Trajectory, read_trajectory, write_trajectory  # noqa: E402
from ogn.precision import enable_float64  # noqa: E402
from ogn.rollout import load_rollout_model  # noqa: E402
from ogn.runlog import make_logger  # noqa: E402
from ogn.systems import make_system  # noqa: E402

enable_float64()
sm = snakemake  # noqa: F821
log = make_logger(sm.log[0])
name, k, settings = sm.wildcards.system, int(sm.params.k), sm.params.rollout
system = make_system(name, {"systems": {name: sm.params.system}})
md = read_trajectory(sm.input.md)
simulator, params, standard, meta = load_rollout_model(sm.input.model, sm.params.system, k)
md_steps = rolled_out_steps(settings, md, k, log)
graph_cutoff = float(sm.params.system["graph_cutoff"])
log(f"{name} L{sm.wildcards.layers} k={k}: {md_steps // k} model steps ({md_steps} MD steps), "
    f"model trained {meta.get('steps')} steps")
result, table, skin = rollout_against_md(system, graph_cutoff, settings, simulator, params,
                                         standard, md, k, md_steps, log)
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
figure_step = int(settings["figure_steps"].get(name, settings["figure_steps_default"]))
summary = {"system": name, "layers": int(sm.wildcards.layers), "k": k,
           "training_steps": meta.get("steps"),
           **rollout_summary(system, settings, table, result, md, k, md_steps, figure_step)}
with atomic_path(sm.output.summary) as tmp:
    pd.DataFrame([summary]).to_csv(tmp, index=False)
log(f"at MD step {summary['evaluated_md_step']}: position RMSE {summary['position_rmse']:.4g} "
    f"(cage {summary['cage_size']:.3g}), velocity RMSE {summary['velocity_rmse']:.4g} "
    f"(scale {summary['velocity_scale']:.3g}); "
    f"verdict {summary['verdict']}")
