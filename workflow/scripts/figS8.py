"""Rule figS8: final test loss against the number of message-passing layers."""
import pandas as pd

from ogn.report.plotting import save_figure
from ogn.report.sweep_figures import layers_figure
from ogn.workflow.runlog import make_logger

sm = snakemake
log = make_logger(sm.log[0])
save_figure(layers_figure(pd.read_csv(sm.input.losses), sm.params.models, log),
            sm.output.png, sm.output.pdf, tight=True)
