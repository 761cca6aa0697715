"""Rule ablation_reference: velocity Verlet with the true potential over a stride of k MD
steps, in 1, 2, ... substeps, judged like an ablation model (the scale a learned stride-k
step has to beat; see ogn.reference).

snakemake.input.test (pairs at k), .md (test trajectory); params.system (config block),
params.rollout (config block, steps = ablation.rollout_steps), params.k, params.substeps;
output.evaluation (CSV, one row per substep count, the columns of ablation_eval).
"""
from ogn.threads import configure_cpu_threads

configure_cpu_threads(snakemake.threads)  # noqa: F821

import pandas as pd  # noqa: E402

from ogn.atomic import atomic_path  # noqa: E402
from ogn.evaluation import (  # noqa: E402
    ablation_row,
    md_based_checks,
    rolled_out_steps,
    rollout_summary,
)
from ogn.h5md import read_trajectory  # noqa: E402
from ogn.pairs import read_pairs  # noqa: E402
from ogn.precision import enable_float64  # noqa: E402
from ogn.reference import (  # noqa: E402
    standardized_split_loss,
    verlet_reference_rollout,
    verlet_stride_increments,
)
from ogn.runlog import make_logger  # noqa: E402
from ogn.systems import make_system  # noqa: E402

enable_float64()
sm = snakemake  # noqa: F821
log = make_logger(sm.log[0])
name, k, settings = sm.wildcards.system, int(sm.params.k), sm.params.rollout
system = make_system(name, {"systems": {name: sm.params.system}})
pairs = read_pairs(sm.input.test)
md = read_trajectory(sm.input.md)
md_steps = (rolled_out_steps(settings, md, k, log) // k) * k
checks, potential_energy = md_based_checks(system, md, settings, velocity_in_files=False)
rows = []
for substeps in sm.params.substeps:
    if substeps > k:
        log(f"{substeps} substeps: more than k = {k} MD steps per stride, skipped")
        continue
    dr, dv = verlet_stride_increments(system, pairs.position, pairs.velocity, k, substeps)
    loss_dr, loss_dv = standardized_split_loss(dr, dv, pairs.dr, pairs.dv)
    result, table = verlet_reference_rollout(system, md, k, substeps, md_steps, checks,
                                             potential_energy, log)
    summary = rollout_summary(system, settings, table, result, md, k, md_steps, md_steps)
    rows.append(ablation_row(
        name, k, f"verlet{substeps}",
        f"velocity Verlet, true potential, {substeps} x {k / substeps:g} dt",
        (loss_dr, loss_dv), summary))
    log(f"velocity Verlet, {substeps} x {k / substeps:g} dt: one-step loss dr {loss_dr:.4g}, "
        f"dv {loss_dv:.4g} ({pairs.n_pairs} pairs); rollout over {summary['evaluated_md_step']} "
        f"MD steps: position RMSE {summary['position_rmse']:.4g}, velocity RMSE "
        f"{summary['velocity_rmse']:.4g}, energy drift {summary['energy_drift_100']:.3g} of "
        f"<KE>; {summary['verdict']}")
with atomic_path(sm.output.evaluation) as tmp:
    pd.DataFrame(rows, columns=None if rows else ["system", "k", "variant"]).to_csv(
        tmp, index=False)
