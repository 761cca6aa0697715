"""Glass vs liquid and the supplement's sweeps: fictive temperature, displacements, final losses,
the sweep plan from config, and rerunning exactly the affected jobs after a config edit."""

import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import REPO

from ogn.data.h5md import Trajectory
from ogn.evaluate.glass import (
    cooling_part,
    fictive_temperature,
    mean_square_displacement,
    rmsd_curve,
)
from ogn.evaluate.losses import final_loss, loss_knee
from ogn.workflow.checks import sweep_problems
from ogn.workflow.config import load_config
from ogn.workflow.sweeps import (
    k_sweep_models,
    layer_sweep_models,
    number_density,
    transfer_variants,
)

CONFIGS = [REPO / "config" / "config.yaml", REPO / ".test" / "config.yaml"]


def cooling_curve(fictive, slope_liquid=1.6, slope_glass=0.9, noise=0.0, seed=0):
    """Energy vs T made of two lines that cross at ``fictive`` (a glass transition)."""
    temperature = np.linspace(3.0, 0.5, 101)
    energy = np.where(temperature > fictive,
                      -7.0 + slope_liquid * (temperature - fictive),
                      -7.0 + slope_glass * (temperature - fictive))
    energy = energy + noise * np.random.default_rng(seed).standard_normal(temperature.size)
    return temperature, energy


def test_fictive_temperature_of_two_crossing_lines_is_their_crossing():
    temperature, energy = cooling_curve(0.8)
    result = fictive_temperature(temperature, energy, (1.0, 2.0), (0.5, 0.7))
    assert result.temperature == pytest.approx(0.8, abs=1e-9)
    assert result.energy == pytest.approx(-7.0, abs=1e-9)
    assert result.liquid.slope == pytest.approx(1.6)
    assert result.glass.slope == pytest.approx(0.9)
    assert result.glass.n_points == 9  # T = 0.5, 0.525, ..., 0.7


def test_fictive_temperature_with_noise_stays_close():
    temperature, energy = cooling_curve(0.75, noise=0.01, seed=3)
    result = fictive_temperature(temperature, energy, (1.0, 3.0), (0.5, 0.7))
    assert abs(result.temperature - 0.75) < 0.03


def test_fictive_temperature_window_without_points_names_the_fix():
    temperature, energy = cooling_curve(0.8)
    with pytest.raises(ValueError, match="sweeps.fictive"):
        fictive_temperature(temperature, energy, (1.0, 2.0), (0.1, 0.2))


def test_cooling_part_keeps_the_ramp_only():
    curve = pd.DataFrame({"phase": ["quench"] * 3 + ["relax"] * 2,
                          "target_temperature": [3.0, 1.75, 0.5, 0.5, 0.5],
                          "potential_energy": [1.0, 2.0, 3.0, 4.0, 5.0]})
    temperature, energy = cooling_part(curve)
    np.testing.assert_array_equal(temperature, [3.0, 1.75, 0.5])
    np.testing.assert_array_equal(energy, [1.0, 2.0, 3.0])


def test_msd_of_ballistic_motion_is_v_squared_t_squared():
    velocity = np.array([[0.3, -0.4, 1.2], [1.0, 0.0, 0.0]])  # |v|^2 = 1.69 and 1.0
    time = np.arange(21, dtype=float)
    position = time[:, None, None] * velocity[None]
    lags = np.array([1, 5, 20])
    msd = mean_square_displacement(position, lags)
    np.testing.assert_allclose(msd, 0.5 * (1.69 + 1.0) * lags ** 2)


def test_rmsd_curve_uses_frame_times():
    time = np.arange(11) * 0.005
    position = np.zeros((11, 2, 3))
    position[:, 0, 0] = np.arange(11) * 0.1  # one atom moves 0.1 per frame, one sits still
    trajectory = Trajectory(position=position, velocity=np.zeros_like(position),
                            step=np.arange(11), time=time, species=np.zeros(2, np.int32),
                            species_names=["A"], mass=np.ones(2), box=np.full(3, 5.0),
                            observables={}, metadata={})
    curve = rmsd_curve([trajectory, trajectory], n_lags=3)
    np.testing.assert_allclose(curve["time"], [0.005, 0.015, 0.05])
    np.testing.assert_allclose(curve["rmsd"], 0.1 * np.array([1, 3, 10]) / np.sqrt(2))


def test_final_loss_averages_the_last_evaluations():
    curve = pd.DataFrame({"test_loss": [5.0, 4.0, 3.0, 1.0], "train_loss": [1, 1, 1, 1]})
    assert final_loss(curve, 2) == pytest.approx(2.0)
    assert final_loss(curve, 10) == pytest.approx(3.25)
    assert np.isnan(final_loss(curve.iloc[:0], 3))


def test_loss_knee_finds_the_sharp_rise():
    ks = [20, 1, 2, 5, 10, 50]
    losses = [0.9, 0.010, 0.012, 0.02, 0.05, 3.0]  # 0.05 > 3 x 0.010: rises after k = 5
    knee = loss_knee(ks, losses, 3.0)
    assert (knee.last_good_k, knee.first_bad_k) == (5, 10)
    assert loss_knee(ks, losses, 100.0) == (20, 50)
    assert loss_knee([1, 2], [1.0, 1.5], 3.0) == (2, None)


def test_sweep_plan_of_the_paper_config():
    config = load_config(REPO / "config" / "config.yaml")
    k_models = k_sweep_models(config)
    assert len(k_models) == 5 * 6  # five systems, k in 1, 2, 5, 10, 20, 50
    assert ("lj_glass", 2, 20) in k_models and ("cuzr", 2, 50) in k_models
    assert layer_sweep_models(config) == [("lj", n, 5) for n in (1, 2, 4, 10)]


def test_transfer_variants_keep_what_they_should():
    config = load_config(REPO / "config" / "config.yaml")
    lj = config["systems"]["lj"]
    variants = transfer_variants(config)["lj"]
    size = variants["size4"]["block"]
    assert sum(size["counts"]) == 4 * 265
    assert number_density(size) == pytest.approx(number_density(lj), rel=1e-12)
    assert variants["temperature1.3333"]["block"]["temperature"] == pytest.approx(4.0, rel=1e-4)
    dense = variants["density1.1"]["block"]
    assert dense["box"] == lj["box"] and sum(dense["counts"]) == 292
    assert lj["counts"] == [212, 53]  # the base block is not modified


def test_sweep_problems_name_the_key():
    config = load_config(*CONFIGS)
    assert sweep_problems(config) == []
    config["sweeps"]["k_systems"] = ["lj", "argon"]
    config["sweeps"]["glass"] = "lj"
    config["sweeps"]["k"] = [5, 100]
    problems = "\n".join(sweep_problems(config))
    assert "sweeps.k_systems names 'argon'" in problems
    assert "sweeps.glass = 'lj' has no `quench` block" in problems
    assert "k = [100]" in problems


def snakemake_in(workdir, *args):
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--configfile", "config/config.yaml",
         ".test/config.yaml", *args], cwd=workdir, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result.stdout


def pending_outputs(workdir) -> list[str]:
    """Output files that Snakemake plans to (re)make, from ``--summary``."""
    table = snakemake_in(workdir, "--summary")
    rows = [line.split("\t") for line in table.splitlines()[1:] if line.count("\t") >= 5]
    return [row[0] for row in rows if row[5] != "no update"]


def test_editing_one_system_reruns_only_its_jobs(tmp_path):
    """A copy of the workflow with every output present and its provenance recorded
    (placeholder files, `--touch --forceall`); then systems.si.temperature is edited and the
    plan must hold the Si jobs and the figures that gather all systems, nothing else."""
    for name in ("Snakefile", "workflow", "config", ".test", "src", "envs"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    outputs = pending_outputs(tmp_path)
    assert "results/md/si/equilibrated.h5" in outputs
    for path in outputs:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).touch()
    snakemake_in(tmp_path, "--touch", "--forceall", "--cores", "1")
    assert pending_outputs(tmp_path) == []

    config_file = tmp_path / "config" / "config.yaml"
    text = config_file.read_text()
    assert text.count("temperature: 2000.0") == 1
    config_file.write_text(text.replace("temperature: 2000.0", "temperature: 2100.0"))
    pending = pending_outputs(tmp_path)

    systems = set(load_config(*CONFIGS)["systems"])
    touched = {part for path in pending for part in path.split("/") if part in systems}
    assert touched == {"si"}, sorted(pending)
    for needed in ("results/md/si/equilibrated.h5", "results/md/si/test_0.h5",
                   "results/pairs/si/k10/train.h5", "results/models/si/L2_k10/model.npz",
                   "results/sweeps/final_losses.csv", "results/figures/figS1.png",
                   "results/summary.csv"):
        assert needed in pending, needed
    # nothing that depends only on other systems: the glass's quench, the LJ transfer runs
    assert not [p for p in pending if p.startswith(("results/transfer/", "results/md/lj"))]
    for unaffected in ("figS11", "fig5", "figS10", "figS8"):  # glass, LJ-only figures
        assert f"results/figures/{unaffected}.png" not in pending, unaffected


def test_summary_sets_our_numbers_next_to_the_paper_and_marks_the_missing_ones():
    from ogn.report.headline import headline_rows, markdown_table

    config = load_config(REPO / "config" / "config.yaml")
    losses = pd.DataFrame({"system": ["lj", "lj_glass", "lj", "lj", "lj_glass", "lj_glass",
                                      "lj", "lj", "lj"],
                           "layers": [2, 2, 2, 2, 2, 2, 1, 4, 10],
                           "k": [20, 20, 1, 5, 1, 5, 5, 5, 5],
                           "final_test_loss": [0.5, 0.05, 0.01, 0.05, 0.001, 0.002,
                                               0.08, 0.045, 0.04],
                           "steps": [100] * 9, "epochs": [1.0] * 9})
    rmsd = pd.DataFrame({"state": ["liquid", "liquid", "glass", "glass"],
                         "time": [0.1, 1.0, 0.1, 1.0], "rmsd": [0.1, 1.0, 0.05, 0.1]})
    fictive = pd.DataFrame({"fictive_temperature": [0.71], "final_temperature": [0.5]})
    transfer = pd.DataFrame({"kind": ["size"], "factor": [4.0], "loss_ratio": [1.25],
                             "system": ["lj"]})
    rows = headline_rows(losses=losses, rmsd=rmsd, fictive=fictive, transfer=transfer,
                         accuracy=None, sweeps=config["sweeps"], models=config["models"],
                         training=config["training"],
                         production=config["md"]["production"],
                         fast_ogn_k={s: b["fast_ogn_k"] for s, b in config["systems"].items()})
    table = {(r["figure"], r["quantity"]): r["ours"] for r in rows}
    assert table[("5B", "test loss liquid / glass, Fast-OGN k = 20")] == "10"
    assert table[("5A", "RMSD liquid / glass at t = 1 (MD)")] == "10"
    assert table[("5C", "k where the final loss turns up sharply, lj")] == "1-5"
    assert table[("5C", "k where the final loss turns up sharply, lj_glass")] == "5-20"
    by_quantity = {r["quantity"]: r for r in rows}
    ratios = by_quantity["test loss liquid / glass at each swept k, Fast-OGN (lj / lj_glass)"]
    assert ratios["ours"] == "k = 1: 10, k = 5: 25, k = 20: 10"
    assert ratios["note"] == "the liquid's loss above the glass's at every swept k"
    depth = by_quantity["final test loss vs message-passing layers (layers: loss), lj, k = 5"]
    assert depth["ours"] == "1: 0.08, 2: 0.05, 4: 0.045, 10: 0.04"
    assert depth["note"] == "10 layers / 2 layers: 0.8; 1 / 2 layers: 1.6"
    assert table[("S11", "fictive temperature of lj_glass")] == "0.71"
    assert table[("2C", "position RMSE, OGN, lj")] == "not computed"
    assert table[("S7", "transfer to other densities: loss / loss at training conditions")] \
        == "not computed"
    assert "x4: 1.25" in table[("S5", "transfer to other sizes: one-step loss / loss at "
                                      "training conditions")]
    assert markdown_table(pd.DataFrame(rows)).count("\n") == len(rows) + 2


def test_summary_reads_the_figures_models_and_the_sweeps_models_apart():
    """A loss table with both roles: S1 (the OGN's loss) from the figures' model, 5B from the
    sweep models, whose rows name the sweep training."""
    from ogn.report.headline import headline_rows

    config = load_config(REPO / "config" / "config.yaml")
    losses = pd.DataFrame({"system": ["lj", "lj", "lj", "lj_glass"],
                           "layers": [10, 2, 2, 2], "k": [1, 20, 20, 20],
                           "final_test_loss": [0.3, 0.9, 0.4, 0.1],
                           "steps": [700, 300, 1200, 1200], "epochs": [1.0] * 4,
                           "role": ["figures", "figures", "sweeps", "sweeps"]})
    empty = pd.DataFrame({"state": [], "time": [], "rmsd": []})
    rows = headline_rows(losses=losses, rmsd=empty,
                         fictive=pd.DataFrame({"fictive_temperature": [], "final_temperature": []}),
                         transfer=pd.DataFrame({"kind": [], "factor": [], "loss_ratio": [],
                                                "system": []}),
                         accuracy=None, sweeps=config["sweeps"], models=config["models"],
                         training=config["training"], production=config["md"]["production"],
                         fast_ogn_k={s: b["fast_ogn_k"] for s, b in config["systems"].items()},
                         sweep_training={**config["training"], "max_steps": 1200},
                         sweep_models="sweep models: vector decoder")
    by_figure = {r["figure"]: r for r in rows}
    assert by_figure["S1"]["ours"] == "0.3"
    assert by_figure["5B"]["ours"] == "4"  # 0.4 / 0.1, not the figures' 0.9
    assert "at most 1200 steps; " in by_figure["5B"]["settings"]
    assert by_figure["5B"]["settings"].endswith("sweep models: vector decoder")
    assert "1200" not in by_figure["S1"]["settings"]


def test_a_crossing_below_the_end_of_the_ramp_is_flagged_not_reported_as_fine():
    from ogn.report.headline import _fictive_caveat

    def table(fictive, final, ratio):
        return pd.DataFrame([{"fictive_temperature": fictive, "final_temperature": final,
                              "glass_over_liquid_slope": ratio}])

    assert _fictive_caveat(table(0.62, 0.5, 0.6)) == ""
    assert "below the end of the ramp" in _fictive_caveat(table(0.12, 0.5, 0.69))
    assert "not flatter" in _fictive_caveat(table(0.7, 0.5, 1.1))
    both = _fictive_caveat(table(0.3, 0.5, 1.2))
    assert both.count("; ill-determined: ") == 2 and "below the end" in both


def test_summary_sets_the_timed_models_speed_beside_its_own_rollout_errors():
    """4C: the learned model's time over our MD's and LAMMPS's at the largest N, from the
    runtime table, with the accuracy row of the same (system, layers, k) in the note."""
    from ogn.report.headline import speed_rows

    runtime = pd.DataFrame({
        "system": ["sio2"] * 6, "N": [1000] * 3 + [10000] * 3,
        "engine": ["md", "fast_ogn", "lammps"] * 2,
        "median_s": [1.0, 0.5, 0.8, 8.0, 2.0, 4.0],
        "model": ["", "results/models/sio2/L2_k10/model.npz", ""] * 2,
        "model_k": [0, 10, 0] * 2, "substeps": [0, 5, 0] * 2,
        "layout": ["cells", "rows", ""] * 2})
    accuracy = pd.DataFrame({"system": ["sio2"], "layers": [2], "k": [10],
                             "evaluated_md_step": [100], "position_rmse_over_cage": [0.035],
                             "velocity_rmse_over_scale": [0.083], "verdict": ["accurate"]})
    (row,) = speed_rows({"sio2": runtime}, accuracy, 2)
    assert row[0] == "4C" and "N = 10000" in row[1]
    assert row[3] == "0.25 / 0.5"  # 2 s / 8 s and 2 s / 4 s
    assert "L2_k10/model.npz (k = 10, 5 substeps, rows)" in row[4]
    assert "position 0.035 of the cage, velocity 0.083" in row[4] and "accurate" in row[4]
    (missing,) = speed_rows({}, None, 2)
    assert missing[3] == "not computed"
    # the paper's network as a timing reference: its ratio to our MD in the note
    reference = pd.concat([runtime, pd.DataFrame({
        "system": ["sio2"], "N": [10000], "engine": ["paper_ogn"], "median_s": [12.0],
        "model": ["reference: the paper's 2-layer OGN"], "model_k": [10], "substeps": [0],
        "layout": ["edges"]})])
    (with_reference,) = speed_rows({"sio2": reference}, accuracy, 2)
    assert with_reference[3] == "0.25 / 0.5"
    assert "timing reference): 1.5 of our MD" in with_reference[4]  # 12 s / 8 s
    from ogn.runtime.summary import ratio_summary
    summary = ratio_summary(reference)
    assert summary["paper_ogn_over_md"] == 1.5 and summary["fast_ogn_over_md"] == 0.25
    assert np.isnan(ratio_summary(runtime)["paper_ogn_over_md"])  # not timed


def test_summary_settings_name_the_systems_own_budgets():
    """A system that trains for its own budget (systems.<s>.training.max_minutes) is named in
    the settings column beside the preset's budget."""
    from ogn.report.headline import settings_label

    production = {"n_train": 3, "steps": 1000}
    training = {"epochs": 1000, "max_steps": None, "max_minutes": 2.5}
    assert settings_label(training, production) == ("1000 epochs, at most 2.5 min; 3 train x "
                                                    "1000 MD steps")
    assert settings_label(training, production, {"lj": 5.0}) == (
        "1000 epochs, at most 2.5 min (lj: 5 min); 3 train x 1000 MD steps")
