"""Rule figS8: final test loss against the number of message-passing layers."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm)

import pandas as pd

from ogn.report.plotting import save_figure
from ogn.report.sweep_figures import layers_figure

save_figure(layers_figure(pd.read_csv(sm.input.losses), sm.params.models, log),
            sm.output.png, sm.output.pdf, tight=True)
