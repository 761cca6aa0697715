"""Rule transfer_table: the transfer losses of every variant in one CSV (input: loss.csv files)."""
import pandas as pd

from ogn.data.atomic import write_csv
from ogn.workflow.runlog import make_logger

sm = snakemake
log = make_logger(sm.log[0])
frames = [pd.read_csv(path) for path in sm.input]
table = (pd.concat(frames, ignore_index=True) if frames
         else pd.DataFrame(columns=["system", "variant", "kind", "factor", "test_loss",
                                    "reference_test_loss", "loss_ratio"]))
write_csv(table, sm.output.table)
log(f"{len(table)} transfer runs")
