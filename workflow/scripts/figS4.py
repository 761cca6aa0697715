"""Rule figS4: long rollouts against MD (MSD, total energy, g(r), F_s(q, t))."""
from ogn.workflow.job import start_job

sm = snakemake
start_job(sm)

import pandas as pd

from ogn.report.plotting import save_figure
from ogn.report.rollout_figures import long_rollout_figure

save_figure(long_rollout_figure(sm.params.systems, [pd.read_csv(p) for p in sm.input.series],
                                [pd.read_csv(p) for p in sm.input.structure], sm.params.preset),
            sm.output.pdf, sm.output.png)
