"""The training recipe's numbers: learning-rate schedule, optimizer, steps per epoch and in
all."""

from collections.abc import Callable

import jax.numpy as jnp
import optax

# ----------------------------------------------------------------------------- schedule

def learning_rate_schedule(training_config: dict) -> Callable:
    """``step -> learning_rate * lr_decay_rate ** (step / lr_decay_steps)`` (smooth), times
    ``min(1, (step + 1) / warmup_steps)`` with a warm-up (``warmup_steps`` > 0; the paper
    has none)."""
    decay = optax.exponential_decay(
        init_value=float(training_config["learning_rate"]),
        transition_steps=float(training_config["lr_decay_steps"]),
        decay_rate=float(training_config["lr_decay_rate"]), staircase=False)
    warmup = int(training_config.get("warmup_steps") or 0)
    if warmup < 0:
        raise ValueError(f"training.warmup_steps = {warmup}: use 0 (none) or a positive "
                         "number of steps")
    if not warmup:
        return decay

    def warmed_up(step):
        return decay(step) * jnp.minimum(1.0, (jnp.asarray(step, jnp.float32) + 1.0) / warmup)

    return warmed_up


def make_optimizer(training_config: dict) -> optax.GradientTransformation:
    """Adam on the schedule, after clipping the gradient's global norm to ``clip_norm`` where
    it is set (the paper does not clip)."""
    name = training_config.get("optimizer", "adam")
    if name != "adam":
        raise ValueError(f"training.optimizer = {name!r} is not supported; use adam")
    adam = optax.adam(learning_rate_schedule(training_config))
    clip_norm = training_config.get("clip_norm")
    if clip_norm is None:
        return adam
    if not float(clip_norm) > 0:
        raise ValueError(f"training.clip_norm = {clip_norm}: use a positive gradient norm "
                         "or null (no clipping)")
    return optax.chain(optax.clip_by_global_norm(float(clip_norm)), adam)


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
