"""Training the OGN: loss, learning-rate schedule, data order, train loop, checkpoint/resume.

Recipe (Liu et al. 2023, Methods; config block ``training``):

* loss: mean squared error of the standardized targets over all atoms and all 6 outputs,
  averaged over the ``batch_size`` configurations of a step (1 in the paper);
* Adam with the learning rate ``learning_rate * lr_decay_rate ** (step / lr_decay_steps)``
  (1e-4 * 0.1^(K/1e7) in the paper);
* online standardization (:mod:`ogn.normalizer`): each training batch is merged into the
  running statistics (float64, on the host) before it is standardized and used;
* augmentation: each configuration, each epoch, in a random one of the 48 cube symmetries;
* test loss over all test pairs every ``eval_every`` steps, with the current statistics;
* ``epochs`` passes over the training pairs, stopped early at ``max_steps`` if set, or once
  ``max_minutes`` of training time (summed over resumed runs) are spent, if set: a wall-clock
  budget, for comparing models at equal cost; where it stops depends on the machine's speed,
  so a budgeted run is reproducible only up to its last step (the curve records that step).

Options beyond the paper (``model.options`` with ``model.architecture: extended``, merged into
the training config by :func:`training_recipe`; the paper's architecture ignores them):

* ``time_reversal``: each pair, each epoch, with probability 1/2 replaced by its time-reversed
  twin (:func:`reversed_pair`), an exact symmetry of Newtonian dynamics;
* ``loss_weights``: weights of the dr and dv halves of the loss (test losses stay unweighted);
* ``curriculum_k1_fraction``: the stride curriculum of :func:`train_with_curriculum`;
* ``learning_rate`` (null: ``training.learning_rate``): Adam's initial step size;
* ``lr_decay_rate``, ``lr_decay_steps`` (null: ``training``'s): the schedule's decay, e.g.
  0.01 over the steps a wall-clock budget buys (``curve.csv`` of an earlier run tells).

Determinism and resume: the order of the pairs and their symmetries in epoch e are drawn from
``numpy.random.default_rng([seed, e])``, so the data seen at any step is a pure function of
(seed, step). A checkpoint (every ``checkpoint_every`` steps, written atomically) holds the
parameters, the optimizer state, the normalizer, the step, the edge capacity and the curve
accumulators; a job killed and started again resumes from it and ends with the same
parameters as an uninterrupted run. A checkpoint written for another configuration or other
data is ignored (with a log line), not resumed.

A non-finite loss stops the run with :class:`TrainingDiverged`; the last checkpoint on disk
(written only with finite parameters) is kept.

Outputs: ``curve.csv`` (step, epoch, lr, train_loss, test_loss, seconds), the checkpoint, and
the returned :class:`TrainState` (the training script saves the model file from it).
"""

import csv
import hashlib
import json
import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .atomic import atomic_path
from .augment import apply_symmetry, cube_symmetries, random_symmetry_indices
from .graph import build_edges, edge_capacity_for, edge_vectors_numpy
from .model import parameter_count
from .modelfile import (
    normalizer_from_arrays,
    normalizer_to_arrays,
    params_from_arrays,
    params_to_arrays,
    read_npz,
    write_npz,
)
from .normalizer import (
    Normalizer,
    init_normalizer,
    init_stats,
    standardization,
    update_normalizer,
)
from .pairs import Pairs
from .runlog import ProgressMeter
from .simulator import Simulator, batched_loss, node_feature_size, node_inputs, targets_of

CURVE_COLUMNS = ("step", "epoch", "lr", "train_loss", "test_loss", "seconds")
CAPACITY_HEAD_ROOM = 0.05  # fraction of extra edge slots when a configuration outgrows them


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


class HostBatch(NamedTuple):
    """Raw (unstandardized) inputs and targets of one step, numpy float64."""

    nodes: np.ndarray  # (B, N, n_species + 3)
    edges: np.ndarray  # (B, capacity, 3)
    senders: np.ndarray  # (B, capacity) int32
    receivers: np.ndarray  # (B, capacity) int32
    targets: np.ndarray  # (B, N, 6)
    edge_weights: np.ndarray  # (B, capacity) 1 for real edges, 0 for padding


# ----------------------------------------------------------------------------- recipe

TRAINING_OPTIONS = ("time_reversal", "loss_weights", "curriculum_k1_fraction", "learning_rate",
                    "lr_decay_rate", "lr_decay_steps")


def training_recipe(model_config: dict, training_config: dict) -> dict:
    """The training config a run uses: ``training`` plus, with ``model.architecture:
    extended``, the training options of ``model.options`` (time reversal, loss weights,
    stride curriculum, learning rate and its decay) that are set. The paper's architecture
    trains with the paper's recipe."""
    recipe = dict(training_config)
    if model_config.get("architecture", "paper") == "extended":
        options = model_config.get("options") or {}
        recipe.update({key: options[key] for key in TRAINING_OPTIONS
                       if options.get(key) is not None})
    return recipe


def uses_curriculum(model_config: dict, k: int) -> bool:
    """Whether a model of this config at stride ``k`` trains with the stride curriculum."""
    recipe = training_recipe(model_config, {})
    return int(k) != 1 and float(recipe.get("curriculum_k1_fraction") or 0.0) > 0.0


# ----------------------------------------------------------------------------- schedule

def learning_rate_schedule(training_config: dict) -> Callable:
    """``step -> learning_rate * lr_decay_rate ** (step / lr_decay_steps)`` (smooth)."""
    return optax.exponential_decay(
        init_value=float(training_config["learning_rate"]),
        transition_steps=float(training_config["lr_decay_steps"]),
        decay_rate=float(training_config["lr_decay_rate"]), staircase=False)


def make_optimizer(training_config: dict) -> optax.GradientTransformation:
    name = training_config.get("optimizer", "adam")
    if name != "adam":
        raise ValueError(f"training.optimizer = {name!r} is not supported; use adam")
    return optax.adam(learning_rate_schedule(training_config))


# ----------------------------------------------------------------------------- data order

def steps_per_epoch(n_pairs: int, batch_size: int) -> int:
    if n_pairs < batch_size:
        raise ValueError(f"{n_pairs} training pairs cannot fill a batch of {batch_size}")
    return n_pairs // batch_size


def total_steps(training_config: dict, n_pairs: int) -> int:
    steps = int(training_config["epochs"]) * steps_per_epoch(
        n_pairs, int(training_config["batch_size"]))
    max_steps = training_config.get("max_steps")
    return min(steps, int(max_steps)) if max_steps else steps


def epoch_plan(seed: int, epoch: int, n_pairs: int, augment: bool,
               time_reversal: bool = False):
    """(order of the pairs, symmetry index per pair, time-reversed flag per pair) of one
    epoch; a pure function. The reversal flags come from their own random stream, so
    switching reversal on leaves the order and the symmetries as they were."""
    rng = np.random.default_rng([int(seed), int(epoch)])
    order = rng.permutation(n_pairs)
    symmetry = (random_symmetry_indices(rng, n_pairs) if augment
                else np.zeros(n_pairs, np.int64))
    if time_reversal:
        reverse = np.random.default_rng([int(seed), int(epoch), 1]).random(n_pairs) < 0.5
    else:
        reverse = np.zeros(n_pairs, bool)
    return order, symmetry, reverse


def batch_plan(seed: int, step: int, n_pairs: int, batch_size: int, augment: bool,
               time_reversal: bool = False):
    """(pair indices, symmetry indices, reversal flags) of gradient step ``step`` (0-based)."""
    per_epoch = steps_per_epoch(n_pairs, batch_size)
    epoch, within = divmod(int(step), per_epoch)
    order, symmetry, reverse = epoch_plan(seed, epoch, n_pairs, augment, time_reversal)
    chosen = order[within * batch_size:(within + 1) * batch_size]
    return chosen, symmetry[chosen], reverse[chosen]


def reversed_pair(position, velocity, dr, dv):
    """The time-reversed pair (position, velocity, dr, dv) of a forward pair.

    Newtonian dynamics run backwards from (r(t+k), -v(t+k)) reach (r(t), -v(t)) after k
    steps (velocity Verlet is exactly reversible), so the reversed input is
    ``(r + dr, -(v + dv))`` with targets ``-dr`` and ``-v - (-(v + dv)) = dv``.
    """
    return position + dr, -(velocity + dv), -dr, dv


# ----------------------------------------------------------------------------- batches

def host_batch(pairs: Pairs, indices, symmetry_matrices, cutoff: float, capacity: int,
               n_species: int, reverse=None) -> tuple[HostBatch, int]:
    """Graphs, inputs and targets of the pairs ``indices``, each in its symmetry (3x3 matrix)
    and, where ``reverse`` (bool per pair, optional) says so, time-reversed
    (:func:`reversed_pair`).

    Returns the batch and the capacity used (grown if a configuration needed more slots).
    """
    n_atoms = pairs.n_atoms
    box = pairs.box
    if reverse is None:
        reverse = [False] * len(indices)
    states = []
    for index, backwards in zip(indices, reverse, strict=True):
        state = tuple(np.asarray(a[index], np.float64)
                      for a in (pairs.position, pairs.velocity, pairs.dr, pairs.dv))
        states.append(reversed_pair(*state) if backwards else state)
    built = []
    for position, *_ in states:
        edges = build_edges(position, box, cutoff, capacity, extra_fraction=CAPACITY_HEAD_ROOM)
        capacity = max(capacity, edges.capacity)
        built.append(edges)
    nodes, edge_vectors, senders, receivers, targets, weights = [], [], [], [], [], []
    for state, matrix, edges in zip(states, symmetry_matrices, built, strict=True):
        position, velocity, dr, dv = state
        if edges.capacity != capacity:
            edges = build_edges(position, box, cutoff, capacity)
        vectors = edge_vectors_numpy(position, box, edges)
        if matrix is not None:
            vectors, velocity, dr, dv = (apply_symmetry(matrix, a)
                                         for a in (vectors, velocity, dr, dv))
        nodes.append(node_inputs(velocity, pairs.species, n_species))
        edge_vectors.append(vectors)
        senders.append(edges.senders)
        receivers.append(edges.receivers)
        targets.append(targets_of(dr, dv))
        weights.append((edges.senders < n_atoms).astype(np.float64))
    return HostBatch(np.stack(nodes), np.stack(edge_vectors), np.stack(senders),
                     np.stack(receivers), np.stack(targets), np.stack(weights)), capacity


def device_batch(batch: HostBatch):
    """float32/int32 arrays for the jitted step (nodes, edges, senders, receivers, targets).

    Values beyond the float32 range become inf (no warning): see :func:`all_finite_arrays`.
    """
    with np.errstate(over="ignore"):
        return (batch.nodes.astype(np.float32), batch.edges.astype(np.float32),
                batch.senders.astype(np.int32), batch.receivers.astype(np.int32),
                batch.targets.astype(np.float32))


def all_finite_arrays(*arrays) -> bool:
    return all(bool(np.all(np.isfinite(a))) for a in arrays)


# ----------------------------------------------------------------------------- steps

def loss_weights(training_config: dict):
    """(6,) weights of the outputs [dr, dv] in the training loss (``training.loss_weights``,
    default 1 and 1), or None when they are equal (the paper's plain mean)."""
    weights = training_config.get("loss_weights") or {}
    w_dr, w_dv = float(weights.get("dr", 1.0)), float(weights.get("dv", 1.0))
    if w_dr <= 0 or w_dv <= 0:
        raise ValueError(f"training.loss_weights must be positive, got dr {w_dr}, dv {w_dv}")
    if w_dr == w_dv:
        return None
    return np.array([w_dr] * 3 + [w_dv] * 3)


def make_train_step(simulator: Simulator, optimizer: optax.GradientTransformation,
                    weights=None):
    """Jitted ``(params, opt_state, standard, nodes, edges, senders, receivers, targets)
    -> (params, opt_state, loss)`` for a batch with a leading batch axis; ``weights`` (6,)
    weigh the outputs in the loss (see :func:`loss_weights`)."""
    loss_fn = batched_loss(simulator, weights)

    @jax.jit
    def train_step(params, opt_state, standard, nodes, edges, senders, receivers, targets):
        loss, grads = jax.value_and_grad(loss_fn)(params, standard, nodes, edges, senders,
                                                  receivers, targets)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    return train_step


def make_eval_loss(simulator: Simulator):
    """Jitted standardized loss of one configuration (no batch axis)."""
    return jax.jit(simulator.loss)


class TrainingFunctions(NamedTuple):
    """The jitted functions of a run. Make them once and pass them to several :func:`train`
    calls with the same simulator and training config to compile only once."""

    init: Callable  # (rng, n_atoms, capacity) -> params
    optimizer: optax.GradientTransformation
    train_step: Callable
    eval_loss: Callable


def make_training_functions(simulator: Simulator, training_config: dict) -> TrainingFunctions:
    optimizer = make_optimizer(training_config)
    return TrainingFunctions(init=jax.jit(simulator.init, static_argnums=(1, 2)),
                             optimizer=optimizer,
                             train_step=make_train_step(simulator, optimizer,
                                                        loss_weights(training_config)),
                             eval_loss=make_eval_loss(simulator))


class EvaluationSet(NamedTuple):
    nodes: list
    edges: list
    senders: list
    receivers: list
    targets: list


def prepare_test_set(pairs: Pairs, cutoff: float, n_species: int) -> EvaluationSet:
    """Host-built graphs of every test pair, all padded to one capacity (one compile)."""
    capacity = edge_capacity_for(pairs.position, pairs.box, cutoff, 0.0)  # all are here
    columns = [[], [], [], [], []]
    for index in range(pairs.n_pairs):
        batch, _ = host_batch(pairs, [index], [None], cutoff, capacity, n_species)
        for column, array in zip(columns, device_batch(batch), strict=True):
            column.append(jnp.asarray(array[0]))
    return EvaluationSet(*columns)


def mean_test_loss(eval_loss, params, standard, test_set: EvaluationSet) -> float:
    """Mean standardized loss over the test set."""
    total = jnp.zeros(())
    for parts in zip(*test_set, strict=True):
        total = total + eval_loss(params, standard, *parts)
    return float(total) / len(test_set.nodes)


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
    arrays, metadata = read_npz(path)
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


# ----------------------------------------------------------------------------- the loop

class Start(NamedTuple):
    """Where a run starts instead of random parameters (the stride curriculum's second
    phase): parameters and normalizer of an earlier run."""

    params: dict
    normalizer: Normalizer


def training_capacity(pairs: Pairs, cutoff: float) -> int:
    """Edge slots per configuration for training on ``pairs``: the most edges of any
    configuration a step can see, rounded up to a multiple of 8.

    Both ends of every pair are counted (time reversal starts from the end; the cube
    symmetries keep every distance), so no step outgrows it. Every padding slot costs as much
    as an edge in every per-edge operation, and the largest configuration is close to the
    mean: 0.5% above it over the 2988 LJ-265 training configurations of config/quick.yaml
    (a scan of 1.7 s here), where a 5% head room on a sample would waste 5% of each step.
    The scan costs 0.1-0.8 ms per configuration (Si to SiO2 at the paper's sizes), so about
    15 s for the 10,000 SiO2 pairs of config.yaml.
    """
    ends = np.asarray(pairs.position, np.float64) + np.asarray(pairs.dr, np.float64)
    return edge_capacity_for(np.concatenate([pairs.position, ends]), pairs.box, cutoff, 0.0)


def initial_state(simulator: Simulator, functions: TrainingFunctions, train_pairs: Pairs,
                  graph_cutoff: float, seed: int, start: Start | None = None) -> TrainState:
    capacity = training_capacity(train_pairs, graph_cutoff)
    if start is not None:
        params = jax.tree_util.tree_map(jnp.asarray, start.params)
        return TrainState(step=0, params=params, opt_state=functions.optimizer.init(params),
                          normalizer=start.normalizer, capacity=capacity, loss_sum=0.0,
                          loss_count=0, seconds=0.0)
    params = functions.init(jax.random.PRNGKey(int(seed)), train_pairs.n_atoms, capacity)
    normalizer = init_normalizer(node_feature_size(simulator.n_species))
    return TrainState(step=0, params=params, opt_state=functions.optimizer.init(params),
                      normalizer=normalizer, capacity=capacity, loss_sum=0.0, loss_count=0,
                      seconds=0.0)


def train(simulator: Simulator, train_pairs: Pairs, test_pairs: Pairs, training_config: dict,
          *, graph_cutoff: float, checkpoint_path, curve_path, log: Callable = print,
          on_step: Callable | None = None, log_every_seconds: float = 30.0,
          functions: TrainingFunctions | None = None, start: Start | None = None
          ) -> TrainState:
    """Train (or resume training) and return the final state.

    ``start`` (optional): begin from these parameters and normalizer instead of random ones.

    ``functions`` (optional) are :func:`make_training_functions` of the same simulator and
    ``training_config``, to reuse their compilations across calls.

    ``on_step(step)`` (optional) is called after every gradient step is dispatched; an
    exception raised there stops the run as a kill would (tests use it).
    """
    n_species = simulator.n_species
    if int(train_pairs.attrs.get("n_species", n_species)) != n_species:
        raise ValueError(f"the pairs have {train_pairs.attrs['n_species']} species, the "
                         f"simulator {n_species}")
    seed = int(training_config["seed"])
    batch_size = int(training_config["batch_size"])
    augment = bool(training_config["augment_cube_symmetry"])
    time_reversal = bool(training_config.get("time_reversal", False))
    eval_every = int(training_config["eval_every"])
    checkpoint_every = int(training_config["checkpoint_every"])
    n_pairs = train_pairs.n_pairs
    per_epoch = steps_per_epoch(n_pairs, batch_size)
    last_step = total_steps(training_config, n_pairs)
    schedule = learning_rate_schedule(training_config)
    if functions is None:
        functions = make_training_functions(simulator, training_config)
    symmetries = cube_symmetries()
    fingerprint = run_fingerprint(simulator.network_config, training_config, graph_cutoff,
                                  train_pairs.attrs.get("sha256", ""),
                                  test_pairs.attrs.get("sha256", ""),
                                  params_sha256(start.params) if start is not None else "")

    fresh = initial_state(simulator, functions, train_pairs, graph_cutoff, seed, start)
    net = simulator.network_config
    shape = (f"learned pair force, {net.substeps} velocity-Verlet substeps per stride "
             f"(message-passing layers unused)" if net.decoder == "pair_force"
             else f"{net.n_layers} message-passing layers")
    log(f"network: {shape}, "
        f"{parameter_count(fresh.params):,} parameters; {n_pairs} training pairs, "
        f"{test_pairs.n_pairs} test pairs, {train_pairs.n_atoms} atoms, batch {batch_size}, "
        f"{per_epoch} steps per epoch, {last_step} steps in all")
    state = load_checkpoint(checkpoint_path, fingerprint, fresh.opt_state)
    if state is None:
        if Path(checkpoint_path).exists():
            log(f"checkpoint {checkpoint_path} belongs to another configuration or other "
                "data: starting afresh")
        state = fresh
    else:
        log(f"resuming from checkpoint {checkpoint_path} at step {state.step}")
    # The curve up to the checkpoint lives in the checkpoint (an output of a failed job may
    # have been deleted); rows written after it are dropped and will be written again.
    write_curve_rows(curve_path, list(state.curve))
    del fresh

    train_step, eval_loss = functions.train_step, functions.eval_loss
    log(f"building the {test_pairs.n_pairs} test graphs")
    test_set = prepare_test_set(test_pairs, graph_cutoff, n_species)
    log(f"edge capacity {state.capacity} per configuration (graph cutoff {graph_cutoff})")

    params, opt_state, normalizer = state.params, state.opt_state, state.normalizer
    capacity, loss_sum, loss_count = state.capacity, state.loss_sum, state.loss_count
    curve = list(state.curve)
    step = state.step
    meter = ProgressMeter(last_step, start_done=step)
    clock = time.monotonic()
    seconds_before = state.seconds
    last_log = clock
    pending = None  # (step number after the update, loss array) not yet checked
    last_checkpoint = step

    def check(pending_loss):
        nonlocal loss_sum, loss_count
        done, loss = pending_loss
        value = float(loss)
        if not math.isfinite(value):
            raise TrainingDiverged(
                f"training loss is {value} at step {done}: training diverged and stops here; "
                f"the last good checkpoint (step {last_checkpoint}) is kept at "
                f"{checkpoint_path}. Lower training.learning_rate or check the data.")
        loss_sum += value
        loss_count += 1
        return value

    def current_state():
        return TrainState(step, params, opt_state, normalizer, capacity, loss_sum, loss_count,
                          seconds_before + time.monotonic() - clock, tuple(curve))

    max_minutes = training_config.get("max_minutes")
    budget_seconds = 60.0 * float(max_minutes) if max_minutes else math.inf
    if seconds_before >= budget_seconds:
        log(f"the training budget of {max_minutes} min was already spent at step {step}")
    last_value = float("nan")
    while step < last_step and seconds_before < budget_seconds:
        indices, symmetry, reverse = batch_plan(seed, step, n_pairs, batch_size, augment,
                                                time_reversal)
        matrices = [symmetries[s] if augment else None for s in symmetry]
        batch, new_capacity = host_batch(train_pairs, indices, matrices, graph_cutoff,
                                         capacity, n_species, reverse)
        inputs = device_batch(batch)
        if not all_finite_arrays(*inputs):
            raise ValueError(f"training pairs {indices.tolist()} (used at step {step}) hold "
                             "non-finite values (or values beyond the float32 range); the "
                             "pairs file is damaged: rebuild it")
        if new_capacity != capacity:
            log(f"step {step}: a configuration has more edges than the capacity {capacity}; "
                f"growing it to {new_capacity} (the step recompiles once)")
            capacity = new_capacity
        normalizer = update_normalizer(normalizer, batch.nodes, batch.edges, batch.targets,
                                       batch.edge_weights)
        standard = standardization(normalizer)
        params, opt_state, loss = train_step(params, opt_state, standard, *inputs)
        if pending is not None:
            last_value = check(pending)
        step += 1
        pending = (step, loss)
        if on_step is not None:
            on_step(step)

        now = time.monotonic()
        spent = seconds_before + now - clock  # training seconds over all restarts
        out_of_time = spent >= budget_seconds
        at_eval = step % eval_every == 0 or step == last_step or out_of_time
        at_checkpoint = step % checkpoint_every == 0 or step == last_step or out_of_time
        if at_eval or at_checkpoint or now - last_log >= log_every_seconds:
            last_value = check(pending)
            pending = None
        if at_eval:
            test_value = mean_test_loss(eval_loss, params, standardization(normalizer),
                                        test_set)
            train_value = loss_sum / loss_count if loss_count else float("nan")
            row = {"step": str(step), "epoch": f"{step / per_epoch:.6g}",
                   "lr": f"{float(schedule(step)):.6g}", "train_loss": f"{train_value:.8g}",
                   "test_loss": f"{test_value:.8g}",
                   "seconds": f"{current_state().seconds:.2f}"}
            curve.append(row)
            append_curve_row(curve_path, row)
            loss_sum, loss_count = 0.0, 0
            log(f"step {step}: train loss {train_value:.5g}, test loss {test_value:.5g}")
            if not math.isfinite(test_value):
                raise TrainingDiverged(
                    f"test loss is {test_value} at step {step}; the last good checkpoint "
                    f"(step {last_checkpoint}) is kept at {checkpoint_path}")
        if at_checkpoint:
            if not all_finite(params):
                raise TrainingDiverged(
                    f"parameters are not finite at step {step}; the last good checkpoint "
                    f"(step {last_checkpoint}) is kept at {checkpoint_path}")
            save_checkpoint(checkpoint_path, current_state(), fingerprint)
            last_checkpoint = step
        if now - last_log >= log_every_seconds or at_eval:
            log(meter.line(step, budget_left=(budget_seconds - spent
                                              if math.isfinite(budget_seconds) else None),
                           loss=last_value, lr=float(schedule(step))))
            last_log = now
        if out_of_time:
            log(f"training budget of {max_minutes} min spent: stopping at step {step} of "
                f"{last_step}")
            break
    if pending is not None:
        check(pending)
    return current_state()


def curriculum_phases(training_config: dict) -> tuple[dict, dict]:
    """Training configs of the stride curriculum's two phases (k = 1, then the target k):
    ``training.curriculum_k1_fraction`` of the budget (``max_minutes`` and ``max_steps``,
    whichever are set; else of ``epochs``) goes to the first phase, the rest to the second."""
    fraction = float(training_config.get("curriculum_k1_fraction") or 0.0)
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"training.curriculum_k1_fraction = {fraction}: a curriculum needs a "
                         "fraction strictly between 0 and 1")
    first, second = dict(training_config), dict(training_config)
    for config in (first, second):
        config["curriculum_k1_fraction"] = 0.0
    for key in ("max_minutes", "max_steps"):
        if training_config.get(key):
            first[key] = float(training_config[key]) * fraction
            second[key] = float(training_config[key]) - first[key]
            if key == "max_steps":
                first[key], second[key] = max(1, int(first[key])), max(1, int(second[key]))
    if not training_config.get("max_minutes") and not training_config.get("max_steps"):
        epochs = int(training_config["epochs"])
        first["epochs"] = max(1, round(epochs * fraction))
        second["epochs"] = max(1, epochs - first["epochs"])
    return first, second


def without_target_statistics(normalizer: Normalizer) -> Normalizer:
    """The normalizer with the target statistics forgotten (the targets of another k have
    another scale; the node and edge statistics stay)."""
    return Normalizer(normalizer.nodes, normalizer.edges,
                      init_stats(normalizer.targets.mean.shape[-1]))


def train_with_curriculum(simulator: Simulator, train_pairs: Pairs, test_pairs: Pairs,
                          k1_train: Pairs, k1_test: Pairs, training_config: dict, *,
                          graph_cutoff: float, checkpoint_path, curve_path,
                          log: Callable = print) -> TrainState:
    """The stride curriculum: train at k = 1 (``k1_*`` pairs), then continue at the target k
    from those parameters, with fresh target statistics and a fresh optimizer state. The
    first phase keeps its own checkpoint and curve (``*.k1.*`` beside the given paths), so a
    killed job resumes in whichever phase it was."""
    first, second = curriculum_phases(training_config)
    checkpoint_path, curve_path = Path(checkpoint_path), Path(curve_path)
    k1_checkpoint = checkpoint_path.with_name(checkpoint_path.stem + ".k1.npz")
    k1_curve = curve_path.with_name(curve_path.stem + ".k1.csv")
    log(f"stride curriculum: phase 1 at k = 1 ({_budget_text(first)}), then k = "
        f"{train_pairs.attrs.get('k')} ({_budget_text(second)})")
    phase1 = train(simulator, k1_train, k1_test, first, graph_cutoff=graph_cutoff,
                   checkpoint_path=k1_checkpoint, curve_path=k1_curve, log=log)
    start = Start(phase1.params, without_target_statistics(phase1.normalizer))
    phase2 = train(simulator, train_pairs, test_pairs, second, graph_cutoff=graph_cutoff,
                   checkpoint_path=checkpoint_path, curve_path=curve_path, log=log,
                   start=start)
    return phase2._replace(step=phase1.step + phase2.step,
                           seconds=phase1.seconds + phase2.seconds)


def _budget_text(config: dict) -> str:
    if config.get("max_minutes"):
        return f"{float(config['max_minutes']):.3g} min"
    if config.get("max_steps"):
        return f"{int(config['max_steps'])} steps"
    return f"{config['epochs']} epochs"


def model_metadata(simulator: Simulator, state: TrainState, train_pairs: Pairs,
                   test_pairs: Pairs, model_config: dict, training_config: dict,
                   graph_cutoff: float) -> dict:
    """What the model file records besides parameters and normalizer."""
    attrs = train_pairs.attrs
    return {"network": simulator.network_config._asdict(), "model_config": model_config,
            "training_config": training_config, "system": attrs.get("system", ""),
            "units": attrs.get("units", ""), "species_names": attrs.get("species_names", []),
            "n_species": simulator.n_species, "graph_cutoff": float(graph_cutoff),
            "k": int(attrs["k"]), "dt": attrs.get("dt"), "train_sha256": attrs.get("sha256"),
            "test_sha256": test_pairs.attrs.get("sha256"), "steps": state.step,
            "n_atoms": train_pairs.n_atoms}
