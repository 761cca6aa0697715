"""Rule fig4: energy and momentum (B), runtime against N (C) and against the interaction
complexity index (D); the footer names the machine the times are from."""
from ogn.workflow.job import start_job

sm = snakemake
start_job(sm)

import pandas as pd

from ogn.data.h5md import read_trajectory
from ogn.report.plotting import save_figure
from ogn.report.runtime_figure import runtime_figure

tables = {t["system"].iloc[0]: t for t in (pd.read_csv(p) for p in sm.input.runtime)}
save_figure(runtime_figure(tables, pd.read_csv(sm.input.complexity).set_index("system"),
                           read_trajectory(sm.input.md), pd.read_csv(sm.input.md_kdt),
                           pd.read_csv(sm.input.fast), sm.params.runtime, int(sm.params.k),
                           int(sm.params.rollout["energy_steps"]), sm.params.preset),
            sm.output.pdf, sm.output.png)
