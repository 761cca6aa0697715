"""Rule figS3: position and velocity RMSE against MD step over every rollout, relative to the
cage size and the velocity scale."""
from ogn.workflow.job import start_job

sm = snakemake
start_job(sm)

import pandas as pd

from ogn.report.plotting import save_figure
from ogn.report.rollout_figures import error_growth_figure

save_figure(error_growth_figure([pd.read_csv(p) for p in sm.input.metrics],
                                [pd.read_csv(p) for p in sm.input.summary], sm.params.preset),
            sm.output.pdf, sm.output.png)
