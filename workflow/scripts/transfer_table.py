"""Rule transfer_table: the transfer losses of every variant in one CSV (input: loss.csv files)."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm)

import pandas as pd

from ogn.data.atomic import write_csv

frames = [pd.read_csv(path) for path in sm.input]
table = (pd.concat(frames, ignore_index=True) if frames
         else pd.DataFrame(columns=["system", "variant", "kind", "factor", "test_loss",
                                    "reference_test_loss", "loss_ratio"]))
write_csv(table, sm.output.table)
log(f"{len(table)} transfer runs")
