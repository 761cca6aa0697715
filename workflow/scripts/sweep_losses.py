"""Rule sweep_losses: final test and train loss of every model (input.curves, params.models
as (system, layers, k) in the same order, params.n_last evaluations averaged)."""
from ogn.runlog import make_logger
from ogn.sweeps import loss_table_from_files, write_table

sm = snakemake  # noqa: F821
log = make_logger(sm.log[0])
table = loss_table_from_files(sm.params.models, sm.input.curves, int(sm.params.n_last))
write_table(table, sm.output.table)
log(table.to_string(index=False))
