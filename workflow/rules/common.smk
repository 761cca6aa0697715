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


def trajectory_files(system, split):
    return [f"results/md/{system}/{split}_{i}.h5" for i in range(SPLITS[split])]


def md_targets():
    targets = []
    for system in SYSTEMS:
        targets += trajectory_files(system, "train") + trajectory_files(system, "test")
    return targets


def all_targets():
    return md_targets()


def log_path(rule_name, pattern):
    return f"results/logs/{rule_name}/{pattern}.log"


def benchmark_path(rule_name, pattern):
    return f"results/benchmarks/{rule_name}/{pattern}.tsv"
