"""Rule ablation_eval: one ablation model judged on its system's test data: one-step losses of
dr and dv, rollout errors, energy and momentum drift, time per training step (one CSV row)."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm, precision="float64")

import pandas as pd

from ogn.data.atomic import write_csv
from ogn.data.h5md import read_trajectory
from ogn.data.pairs import read_pairs
from ogn.evaluate.against_md import ablation_evaluation
from ogn.learn.checkpoint import read_curve
from ogn.md.systems import make_system
from ogn.net.options import architecture_label
from ogn.net.trained import load_for_system

curve = read_curve(sm.input.curve)
row = ablation_evaluation(
    make_system(sm.wildcards.system, sm.params.system),
    load_for_system(sm.input.model, sm.params.system, int(sm.params.k)),
    read_pairs(sm.input.test), read_trajectory(sm.input.md), sm.params.rollout,
    sm.wildcards.ablation,
    architecture_label({"architecture": "extended", "options": sm.params.options}),
    float(curve[-1]["seconds"]) if curve else float("nan"), log)
write_csv(pd.DataFrame([row]), sm.output.evaluation)
log(f"rollout over {row['rollout_md_steps']} MD steps: position RMSE {row['position_rmse']:.4g}, "
    f"velocity RMSE {row['velocity_rmse']:.4g}, energy drift {row['energy_drift']:.3g} of <KE>, "
    f"momentum drift {row['momentum_drift']:.3g}; {row['verdict']}")
