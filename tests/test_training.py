"""Pairs from trajectories, the training loop, its schedule, data order, resume and learning."""

import jax
import numpy as np
import pytest

from ogn.data.h5md import Trajectory, write_trajectory
from ogn.data.pairs import (
    Pairs,
    PairsFileError,
    content_sha256,
    evaluation_pairs_from_files,
    joined_pairs,
    read_pairs,
    training_pairs_from_files,
    write_pairs,
)
from ogn.learn.batches import batch_plan, training_capacity
from ogn.learn.checkpoint import TrainingDiverged, load_checkpoint, read_curve, run_fingerprint
from ogn.learn.loop import train
from ogn.learn.recipe import learning_rate_schedule
from ogn.learn.steps import (
    make_eval_loss,
    make_training_functions,
    mean_test_loss,
    prepare_test_set,
)
from ogn.md.placement import random_non_overlapping
from ogn.net.modelfile import ModelFileError, read_npz, write_npz
from ogn.net.normalizer import standardization
from ogn.net.options import network_config
from ogn.net.simulator import make_simulator

SMALL = {"architecture": "paper", "latent_size": 16, "hidden_size": 16, "mlp_hidden_layers": 1}


def training_config(**overrides):
    config = {"optimizer": "adam", "learning_rate": 1e-3, "lr_decay_rate": 0.1,
              "lr_decay_steps": 1e7, "epochs": 1000, "max_steps": None, "batch_size": 1,
              "eval_every": 10, "checkpoint_every": 10, "test_pairs": 4,
              "augment_cube_symmetry": True, "seed": 0}
    config.update(overrides)
    return config


# ----------------------------------------------------------------------------- pairs

def synthetic_trajectory(seed, n_frames=41, n_atoms=12, save_every=1, side=4.0):
    """Atoms on random walks that cross the box boundary (unwrapped positions)."""
    rng = np.random.default_rng(seed)
    start = rng.uniform(0, side, (n_atoms, 3))
    velocity = rng.normal(size=(n_frames, n_atoms, 3))
    position = start + np.cumsum(0.3 * velocity, axis=0)
    steps = np.arange(n_frames) * save_every
    zeros = np.zeros(n_frames)
    return Trajectory(position=position, velocity=velocity, step=steps, time=steps * 0.005,
                      species=(np.arange(n_atoms) % 3 == 0).astype(np.int32),
                      species_names=["A", "B"], mass=np.ones(n_atoms), box=np.full(3, side),
                      observables={"kinetic_energy": zeros, "potential_energy": zeros},
                      metadata={"system": "toy", "units": "lj", "dt": 0.005,
                                "save_every": save_every})


def write_trajectories(tmp_path, seeds, **kwargs):
    paths = []
    for seed in seeds:
        path = tmp_path / f"traj_{seed}.h5"
        write_trajectory(path, synthetic_trajectory(seed, **kwargs))
        paths.append(path)
    return paths


def test_training_pairs_hold_every_frame_and_the_unwrapped_change(tmp_path):
    paths = write_trajectories(tmp_path, [1, 2, 3], save_every=2)
    k = 6  # MD steps = 3 frames
    pairs = training_pairs_from_files(paths, k)
    assert pairs.n_pairs == 3 * (41 - 3)
    assert pairs.attrs["frame_stride"] == 3 and pairs.attrs["k"] == 6
    for index in (0, 37, 38, 113):
        source = synthetic_trajectory([1, 2, 3][pairs.trajectory[index]], save_every=2)
        t = pairs.frame[index]
        np.testing.assert_allclose(pairs.dr[index], source.position[t + 3] - source.position[t],
                                   rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(pairs.dv[index], source.velocity[t + 3] - source.velocity[t],
                                   rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(pairs.position[index], np.mod(source.position[t], 4.0),
                                   atol=1e-5)
    assert np.abs(pairs.dr).max() > 1.0  # crossings of the box are kept unwrapped
    assert pairs.position.min() >= 0 and pairs.position.max() < 4.0
    with pytest.raises(ValueError, match="multiple"):
        training_pairs_from_files(paths, 3)


def test_test_pairs_are_spread_evenly_and_files_round_trip(tmp_path):
    paths = write_trajectories(tmp_path, [4, 5, 6])
    pairs = evaluation_pairs_from_files(paths, 5, 10)
    assert pairs.n_pairs == 10
    np.testing.assert_array_equal(np.bincount(pairs.trajectory), [4, 3, 3])
    np.testing.assert_array_equal(pairs.frame[:4], [0, 12, 23, 35])  # 36 usable frames
    path = tmp_path / "pairs" / "test.h5"
    write_pairs(path, pairs)
    again = read_pairs(path)
    for name in Pairs._fields[:-1]:
        np.testing.assert_array_equal(getattr(again, name), getattr(pairs, name))
    assert again.attrs == pairs.attrs and len(again.attrs["source_sha256"]) == 64
    import h5py
    with h5py.File(path, "r+") as f:
        f["dv"][0, 0, 0] += 1.0
    with pytest.raises(PairsFileError, match="sha256"):
        read_pairs(path)


def test_joined_pairs_hold_each_set_in_order_and_refuse_another_system(tmp_path):
    """A glass's pairs joined by its liquid's: every array of the first set, then the
    second's, with its trajectories numbered after the first's; a set of other atoms or
    another k is refused with the difference named."""
    first = training_pairs_from_files(write_trajectories(tmp_path, [1, 2]), 5)
    second = training_pairs_from_files(write_trajectories(tmp_path, [3]), 5)
    first = first._replace(attrs={**first.attrs, "system": "glass"})
    second = second._replace(attrs={**second.attrs, "system": "liquid"})
    joined = joined_pairs([first, second])
    assert joined.n_pairs == first.n_pairs + second.n_pairs
    for name in ("position", "velocity", "dr", "dv", "frame"):
        np.testing.assert_array_equal(getattr(joined, name)[:first.n_pairs], getattr(first, name))
        np.testing.assert_array_equal(getattr(joined, name)[first.n_pairs:],
                                      getattr(second, name))
    np.testing.assert_array_equal(np.unique(joined.trajectory), [0, 1, 2])
    np.testing.assert_array_equal(joined.trajectory[first.n_pairs:], 2)
    assert joined.attrs["systems"] == ["glass", "liquid"]
    assert joined.attrs["pair_counts"] == [first.n_pairs, second.n_pairs]
    assert joined.attrs["system"] == "glass" and len(joined.attrs["sources"]) == 3
    assert joined.attrs["sha256"] == content_sha256(joined) != first.attrs["sha256"]
    path = tmp_path / "joined.h5"
    write_pairs(path, joined)
    assert read_pairs(path).attrs == joined.attrs
    other_k = training_pairs_from_files(write_trajectories(tmp_path, [3]), 10)
    with pytest.raises(ValueError, match="their k differ"):
        joined_pairs([first, other_k])
    moved = second._replace(box=second.box * 1.1, mass=second.mass * 2.0)
    with pytest.raises(ValueError, match=r"their masses, box differ \(a set joins another "
                       r"only when both are pairs of the same atoms"):
        joined_pairs([first, moved])


# ----------------------------------------------------------------------------- schedule, order

def test_learning_rate_schedule_is_the_papers(paper_config):
    schedule = learning_rate_schedule(paper_config["training"])
    for step, expected in [(0, 1e-4), (5_000_000, 1e-4 * 0.1**0.5), (10_000_000, 1e-5),
                           (20_000_000, 1e-6)]:
        assert float(schedule(step)) == pytest.approx(expected, rel=1e-5)


def test_data_order_is_a_pure_function_of_seed_and_step():
    n_pairs, batch = 10, 2
    epoch0 = np.concatenate([batch_plan(3, s, n_pairs, batch, True)[0] for s in range(5)])
    epoch1 = np.concatenate([batch_plan(3, s, n_pairs, batch, True)[0] for s in range(5, 10)])
    assert sorted(epoch0) == list(range(10)) and sorted(epoch1) == list(range(10))
    assert not np.array_equal(epoch0, epoch1)
    again = [batch_plan(3, s, n_pairs, batch, True) for s in (7, 2)]
    np.testing.assert_array_equal(again[0][0], epoch1[4:6])
    np.testing.assert_array_equal(again[1][0], epoch0[4:6])
    symmetries = np.concatenate([batch_plan(3, s, n_pairs, 1, True)[1] for s in range(400)])
    assert symmetries.min() >= 0 and symmetries.max() == 47 and len(set(symmetries)) == 48
    assert np.all(batch_plan(3, 0, n_pairs, 1, False)[1] == 0)


# ----------------------------------------------------------------------------- training

def toy_pairs(seed, n_pairs, n_atoms=24, side=3.4, dt=0.005, soft_scale=10.0, cutoff=1.6):
    """Random configurations; targets dr = v dt and dv = F dt for the soft-sphere pair force
    F_i = -sum_j eps (1 - r/rc)^2 (r_j - r_i)/r (r < rc): an exact, smooth function of the
    configuration that a graph network within rc can represent."""
    rng = np.random.default_rng(seed)
    box = np.full(3, side)
    position = np.stack([random_non_overlapping(rng, n_atoms, box, 0.9)
                         for _ in range(n_pairs)])
    velocity = rng.normal(scale=0.3, size=position.shape)
    d = position[:, None, :, :] - position[:, :, None, :]  # d[p, i, j] = r_j - r_i
    d -= box * np.round(d / box)
    r = np.linalg.norm(d, axis=-1)
    r[:, np.arange(n_atoms), np.arange(n_atoms)] = np.inf
    weight = np.where(r < cutoff, (1.0 - r / cutoff) ** 2, 0.0)
    force = -soft_scale * np.sum((weight / r)[..., None] * d, axis=2)
    species = (np.arange(n_atoms) % 4 == 0).astype(np.int32)
    return Pairs(position=position.astype(np.float32), velocity=velocity.astype(np.float32),
                 dr=(velocity * dt).astype(np.float32), dv=(force * dt).astype(np.float32),
                 species=species, mass=np.ones(n_atoms), box=box,
                 trajectory=np.zeros(n_pairs, np.int32), frame=np.arange(n_pairs, dtype=np.int32),
                 attrs={"k": 1, "n_species": 2, "species_names": ["A", "B"],
                        "sha256": f"toy-{seed}-{n_pairs}"})


def test_training_capacity_fits_the_most_crowded_end_of_any_pair():
    """Edge slots = the most edges among both ends of every pair (time reversal starts from
    the end), rounded up to 8: brute-force counts decide, and the end of one pair is made
    the most crowded configuration on purpose."""
    pairs = toy_pairs(3, 5)
    position = pairs.position.astype(np.float64)
    crowded = 0.75 * position[2]  # squeezed into a corner of the box: denser there
    dr = pairs.dr.copy()
    dr[2] = (crowded - position[2]).astype(np.float32)
    pairs = pairs._replace(dr=dr)

    def brute_force_edges(p):
        d = p[None, :, :] - p[:, None, :]
        d -= pairs.box * np.round(d / pairs.box)
        r = np.linalg.norm(d, axis=-1)
        return int(np.sum((r < 1.6) & ~np.eye(len(p), dtype=bool)))

    counts = [brute_force_edges(p) for p in np.concatenate([position, position + dr])]
    assert np.argmax(counts) == 5 + 2  # the end of pair 2
    assert training_capacity(pairs, 1.6) == -(-max(counts) // 8) * 8
    assert training_capacity(pairs, 1.6) >= max(counts) > max(counts[:5])


def quiet(message):
    pass


def run(tmp_path, name, train_pairs, test_pairs, config, simulator, on_step=None,
        functions=None):
    return train(simulator, train_pairs, test_pairs, config, graph_cutoff=1.6,
                 checkpoint_path=tmp_path / f"{name}.ckpt.npz",
                 curve_path=tmp_path / f"{name}.csv", log=quiet, on_step=on_step,
                 functions=functions)


class Killed(Exception):
    pass


@pytest.fixture(scope="module")
def tiny():
    """A 1-layer, 16-wide network on 6 toy pairs; its jitted functions are compiled once and
    shared by the tests that use this fixture."""
    simulator = make_simulator(network_config(SMALL, 1), 2)
    config = training_config(max_steps=25, eval_every=5, checkpoint_every=10)
    return {"simulator": simulator, "config": config, "train": toy_pairs(0, 6),
            "test": toy_pairs(1, 2), "functions": make_training_functions(simulator, config)}


def fingerprint_of(tiny, config=None, train_sha=None):
    return run_fingerprint(tiny["simulator"].network_config, config or tiny["config"], 1.6,
                           train_sha or tiny["train"].attrs["sha256"],
                           tiny["test"].attrs["sha256"])


def test_a_killed_run_resumes_to_the_same_parameters(tmp_path, tiny):
    simulator, config, functions = tiny["simulator"], tiny["config"], tiny["functions"]
    train_pairs, test_pairs = tiny["train"], tiny["test"]
    straight = run(tmp_path, "straight", train_pairs, test_pairs, config, simulator,
                   functions=functions)

    def kill_at_17(step):
        if step == 17:
            raise Killed

    with pytest.raises(Killed):
        run(tmp_path, "killed", train_pairs, test_pairs, config, simulator, kill_at_17,
            functions)
    optimizer = functions.optimizer
    saved = load_checkpoint(tmp_path / "killed.ckpt.npz", fingerprint_of(tiny),
                            optimizer.init(straight.params))
    assert saved.step == 10  # the last checkpoint before the kill
    assert len(read_curve(tmp_path / "killed.csv")) == 3  # rows at 5, 10, 15 were written
    resumed = run(tmp_path, "killed", train_pairs, test_pairs, config, simulator,
                  functions=functions)
    assert resumed.step == straight.step == 25
    assert functions.train_step._cache_size() == 1  # one compilation for all 3 runs
    for a, b in zip(_leaves(straight.params), _leaves(resumed.params), strict=True):
        np.testing.assert_array_equal(a, b)  # bitwise
    for a, b in zip(_leaves(straight.opt_state), _leaves(resumed.opt_state), strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(_leaves(straight.normalizer), _leaves(resumed.normalizer), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(_leaves(straight.params)[0], _leaves(saved.params)[0])
    curve_straight = read_curve(tmp_path / "straight.csv")
    curve_resumed = read_curve(tmp_path / "killed.csv")
    assert [row["step"] for row in curve_resumed] == ["5", "10", "15", "20", "25"]
    for a, b in zip(curve_straight, curve_resumed, strict=True):
        assert {k: v for k, v in a.items() if k != "seconds"} == {
            k: v for k, v in b.items() if k != "seconds"}
    # a checkpoint of another configuration or other data is not resumed
    for other in (fingerprint_of(tiny, {**config, "seed": 1}),
                  fingerprint_of(tiny, train_sha="other data")):
        assert other != fingerprint_of(tiny)
        assert load_checkpoint(tmp_path / "killed.ckpt.npz", other,
                               optimizer.init(straight.params)) is None
    # only max_steps, epochs and the reporting intervals may change between restarts
    assert fingerprint_of(tiny) == fingerprint_of(
        tiny, {**config, "max_steps": 99, "max_minutes": 5, "eval_every": 7,
               "checkpoint_every": 3})


def test_a_spent_time_budget_stops_with_a_final_evaluation_and_a_larger_one_resumes(
        tmp_path, tiny):
    budget = {**tiny["config"], "max_minutes": 1e-9}  # spent after the first step
    state = run(tmp_path, "budget", tiny["train"], tiny["test"], budget, tiny["simulator"],
                functions=tiny["functions"])
    assert state.step == 1
    assert [row["step"] for row in read_curve(tmp_path / "budget.csv")] == ["1"]
    # the same run with the budget lifted resumes from the step-1 checkpoint to max_steps
    state = run(tmp_path, "budget", tiny["train"], tiny["test"], tiny["config"],
                tiny["simulator"], functions=tiny["functions"])
    assert state.step == tiny["config"]["max_steps"]
    steps = [row["step"] for row in read_curve(tmp_path / "budget.csv")]
    assert steps == ["1", "5", "10", "15", "20", "25"]


def _leaves(tree):
    return [np.asarray(x) for x in jax.tree_util.tree_leaves(tree)]


def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path, tiny):
    """Simulated divergence: the parameters of the step-10 checkpoint are blown up to ~1e30
    (still finite); resumed, the loss of step 11 overflows. The run stops with a clear
    message and leaves that checkpoint as it was."""
    ten_steps = {**tiny["config"], "max_steps": 10}  # same run (max_steps is not in the hash)
    run(tmp_path, "nan", tiny["train"], tiny["test"], ten_steps, tiny["simulator"],
        functions=tiny["functions"])
    path = tmp_path / "nan.ckpt.npz"
    arrays, metadata = read_npz(path)
    write_npz(path, {key: value * 1e30 if key.startswith("params|") else value
                     for key, value in arrays.items()}, metadata)
    before = path.read_bytes()
    with pytest.raises(TrainingDiverged, match=r"step 11: .*checkpoint \(step 10\) is kept"):
        run(tmp_path, "nan", tiny["train"], tiny["test"], tiny["config"], tiny["simulator"],
            functions=tiny["functions"])
    assert path.read_bytes() == before


def test_a_damaged_checkpoint_names_the_file_and_the_restart(tmp_path, tiny):
    """A checkpoint cut short (a disk full, a copy broken off) stops the run with a message
    naming the file and what to do, not an unrelated error."""
    ten_steps = {**tiny["config"], "max_steps": 10}
    run(tmp_path, "cut", tiny["train"], tiny["test"], ten_steps, tiny["simulator"],
        functions=tiny["functions"])
    path = tmp_path / "cut.ckpt.npz"
    path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])
    with pytest.raises(ModelFileError, match=rf"training checkpoint {path} is damaged .*: "
                       "delete it and rerun the same command; training then starts again"):
        run(tmp_path, "cut", tiny["train"], tiny["test"], tiny["config"], tiny["simulator"],
            functions=tiny["functions"])


def test_non_finite_training_data_is_refused(tmp_path, tiny):
    first = batch_plan(0, 0, 6, 1, True)[0][0]  # refused before the first step
    dv = tiny["train"].dv.copy()
    dv[first, 3, 1] = np.nan
    with pytest.raises(ValueError, match=rf"training pairs \[{first}\] .*step 0.*non-finite"):
        run(tmp_path, "bad", tiny["train"]._replace(dv=dv), tiny["test"], tiny["config"],
            tiny["simulator"], functions=tiny["functions"])


def test_short_training_lowers_the_test_loss_tenfold(tmp_path):
    simulator = make_simulator(network_config({**SMALL, "latent_size": 32,
                                               "hidden_size": 32}, 1), 2)
    train_pairs, test_pairs = toy_pairs(10, 32), toy_pairs(11, 6)
    steps = 2000
    config = training_config(learning_rate=1e-3, lr_decay_steps=steps, max_steps=steps,
                             eval_every=500, checkpoint_every=steps, seed=2)
    state = run(tmp_path, "learn", train_pairs, test_pairs, config, simulator)
    standard = standardization(state.normalizer)
    test_set = prepare_test_set(test_pairs, 1.6, 2)
    evaluate = make_eval_loss(simulator)
    initial_params = simulator.init(jax.random.PRNGKey(2), 24,
                                    test_set.edges[0].shape[0])
    before = mean_test_loss(evaluate, initial_params, standard, test_set)
    after = mean_test_loss(evaluate, state.params, standard, test_set)
    curve = read_curve(tmp_path / "learn.csv")
    assert float(curve[-1]["test_loss"]) == pytest.approx(after, rel=1e-5)
    assert before > 0.8  # about 1: an untrained network explains nothing
    assert after < before / 10, (before, after)


# ----------------------------------------------------------------------------- recipe levers

def test_warmup_ramps_the_learning_rate_linearly_then_follows_the_decay():
    config = training_config(learning_rate=2e-3, lr_decay_rate=0.5, lr_decay_steps=1000,
                             warmup_steps=100)
    schedule, plain = learning_rate_schedule(config), learning_rate_schedule(
        training_config(learning_rate=2e-3, lr_decay_rate=0.5, lr_decay_steps=1000))
    assert float(schedule(0)) == pytest.approx(2e-3 / 100, rel=1e-6)
    assert float(schedule(49)) == pytest.approx(2e-3 * 0.5 ** 0.049 * 0.5, rel=1e-6)
    for step in (99, 100, 1000, 5000):
        assert float(schedule(step)) == pytest.approx(float(plain(step)), rel=1e-6)
    with pytest.raises(ValueError, match="warmup_steps = -1"):
        learning_rate_schedule(training_config(warmup_steps=-1))


def test_clip_norm_bounds_the_first_adam_input():
    """With clipping, the gradient Adam sees has at most the clip norm; Adam's first step is
    then the same (it normalises), but its moments hold the clipped gradient."""
    from ogn.learn.recipe import make_optimizer

    gradient = {"w": np.full(4, 10.0, np.float32)}  # norm 20
    params = {"w": np.zeros(4, np.float32)}
    for clip, expected_norm in ((None, 20.0), (2.0, 2.0)):
        optimizer = make_optimizer(training_config(clip_norm=clip))
        _, state = optimizer.update(gradient, optimizer.init(params), params)
        first_moments = [leaf for leaf in jax.tree_util.tree_leaves(state)
                         if np.shape(leaf) == (4,)][0]  # mu = (1 - b1) g
        assert np.linalg.norm(first_moments) / 0.1 == pytest.approx(expected_norm, rel=1e-5)
    with pytest.raises(ValueError, match="clip_norm = 0"):
        make_optimizer(training_config(clip_norm=0))


def test_frozen_statistics_stop_counting_at_the_step_given(tmp_path, tiny):
    frozen = {**tiny["config"], "max_steps": 12, "freeze_statistics_after": 4}
    free = {**tiny["config"], "max_steps": 12}
    states = {name: run(tmp_path, name, tiny["train"], tiny["test"], config, tiny["simulator"],
                        functions=tiny["functions"])
              for name, config in (("frozen", frozen), ("free", free))}
    per_step = float(states["free"].normalizer.targets.count) / 12  # atoms per configuration
    assert float(states["frozen"].normalizer.targets.count) == 4 * per_step
    assert fingerprint_of(tiny, frozen) != fingerprint_of(tiny, free)
    with pytest.raises(ValueError, match="freeze_statistics_after = 0"):
        run(tmp_path, "zero", tiny["train"], tiny["test"], {**free, "freeze_statistics_after": 0},
            tiny["simulator"], functions=tiny["functions"])
