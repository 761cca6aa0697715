"""Rule sweep_losses: final test and train loss of every model, the figures' (role "figures")
and the sweeps' (role "sweeps"; a model both use has both rows), params.n_last evaluations
averaged; each input list of curves in the order of its params list of (system, layers, k)."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm)

import pandas as pd

from ogn.data.atomic import write_csv
from ogn.evaluate.losses import loss_table_from_files

n_last = int(sm.params.n_last)
table = pd.concat([
    loss_table_from_files(sm.params.figure_models, sm.input.figure_curves, n_last)
    .assign(role="figures"),
    loss_table_from_files(sm.params.sweep_models, sm.input.sweep_curves, n_last)
    .assign(role="sweeps")], ignore_index=True)
write_csv(table, sm.output.table)
log(table.to_string(index=False))
