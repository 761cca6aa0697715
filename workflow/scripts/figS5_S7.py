"""Rules figS5-figS7: transfer of Fast-OGN to other sizes, temperatures or densities."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm)

import pandas as pd

from ogn.report.plotting import save_figure
from ogn.report.sweep_figures import transfer_figure

save_figure(transfer_figure(pd.read_csv(sm.input.table), sm.params.kind, log),
            sm.output.png, sm.output.pdf, tight=True)
