"""The training recipe's numbers: learning-rate schedule, optimizer, steps per epoch and in
all."""

from collections.abc import Callable

import optax

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
