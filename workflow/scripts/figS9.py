"""Rules figS9 and figS10: final test loss against k per system at Fast-OGN depth (from the
training curves of the k sweep)."""
from ogn.workflow.job import start_job

sm = snakemake
p = sm.params
log = start_job(sm)

from ogn.evaluate.losses import loss_table_from_files
from ogn.report.plotting import save_figure
from ogn.report.sweep_figures import add_sweep_footer, k_sweep_figure

losses = loss_table_from_files(p.models, sm.input.curves, int(p.n_last))
figure = k_sweep_figure(losses, p.systems, int(p.layers), p.k, float(p.knee_factor),
                        p.fast_ogn_k, log)
add_sweep_footer(figure, p.preset, losses)
save_figure(figure, sm.output.png, sm.output.pdf, tight=True)
