"""Rules fig2 and fig3: rollouts against MD, one row per system (paths of random atoms,
predicted against true positions and velocities at the figure step)."""
from ogn.workflow.job import start_job

sm = snakemake
start_job(sm)

from ogn.report.plotting import save_figure
from ogn.report.rollout_figures import rollout_figure

save_figure(rollout_figure(sm.params.systems, sm.input.md, sm.input.rollout, sm.input.metrics,
                           sm.params.rollout, sm.params.preset), sm.output.pdf, sm.output.png)
