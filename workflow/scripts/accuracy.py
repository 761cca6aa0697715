"""Rule accuracy: the summary rows of every rollout in one table (results/accuracy.csv)."""
import pandas as pd

from ogn.atomic import atomic_path

sm = snakemake  # noqa: F821
table = pd.concat([pd.read_csv(path) for path in sm.input], ignore_index=True)
with atomic_path(sm.output.table) as tmp:
    table.to_csv(tmp, index=False)
