"""Rule summary: each headline number of the paper next to ours (results/summary.csv, .md).
Numbers this stage cannot compute are "not computed"; input.accuracy is optional; the speed
rows (4C) read the runtime stage's tables."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm)

import pandas as pd

from ogn.data.atomic import atomic_path, write_csv
from ogn.report.headline import headline_rows, markdown_table

accuracy = pd.read_csv(sm.input.accuracy[0]) if len(sm.input.accuracy) else None
runtime_tables = {str(table["system"].iloc[0]): table
                  for table in map(pd.read_csv, sm.input.runtime)}
rows = headline_rows(losses=pd.read_csv(sm.input.losses), rmsd=pd.read_csv(sm.input.rmsd),
                     fictive=pd.read_csv(sm.input.fictive),
                     transfer=pd.read_csv(sm.input.transfer), accuracy=accuracy,
                     sweeps=sm.params.sweeps, models=sm.params.models,
                     training=sm.params.training, production=sm.params.production,
                     system_budgets=sm.params.system_budgets,
                     fast_ogn_k=sm.params.fast_ogn_k, sweep_training=sm.params.sweep_training,
                     sweep_models=sm.params.sweep_models, runtime_tables=runtime_tables)
table = pd.DataFrame(rows)
write_csv(table, sm.output.csv)
with atomic_path(sm.output.md) as tmp:
    tmp.write_text(markdown_table(table))
for row in rows:
    log(f"{row['figure']}: {row['quantity']}: paper {row['paper']}, ours {row['ours']}")
