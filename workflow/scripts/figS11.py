"""Rule figS11: potential energy per atom against temperature along the quench ramp, the
liquid and glass lines and their crossing (the fictive temperature)."""
from ogn.workflow.job import start_job

sm = snakemake
start_job(sm)

import pandas as pd

from ogn.report.md_figures import fictive_temperature_figure
from ogn.report.plotting import save_figure

save_figure(fictive_temperature_figure(pd.read_csv(sm.input.quench), pd.read_csv(sm.input.table),
                                       sm.params.n_atoms, sm.params.units),
            sm.output.png, sm.output.pdf, tight=True)
