"""Rule ablation_table: every ablation row in one CSV, and the Markdown table of it."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm)

import pandas as pd

from ogn.data.atomic import atomic_path, write_csv
from ogn.report.headline import ablation_markdown

table = pd.concat([pd.read_csv(path) for path in sm.input], ignore_index=True)
write_csv(table, sm.output.csv)
with atomic_path(sm.output.markdown) as tmp:
    tmp.write_text(ablation_markdown(table, float(sm.params.minutes)))
log(f"{len(table)} ablation rows written")
