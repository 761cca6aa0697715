"""What the workflow makes, as pure functions of the config: file paths, target lists and the
models each figure needs. The rules (workflow/rules/*.smk) call these through thin wrappers in
``common.smk``.

Imports no numerical stack beyond numpy, so that planning (``snakemake -n``) never starts
JAX; ``tests/test_workflow_plan.py`` checks it.
"""

import re

from ogn.net.options import extended_options
from ogn.workflow.sweeps import (
    k_sweep_models,
    own_sweep_models,
    sweep_config,
    sweep_models,
    transfer_variants,
)

FIG2_CANDIDATES = ("lj",)
FIG3_CANDIDATES = ("sio2", "si", "cuzr")
SWEEP_FIGURES = ("fig5", "figS1", "figS5", "figS6", "figS7", "figS8", "figS9", "figS10",
                 "figS11", "figS12")
TRANSFER_FIGURES = {"5": "size", "6": "temperature", "7": "density"}


def alternatives(names) -> str:
    """Wildcard regex matching exactly these names (never an empty alternative)."""
    return "|".join(re.escape(n) for n in names) or "^$"


def log_path(rule_name: str, pattern: str) -> str:
    return f"results/logs/{rule_name}/{pattern}.log"


def benchmark_path(rule_name: str, pattern: str) -> str:
    return f"results/benchmarks/{rule_name}/{pattern}.tsv"


def figure_files(name: str) -> list[str]:
    return [f"results/figures/{name}.png", f"results/figures/{name}.pdf"]


# ---- MD
def quenched_systems(config: dict) -> list[str]:
    return [s for s in config["systems"] if "quench" in config["systems"][s]]


def equilibrated_systems(config: dict) -> list[str]:
    return [s for s in config["systems"] if "quench" not in config["systems"][s]]


def starting_state(config: dict, system: str) -> str:
    """Equilibrated liquid, or for a quenched system (the glass) the quenched state."""
    kind = "quenched" if "quench" in config["systems"][system] else "equilibrated"
    return f"results/md/{system}/{kind}.h5"


def production_block(config: dict, system: str) -> dict:
    """The ``md.production`` settings of one system: ``systems.<system>.production`` over them
    (e.g. more training trajectories for a material whose learned dynamics needs more
    configurations)."""
    own = dict(config["systems"][system].get("production") or {})
    return {**config["md"]["production"], **own}


def trajectory_files(config: dict, system: str, split: str) -> list[str]:
    count = production_block(config, system)["n_train" if split == "train" else "n_test"]
    return [f"results/md/{system}/{split}_{i}.h5" for i in range(count)]


def md_targets(config: dict) -> list[str]:
    """Every MD trajectory of the workflow (the ``md`` target rule)."""
    return [path for system in config["systems"] for split in ("train", "test")
            for path in trajectory_files(config, system, split)]


def test_start(config: dict, system: str) -> str:
    """The test trajectory that rollouts start from and are compared with."""
    return f"results/md/{system}/test_{config['rollout']['test_trajectory']}.h5"


# ---- models
def ogn_variant(config: dict) -> tuple[int, int]:
    """(layers, k) of the OGN."""
    return config["models"]["ogn_layers"], config["models"]["ogn_k"]


def fast_ogn_variant(config: dict, system: str) -> tuple[int, int]:
    """(layers, k) of the Fast-OGN of ``system``."""
    return config["models"]["fast_ogn_layers"], config["systems"][system]["fast_ogn_k"]


def model_variants(config: dict, system: str) -> list[tuple[int, int]]:
    """(layers, k) of every model the figures need: OGN and Fast-OGN (config ``models``)."""
    return list(dict.fromkeys([ogn_variant(config), fast_ogn_variant(config, system)]))


def model_file(system: str, layers: int, k: int) -> str:
    return f"results/models/{system}/L{layers}_k{k}/model.npz"


def curve_file(system: str, layers: int, k: int) -> str:
    return f"results/models/{system}/L{layers}_k{k}/curve.csv"


def model_targets(config: dict) -> list[str]:
    return [model_file(system, layers, k) for system in config["models"]["systems"]
            for layers, k in model_variants(config, system)]


def model_block(config: dict, overrides: dict | None = None,
                system: str | None = None) -> dict:
    """config["model"] as a training job sees it: with architecture paper the options are
    dropped (editing them then reruns nothing); an extended model's options are
    ``model.options``, then the system's own ``systems.<system>.model_options`` (its
    recommended choice) over them, then ``overrides`` (an ablation variant's options)."""
    block = {key: value for key, value in config["model"].items() if key != "options"}
    own = system_model_options(config, system)
    if overrides is not None:
        block["architecture"] = "extended"
        block["options"] = {**config["model"]["options"], **overrides}
    elif extended_options(config["model"]) is not None:
        block["options"] = {**config["model"]["options"], **own}
    return block


# a system's model and its amount of data, not its physics
MODEL_CHOICE_KEYS = ("model_options", "training", "production", "train_also_on")


def train_also_on_pairs(config: dict, system: str, k) -> list[str]:
    """The train pairs files of the systems in ``systems.<system>.train_also_on`` at stride
    k, which join the system's own when its figure models train ([] when none)."""
    return [f"results/pairs/{other}/k{int(k)}/train.h5"
            for other in config["systems"][system].get("train_also_on") or []]


def system_physics(config: dict, name: str) -> dict:
    """``systems.<name>`` without its ``model_options``, ``training`` and ``production``: what
    MD, pairs and evaluation read."""
    return {key: value for key, value in config["systems"][name].items()
            if key not in MODEL_CHOICE_KEYS}


def training_block(config: dict, system: str | None = None) -> dict:
    """The ``training`` block of a system's figure models: ``training``, then
    ``systems.<system>.training`` over it (e.g. a longer budget for a harder material)."""
    own = dict(config["systems"][system].get("training") or {}) if system else {}
    return {**config["training"], **own}


def system_model_options(config: dict, system: str | None) -> dict:
    """``systems.<system>.model_options`` ({} when none or no system is named)."""
    if system is None:
        return {}
    return dict(config["systems"][system].get("model_options") or {})


def figure_models(config: dict) -> list[tuple[str, int, int]]:
    """(system, layers, k) of the models of the figures (OGN and Fast-OGN per system)."""
    return [(s, layers, k) for s in config["models"]["systems"]
            for layers, k in model_variants(config, s)]


def every_model(config: dict) -> list[tuple[str, int, int]]:
    """(system, layers, k) of every model in results/models/: the figures', and the sweeps'
    where the sweeps share them (no ``sweeps.model`` or ``sweeps.training``)."""
    shared = [] if own_sweep_models(config) else sweep_models(config)
    return list(dict.fromkeys(figure_models(config) + shared))


def sweep_model_dir(config: dict, system: str, layers: int, k: int) -> str:
    """Where a sweep model lives: its own folder under results/sweeps/models/ when the sweeps
    train their own (``sweeps.model`` / ``sweeps.training``), else the figures' folder."""
    if own_sweep_models(config):
        return f"results/sweeps/models/{system}/L{layers}_k{k}"
    return f"results/models/{system}/L{layers}_k{k}"


def sweep_curve_file(config: dict, system: str, layers: int, k: int) -> str:
    return f"{sweep_model_dir(config, system, layers, k)}/curve.csv"


def sweep_model_block(config: dict) -> dict:
    """The ``model`` block the sweep models train with (see :func:`model_block`)."""
    return model_block(sweep_config(config))


def sweep_training(config: dict) -> dict:
    return sweep_config(config)["training"]


# ---- rollouts and their figures
def rollout_dir(system: str, layers: int, k: int) -> str:
    return f"results/rollouts/{system}/L{layers}_k{k}"


def accuracy_inputs(config: dict) -> list[str]:
    return [f"{rollout_dir(s, layers, k)}/summary.csv"
            for s in config["models"]["systems"] for layers, k in model_variants(config, s)]


def figure_systems(config: dict, candidates) -> list[str]:
    """The systems of ``candidates`` that have models (figure 2: LJ; figure 3: the rest)."""
    return [s for s in candidates if s in config["models"]["systems"]]


def long_systems(config: dict) -> list[str]:
    return [s for s in config["rollout"]["long_systems"] if s in config["models"]["systems"]]


def ogn_rollout_files(config: dict, systems, name: str) -> list[str]:
    return [f"{rollout_dir(s, *ogn_variant(config))}/{name}" for s in systems]


def rollout_figure_targets(config: dict) -> list[str]:
    targets = ["results/accuracy.csv", "results/figures/figS2.pdf",
               "results/figures/figS3.pdf"]
    if figure_systems(config, FIG2_CANDIDATES):
        targets += ["results/figures/fig2.pdf", "results/figures/fig4b.pdf"]
    if figure_systems(config, FIG3_CANDIDATES):
        targets.append("results/figures/fig3.pdf")
    if long_systems(config):
        targets.append("results/figures/figS4.pdf")
    return targets


# ---- runtime
def runtime_model(config: dict, system: str) -> str:
    return model_file(system, *fast_ogn_variant(config, system))


# ---- sweeps and the summary
def k_models_of(config: dict, systems) -> list[tuple[str, int, int]]:
    return [m for m in k_sweep_models(config) if m[0] in systems]


def glass_and_liquid_models(config: dict) -> list[tuple[str, int, int]]:
    """(system, layers, k) of the Fast-OGN k sweep of the liquid and the glass (Fig. 5)."""
    sweeps = config["sweeps"]
    return k_models_of(config, [sweeps["liquid"], sweeps["glass"]])


def liquid_k_systems(config: dict) -> list[str]:
    quenched = quenched_systems(config)
    return [s for s in config["sweeps"]["k_systems"] if s not in quenched]


def transfer_trajectories(config: dict, system: str, variant: str) -> list[str]:
    return [f"results/transfer/{system}/{variant}/test_{i}.h5"
            for i in range(config["sweeps"]["transfer"]["trajectories"])]


def transfer_losses(config: dict) -> list[str]:
    return [f"results/transfer/{system}/{variant}/loss.csv"
            for system, variants in transfer_variants(config).items() for variant in variants]


def sweep_targets() -> list[str]:
    return [f for name in SWEEP_FIGURES for f in figure_files(name)] + [
        "results/summary.csv", "results/summary.md"]


# ---- the ablation
def ablation_dir(system: str, k, name: str) -> str:
    return f"results/ablation/{system}/k{k}/{name}"


def ablation_evaluations(config: dict) -> list[str]:
    """Every variant's evaluation per case, then the case's integrator reference (if any)."""
    ablation = config["ablation"]
    files = []
    for system, k in ablation["cases"]:
        files += [f"{ablation_dir(system, k, name)}/evaluation.csv"
                  for name in ablation["variants"]]
        if ablation["reference_substeps"]:
            files.append(f"results/ablation/{system}/k{k}/reference.csv")
    return files


def all_targets(config: dict) -> list[str]:
    """What ``snakemake`` with no target makes: every figure, table and model."""
    return (md_targets(config) + model_targets(config) + sweep_targets()
            + rollout_figure_targets(config) + ["results/figures/fig4.pdf"])
