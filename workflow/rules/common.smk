# Config validation, and thin wrappers over ogn.workflow.targets (paths and target lists as
# pure functions of the config). Nothing here imports JAX: planning stays fast.
import os
import sys

sys.path.insert(0, os.path.join(workflow.basedir, "src"))

from snakemake.exceptions import WorkflowError

from ogn.net.options import PAPER_OPTIONS, architecture_label, uses_curriculum
from ogn.workflow import targets
from ogn.workflow.config import ConfigError, validate_config, with_like_systems
from ogn.workflow.sweeps import layer_sweep_models, transfer_variants

try:
    # a system given `like: <other>` becomes the other's block with its own keys over it,
    # here, so that every rule and job (their `snakemake.config`) sees it in full
    config.update(with_like_systems(config))
    validate_config(config, os.path.join(workflow.basedir, "config", "schema.yaml"))
except ConfigError as error:
    raise WorkflowError(f"{error}\nFix the config file(s) given with --configfile.")

SYSTEMS = list(config["systems"])
QUENCHED = targets.quenched_systems(config)
EQUILIBRATED = targets.equilibrated_systems(config)
RUNTIME = config["runtime"]
RUNTIME_SYSTEMS = list(RUNTIME["systems"])
ABLATION = config["ablation"]
SWEEPS = config["sweeps"]
TRANSFER = transfer_variants(config)
TRANSFER_FIGURES = targets.TRANSFER_FIGURES
FIG2_SYSTEMS = targets.figure_systems(config, targets.FIG2_CANDIDATES)
FIG3_SYSTEMS = targets.figure_systems(config, targets.FIG3_CANDIDATES)
LONG_SYSTEMS = targets.long_systems(config)

alternatives = targets.alternatives
log_path = targets.log_path
benchmark_path = targets.benchmark_path
figure_files = targets.figure_files
rollout_dir = targets.rollout_dir
curve_file = targets.curve_file
OWN_SWEEP_MODELS = targets.own_sweep_models(config)
SWEEP_MODEL = targets.sweep_model_block(config)
SWEEP_TRAINING = targets.sweep_training(config)
ablation_dir = targets.ablation_dir


wildcard_constraints:
    system=alternatives(SYSTEMS),
    split="train|test",
    i=r"\d+",
    k=r"\d+",
    layers=r"\d+",


def starting_state(system):
    return targets.starting_state(config, system)


def production_block(system):
    return targets.production_block(config, system)


def trajectory_files(system, split):
    return targets.trajectory_files(config, system, split)


def test_start(system):
    return targets.test_start(config, system)


def model_variants(system):
    return targets.model_variants(config, system)


def ogn_variant():
    return targets.ogn_variant(config)


def fast_ogn_variant(system):
    return targets.fast_ogn_variant(config, system)


def system_block(name):
    """``systems.<name>`` as the jobs read it: the physics, without ``model_options`` and
    ``training`` (which reach training through model_block and training_block), so that
    choosing a system's model reruns no MD."""
    return targets.system_physics(config, name)


def training_block(system=None):
    return targets.training_block(config, system)


def model_block(overrides=None, system=None):
    return targets.model_block(config, overrides, system)


def curriculum_pairs(system, k, overrides=None, block=None):
    """The k = 1 pairs a stride-curriculum training reads first ([] without a curriculum);
    ``block``: the model block trained (default: the figures', with ``overrides``)."""
    if not uses_curriculum(block or model_block(overrides, system), int(k)):
        return []
    return [f"results/pairs/{system}/k1/train.h5", f"results/pairs/{system}/k1/test.h5"]


def train_also_on_pairs(system, k):
    return targets.train_also_on_pairs(config, system, k)


def figure_models():
    return targets.figure_models(config)


def sweep_models():
    return targets.sweep_models(config)


def sweep_curve_file(system, layers, k):
    return targets.sweep_curve_file(config, system, layers, k)


def ablation_options(name, system):
    """model.options of an ablation variant: the paper's values with the variant's switched
    on, or for ``model.options`` the figures' choice for the system (model.options, then
    systems.<system>.model_options)."""
    variant = ABLATION["definitions"][name]
    if variant == "model.options":
        return {**PAPER_OPTIONS, **config["model"]["options"],
                **targets.system_model_options(config, system)}
    return {**PAPER_OPTIONS, **variant}


def ablation_evaluations():
    return targets.ablation_evaluations(config)


def accuracy_inputs():
    return targets.accuracy_inputs(config)


def ogn_rollout_files(systems, name):
    return targets.ogn_rollout_files(config, systems, name)


def runtime_model(system):
    return targets.runtime_model(config, system)


def every_model():
    return targets.every_model(config)


def glass_and_liquid_models():
    return targets.glass_and_liquid_models(config)


def k_models_of(systems):
    return targets.k_models_of(config, systems)


def liquid_k_systems():
    return targets.liquid_k_systems(config)


def transfer_trajectories(system, variant):
    return targets.transfer_trajectories(config, system, variant)


def transfer_losses():
    return targets.transfer_losses(config)


def config_files_label():
    """The config files this run was started with (folder and name of each)."""
    names = [os.path.join(*os.path.normpath(str(path)).split(os.sep)[-2:])
             for path in workflow.configfiles]
    return " + ".join(names) or "config.yaml"


def preset_label():
    """The config files this run was started with and the architecture (the figures' footer)."""
    return f"{config_files_label()}; {architecture_label(config['model'])}"


def sweep_preset_label():
    """The sweep figures' footer: the config files and what the sweep models train."""
    own = "own training (sweeps.model, sweeps.training)" if OWN_SWEEP_MODELS else \
        "the figures' models"
    return f"{config_files_label()}; sweep models: {architecture_label(SWEEP_MODEL)}, {own}"


def optional_output(path):
    """[path] if some rule of the workflow writes it (e.g. the rollout stage), else []."""
    for rule_ in workflow.rules:
        if any(str(pattern) == path for pattern in rule_.output):
            return [path]
    return []
