"""The whole DAG on the tiny CI config (.test/config.yaml): every rule runs, outputs are right.

This is the slowest test (a few minutes): it runs Snakemake as a user would, in a scratch
working directory, then checks what the stages wrote.
"""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import REPO

from ogn.data.h5md import read_trajectory
from ogn.workflow.config import load_config

CONFIGS = [str(REPO / "config" / "config.yaml"), str(REPO / ".test" / "config.yaml")]
TARGETS = ("all", "frontier")


def snakemake(workdir, *args, timeout=1500):
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory",
         str(workdir), "--cores", "2", *args, "--configfile", *CONFIGS],
        capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def md_stages_run(tmp_path_factory):
    """The MD stages alone, as the README runs them (the target rule `md`): the work
    directory, what the run returned, and the result files it left."""
    workdir = tmp_path_factory.mktemp("dag")
    result = snakemake(workdir, "md")
    written = {p.relative_to(workdir / "results").as_posix()
               for p in (workdir / "results").rglob("*") if p.is_file()}
    return workdir, result, written


@pytest.fixture(scope="module")
def finished_run(md_stages_run):
    """The whole DAG and the frontier (its own target), run on from the MD stages' results."""
    workdir = md_stages_run[0]
    result = snakemake(workdir, *TARGETS)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    return workdir


def test_the_md_target_runs_the_md_stages_and_stops(md_stages_run):
    """`snakemake md` makes every trajectory, the glass's quench included, and nothing past
    the MD stages runs."""
    _, result, written = md_stages_run
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    config = load_config(*CONFIGS)
    production = config["md"]["production"]
    for name in config["systems"]:
        for kind, count in (("train", production["n_train"]), ("test", production["n_test"])):
            for index in range(count):
                assert f"md/{name}/{kind}_{index}.h5" in written, (name, kind, index)
    assert "md/lj_glass/quenched.h5" in written
    assert {path.split("/")[0] for path in written} <= {"md", "logs", "benchmarks"}, written
    # the jobs kept their compiled programs for the next ones (compute.compilation_cache)
    cache = md_stages_run[0] / ".snakemake" / "jax-cache"
    assert any(cache.glob("*-cache")), "no compilation cache"


def test_every_rule_ran_and_nothing_is_left_to_do(finished_run):
    result = snakemake(finished_run, *TARGETS, "-n")
    assert result.returncode == 0
    assert "Nothing to be done" in result.stdout + result.stderr
    ran = {p.relative_to(finished_run / "results" / "benchmarks").parts[0]
           for p in (finished_run / "results" / "benchmarks").rglob("*.tsv")}
    listed = snakemake(finished_run, "--list-rules")
    rules = {line.strip() for line in listed.stdout.splitlines()
             if line.strip() and " " not in line.strip()} - {"all", "md", "models", "frontier"}
    assert len(rules) >= 35, listed.stdout
    assert ran == rules, (sorted(rules - ran), sorted(ran - rules))


def test_every_figure_of_the_paper_and_supplement_is_made(finished_run):
    figures = finished_run / "results" / "figures"
    names = ["fig2", "fig3", "fig4", "fig4b", "fig5"] + [f"figS{i}" for i in range(1, 13)]
    for name in names:
        for suffix in (".pdf", ".png"):
            path = figures / f"{name}{suffix}"
            assert path.exists() and path.stat().st_size > 5000, path
    summary = pd.read_csv(finished_run / "results" / "summary.csv")
    assert len(summary) >= 5


def test_runtime_tables_time_every_engine_at_every_size(finished_run):
    """The tiny config times lj and si at 300 and 600 atoms; the no-list baseline at both
    (its second size passes the N^2 memory check), each time positive; the paper's network
    is labelled a timing reference."""
    for system in ("lj", "si"):
        table = pd.read_csv(finished_run / "results" / "runtime" / f"{system}.csv")
        reference = table[table["engine"] == "paper_ogn"]
        assert reference["model"].str.contains("untrained").all(), reference
        for engine in ("md", "fast_ogn", "lammps", "md_all_pairs", "paper_ogn"):
            rows = table[table["engine"] == engine]
            assert len(rows) == 2, (system, engine, table)
            assert (rows["median_s"] > 0).all()
        sizes = sorted(table.loc[table["engine"] == "md_all_pairs", "N"])
        assert sizes[1] > sizes[0] > 0


def test_the_frontier_judges_and_times_every_point_of_its_grid(finished_run):
    """The tiny frontier: the direct predictor (its network in float32 and in bfloat16) and
    the learned force in 5 substeps at k = 5, each with its one-step losses, its rollout, and
    its time beside our MD and LAMMPS; the bfloat16 point runs its float32 twin's model."""
    table = pd.read_csv(finished_run / "results" / "frontier" / "lj.csv")
    assert sorted(table["point"]) == ["k5_n0_L1_w16_c1", "k5_n0_L1_w16_c1_bf16",
                                      "k5_n5_L1_w16_c1"]
    by_point = table.set_index("point")
    assert by_point.loc["k5_n0_L1_w16_c1_bf16", "precision"] == "bfloat16"
    assert by_point.loc["k5_n5_L1_w16_c1", "precision"] == "float32"
    assert by_point.loc["k5_n0_L1_w16_c1_bf16", "model"] == by_point.loc["k5_n0_L1_w16_c1",
                                                                          "model"]
    assert not (finished_run / "results" / "frontier" / "lj" / "k5_n0_L1_w16_c1_bf16"
                / "model.npz").exists()
    # the same model in bfloat16: its one-step losses move by bfloat16's rounding, not more
    losses = by_point.loc[["k5_n0_L1_w16_c1", "k5_n0_L1_w16_c1_bf16"], "test_loss_dv"]
    assert losses.iloc[0] != losses.iloc[1]
    assert abs(losses.iloc[1] / losses.iloc[0] - 1) < 0.5
    families = dict(zip(table["point"], table["step_family"], strict=True))
    assert families["k5_n0_L1_w16_c1"].startswith("direct predictor"), families
    assert families["k5_n5_L1_w16_c1"].startswith("learned pair force, 5 substeps"), families
    assert (table[["learned_s", "md_s", "lammps_s"]] > 0).all().all()
    assert np.allclose(table["over_md"], table["learned_s"] / table["md_s"])
    assert (table["N"] > 0).all() and (table["training_steps"] > 0).all()
    assert (table["test_loss_dr"] > 0).all() and (table["stable_md_steps"] >= 0).all()
    assert table["pareto"].dtype == bool and table["meets_targets"].dtype == bool
    assert (finished_run / "results" / "figures" / "figS13.pdf").stat().st_size > 0


def test_trajectories_follow_the_config(finished_run):
    config = load_config(*CONFIGS)
    steps = config["md"]["production"]["steps"]
    for name, block in config["systems"].items():
        trajectory = read_trajectory(finished_run / "results" / "md" / name / "train_0.h5")
        assert trajectory.position.shape == (steps + 1, sum(block["counts"]), 3)
        assert trajectory.species_names == block["species"]
        np.testing.assert_allclose(trajectory.box, block["box"])
        assert trajectory.metadata["system"] == name
        total = trajectory.observables["total_energy"]
        kinetic = trajectory.observables["kinetic_energy"]
        assert np.ptp(total) < 5e-3 * kinetic.mean(), name
    quench = pd.read_csv(finished_run / "results" / "md" / "lj_glass" / "quench.csv")
    assert quench["target_temperature"].iloc[0] == pytest.approx(3.0)
    assert quench["target_temperature"].iloc[-1] == pytest.approx(0.5)


def test_models_and_curves_exist(finished_run):
    config = load_config(*CONFIGS)
    for name in config["models"]["systems"]:
        k = config["systems"][name]["fast_ogn_k"]
        for layers, stride in ((config["models"]["ogn_layers"], 1),
                               (config["models"]["fast_ogn_layers"], k)):
            folder = finished_run / "results" / "models" / name / f"L{layers}_k{stride}"
            curve = pd.read_csv(folder / "curve.csv")
            assert list(curve.columns)[:6] == ["step", "epoch", "lr", "train_loss",
                                               "test_loss", "seconds"]
            assert curve["step"].iloc[-1] == config["training"]["max_steps"]
            assert np.isfinite(curve["train_loss"]).all()
            assert (folder / "model.npz").stat().st_size > 0


def test_the_glass_learns_from_the_liquids_pairs_beside_its_own(finished_run):
    """systems.lj_glass.train_also_on: [lj] (the tiny config, as the quick preset): the
    glass's figure models learn from both systems' train pairs (the model file and the log
    say so), its sweep models from its own alone."""
    from ogn.net.modelfile import load_model

    config = load_config(*CONFIGS)
    assert config["systems"]["lj_glass"]["train_also_on"] == ["lj"]
    results = finished_run / "results"
    k = config["systems"]["lj_glass"]["fast_ogn_k"]
    meta = load_model(results / "models" / "lj_glass" / f"L2_k{k}" / "model.npz").metadata
    assert meta["train_systems"] == ["lj_glass", "lj"] and meta["system"] == "lj_glass"
    log = (results / "logs" / "train" / "lj_glass" / f"L2_k{k}.log").read_text()
    assert "training pairs: " in log and " of lj_glass, " in log and " of lj; test pairs: " in log
    sweep = load_model(results / "sweeps" / "models" / "lj_glass" / "L2_k5" / "model.npz")
    assert sweep.metadata["train_systems"] == ["lj_glass"]
    summary = pd.read_csv(results / "rollouts" / "lj_glass" / f"L2_k{k}" / "summary.csv")
    assert summary["step_family"].iloc[0].endswith("; also learned from lj's pairs")
    own = pd.read_csv(results / "rollouts" / "lj" / f"L2_k{k}" / "summary.csv")
    assert "also learned" not in own["step_family"].iloc[0]


def test_the_sweeps_train_a_direct_predictor_of_their_own_for_the_same_steps(finished_run):
    """The tiny config's sweep models (sweeps.model, sweeps.training): the vector decoder,
    every one for the same 10 steps, under results/sweeps/models/; their figures name them."""
    from ogn.net.modelfile import load_model
    from ogn.workflow.sweeps import sweep_models

    config = load_config(*CONFIGS)
    models = sweep_models(config)
    assert len(models) == 5
    for system, layers, k in models:
        folder = finished_run / "results" / "sweeps" / "models" / system / f"L{layers}_k{k}"
        assert pd.read_csv(folder / "curve.csv")["step"].iloc[-1] == 10
        network = load_model(folder / "model.npz").metadata["network"]
        assert network["decoder"] == "vector" and network["n_layers"] == layers
    losses = pd.read_csv(finished_run / "results" / "sweeps" / "final_losses.csv")
    assert set(losses["role"]) == {"figures", "sweeps"}
    assert (losses[losses["role"] == "sweeps"]["steps"] == 10).all()
    log = (finished_run / "results" / "logs" / "fig5" / "fig5.log").read_text()
    assert "Traceback" not in log


def test_ablation_trains_every_variant_with_its_options(finished_run):
    """Each ablation model is the variant it claims (options in the model file), the
    curriculum variant went through k = 1 first, and the table holds every row."""
    from ogn.net.modelfile import load_model

    config = load_config(*CONFIGS)
    table = pd.read_csv(finished_run / "results" / "ablation" / "table.csv")
    cases = [tuple(case) for case in config["ablation"]["cases"]]
    assert config["ablation"]["reference_substeps"] == [1, 5] and cases == [("lj", 5)]
    references = table[table["variant"].str.startswith("verlet")].set_index("variant")
    models = table[~table["variant"].str.startswith("verlet")]
    assert len(models) == len(cases) * len(config["ablation"]["variants"])
    assert np.isfinite(models[["test_loss_dr", "test_loss_dv", "ms_per_step"]]).all().all()
    # the integrator reference: k substeps per stride are the MD that made the data (exact up
    # to the files' float32), one step of 5 dt is far off
    assert list(references.index) == ["verlet1", "verlet5"]
    exact = references.loc["verlet5"]
    assert exact["test_loss_dr"] < 1e-9 and exact["test_loss_dv"] < 1e-9
    assert exact["position_rmse"] < 1e-5 and exact["velocity_rmse"] < 1e-4
    assert not isinstance(exact["stop_reason"], str)
    assert references.loc["verlet1", "test_loss_dv"] > 1e-3
    for system, k in cases:
        folder = finished_run / "results" / "ablation" / system / f"k{k}"
        paper = load_model(folder / "paper" / "model.npz")
        network = paper.network_config
        assert (network.decoder, network.radial_basis, network.aggregation) == \
            ("node", 0, "sum")
        recipe = paper.metadata["training_config"]  # the paper's recipe, options all off
        assert recipe.get("time_reversal", False) is False
        assert float(recipe.get("curriculum_k1_fraction") or 0.0) == 0.0
        assert recipe["learning_rate"] == config["training"]["learning_rate"]
        assert not (folder / "paper" / "curve.k1.csv").exists()
        relvel = load_model(folder / "relvel" / "model.npz")
        assert relvel.network_config.decoder == "vector"
        assert relvel.network_config.radial_basis == 8
        assert relvel.network_config.relative_velocity_vectors is True
        assert (relvel.metadata["training_config"]["lr_decay_rate"],
                relvel.metadata["training_config"]["lr_decay_steps"]) == (0.5, 100)
        assert relvel.metadata["training_config"]["time_reversal"] is True
        assert relvel.metadata["training_config"]["loss_weights"] == {"dr": 1.0, "dv": 2.0}
        assert (folder / "relvel" / "curve.k1.csv").exists()  # the k = 1 phase ran first
        best = load_model(folder / "best" / "model.npz")  # model.options: the pair force
        assert best.network_config.decoder == "pair_force"
        assert best.network_config.radial_basis == 8
        # model.options with the case system's own options over them (LJ: substeps of at
        # most 1.25 dt, its own decay)
        options = {**config["model"]["options"],
                   **(config["systems"][system].get("model_options") or {})}
        substeps = int(np.ceil(k / float(options.get("pair_force_substep", 2.0)) - 1e-9))
        assert (best.network_config.substeps, best.network_config.stride_time) == \
            (substeps, pytest.approx(k * config["systems"][system]["dt"]))
        assert (best.metadata["training_config"]["lr_decay_rate"],
                best.metadata["training_config"]["lr_decay_steps"]) == (
                    options["lr_decay_rate"], options["lr_decay_steps"])
        assert best.metadata["training_config"]["time_reversal"] is True
        assert not (folder / "best" / "curve.k1.csv").exists()


def test_a_trained_model_runs_on_a_lammps_data_file_from_the_command_line(finished_run,
                                                                         tmp_path):
    """The README's `ogn simulate` use: a model the workflow trained, a LAMMPS data file
    written by LAMMPS, a trajectory out; `ogn info` reports the model and its rollout."""
    from ogn.md.lammps import new_lammps, setup_system
    from ogn.md.systems import make_system

    config = load_config(*CONFIGS)
    block, k = config["systems"]["lj"], config["systems"]["lj"]["fast_ogn_k"]
    model = finished_run / "results" / "models" / "lj" / \
        f"L{config['models']['fast_ogn_layers']}_k{k}" / "model.npz"
    md = read_trajectory(finished_run / "results" / "md" / "lj" / "test_0.h5")
    data = tmp_path / "lj.data"
    commands = make_system("lj", config).potential.lammps_commands
    lmp = new_lammps()
    try:
        setup_system(lmp, md.position[0], md.box, md.species, block["masses"], commands, "lj",
                     velocity=md.velocity[0])
        lmp.command(f"write_data {data}")
    finally:
        lmp.close()
    out = tmp_path / "lj_rollout.h5"
    ogn = [sys.executable, "-m", "ogn.cli"]
    result = subprocess.run([*ogn, "simulate", str(model), str(data), "--types", "A", "B",
                             "--steps", str(2 * k), "--out", str(out)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "MD step" in result.stdout
    trajectory = read_trajectory(out)
    assert list(trajectory.step) == [0, k, 2 * k]
    np.testing.assert_allclose(trajectory.position[0], np.mod(md.position[0], md.box),
                               atol=1e-9)
    info = subprocess.run([*ogn, "info", str(model)], capture_output=True, text=True,
                          timeout=300)
    assert info.returncode == 0, info.stderr[-3000:]
    assert "system         lj" in info.stdout and f"stride k       {k} MD" in info.stdout
    assert "kob_andersen" in info.stdout
