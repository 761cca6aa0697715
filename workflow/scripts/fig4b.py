"""Rule fig4b: energy and momentum over the first MD steps of Fast-OGN, MD at dt and MD at
k dt (LJ)."""
from ogn.workflow.job import start_job

sm = snakemake
start_job(sm)

import pandas as pd

from ogn.data.h5md import read_trajectory
from ogn.report.plotting import save_figure
from ogn.report.rollout_figures import energy_figure

save_figure(energy_figure(read_trajectory(sm.input.md), pd.read_csv(sm.input.md_kdt),
                          pd.read_csv(sm.input.fast), read_trajectory(sm.input.rollout),
                          int(sm.params.k), int(sm.params.rollout["energy_steps"]),
                          sm.params.preset), sm.output.pdf, sm.output.png)
