"""Rules figS9 and figS10: final test loss against k per system at Fast-OGN depth."""
import pandas as pd

from ogn.report.plotting import save_figure
from ogn.report.sweep_figures import k_sweep_figure
from ogn.workflow.runlog import make_logger

sm = snakemake
p = sm.params
log = make_logger(sm.log[0])
save_figure(k_sweep_figure(pd.read_csv(sm.input.losses), p.systems, int(p.layers), p.k,
                           float(p.knee_factor), p.fast_ogn_k, log),
            sm.output.png, sm.output.pdf, tight=True)
