# Configuration validation and the small helpers that derive target lists from config.
import os
import re
import sys

sys.path.insert(0, os.path.join(workflow.basedir, "src"))

from snakemake.exceptions import WorkflowError

from ogn.config import ConfigError, validate_config
from ogn.workflow_checks import startup_problems

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
    return md_targets() + model_targets()


def log_path(rule_name, pattern):
    return f"results/logs/{rule_name}/{pattern}.log"


def benchmark_path(rule_name, pattern):
    return f"results/benchmarks/{rule_name}/{pattern}.tsv"
