"""Rule figS8: final test loss against the number of message-passing layers (from the
training curves of the layer sweep)."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm)

from ogn.evaluate.losses import loss_table_from_files
from ogn.report.plotting import save_figure
from ogn.report.sweep_figures import add_sweep_footer, layers_figure

losses = loss_table_from_files(sm.params.models, sm.input.curves, int(sm.params.n_last))
figure = layers_figure(losses, sm.params.models, log)
add_sweep_footer(figure, sm.params.preset, losses)
save_figure(figure, sm.output.png, sm.output.pdf, tight=True)
