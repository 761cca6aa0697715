"""Rule figS13: the accuracy/speed frontier, one panel per system of frontier.systems."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm)

import pandas as pd

from ogn.report.frontier_figure import frontier_figure
from ogn.report.plotting import save_figure

settings = sm.params.frontier
steps = sorted(int(s) for s in settings["rollout_steps"])
tables = {system: pd.read_csv(path)
          for system, path in zip(sm.params.systems, sm.input.tables, strict=True)}
save_figure(frontier_figure(tables, steps[0], steps[-1], settings["targets"], sm.params.preset,
                            float(settings["minutes"]), log),
            sm.output.pdf, sm.output.png)
