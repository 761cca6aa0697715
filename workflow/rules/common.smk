# Configuration validation and the small helpers that derive target lists from config.
import os
import re
import sys

sys.path.insert(0, os.path.join(workflow.basedir, "src"))

from snakemake.exceptions import WorkflowError

from ogn.config import ConfigError, validate_config
from ogn.model import PAPER_OPTIONS, architecture_label
from ogn.workflow_checks import startup_problems
from ogn.training import uses_curriculum

try:
    validate_config(config, os.path.join(workflow.basedir, "config", "schema.yaml"))
except ConfigError as error:
    raise WorkflowError(f"{error}\nFix the config file(s) given with --configfile.")

_problems = startup_problems(config)
if _problems:
    raise WorkflowError("cannot start:\n  - " + "\n  - ".join(_problems))

SYSTEMS = list(config["systems"])
QUENCHED = [s for s in SYSTEMS if "quench" in config["systems"][s]]
EQUILIBRATED = [s for s in SYSTEMS if s not in QUENCHED]
SPLITS = {"train": config["md"]["production"]["n_train"],
          "test": config["md"]["production"]["n_test"]}


def alternatives(names):
    """Wildcard regex matching exactly these names (never an empty alternative)."""
    return "|".join(re.escape(n) for n in names) or "^$"


wildcard_constraints:
    system=alternatives(SYSTEMS),
    split="train|test",
    i=r"\d+",
    k=r"\d+",
    layers=r"\d+",


def starting_state(system):
    """Equilibrated liquid, or for a quenched system (the glass) the quenched state."""
    kind = "quenched" if system in QUENCHED else "equilibrated"
    return f"results/md/{system}/{kind}.h5"


def trajectory_files(system, split):
    return [f"results/md/{system}/{split}_{i}.h5" for i in range(SPLITS[split])]


def md_targets():
    targets = []
    for system in SYSTEMS:
        targets += trajectory_files(system, "train") + trajectory_files(system, "test")
    return targets


def model_variants(system):
    """(layers, k) of every model the figures need: OGN and Fast-OGN (config `models`)."""
    models = config["models"]
    variants = [(models["ogn_layers"], models["ogn_k"]),
                (models["fast_ogn_layers"], config["systems"][system]["fast_ogn_k"])]
    return list(dict.fromkeys(variants))


def model_targets():
    return [f"results/models/{system}/L{layers}_k{k}/model.npz"
            for system in config["models"]["systems"]
            for layers, k in model_variants(system)]


def all_targets():
    return (md_targets() + model_targets() + sweep_targets()  # sweep_targets: sweeps.smk
            + rollout_figure_targets()  # figures.smk
            + ["results/figures/fig4.pdf"])  # runtime.smk


def log_path(rule_name, pattern):
    return f"results/logs/{rule_name}/{pattern}.log"


def benchmark_path(rule_name, pattern):
    return f"results/benchmarks/{rule_name}/{pattern}.tsv"


# ---- Training (model.smk)
def model_block(overrides=None):
    """config["model"] as a training job sees it: with architecture paper the options are
    dropped (editing them then reruns nothing); ``overrides`` (an ablation variant's options)
    are merged into the options."""
    block = {key: value for key, value in config["model"].items() if key != "options"}
    if overrides is not None:
        block["architecture"] = "extended"
        block["options"] = {**config["model"]["options"], **overrides}
    elif block["architecture"] == "extended":
        block["options"] = dict(config["model"]["options"])
    return block


def curriculum_pairs(system, k, overrides=None):
    """The k = 1 pairs a stride-curriculum training reads first ([] without a curriculum)."""
    if not uses_curriculum(model_block(overrides), int(k)):
        return []
    return [f"results/pairs/{system}/k1/train.h5", f"results/pairs/{system}/k1/test.h5"]


# ---- Ablation of the extended OGN (ablation.smk)
ABLATION = config["ablation"]
for _system, _k in ABLATION["cases"]:
    if _system not in config["systems"]:
        raise WorkflowError(f"ablation.cases names {_system!r}, which is not under systems:; "
                            f"use one of {', '.join(config['systems'])}")
for _name in ABLATION["variants"]:
    if _name not in ABLATION["definitions"]:
        raise WorkflowError(f"ablation.variants names {_name!r}, which ablation.definitions "
                            "does not define; add it there (the options it switches on)")


def ablation_options(name):
    """model.options of an ablation variant: the paper's values with the variant's switched
    on, or model.options itself for ``model.options``."""
    variant = ABLATION["definitions"][name]
    if variant == "model.options":
        return {**PAPER_OPTIONS, **config["model"]["options"]}
    return {**PAPER_OPTIONS, **variant}


def ablation_dir(system, k, name):
    return f"results/ablation/{system}/k{k}/{name}"


def ablation_evaluations():
    """Every variant's evaluation per case, then the case's integrator reference (if any)."""
    files = []
    for system, k in ABLATION["cases"]:
        files += [f"{ablation_dir(system, k, name)}/evaluation.csv"
                  for name in ABLATION["variants"]]
        if ABLATION["reference_substeps"]:
            files.append(f"results/ablation/{system}/k{k}/reference.csv")
    return files


# ---- Rollouts (rollout.smk): helpers and start-up checks (here, not beside the rules: snakemake --lint wants rules and functions apart)
def ogn_variant():
    return config["models"]["ogn_layers"], config["models"]["ogn_k"]


def fast_ogn_variant(system):
    return config["models"]["fast_ogn_layers"], config["systems"][system]["fast_ogn_k"]


def rollout_dir(system, layers, k):
    return f"results/rollouts/{system}/L{layers}_k{k}"


def test_start(system):
    return f"results/md/{system}/test_{config['rollout']['test_trajectory']}.h5"


def accuracy_inputs():
    return [f"{rollout_dir(s, layers, k)}/summary.csv"
            for s in config["models"]["systems"] for layers, k in model_variants(s)]


# ---- Figures of the rollout stage (figures.smk): helpers and start-up checks (here, not beside the rules: snakemake --lint wants rules and functions apart)
def preset_label():
    """The config files this run was started with and the architecture (the figures' footer)."""
    names = [os.path.join(*os.path.normpath(str(path)).split(os.sep)[-2:])
             for path in workflow.configfiles]
    return (" + ".join(names) or "config.yaml") + f"; {architecture_label(config['model'])}"


FIG2_SYSTEMS = [s for s in ["lj"] if s in config["models"]["systems"]]
FIG3_SYSTEMS = [s for s in ["sio2", "si", "cuzr"] if s in config["models"]["systems"]]
LONG_SYSTEMS = [s for s in config["rollout"]["long_systems"] if s in config["models"]["systems"]]


def ogn_rollout_files(systems, name):
    return [f"{rollout_dir(s, *ogn_variant())}/{name}" for s in systems]


def rollout_figure_targets():
    targets = ["results/accuracy.csv", "results/figures/figS2.pdf",
               "results/figures/figS3.pdf"]
    if FIG2_SYSTEMS:
        targets += ["results/figures/fig2.pdf", "results/figures/fig4b.pdf"]
    if FIG3_SYSTEMS:
        targets.append("results/figures/fig3.pdf")
    if LONG_SYSTEMS:
        targets.append("results/figures/figS4.pdf")
    return targets


# ---- Runtime stage (runtime.smk): helpers and start-up checks (here, not beside the rules: snakemake --lint wants rules and functions apart)
RUNTIME = config["runtime"]
RUNTIME_SYSTEMS = list(RUNTIME["systems"])


def runtime_problems():
    """Config mistakes of the runtime block, found before any job runs."""
    from ogn.systems import scaled_counts_and_box
    from ogn.workflow_checks import potential_range

    problems = []
    for name in RUNTIME_SYSTEMS:
        if name not in config["systems"]:
            problems.append(f"runtime.systems names {name!r}, which is not in `systems` "
                            f"({', '.join(SYSTEMS)})")
            continue
        block = config["systems"][name]
        reach = max(block["graph_cutoff"] + RUNTIME["graph_skin"],
                    (potential_range(block) or 0.0) + block["skin"])
        for n_atoms in RUNTIME["sizes"]:
            _, side = scaled_counts_and_box(block, n_atoms)
            if reach > 0.5 * side:
                problems.append(f"runtime.sizes: {n_atoms} atoms of {name} fill a box of "
                                f"{side:.3g}, less than twice its interaction range {reach:g}; "
                                "use more atoms")
    if "lj" not in RUNTIME_SYSTEMS:
        problems.append("runtime.systems must include lj (the complexity index is relative "
                        "to LJ)")
    return problems


_runtime_problems = runtime_problems()
if _runtime_problems:
    raise WorkflowError("cannot start:\n  - " + "\n  - ".join(_runtime_problems))


def runtime_model(system):
    layers, k = fast_ogn_variant(system)
    return f"results/models/{system}/L{layers}_k{k}/model.npz"


# ---- Sweeps, glass vs liquid, summary (sweeps.smk): helpers and start-up checks (here, not beside the rules: snakemake --lint wants rules and functions apart)
from ogn.sweeps import k_sweep_models, layer_sweep_models, sweep_problems, transfer_variants

_sweep_problems = sweep_problems(config)
if _sweep_problems:
    raise WorkflowError("cannot start:\n  - " + "\n  - ".join(_sweep_problems))

SWEEPS = config["sweeps"]
TRANSFER = transfer_variants(config)
TRANSFER_FIGURES = {"5": "size", "6": "temperature", "7": "density"}


def curve_file(system, layers, k):
    return f"results/models/{system}/L{layers}_k{k}/curve.csv"


def every_model():
    """(system, layers, k) of every model of the workflow: the figures' and the sweeps'."""
    models = [(s, layers, k) for s in config["models"]["systems"]
              for layers, k in model_variants(s)]
    return list(dict.fromkeys(models + k_sweep_models(config) + layer_sweep_models(config)))


def glass_and_liquid_models():
    """(system, layers, k) of the Fast-OGN k sweep of the liquid and the glass (Fig. 5)."""
    return k_models_of([SWEEPS["liquid"], SWEEPS["glass"]])


def k_models_of(systems):
    return [m for m in k_sweep_models(config) if m[0] in systems]


def liquid_k_systems():
    return [s for s in SWEEPS["k_systems"] if s not in QUENCHED]


def fast_ogn_model(system):
    return config["models"]["fast_ogn_layers"], config["systems"][system]["fast_ogn_k"]


def transfer_trajectories(system, variant):
    return [f"results/transfer/{system}/{variant}/test_{i}.h5"
            for i in range(SWEEPS["transfer"]["trajectories"])]


def transfer_losses():
    return [f"results/transfer/{system}/{variant}/loss.csv"
            for system, variants in TRANSFER.items() for variant in variants]


def figure_files(name):
    return [f"results/figures/{name}.png", f"results/figures/{name}.pdf"]


def sweep_targets():
    names = ["fig5", "figS1", "figS5", "figS6", "figS7", "figS8", "figS9", "figS10", "figS11",
             "figS12"]
    return [f for name in names for f in figure_files(name)] + [
        "results/summary.csv", "results/summary.md"]


def optional_output(path):
    """[path] if some rule of the workflow writes it (e.g. the rollout stage), else []."""
    for rule_ in workflow.rules:
        if any(str(pattern) == path for pattern in rule_.output):
            return [path]
    return []
