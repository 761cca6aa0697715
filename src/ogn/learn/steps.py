"""The jitted training and evaluation steps, and the test set they are evaluated on."""

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ogn.data.pairs import Pairs
from ogn.learn.batches import device_batch, host_batch
from ogn.learn.recipe import make_optimizer
from ogn.net.graph import edge_capacity_for
from ogn.net.simulator import Simulator, batched_loss

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


def table_smoothness(training_config: dict) -> float:
    """``table_smoothness`` of the recipe (``model.options``; 0: none), checked."""
    weight = float(training_config.get("table_smoothness") or 0.0)
    if weight < 0:
        raise ValueError(f"model.options.table_smoothness = {weight:g}: use 0 (none) or a "
                         "positive weight (e.g. 1e-4)")
    return weight


def make_train_step(simulator: Simulator, optimizer: optax.GradientTransformation,
                    weights=None, smoothness: float = 0.0):
    """Jitted ``(params, opt_state, standard, nodes, edges, senders, receivers, targets)
    -> (params, opt_state, loss)`` for a batch with a leading batch axis; ``weights`` (6,)
    weigh the outputs in the loss (see :func:`loss_weights`); ``smoothness`` > 0 adds that
    times the learned tables' roughness (:func:`ogn.net.tables.table_roughness`) to the loss
    trained on and returned."""
    batch_loss = batched_loss(simulator, weights)
    if smoothness:
        from ogn.net.tables import table_roughness

        def loss_fn(params, *batch):
            return batch_loss(params, *batch) + smoothness * table_roughness(params)
    else:
        loss_fn = batch_loss

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
                                                        loss_weights(training_config),
                                                        table_smoothness(training_config)),
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
