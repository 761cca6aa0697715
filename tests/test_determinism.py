"""Same seed, same files: the stages that draw random numbers (equilibrate, produce, quench,
pairs and a step-limited training), each run by Snakemake in separate processes and separate
work directories, on the tiny CI config.

Two runs with the same seeds must write byte-identical trajectories, pairs files and model
files; the training curve and the checkpoint may differ only in their wall-clock seconds. A
third run with other seeds must differ in every one of them. (Measured on a 2-core EPYC: each
run takes about 60 s, and the two same-seed runs were byte-identical.)
"""

import hashlib
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import REPO

CONFIGS = [str(REPO / "config" / "config.yaml"), str(REPO / ".test" / "config.yaml")]
TARGETS = ["results/md/lj/equilibrated.h5", "results/md/lj/train_0.h5",
           "results/md/lj_glass/quenched.h5", "results/pairs/lj/k5/train.h5",
           "results/models/lj/L2_k5/model.npz"]
# every file these stages write that holds their numbers (not logs or benchmarks)
IDENTICAL = ["md/lj/equilibrated.h5", "md/lj/equilibrate.csv", "md/lj/train_0.h5",
             "md/lj/test_0.h5", "md/lj_glass/quenched.h5", "md/lj_glass/quench.csv",
             "pairs/lj/k5/train.h5", "pairs/lj/k5/test.h5", "models/lj/L2_k5/model.npz"]
CURVE = "models/lj/L2_k5/curve.csv"
CHECKPOINT = "models/lj/L2_k5/model.checkpoint.npz"


def run_stages(workdir, overlay=None):
    configs = CONFIGS + ([str(overlay)] if overlay else [])
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory",
         str(workdir), "--cores", "2", *TARGETS, "--configfile", *configs],
        capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    return workdir / "results"


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory):
    """(results of run 1, of run 2 with the same seeds, of run 3 with other seeds)."""
    overlay = tmp_path_factory.mktemp("seeds") / "seeds.yaml"
    overlay.write_text("md:\n  seed: 2024\ntraining:\n  seed: 1\n")
    return (run_stages(tmp_path_factory.mktemp("first")),
            run_stages(tmp_path_factory.mktemp("second")),
            run_stages(tmp_path_factory.mktemp("other_seeds"), overlay))


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def checkpoint_without_clock(path) -> dict:
    """The checkpoint's arrays, and its metadata without the wall-clock seconds."""
    with np.load(path) as f:
        arrays = {key: f[key] for key in f.files if key != "metadata"}
        metadata = json.loads(str(f["metadata"]))
    metadata.pop("seconds")
    for row in metadata["curve"]:
        row.pop("seconds")
    return {"arrays": arrays, "metadata": metadata}


@pytest.mark.parametrize("name", IDENTICAL)
def test_the_same_seed_gives_byte_identical_files(three_runs, name):
    first, second, _ = three_runs
    assert sha256(first / name) == sha256(second / name)


@pytest.mark.parametrize("name", IDENTICAL)
def test_other_seeds_give_other_files(three_runs, name):
    first, _, other = three_runs
    assert sha256(first / name) != sha256(other / name)


def test_the_training_curve_and_checkpoint_differ_only_in_wall_clock(three_runs):
    first, second, other = three_runs
    curves = [pd.read_csv(run / CURVE) for run in (first, second, other)]
    assert "seconds" in curves[0].columns
    losses = ["train_loss", "test_loss"]
    pd.testing.assert_frame_equal(curves[0].drop(columns="seconds"),
                                  curves[1].drop(columns="seconds"))
    assert not np.array_equal(curves[0][losses].to_numpy(), curves[2][losses].to_numpy())
    a, b = checkpoint_without_clock(first / CHECKPOINT), checkpoint_without_clock(second / CHECKPOINT)
    assert a["metadata"] == b["metadata"]
    assert a["arrays"].keys() == b["arrays"].keys()
    for key in a["arrays"]:
        np.testing.assert_array_equal(a["arrays"][key], b["arrays"][key], err_msg=key)
