"""Rule figS12: the ablation of the extended OGN, one row of panels per (system, k)."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm)

import pandas as pd

from ogn.report.ablation_figure import ablation_figure
from ogn.report.plotting import save_figure

save_figure(ablation_figure(pd.read_csv(sm.input.table), sm.params.preset,
                            float(sm.params.minutes), int(sm.params.layers), log),
            sm.output.pdf, sm.output.png)
