"""Rule figS1: test and train loss against training step of every model, a panel per system."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm)

from ogn.evaluate.losses import read_curve
from ogn.report.plotting import save_figure
from ogn.report.sweep_figures import training_curves_figure

curves = {tuple(m): read_curve(path)
          for m, path in zip(sm.params.models, sm.input.curves, strict=True)}
save_figure(training_curves_figure(curves, log), sm.output.png, sm.output.pdf, tight=True)
