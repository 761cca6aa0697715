"""Rules figS9 and figS10: final test loss against k per system at Fast-OGN depth."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm)

import pandas as pd

from ogn.report.plotting import save_figure
from ogn.report.sweep_figures import k_sweep_figure

p = sm.params
save_figure(k_sweep_figure(pd.read_csv(sm.input.losses), p.systems, int(p.layers), p.k,
                           float(p.knee_factor), p.fast_ogn_k, log),
            sm.output.png, sm.output.pdf, tight=True)
