"""Rule fig5: liquid against glass: RMSD of MD (A), loss curves at k = curve_k (B), final test
loss against k (C), from the training curves of the k sweeps of both."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm)

import pandas as pd

from ogn.evaluate.losses import loss_table_from_files, read_curve
from ogn.report.md_figures import liquid_glass_figure
from ogn.report.plotting import save_figure
from ogn.report.sweep_figures import add_sweep_footer

p = sm.params
names = {"liquid": p.liquid, "glass": p.glass}
paths = {tuple(m): path for m, path in zip(p.models, sm.input.curves, strict=True)}
curves = {state: read_curve(paths[(system, int(p.layers), int(p.curve_k))])
          for state, system in names.items()}
losses = loss_table_from_files(p.models, sm.input.curves, int(p.n_last))
figure = liquid_glass_figure(pd.read_csv(sm.input.rmsd), losses, curves, names,
                             int(p.layers), int(p.curve_k), p.k, float(p.knee_factor), log)
add_sweep_footer(figure, p.preset, losses)
save_figure(figure, sm.output.png, sm.output.pdf, tight=True)
