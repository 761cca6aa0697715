"""Bad input stops early with a message that names the problem, and overwrites nothing."""

import copy
import os
import subprocess
import sys

import h5py
import numpy as np
import pytest
from conftest import REPO

from ogn.data.h5md import TrajectoryFileError, read_trajectory
from ogn.workflow.checks import startup_problems
from ogn.workflow.config import ConfigError, load_config, validate_config

PAPER = REPO / "config" / "config.yaml"


def test_shipped_configs_are_valid():
    for overlays in ([], ["quick.yaml"], ["quick.yaml", "fast_direct.yaml"], ["fast_direct.yaml"],
                     [REPO / ".test" / "config.yaml"]):
        paths = [PAPER] + [REPO / "config" / overlay for overlay in overlays]
        config = load_config(*paths)
        validate_config(config)
        assert startup_problems(config) == []


def test_unknown_key_is_named(paper_config):
    config = copy.deepcopy(paper_config)
    config["md"]["production"]["n_trian"] = 3
    with pytest.raises(ConfigError, match=r"unknown config key md\.production\.n_trian"):
        validate_config(config)


def test_negative_dt_is_named(paper_config):
    config = copy.deepcopy(paper_config)
    config["systems"]["sio2"]["dt"] = -1.0
    with pytest.raises(ConfigError, match=r"systems\.sio2\.dt = -1\.0"):
        validate_config(config)


def test_mismatched_lengths_are_named(paper_config):
    config = copy.deepcopy(paper_config)
    config["systems"]["lj"]["counts"] = [212]
    with pytest.raises(ConfigError, match=r"systems\.lj\.counts has 1 entries"):
        validate_config(config)


def test_unknown_ynn_fusion_type_is_named(paper_config):
    config = copy.deepcopy(paper_config)
    config["compute"]["xla_cpu_ynn_fusions"] = ["dot", "matmul"]
    with pytest.raises(ConfigError, match=r"compute\.xla_cpu_ynn_fusions"):
        validate_config(config)


def test_ynn_fusion_choice_becomes_the_xla_flag_and_compile_options():
    from ogn.workflow.threads import ynn_compiler_options, ynn_fusion_flag

    assert ynn_fusion_flag(["dot"]) == "--xla_cpu_experimental_ynn_fusion_type=dot"
    assert (ynn_fusion_flag(["dot", "eltwise", "reduce"])
            == "--xla_cpu_experimental_ynn_fusion_type=dot,eltwise,reduce")
    assert ynn_fusion_flag([]) == ""
    assert ynn_compiler_options(["dot", "individual_dot"]) == {
        "xla_cpu_experimental_ynn_fusion_type":
            "LIBRARY_FUSION_TYPE_DOT,LIBRARY_FUSION_TYPE_INDIVIDUAL_DOT"}
    assert ynn_compiler_options([]) == {}
    with pytest.raises(ValueError, match=r"unknown YNNPACK fusion type\(s\) \['matmul'\].*"
                                         r"compute\.xla_cpu_ynn_fusions"):
        ynn_fusion_flag(["matmul"])


def test_ynn_compile_options_reach_xla():
    """The per-compilation form is what bench_model.py --ynn-variants times: XLA must accept
    it and hand the matrix product to YNNPACK."""
    import jax
    import jax.numpy as jnp

    from ogn.workflow.threads import ynn_compiler_options

    x = jnp.ones((64, 32), jnp.float32)
    lowered = jax.jit(lambda a: jnp.maximum(a @ a.T, 0.0)).lower(x)
    with_dot = lowered.compile(compiler_options=ynn_compiler_options(["dot"])).as_text()
    defaults = lowered.compile(compiler_options=ynn_compiler_options([])).as_text()
    assert "__ynn_fusion" in with_dot
    assert with_dot != defaults  # the choice reached the compiler


def test_missing_potential_file_names_key_and_source(paper_config, tmp_path):
    config = copy.deepcopy(paper_config)
    config["systems"]["cuzr"]["potential"]["file"] = str(tmp_path / "nowhere.eam.fs")
    problems = startup_problems(config)
    assert len(problems) == 1
    assert "systems.cuzr.potential.file" in problems[0] and "nowhere.eam.fs" in problems[0]


def test_truncated_trajectory_is_reported(tmp_path):
    path = tmp_path / "train_0.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("particles/all/position/value", data=np.zeros((3, 4, 3)))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(TrajectoryFileError, match="truncated.*rerun"):
        read_trajectory(path)
    with pytest.raises(TrajectoryFileError, match="does not exist"):
        read_trajectory(tmp_path / "missing.h5")


def run_snakemake(workdir, *args):
    env = dict(os.environ)
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory",
         str(workdir), "--cores", "1", *args],
        capture_output=True, text=True, env=env, timeout=300)


def test_bad_config_stops_workflow_before_any_job(tmp_path):
    existing = tmp_path / "results" / "md" / "lj" / "equilibrated.h5"
    existing.parent.mkdir(parents=True)
    existing.write_bytes(b"an existing result")
    before = existing.stat().st_mtime_ns
    bad = tmp_path / "bad.yaml"
    bad.write_text("systems:\n  lj:\n    dt: -0.005\nmd:\n  bogus_key: 1\n")
    result = run_snakemake(tmp_path, "--configfile", str(PAPER), str(bad))
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "systems.lj.dt" in output and "md.bogus_key" in output
    assert existing.read_bytes() == b"an existing result"
    assert existing.stat().st_mtime_ns == before


@pytest.mark.parametrize("edit, message", [
    (lambda c: c["rollout"].update(test_trajectory=10),
     r"rollout\.test_trajectory = 10 names test trajectory 10, but md\.production\.n_test = "
     r"10 makes test_0 to test_9: lower it or raise n_test"),
    (lambda c: c["rollout"]["figure_steps"].update(cuzrr=400),
     r"rollout\.figure_steps names 'cuzrr', which is not under systems: \(lj, lj_glass, sio2, "
     r"si, cuzr\); fix the name"),
    (lambda c: c["rollout"]["long_origins_per_system"].update(glass=30),
     r"rollout\.long_origins_per_system names 'glass', which is not under systems"),
    (lambda c: c["models"].update(systems=["sio2"]),
     r"rollout\.long_systems names 'lj', which models\.systems does not train \(sio2\): add "
     r"it there or remove it"),
])
def test_rollout_names_that_point_at_nothing_are_named(paper_config, edit, message):
    config = copy.deepcopy(paper_config)
    edit(config)
    with pytest.raises(ConfigError, match=message):
        validate_config(config)


def test_sweep_blocks_are_checked_as_the_blocks_they_are_merged_over(paper_config):
    config = copy.deepcopy(paper_config)
    config["sweeps"]["training"] = {"max_stepz": 1200}
    config["sweeps"]["model"] = {"options": {"decoder": "vectors"}}
    with pytest.raises(ConfigError) as error:
        validate_config(config)
    assert "unknown config key sweeps.training.max_stepz" in str(error.value)
    assert "config key sweeps.model.options.decoder = 'vectors'" in str(error.value)


def test_an_unknown_system_is_named():
    from ogn.md.systems import make_system

    config = load_config(PAPER)
    with pytest.raises(ValueError, match=r"no system 'ljj' under systems: \(configured: lj, "
                       r"lj_glass, sio2, si, cuzr\); add a systems\.ljj block"):
        make_system("ljj", config)


def test_a_box_too_small_for_the_eam_cutoff_is_named_before_any_job(paper_config):
    """The EAM file's cutoff (7.6 A for the shipped Cu-Zr file) is read while the workflow
    plans: a CuZr box of 14 A (half of it 7.0 A) is refused with the key to change."""
    config = copy.deepcopy(paper_config)
    config["systems"]["cuzr"]["box"] = 14.0
    config["systems"]["cuzr"]["graph_cutoff"] = 6.0
    with pytest.raises(ConfigError, match=r"systems\.cuzr: potential cutoff 7\.6 \+ skin "
                       r"[0-9.]+ exceeds half the box \(7\.0\); lower systems\.cuzr\.skin or enlarge "
                       r"the box"):
        validate_config(config)


@pytest.mark.parametrize("edit, message", [
    (lambda c: c["systems"]["lj_glass"].update(train_also_on=["liquid"]),
     r"systems\.lj_glass\.train_also_on names 'liquid', which is not a configured system: "
     r"remove it"),
    (lambda c: c["systems"]["lj_glass"].update(train_also_on=["lj_glass"]),
     r"systems\.lj_glass\.train_also_on names 'lj_glass', the system itself"),
    (lambda c: c["systems"]["si"].update(train_also_on=["sio2"]),
     r"systems\.si\.train_also_on names 'sio2', which differs in `species`; pairs join only "
     r"those of the same atoms in the same box"),
    (lambda c: c["systems"]["lj_glass"].update(train_also_on=["lj"]),
     r"systems\.lj_glass\.train_also_on: the sweeps reuse the figures' models .* give the "
     r"sweeps their own models"),
])
def test_train_also_on_names_a_system_of_the_same_atoms_outside_shared_sweeps(
        paper_config, edit, message):
    config = copy.deepcopy(paper_config)
    edit(config)
    with pytest.raises(ConfigError, match=message):
        validate_config(config)


def test_train_also_on_joins_the_named_systems_pairs_at_the_models_k(paper_config):
    """With sweeps of their own, the glass's figure models read the liquid's train pairs at
    their own k beside the glass's, and nothing else changes: the physics block the MD jobs
    read is the same."""
    from ogn.workflow import targets

    config = copy.deepcopy(paper_config)
    config["sweeps"]["training"] = {"max_steps": 100, "max_minutes": None}
    before = targets.system_physics(config, "lj_glass")
    config["systems"]["lj_glass"]["train_also_on"] = ["lj"]
    validate_config(config)
    assert targets.train_also_on_pairs(config, "lj_glass", 5) == ["results/pairs/lj/k5/train.h5"]
    assert targets.train_also_on_pairs(config, "lj", 5) == []
    assert targets.system_physics(config, "lj_glass") == before


def test_a_system_like_another_is_that_system_with_its_own_keys_over_it(paper_config):
    """``like: sio2`` copies silica's block (potential, box, options), less the pairs its
    models learn from, and overlays the system's own keys; the result validates, and a
    change to silica's potential reaches it."""
    from ogn.workflow.config import with_like_systems

    config = copy.deepcopy(paper_config)
    config["systems"]["sio2"]["train_also_on"] = ["sio2_hot"]
    config["systems"]["sio2_hot"] = {"like": "sio2", "temperature": 5000.0,
                                     "production": {"n_train": 2},
                                     "model_options": {"learning_rate": 0.01}}
    config["sweeps"]["training"] = {"max_steps": 100, "max_minutes": None}
    resolved = with_like_systems(config)
    hot, silica = resolved["systems"]["sio2_hot"], resolved["systems"]["sio2"]
    assert "like" not in hot and "train_also_on" not in hot
    assert hot["temperature"] == 5000.0 and hot["production"] == {"n_train": 2}
    assert hot["potential"] == silica["potential"] and hot["box"] == silica["box"]
    # nested blocks merge key by key, as overlays do
    assert hot["model_options"] == {**silica["model_options"], "learning_rate": 0.01}
    assert config["systems"]["sio2_hot"]["like"] == "sio2"  # the input is left as it was
    validate_config(resolved)
    config["systems"]["sio2"]["potential"]["charges"] = [2.4, -1.2]
    assert with_like_systems(config)["systems"]["sio2_hot"]["potential"]["charges"] == [2.4, -1.2]


@pytest.mark.parametrize("like, message", [
    ("silica", r"systems\.hot\.like: 'silica' is not another system in systems \(.*sio2.*\); "
               "name one"),
    ("hot", r"systems\.hot\.like: 'hot' is not another system"),
    ("warm", r"systems\.hot\.like: 'warm' is itself given `like: sio2`; name a system "
             "defined in full"),
])
def test_a_like_that_names_no_full_system_is_named(paper_config, like, message):
    from ogn.workflow.config import with_like_systems

    config = copy.deepcopy(paper_config)
    config["systems"]["warm"] = {"like": "sio2", "temperature": 4000.0}
    config["systems"]["hot"] = {"like": like, "temperature": 5000.0}
    with pytest.raises(ConfigError, match=message):
        with_like_systems(config)


def test_loaded_config_files_resolve_like(tmp_path):
    """``load_config`` (the CLI's and the benchmarks' reader) resolves ``like:`` as the
    workflow does."""
    overlay = tmp_path / "hot.yaml"
    overlay.write_text("systems:\n  sio2_hot: {like: sio2, temperature: 5000.0}\n")
    config = load_config(PAPER, overlay)
    hot = config["systems"]["sio2_hot"]
    assert "like" not in hot and hot["temperature"] == 5000.0
    assert {k: v for k, v in hot.items() if k != "temperature"} == {
        k: v for k, v in config["systems"]["sio2"].items() if k != "temperature"}
    validate_config(config)
