"""Rule figS2: RMSD of MD against time for every system, the cage size marked."""
from ogn.workflow.job import start_job

sm = snakemake
start_job(sm)

import pandas as pd

from ogn.report.md_figures import cage_size_figure
from ogn.report.plotting import save_figure

save_figure(cage_size_figure(pd.read_csv(sm.input.table), pd.read_csv(sm.input.curves),
                             float(sm.params.rollout["cage_slope"]), sm.params.preset),
            sm.output.pdf, sm.output.png)
