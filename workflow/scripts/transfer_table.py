"""Rule transfer_table: the transfer losses of every variant in one CSV (input: loss.csv files)."""
import pandas as pd

from ogn.runlog import make_logger
from ogn.sweeps import write_table

sm = snakemake  # noqa: F821
log = make_logger(sm.log[0])
frames = [pd.read_csv(path) for path in sm.input]
table = (pd.concat(frames, ignore_index=True) if frames
         else pd.DataFrame(columns=["system", "variant", "kind", "factor", "test_loss",
                                    "reference_test_loss", "loss_ratio"]))
write_table(table, sm.output.table)
log(f"{len(table)} transfer runs")
