"""The accuracy/speed frontier: its grid of points and their config blocks, the Pareto front,
the targets, the interleaved timing, and the config checks of the ``frontier`` block."""

import copy

import numpy as np
import pandas as pd
import pytest

from ogn.net.options import option_conflicts
from ogn.report.headline import frontier_markdown
from ogn.runtime.frontier import (
    frontier_table,
    meets_targets,
    pareto_mask,
    point_error,
    recommended_point,
)
from ogn.runtime.timing import interleaved_seconds
from ogn.workflow import frontier as plan
from ogn.workflow.config import ConfigError, validate_config


@pytest.fixture()
def grid_config(paper_config):
    config = copy.deepcopy(paper_config)
    config["frontier"].update(systems=["sio2", "si"], k=[1, 10], substeps=[0, 1, 5],
                              layers=[2, 4], width=[32], cutoff_fraction=[0.5, 1.0])
    return config


def test_the_grid_is_the_product_of_its_axes_less_what_would_repeat(grid_config):
    points = plan.frontier_points(grid_config)
    # direct: 2 k x 2 layers x 2 cutoffs = 8; learned force: (k=1: n=1; k=10: n=1, 5) at the
    # first layer count only, x 2 cutoffs = 6; k = 1 with 5 substeps is left out
    assert len(points) == 14
    assert "k10_n5_L2_w32_c0.5" in points and "k1_n5_L2_w32_c1" not in points
    assert "k10_n5_L4_w32_c1" not in points and "k10_n0_L4_w32_c1" in points
    for name, point in points.items():
        assert plan.point_name(point) == name
    with pytest.raises(ValueError, match="not a point of the frontier grid"):
        plan.frontier_point(grid_config, "k3_n0_L2_w32_c1")


def test_a_bfloat16_point_runs_its_float32_twins_model_and_a_learned_force_stays_float32(
        grid_config):
    grid_config["frontier"]["precision"] = ["float32", "bfloat16"]
    points = plan.frontier_points(grid_config)
    # the 8 direct points twice, the 6 learned-force points once (float32)
    assert len(points) == 8 * 2 + 6
    assert points["k10_n0_L2_w32_c1_bf16"]["precision"] == "bfloat16"
    assert "k10_n5_L2_w32_c1_bf16" not in points
    assert points["k10_n5_L2_w32_c1"]["precision"] == "float32"
    assert plan.trained_name(points["k10_n0_L2_w32_c1_bf16"]) == "k10_n0_L2_w32_c1"
    assert (plan.point_model("si", points["k10_n0_L2_w32_c1_bf16"])
            == "results/frontier/si/k10_n0_L2_w32_c1/model.npz")
    trained = plan.trained_points(grid_config)
    assert len(trained) == 8 + 6 and all(p["precision"] == "float32" for p in trained.values())
    grid_config["frontier"]["precision"] = ["bfloat16"]  # the twins are trained all the same
    assert "k10_n0_L2_w32_c1" in plan.trained_points(grid_config)
    assert "k10_n0_L2_w32_c1" not in plan.frontier_points(grid_config)


def test_a_point_trains_its_step_family_width_and_cutoff(grid_config):
    points = plan.frontier_points(grid_config)
    direct = plan.point_model_block(grid_config, "sio2", points["k10_n0_L4_w32_c1"])
    assert direct["architecture"] == "extended"
    assert direct["latent_size"] == direct["hidden_size"] == 32
    assert direct["options"]["decoder"] == "vector"
    assert direct["options"]["tabulate"] == 0 and direct["options"]["repulsive_core"] == 0.0
    # a system whose learned force is trained as tables (the quick preset's silica): its
    # direct points learn no tables
    tabled = copy.deepcopy(grid_config)
    tabled["systems"]["sio2"]["model_options"].update(learned_tables=256, tabulate=0)
    direct = plan.point_model_block(tabled, "sio2", points["k10_n0_L4_w32_c1"])
    assert direct["options"]["learned_tables"] == 0
    assert not option_conflicts(direct["options"])
    force = plan.point_model_block(tabled, "sio2", points["k10_n5_L2_w32_c1"])
    assert force["options"]["learned_tables"] == 256
    # silica's own learned force (config.yaml), in 5 substeps of 2 dt over k = 10
    force = plan.point_model_block(grid_config, "sio2", points["k10_n5_L2_w32_c1"])
    assert force["options"]["decoder"] == "pair_force"
    assert force["options"]["pair_force_substep"] == pytest.approx(2.0)
    assert force["options"]["repulsive_core"] == 0.95
    # silicon's energy decoder keeps its angular terms; their cutoff is cut to the graph's
    half = points["k10_n1_L2_w32_c0.5"]
    si = plan.point_model_block(grid_config, "si", half)
    assert si["options"]["decoder"] == "energy"
    assert si["options"]["pair_force_substep"] == pytest.approx(10.0)
    cutoff = plan.point_system_block(grid_config, "si", half)["graph_cutoff"]
    assert cutoff == pytest.approx(0.5 * grid_config["systems"]["si"]["graph_cutoff"])
    assert si["options"]["three_body_cutoff"] == pytest.approx(min(3.77, cutoff))
    assert "model_options" not in plan.point_system_block(grid_config, "si", half)
    training = plan.point_training_block(grid_config, "si")
    assert training["max_minutes"] == grid_config["frontier"]["minutes"]
    assert training["max_steps"] is None
    assert training["clip_norm"] == grid_config["frontier"]["training"]["clip_norm"]
    assert plan.point_rows(grid_config, "si")[0].startswith("results/frontier/si/k1_n0_L2")


def test_the_pareto_front_keeps_what_nothing_beats():
    seconds = [1.0, 2.0, 3.0, 0.5, 2.0, 4.0]
    errors = [0.5, 0.2, 0.3, np.nan, 0.2, 0.05]
    # 3 s / 0.3 is beaten by 2 s / 0.2; the unstable point is never on the front; two equal
    # points do not beat each other
    assert pareto_mask(seconds, errors).tolist() == [True, True, False, False, True, True]


def rows(**columns):
    base = {"point": ["a", "b", "c", "d"], "learned_s": [3.0, 1.0, 2.0, 0.5],
            "position_over_cage_100": [0.05, 0.08, 0.3, np.nan],
            "velocity_over_scale_100": [0.09, 0.2, 0.01, np.nan],
            "stable_md_steps": [1000, 1000, 1000, 40], "energy_drift": [0.002, 0.001, 0.5, 9.0]}
    base.update(columns)
    return pd.DataFrame(base)


def test_targets_need_accuracy_stability_and_conservation(paper_config):
    table = rows()
    assert point_error(table, 100)[:3].tolist() == [0.09, 0.2, 0.3]
    targets = {"error": 0.1, "energy_drift": 0.01}
    assert meets_targets(table, targets, 100, 1000).tolist() == [True, False, False, False]
    shorter = rows(stable_md_steps=[999, 1000, 1000, 40])
    assert not meets_targets(shorter, targets, 100, 1000)[0]
    settings = {**paper_config["frontier"], "rollout_steps": [1000, 100]}
    table = frontier_table([rows().iloc[[0, 1]], rows().iloc[[2, 3]]], settings)
    assert table["point"].tolist() == ["d", "b", "c", "a"]  # fastest first
    assert table["pareto"].tolist() == [False, True, False, True]
    assert table["meets_targets"].tolist() == [False, False, False, True]


def test_interleaved_timing_warms_up_every_run_then_takes_turns():
    calls = []
    runs = {name: (lambda name=name: calls.append(name)) for name in ("model", "md", "lammps")}
    seconds = interleaved_seconds(runs, 2)
    assert calls == ["model", "md", "lammps"] * 3
    assert {name: len(values) for name, values in seconds.items()} == {
        "model": 2, "md": 2, "lammps": 2}
    own = interleaved_seconds({"lammps": lambda: 1.5}, 1)  # a run's own time is used
    assert own == {"lammps": [1.5]}
    with pytest.raises(ValueError, match="repeats"):
        interleaved_seconds(runs, 0)


@pytest.mark.parametrize("edit, message", [
    ({"systems": ["sio3"]}, r"frontier\.systems names 'sio3'"),
    ({"k": [2], "substeps": [5]}, r"every point of the grid has more substeps"),
    ({"cutoff_fraction": [1.5]}, r"frontier\.cutoff_fraction"),
    ({"precision": ["float16"]}, r"frontier\.precision"),
    ({"training": {"clip_norm": -1.0}}, r"frontier\.training\.clip_norm"),
])
def test_a_bad_frontier_block_is_named(paper_config, edit, message):
    config = copy.deepcopy(paper_config)
    config["frontier"].update(edit)
    with pytest.raises(ConfigError, match=message):
        validate_config(config)


def test_the_recommended_point_is_the_fastest_that_meets_the_targets(paper_config):
    settings = {**paper_config["frontier"], "rollout_steps": [100, 1000]}
    extra = {"step_family": ["direct"] * 4, "over_md": [0.3, 0.1, 0.2, 0.05],
             "over_lammps": [0.6, 0.2, 0.4, 0.1], "training_steps": [10] * 4,
             "test_loss_dr": [0.1] * 4, "test_loss_dv": [0.2] * 4, "timed_md_steps": [100] * 4,
             "N": [10000] * 4, "repeats": [3] * 4, "cpu_model": ["cpu"] * 4, "threads": [2] * 4,
             "force_evaluations_per_100_md_steps": [0.0] * 4, "layout": ["edges"] * 4}
    table = frontier_table([rows(**extra)], settings)
    assert recommended_point(table)["point"] == "a"
    text = frontier_markdown(table, "sio2", settings)
    assert "Recommended: **a**" in text and text.count("\n| ") == 5  # header + 4 points
    table["meets_targets"] = False
    assert recommended_point(table) is None
    assert "No point meets every target." in frontier_markdown(table, "sio2", settings)
