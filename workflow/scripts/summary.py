"""Rule summary: each headline number of the paper next to ours (results/summary.csv, .md).

input.losses (final_losses.csv), .rmsd (Fig. 5A data), .fictive (S11), .transfer (S5-S7),
.accuracy (optional: the rollout stage's results/accuracy.csv); params: sweeps, models,
training, production, fast_ogn_k. Numbers this stage cannot compute are "not computed".
"""
import pandas as pd

from ogn.atomic import atomic_path
from ogn.runlog import make_logger
from ogn.sweeps import headline_rows, markdown_table

sm = snakemake  # noqa: F821
log = make_logger(sm.log[0])
accuracy = pd.read_csv(sm.input.accuracy[0]) if len(sm.input.accuracy) else None
rows = headline_rows(losses=pd.read_csv(sm.input.losses), rmsd=pd.read_csv(sm.input.rmsd),
                     fictive=pd.read_csv(sm.input.fictive),
                     transfer=pd.read_csv(sm.input.transfer), accuracy=accuracy,
                     sweeps=sm.params.sweeps, models=sm.params.models,
                     training=sm.params.training, production=sm.params.production,
                     fast_ogn_k=sm.params.fast_ogn_k)
table = pd.DataFrame(rows)
with atomic_path(sm.output.csv) as tmp:
    table.to_csv(tmp, index=False)
with atomic_path(sm.output.md) as tmp:
    tmp.write_text(markdown_table(table))
for row in rows:
    log(f"{row['figure']}: {row['quantity']}: paper {row['paper']}, ours {row['ours']}")
