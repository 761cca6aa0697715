"""Rule sweep_losses: final test and train loss of every model (input.curves, params.models
as (system, layers, k) in the same order, params.n_last evaluations averaged)."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm)

from ogn.data.atomic import write_csv
from ogn.evaluate.losses import loss_table_from_files

table = loss_table_from_files(sm.params.models, sm.input.curves, int(sm.params.n_last))
write_csv(table, sm.output.table)
log(table.to_string(index=False))
