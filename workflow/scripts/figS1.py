"""Rule figS1: test and train loss against training step of every model, a panel per system."""
from ogn.evaluate.losses import read_curve
from ogn.report.plotting import save_figure
from ogn.report.sweep_figures import training_curves_figure
from ogn.workflow.runlog import make_logger

sm = snakemake
log = make_logger(sm.log[0])
curves = {tuple(m): read_curve(path)
          for m, path in zip(sm.params.models, sm.input.curves, strict=True)}
save_figure(training_curves_figure(curves, log), sm.output.png, sm.output.pdf, tight=True)
