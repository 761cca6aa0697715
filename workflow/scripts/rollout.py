"""Rule rollout: a trained model rolled out from the first frame of a test trajectory and
compared with it step by step: the trajectory (H5MD), per-frame metrics and a summary row."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm, precision="float64")

import pandas as pd

from ogn.data.atomic import write_csv
from ogn.data.h5md import read_trajectory, write_trajectory
from ogn.evaluate import against_md
from ogn.md.systems import make_system
from ogn.net.trained import load_for_system

name, settings = sm.wildcards.system, sm.params.rollout
system = make_system(name, sm.params.system)
md = read_trajectory(sm.input.md)
model = load_for_system(sm.input.model, sm.params.system, int(sm.params.k))
md_steps = against_md.rolled_out_steps(settings, md, model.k, log)
log(f"{name} L{sm.wildcards.layers} k={model.k}: {md_steps // model.k} model steps "
    f"({md_steps} MD steps), model trained {model.training_steps} steps")
result, table, skin = against_md.rollout_against_md(system, model, settings, md, md_steps, log)
write_csv(table, sm.output.metrics)
write_trajectory(sm.output.trajectory, against_md.rollout_trajectory(
    system, model, result, table, skin, sm.input.model, sm.input.md))
summary = {"system": name, "layers": int(sm.wildcards.layers), "k": model.k,
           "model": str(sm.input.model),
           "training_steps": model.training_steps,
           "step_family": model.step_label, **against_md.rollout_summary(
               system, settings, table, result, md, model.k, md_steps,
               against_md.figure_step_of(settings, name))}
write_csv(pd.DataFrame([summary]), sm.output.summary)
log(f"at MD step {summary['evaluated_md_step']}: position RMSE {summary['position_rmse']:.4g} "
    f"(cage {summary['cage_size']:.3g}), velocity RMSE {summary['velocity_rmse']:.4g} "
    f"(scale {summary['velocity_scale']:.3g}); verdict {summary['verdict']}")
