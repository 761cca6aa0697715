"""Rules train and ablation_train: one network trained on one system's pairs; the model file
and its training curve (input.curriculum: the k = 1 pairs of a stride curriculum, if any;
input.also: other systems' train pairs joining the system's own, systems.<name>.train_also_on)."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm, network=True)

from ogn.learn.job import train_model_file

train_model_file(sm.input.train, sm.input.test, sm.params.system, sm.params.model,
                 sm.params.training, int(sm.params.layers), sm.output.model, sm.output.curve,
                 curriculum=list(getattr(sm.input, "curriculum", []) or []),
                 also=list(getattr(sm.input, "also", []) or []),
                 checkpoint=getattr(sm.params, "checkpoint", None), log=log)
