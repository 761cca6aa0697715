"""Rules figS5-figS7: transfer of Fast-OGN to other sizes, temperatures or densities."""
import pandas as pd

from ogn.report.plotting import save_figure
from ogn.report.sweep_figures import transfer_figure
from ogn.workflow.runlog import make_logger

sm = snakemake
log = make_logger(sm.log[0])
save_figure(transfer_figure(pd.read_csv(sm.input.table), sm.params.kind, log),
            sm.output.png, sm.output.pdf, tight=True)
