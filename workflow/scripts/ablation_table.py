"""Rule ablation_table: every ablation evaluation in one table (CSV and Markdown).

snakemake.input: evaluation.csv files; params.minutes (the training budget);
output.csv, output.markdown.
"""
import pandas as pd

from ogn.atomic import atomic_path
from ogn.runlog import make_logger
from ogn.sweeps import ablation_markdown

sm = snakemake  # noqa: F821
log = make_logger(sm.log[0])
table = pd.concat([pd.read_csv(path) for path in sm.input], ignore_index=True)
with atomic_path(sm.output.csv) as tmp:
    table.to_csv(tmp, index=False)
with atomic_path(sm.output.markdown) as tmp:
    with open(tmp, "w") as handle:
        handle.write(ablation_markdown(table, float(sm.params.minutes)))
log(f"{len(table)} ablation rows written")
