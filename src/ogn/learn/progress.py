"""The steps of a training run: the run's fixed settings, its state in progress, and one
gradient step with the evaluation, checkpoint and progress line it is due for
(:func:`ogn.learn.loop.train` drives them)."""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from ogn.data.augment import cube_symmetries
from ogn.data.pairs import Pairs
from ogn.learn.batches import all_finite_arrays, batch_plan, device_batch, host_batch
from ogn.learn.checkpoint import (
    TrainingDiverged,
    TrainState,
    all_finite,
    append_curve_row,
    save_checkpoint,
)
from ogn.learn.recipe import steps_per_epoch, total_steps
from ogn.learn.steps import TrainingFunctions, mean_test_loss
from ogn.net.normalizer import Normalizer, standardization, update_normalizer
from ogn.workflow.runlog import ProgressMeter

CUBE_SYMMETRIES = cube_symmetries()


class RunSettings(NamedTuple):
    """The fixed numbers of one training run, read from its training config."""

    seed: int
    batch_size: int
    augment: bool
    time_reversal: bool
    eval_every: int
    checkpoint_every: int
    per_epoch: int
    last_step: int
    budget_seconds: float  # math.inf without a wall-clock budget
    max_minutes: float | None
    freeze_statistics_after: int | None = None  # steps after which the statistics stay put


def run_settings(training_config: dict, n_pairs: int) -> RunSettings:
    batch_size = int(training_config["batch_size"])
    max_minutes = training_config.get("max_minutes")
    return RunSettings(
        seed=int(training_config["seed"]), batch_size=batch_size,
        augment=bool(training_config["augment_cube_symmetry"]),
        time_reversal=bool(training_config.get("time_reversal", False)),
        eval_every=int(training_config["eval_every"]),
        checkpoint_every=int(training_config["checkpoint_every"]),
        per_epoch=steps_per_epoch(n_pairs, batch_size),
        last_step=total_steps(training_config, n_pairs),
        budget_seconds=60.0 * float(max_minutes) if max_minutes else math.inf,
        max_minutes=max_minutes,
        freeze_statistics_after=frozen_after(training_config))


def frozen_after(training_config: dict) -> int | None:
    """``training.freeze_statistics_after``: the step from which the running statistics are
    no longer updated (null: updated every step, as in the paper)."""
    steps = training_config.get("freeze_statistics_after")
    if steps is None:
        return None
    if int(steps) < 1:
        raise ValueError(f"training.freeze_statistics_after = {steps}: the statistics need "
                         "at least one step of data; use a positive step or null")
    return int(steps)


@dataclass
class Progress:
    """A run in progress: the loop's own state, changed step by step."""

    params: dict
    opt_state: object
    normalizer: Normalizer
    capacity: int
    loss_sum: float
    loss_count: int
    step: int
    curve: list
    seconds_before: float  # training seconds of earlier runs (resumed from)
    clock: float  # time.monotonic() when this run started
    last_log: float
    last_checkpoint: int
    pending: tuple | None = None  # (step after the update, loss array) not yet checked
    last_value: float = float("nan")

    @classmethod
    def resumed(cls, state: TrainState) -> "Progress":
        clock = time.monotonic()
        return cls(state.params, state.opt_state, state.normalizer, state.capacity,
                   state.loss_sum, state.loss_count, state.step, list(state.curve),
                   state.seconds, clock, clock, state.step)

    def seconds(self) -> float:
        """Training seconds over all runs so far."""
        return self.seconds_before + time.monotonic() - self.clock

    def state(self) -> TrainState:
        return TrainState(self.step, self.params, self.opt_state, self.normalizer,
                          self.capacity, self.loss_sum, self.loss_count, self.seconds(),
                          tuple(self.curve))


class Loop(NamedTuple):
    """What the steps of a run share and never change."""

    functions: TrainingFunctions
    train_pairs: Pairs
    test_set: object
    settings: RunSettings
    schedule: Callable
    graph_cutoff: float
    n_species: int
    checkpoint_path: object
    curve_path: object
    fingerprint: str
    log: Callable
    on_step: Callable | None
    log_every_seconds: float
    meter: ProgressMeter


def training_step(loop: Loop, run: Progress) -> bool:
    """One gradient step, then the evaluation, checkpoint and log line it is due for; False
    once the wall-clock budget is spent. The loss of a step is read back (a device sync) only
    after the next step is dispatched, or when an evaluation or checkpoint needs it."""
    settings, symmetries = loop.settings, CUBE_SYMMETRIES
    indices, symmetry, reverse = batch_plan(settings.seed, run.step, loop.train_pairs.n_pairs,
                                            settings.batch_size, settings.augment,
                                            settings.time_reversal)
    matrices = [symmetries[s] if settings.augment else None for s in symmetry]
    batch, new_capacity = host_batch(loop.train_pairs, indices, matrices, loop.graph_cutoff,
                                     run.capacity, loop.n_species, reverse)
    inputs = device_batch(batch)
    if not all_finite_arrays(*inputs):
        raise ValueError(f"training pairs {indices.tolist()} (used at step {run.step}) hold "
                         "non-finite values (or values beyond the float32 range); the "
                         "pairs file is damaged: rebuild it")
    if new_capacity != run.capacity:
        loop.log(f"step {run.step}: a configuration has more edges than the capacity "
                 f"{run.capacity}; growing it to {new_capacity} (the step recompiles once)")
        run.capacity = new_capacity
    frozen = settings.freeze_statistics_after
    if frozen is None or run.step < frozen:
        run.normalizer = update_normalizer(run.normalizer, batch.nodes, batch.edges,
                                           batch.targets, batch.edge_weights)
    run.params, run.opt_state, loss = loop.functions.train_step(
        run.params, run.opt_state, standardization(run.normalizer), *inputs)
    if run.pending is not None:
        run.last_value = checked_loss(loop, run)
    run.step += 1
    run.pending = (run.step, loss)
    if loop.on_step is not None:
        loop.on_step(run.step)
    return bookkeeping(loop, run)


def bookkeeping(loop: Loop, run: Progress) -> bool:
    """The test evaluation, checkpoint and progress line due after a step; False once the
    wall-clock budget is spent."""
    settings, step = loop.settings, run.step
    now = time.monotonic()
    spent = run.seconds_before + now - run.clock  # training seconds over all restarts
    out_of_time = spent >= settings.budget_seconds
    at_eval = step % settings.eval_every == 0 or step == settings.last_step or out_of_time
    at_checkpoint = (step % settings.checkpoint_every == 0 or step == settings.last_step
                     or out_of_time)
    if at_eval or at_checkpoint or now - run.last_log >= loop.log_every_seconds:
        run.last_value = checked_loss(loop, run)
    if at_eval:
        evaluate(loop, run)
    if at_checkpoint:
        if not all_finite(run.params):
            raise TrainingDiverged(
                f"parameters are not finite at step {step}; the last good checkpoint "
                f"(step {run.last_checkpoint}) is kept at {loop.checkpoint_path}")
        save_checkpoint(loop.checkpoint_path, run.state(), loop.fingerprint)
        run.last_checkpoint = step
    if now - run.last_log >= loop.log_every_seconds or at_eval:
        left = (settings.budget_seconds - spent if math.isfinite(settings.budget_seconds)
                else None)
        loop.log(loop.meter.line(step, budget_left=left, loss=run.last_value,
                                 lr=float(loop.schedule(step))))
        run.last_log = now
    return not out_of_time


def checked_loss(loop: Loop, run: Progress) -> float:
    """The pending step's loss, added to the running training loss; a non-finite one stops
    the run with :class:`TrainingDiverged`."""
    done, loss = run.pending
    run.pending = None
    value = float(loss)
    if not math.isfinite(value):
        raise TrainingDiverged(
            f"training loss is {value} at step {done}: training diverged and stops here; "
            f"the last good checkpoint (step {run.last_checkpoint}) is kept at "
            f"{loop.checkpoint_path}. Lower training.learning_rate or check the data.")
    run.loss_sum += value
    run.loss_count += 1
    return value


def evaluate(loop: Loop, run: Progress) -> None:
    """The test loss now: a row of the curve (file and state), the training loss reset."""
    test_value = mean_test_loss(loop.functions.eval_loss, run.params,
                                standardization(run.normalizer), loop.test_set)
    train_value = run.loss_sum / run.loss_count if run.loss_count else float("nan")
    step = run.step
    row = {"step": str(step), "epoch": f"{step / loop.settings.per_epoch:.6g}",
           "lr": f"{float(loop.schedule(step)):.6g}", "train_loss": f"{train_value:.8g}",
           "test_loss": f"{test_value:.8g}", "seconds": f"{run.seconds():.2f}"}
    run.curve.append(row)
    append_curve_row(loop.curve_path, row)
    run.loss_sum, run.loss_count = 0.0, 0
    loop.log(f"step {step}: train loss {train_value:.5g}, test loss {test_value:.5g}")
    if not math.isfinite(test_value):
        raise TrainingDiverged(
            f"test loss is {test_value} at step {step}; the last good checkpoint "
            f"(step {run.last_checkpoint}) is kept at {loop.checkpoint_path}")
