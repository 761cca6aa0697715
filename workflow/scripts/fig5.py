"""Rule fig5: liquid against glass: RMSD of MD (A), loss curves at k = curve_k (B), final test
loss against k (C)."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm)

import pandas as pd

from ogn.evaluate.losses import read_curve
from ogn.report.md_figures import liquid_glass_figure
from ogn.report.plotting import save_figure

p = sm.params
names = {"liquid": p.liquid, "glass": p.glass}
curves = {state: read_curve(path) for state, path in zip(names, sm.input.curves, strict=True)}
save_figure(liquid_glass_figure(pd.read_csv(sm.input.rmsd), pd.read_csv(sm.input.losses),
                                curves, names, int(p.layers), int(p.curve_k), p.k,
                                float(p.knee_factor), log),
            sm.output.png, sm.output.pdf, tight=True)
