"""Figs. 2 (LJ) and 3 (SiO2, Si, CuZr): true vs predicted paths of random atoms and
predicted vs true positions and velocities at the figure step, one row per system of
params.systems.

snakemake.input.md, .rollout, .metrics (lists ordered as params.systems); params.rollout,
params.preset; output.pdf, output.png.
"""
from ogn.plotting import rollout_figure, save_figure

sm = snakemake  # noqa: F821
fig = rollout_figure(sm.params.systems, sm.input.md, sm.input.rollout, sm.input.metrics,
                     sm.params.rollout, sm.params.preset)
save_figure(fig, sm.output.pdf, sm.output.png)
