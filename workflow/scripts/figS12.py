"""Rule figS12: the ablation of the extended OGN, one row of panels per (system, k)."""
import pandas as pd

from ogn.report.ablation_figure import ablation_figure
from ogn.report.plotting import save_figure
from ogn.workflow.runlog import make_logger

sm = snakemake
log = make_logger(sm.log[0])
save_figure(ablation_figure(pd.read_csv(sm.input.table), sm.params.preset,
                            float(sm.params.minutes), int(sm.params.layers), log),
            sm.output.pdf, sm.output.png)
