"""Rule accuracy: the summary rows of every rollout in one table (results/accuracy.csv)."""
import pandas as pd

from ogn.data.atomic import write_csv

sm = snakemake
write_csv(pd.concat([pd.read_csv(path) for path in sm.input], ignore_index=True),
          sm.output.table)
