"""Randomized round trips (hypothesis) of every file the workflow writes and reads back:
H5MD trajectories, pairs files, model files and training checkpoints. What is read equals
what was written, value for value and dtype for dtype."""

import contextlib
import json
import string
import tempfile
from pathlib import Path

import jax
import numpy as np
import optax
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ogn.data.h5md import Trajectory, read_trajectory, write_trajectory
from ogn.data.pairs import Pairs, content_sha256, read_pairs, write_pairs
from ogn.learn.checkpoint import TrainState, load_checkpoint, save_checkpoint
from ogn.net.modelfile import load_model, save_model
from ogn.net.normalizer import Normalizer, RunningStats

FAST = settings(max_examples=25, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])
NAMES = st.text(string.ascii_letters + string.digits + "_", min_size=1, max_size=8)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**53, 2**53) | st.text(max_size=12)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(NAMES, inner, max_size=4),
    max_leaves=12)


@contextlib.contextmanager
def scratch_file(suffix: str):
    """A path in a folder that is removed afterwards (hypothesis reruns the test body, so
    pytest's tmp_path, made once per test, does not fit)."""
    with tempfile.TemporaryDirectory(prefix="ogn-roundtrip-") as folder:
        yield Path(folder) / f"file{suffix}"


def assert_same_fields(read, written, fields) -> None:
    """Each named array of ``read`` equals ``written``'s, value, dtype and shape."""
    for field in fields:
        expected, got = np.asarray(getattr(written, field)), np.asarray(getattr(read, field))
        np.testing.assert_array_equal(got, expected, err_msg=field)
        assert got.dtype == expected.dtype and got.shape == expected.shape, field


@st.composite
def trajectories(draw):
    n_frames, n_atoms = draw(st.integers(1, 6)), draw(st.integers(1, 12))
    names = draw(st.lists(NAMES, min_size=1, max_size=3, unique=True))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    units = draw(st.sampled_from(["lj", "metal"]))
    step = np.sort(rng.choice(10_000, n_frames, replace=False)).astype(np.int64)
    observables = {"kinetic_energy": rng.normal(size=n_frames),
                   "potential_energy": rng.normal(size=n_frames),
                   "momentum": rng.normal(size=(n_frames, 3))}
    metadata = {**draw(st.dictionaries(NAMES, JSON_VALUES, max_size=4)), "units": units}
    return Trajectory(
        position=rng.normal(0, 30.0, (n_frames, n_atoms, 3)),
        velocity=rng.normal(size=(n_frames, n_atoms, 3)),
        step=step, time=step * draw(st.floats(1e-3, 10.0)),
        species=rng.integers(0, len(names), n_atoms).astype(np.int32), species_names=names,
        mass=rng.uniform(0.5, 100.0, n_atoms), box=rng.uniform(2.0, 50.0, 3),
        observables=observables, metadata=metadata)


@FAST
@given(trajectories())
def test_h5md_trajectories_read_back_as_written(trajectory):
    with scratch_file(".h5") as path:
        write_trajectory(path, trajectory)
        back = read_trajectory(path)
        assert_same_fields(back, trajectory, ("position", "velocity", "step", "time",
                                              "species", "mass", "box"))
        assert back.species_names == trajectory.species_names
        assert back.observables.keys() == trajectory.observables.keys()
        for name, values in trajectory.observables.items():
            np.testing.assert_array_equal(back.observables[name], values, err_msg=name)
        for key, value in trajectory.metadata.items():
            assert back.metadata[key] == json.loads(json.dumps(value)), key
        # a selection of frames reads those frames
        np.testing.assert_array_equal(read_trajectory(path, frames=slice(-1, None)).position,
                                      trajectory.position[-1:])


@st.composite
def pair_sets(draw):
    n_pairs, n_atoms = draw(st.integers(0, 5)), draw(st.integers(1, 10))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    n_species = draw(st.integers(1, 3))

    def block():
        return rng.normal(size=(n_pairs, n_atoms, 3)).astype(np.float32)

    attrs = {"k": draw(st.integers(1, 100)), "units": draw(st.sampled_from(["lj", "metal"])),
             "dt": draw(st.floats(1e-4, 10.0)), "n_species": n_species,
             "species_names": [f"s{i}" for i in range(n_species)],
             "sources": draw(st.lists(NAMES, max_size=3))}
    pairs = Pairs(position=block(), velocity=block(), dr=block(), dv=block(),
                  species=rng.integers(0, n_species, n_atoms).astype(np.int32),
                  mass=rng.uniform(0.5, 100.0, n_atoms), box=rng.uniform(2.0, 50.0, 3),
                  trajectory=rng.integers(0, 4, n_pairs).astype(np.int32),
                  frame=rng.integers(0, 1000, n_pairs).astype(np.int32), attrs=attrs)
    return pairs._replace(attrs={**attrs, "sha256": content_sha256(pairs)})


@FAST
@given(pair_sets())
def test_pairs_files_read_back_as_written(pairs):
    with scratch_file(".h5") as path:
        write_pairs(path, pairs)
        back = read_pairs(path)
        assert back.attrs == json.loads(json.dumps(pairs.attrs))
        assert_same_fields(back, pairs, [f for f in Pairs._fields if f != "attrs"])


@st.composite
def parameter_trees(draw):
    """A Haiku-like {module: {name: float32 array}} tree of random shapes."""
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    modules = draw(st.dictionaries(NAMES, st.lists(NAMES, min_size=1, max_size=3, unique=True),
                                   min_size=1, max_size=4))
    return {module: {name: rng.normal(size=tuple(rng.integers(1, 5, rng.integers(0, 3))))
                     .astype(np.float32) for name in names}
            for module, names in modules.items()}


@st.composite
def normalizers(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))

    def stats():
        dim = int(rng.integers(1, 6))
        return RunningStats(count=np.asarray(float(rng.integers(0, 10**6))),
                            mean=rng.normal(size=dim), m2=rng.uniform(0, 10, dim))

    return Normalizer(nodes=stats(), edges=stats(), targets=stats())


def assert_same_tree(read, written):
    assert read.keys() == written.keys()
    for module in written:
        assert read[module].keys() == written[module].keys()
        for name, array in written[module].items():
            np.testing.assert_array_equal(read[module][name], array)
            assert np.asarray(read[module][name]).dtype == array.dtype


def assert_same_normalizer(read, written):
    for stream in Normalizer._fields:
        for field in RunningStats._fields:
            np.testing.assert_array_equal(getattr(getattr(read, stream), field),
                                          getattr(getattr(written, stream), field))


@FAST
@given(parameter_trees(), normalizers(), st.dictionaries(NAMES, JSON_VALUES, max_size=4))
def test_model_files_read_back_as_written(params, normalizer, extra):
    metadata = {**extra, "network": {"latent_size": 8}, "species_names": ["A"],
                "n_species": 1, "graph_cutoff": 2.5, "k": 5}
    with scratch_file(".npz") as path:
        save_model(path, params, normalizer, metadata)
        saved = load_model(path)
        assert_same_tree(saved.params, params)
        assert_same_normalizer(saved.normalizer, normalizer)
        assert saved.metadata == {"format_version": 1, **json.loads(json.dumps(metadata))}


@FAST
@given(parameter_trees(), normalizers(), st.integers(0, 10**6), st.integers(1, 10**5),
       st.floats(0, 1e6), st.integers(0, 1000), st.floats(0, 1e5))
def test_checkpoints_read_back_as_written(params, normalizer, step, capacity, loss_sum,
                                          loss_count, seconds):
    optimizer = optax.adam(1e-3)
    opt_state = optimizer.init(jax.tree_util.tree_map(np.asarray, params))
    curve = ({"step": str(step), "train_loss": "0.5", "test_loss": "0.25", "seconds": "1.00"},)
    state = TrainState(step=step, params=params, opt_state=opt_state, normalizer=normalizer,
                       capacity=capacity, loss_sum=loss_sum, loss_count=loss_count,
                       seconds=seconds, curve=curve)
    with scratch_file(".npz") as path:
        save_checkpoint(path, state, "fingerprint-a")
        assert load_checkpoint(path, "fingerprint-b", opt_state) is None  # another run's
        back = load_checkpoint(path, "fingerprint-a", opt_state)
        assert (back.step, back.capacity, back.loss_sum, back.loss_count, back.seconds,
                back.curve) == (step, capacity, loss_sum, loss_count, seconds, curve)
        assert_same_tree(back.params, params)
        assert_same_normalizer(back.normalizer, normalizer)
        read_leaves = jax.tree_util.tree_leaves(back.opt_state)
        written_leaves = jax.tree_util.tree_leaves(opt_state)
        assert len(read_leaves) == len(written_leaves)
        for read, written in zip(read_leaves, written_leaves, strict=True):
            np.testing.assert_array_equal(read, written)
