"""Rule ablation_eval: one ablation model judged on its system's test data.

snakemake.input.model, .curve, .test (pairs at k), .md (test trajectory); params.system
(config block), params.rollout (config block, steps = ablation.rollout_steps), params.k,
params.options (the variant's model.options); output.evaluation (CSV, one row): one-step test
losses of dr and dv, rollout errors, energy and momentum drift, time per training step.
"""
from ogn.threads import configure_cpu_threads

configure_cpu_threads(snakemake.threads)  # noqa: F821

import pandas as pd  # noqa: E402

from ogn.atomic import atomic_path  # noqa: E402
from ogn.evaluation import (  # noqa: E402
    ablation_row,
    rolled_out_steps,
    rollout_against_md,
    rollout_summary,
    split_test_loss,
)
from ogn.h5md import read_trajectory  # noqa: E402
from ogn.model import architecture_label  # noqa: E402
from ogn.pairs import read_pairs  # noqa: E402
from ogn.precision import enable_float64  # noqa: E402
from ogn.rollout import load_rollout_model  # noqa: E402
from ogn.runlog import make_logger  # noqa: E402
from ogn.systems import make_system  # noqa: E402
from ogn.training import prepare_test_set, read_curve  # noqa: E402

enable_float64()
sm = snakemake  # noqa: F821
log = make_logger(sm.log[0])
name, k, settings = sm.wildcards.system, int(sm.params.k), sm.params.rollout
graph_cutoff = float(sm.params.system["graph_cutoff"])
system = make_system(name, {"systems": {name: sm.params.system}})
simulator, params, standard, meta = load_rollout_model(sm.input.model, sm.params.system, k)
test_pairs = read_pairs(sm.input.test)
test_set = prepare_test_set(test_pairs, graph_cutoff, len(system.species_names))
loss_dr, loss_dv = split_test_loss(simulator, params, standard, test_set)
log(f"{sm.wildcards.ablation}: one-step test loss dr {loss_dr:.4g}, dv {loss_dv:.4g} "
    f"({test_pairs.n_pairs} pairs)")

md = read_trajectory(sm.input.md)
md_steps = rolled_out_steps(settings, md, k, log)
result, table, _ = rollout_against_md(system, graph_cutoff, settings, simulator, params,
                                      standard, md, k, md_steps, log)
summary = rollout_summary(system, settings, table, result, md, k, md_steps, md_steps)
curve = read_curve(sm.input.curve)
steps = int(meta.get("steps") or 0)
seconds = float(curve[-1]["seconds"]) if curve else float("nan")
row = ablation_row(name, k, sm.wildcards.ablation,
                   architecture_label({"architecture": "extended", "options": sm.params.options}),
                   (loss_dr, loss_dv), summary, steps, seconds)
with atomic_path(sm.output.evaluation) as tmp:
    pd.DataFrame([row]).to_csv(tmp, index=False)
log(f"rollout over {row['rollout_md_steps']} MD steps: position RMSE {row['position_rmse']:.4g}, "
    f"velocity RMSE {row['velocity_rmse']:.4g}, energy drift {row['energy_drift']:.3g} of <KE>, "
    f"momentum drift {row['momentum_drift']:.3g}; {row['verdict']}")
