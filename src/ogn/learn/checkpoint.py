"""Checkpoints and training curves: fingerprinted, atomic, resumable."""

import csv
import hashlib
import json
import os
from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ogn.data.atomic import atomic_path
from ogn.net.modelfile import (
    ModelFileError,
    normalizer_from_arrays,
    normalizer_to_arrays,
    params_from_arrays,
    params_to_arrays,
    read_npz,
    write_npz,
)
from ogn.net.normalizer import Normalizer


class TrainingDiverged(FloatingPointError):
    pass


class TrainState(NamedTuple):
    step: int  # gradient steps done
    params: dict
    opt_state: object
    normalizer: Normalizer
    capacity: int  # edge slots per configuration
    loss_sum: float  # sum of training losses since the last test evaluation
    loss_count: int
    seconds: float  # training wall time so far (over all restarts)
    curve: tuple = ()  # rows of curve.csv so far (dicts of strings)


# ----------------------------------------------------------------------------- the loop

class Start(NamedTuple):
    """Where a run starts instead of random parameters (the stride curriculum's second
    phase): parameters and normalizer of an earlier run."""

    params: dict
    normalizer: Normalizer


CURVE_COLUMNS = ("step", "epoch", "lr", "train_loss", "test_loss", "seconds")


# ----------------------------------------------------------------------------- checkpoints

def params_sha256(params) -> str:
    """Hash of a parameter tree's values (identifies a starting point)."""
    digest = hashlib.sha256()
    for name, array in sorted(params_to_arrays(params).items()):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def run_fingerprint(network_config, training_config: dict, graph_cutoff: float,
                    train_sha256: str, test_sha256: str, start_sha256: str = "") -> str:
    """Hash of everything that determines the parameters at a given step."""
    relevant = {key: training_config[key] for key in sorted(training_config)
                if key not in ("epochs", "max_steps", "max_minutes", "eval_every",
                               "checkpoint_every")}
    payload = {"network": network_config._asdict(), "training": relevant,
               "graph_cutoff": float(graph_cutoff), "train": train_sha256, "test": test_sha256}
    if start_sha256:
        payload["start"] = start_sha256
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def save_checkpoint(path, state: TrainState, fingerprint: str) -> None:
    arrays = {**params_to_arrays(state.params), **normalizer_to_arrays(state.normalizer)}
    for index, leaf in enumerate(jax.tree_util.tree_leaves(state.opt_state)):
        arrays[f"opt_state|{index:05d}"] = np.asarray(leaf)
    metadata = {"kind": "ogn training checkpoint", "fingerprint": fingerprint,
                "step": state.step, "capacity": state.capacity, "loss_sum": state.loss_sum,
                "loss_count": state.loss_count, "seconds": state.seconds,
                "curve": list(state.curve)}
    write_npz(path, arrays, metadata)


def load_checkpoint(path, fingerprint: str, opt_state_template) -> TrainState | None:
    """The state saved at ``path`` if it exists and belongs to this run, else None."""
    if not Path(path).exists():
        return None
    try:
        arrays, metadata = read_npz(path)
    except ModelFileError as error:
        raise ModelFileError(
            f"the training checkpoint {path} is damaged ({error.__cause__ or error}): delete "
            "it and rerun the same command; training then starts again from step 0") from error
    if metadata.get("fingerprint") != fingerprint:
        return None
    treedef = jax.tree_util.tree_structure(opt_state_template)
    leaves = [jnp.asarray(arrays[f"opt_state|{i:05d}"]) for i in range(treedef.num_leaves)]
    params = jax.tree_util.tree_map(jnp.asarray, params_from_arrays(arrays))
    return TrainState(step=int(metadata["step"]), params=params,
                      opt_state=jax.tree_util.tree_unflatten(treedef, leaves),
                      normalizer=normalizer_from_arrays(arrays),
                      capacity=int(metadata["capacity"]), loss_sum=float(metadata["loss_sum"]),
                      loss_count=int(metadata["loss_count"]), seconds=float(metadata["seconds"]),
                      curve=tuple(metadata.get("curve", ())))


def all_finite(tree) -> bool:
    return all(bool(jnp.all(jnp.isfinite(leaf))) for leaf in jax.tree_util.tree_leaves(tree))


# ----------------------------------------------------------------------------- curve file

def read_curve(path) -> list[dict]:
    """Rows of a curve.csv as dicts of strings."""
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def write_curve_rows(path, rows: list[dict]) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=CURVE_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)


def append_curve_row(path, row: dict) -> None:
    with open(path, "a", newline="") as handle:
        csv.DictWriter(handle, fieldnames=CURVE_COLUMNS).writerow(row)
        handle.flush()
        os.fsync(handle.fileno())
