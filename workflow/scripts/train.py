"""Rule train: train one OGN on one system's pairs; write the model file and curve.csv.

snakemake.input.train / .test: pairs files; params.system (config block of the system),
params.model, params.training, params.layers; input.curriculum (optional: the k = 1 train
and test pairs of the stride curriculum); params.checkpoint (optional: where the resumable
checkpoint lives; default beside output.model); output.model (.npz), output.curve (.csv).
"""
from ogn.threads import configure_cpu_threads, use_ynnpack_fusions

configure_cpu_threads(snakemake.threads)  # noqa: F821
use_ynnpack_fusions(snakemake.config["compute"]["xla_cpu_ynn_fusions"])  # noqa: F821

from pathlib import Path  # noqa: E402

from ogn.model import architecture_label, network_config  # noqa: E402
from ogn.modelfile import save_model  # noqa: E402
from ogn.pairs import read_pairs, species_masses, stride_time  # noqa: E402
from ogn.runlog import make_logger  # noqa: E402
from ogn.simulator import make_simulator  # noqa: E402
from ogn.training import (  # noqa: E402
    model_metadata,
    train,
    train_with_curriculum,
    training_recipe,
)

sm = snakemake  # noqa: F821
log = make_logger(sm.log[0])
system = sm.params.system
train_pairs = read_pairs(sm.input.train)
test_pairs = read_pairs(sm.input.test)
species = list(system["species"])
for pairs in (train_pairs, test_pairs):
    if pairs.attrs["species_names"] != species:
        raise ValueError(f"pairs species {pairs.attrs['species_names']} differ from the "
                         f"system's {species}")
if test_pairs.attrs["k"] != train_pairs.attrs["k"]:
    raise ValueError("train and test pairs were made at different k")
checkpoint = getattr(sm.params, "checkpoint", None) or str(
    Path(sm.output.model).with_name(Path(sm.output.model).stem + ".checkpoint.npz"))
graph_cutoff = float(system["graph_cutoff"])
recipe = training_recipe(sm.params.model, sm.params.training)
simulator = make_simulator(network_config(sm.params.model, int(sm.params.layers),
                                          graph_cutoff=graph_cutoff,
                                          species_masses=species_masses(train_pairs),
                                          stride_steps=int(train_pairs.attrs["k"]),
                                          stride_time=stride_time(train_pairs)),
                           len(species))
log(f"model: {architecture_label(sm.params.model)}, {sm.params.layers} layers")
curriculum = list(getattr(sm.input, "curriculum", []) or [])
if curriculum:  # [k = 1 train pairs, k = 1 test pairs]
    k1_train, k1_test = (read_pairs(path) for path in curriculum)
    state = train_with_curriculum(simulator, train_pairs, test_pairs, k1_train, k1_test,
                                  recipe, graph_cutoff=graph_cutoff,
                                  checkpoint_path=checkpoint, curve_path=sm.output.curve,
                                  log=log)
else:
    state = train(simulator, train_pairs, test_pairs, recipe,
                  graph_cutoff=graph_cutoff, checkpoint_path=checkpoint,
                  curve_path=sm.output.curve, log=log)
metadata = model_metadata(simulator, state, train_pairs, test_pairs, sm.params.model,
                          recipe, graph_cutoff)
save_model(sm.output.model, state.params, state.normalizer, metadata)
log(f"model written to {sm.output.model} after {state.step} steps "
    f"({state.seconds / 3600:.2f} h of training)")
