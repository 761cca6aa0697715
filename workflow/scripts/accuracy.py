"""Rule accuracy: the summary rows of every rollout in one table (results/accuracy.csv)."""
from ogn.workflow.job import start_job

sm = snakemake
start_job(sm)

import pandas as pd

from ogn.data.atomic import write_csv

write_csv(pd.concat([pd.read_csv(path) for path in sm.input], ignore_index=True),
          sm.output.table)
