"""Training the OGN: loss, learning-rate schedule, data order, train loop, checkpoint/resume.

Recipe (Liu et al. 2023, Methods; config block ``training``):

* loss: mean squared error of the standardized targets over all atoms and all 6 outputs,
  averaged over the ``batch_size`` configurations of a step (1 in the paper);
* Adam with the learning rate ``learning_rate * lr_decay_rate ** (step / lr_decay_steps)``
  (1e-4 * 0.1^(K/1e7) in the paper);
* online standardization (:mod:`ogn.net.normalizer`): each training batch is merged into the
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

from collections.abc import Callable
from pathlib import Path

import jax
import jax.numpy as jnp

from ogn.data.pairs import Pairs
from ogn.learn.batches import training_capacity
from ogn.learn.checkpoint import (
    Start,
    TrainState,
    load_checkpoint,
    params_sha256,
    run_fingerprint,
    write_curve_rows,
)
from ogn.learn.progress import (
    Loop,
    Progress,
    RunSettings,
    checked_loss,
    run_settings,
    training_step,
)
from ogn.learn.recipe import learning_rate_schedule
from ogn.learn.steps import TrainingFunctions, make_training_functions, prepare_test_set
from ogn.net.network import parameter_count
from ogn.net.normalizer import init_normalizer
from ogn.net.simulator import Simulator, node_feature_size
from ogn.workflow.runlog import ProgressMeter


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
    settings = run_settings(training_config, train_pairs.n_pairs)
    if functions is None:
        functions = make_training_functions(simulator, training_config)
    fingerprint = run_fingerprint(simulator.network_config, training_config, graph_cutoff,
                                  train_pairs.attrs.get("sha256", ""),
                                  test_pairs.attrs.get("sha256", ""),
                                  params_sha256(start.params) if start is not None else "")
    state = starting_state(simulator, functions, train_pairs, test_pairs, settings,
                           graph_cutoff, checkpoint_path, curve_path, fingerprint, start, log)
    log(f"building the {test_pairs.n_pairs} test graphs")
    test_set = prepare_test_set(test_pairs, graph_cutoff, n_species)
    log(f"edge capacity {state.capacity} per configuration (graph cutoff {graph_cutoff})")
    run = Progress.resumed(state)
    loop = Loop(functions, train_pairs, test_set, settings, learning_rate_schedule(
        training_config), graph_cutoff, n_species, checkpoint_path, curve_path, fingerprint,
        log, on_step, log_every_seconds, ProgressMeter(settings.last_step, start_done=run.step))
    if run.seconds_before >= settings.budget_seconds:
        log(f"the training budget of {settings.max_minutes} min was already spent at step "
            f"{run.step}")
    while run.step < settings.last_step and run.seconds_before < settings.budget_seconds:
        if not training_step(loop, run):
            log(f"training budget of {settings.max_minutes} min spent: stopping at step "
                f"{run.step} of {settings.last_step}")
            break
    if run.pending is not None:
        checked_loss(loop, run)
    return run.state()


def starting_state(simulator, functions, train_pairs, test_pairs, settings: RunSettings,
                   graph_cutoff, checkpoint_path, curve_path, fingerprint, start,
                   log) -> TrainState:
    """The checkpoint's state if it belongs to this run, else a fresh one; the curve file is
    rewritten to the rows the state holds."""
    fresh = initial_state(simulator, functions, train_pairs, graph_cutoff, settings.seed, start)
    net = simulator.network_config
    shape = (f"{net.step_family} (velocity Verlet; message-passing layers unused)"
             if net.learned_force else f"{net.n_layers} message-passing layers")
    log(f"network: {shape}, "
        f"{parameter_count(fresh.params):,} parameters; {train_pairs.n_pairs} training pairs, "
        f"{test_pairs.n_pairs} test pairs, {train_pairs.n_atoms} atoms, batch "
        f"{settings.batch_size}, {settings.per_epoch} steps per epoch, {settings.last_step} "
        "steps in all")
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
    return state


def model_metadata(simulator: Simulator, state: TrainState, train_pairs: Pairs,
                   test_pairs: Pairs, model_config: dict, training_config: dict,
                   graph_cutoff: float, system_config: dict | None = None) -> dict:
    """What the model file records besides parameters and normalizer; ``system_config``, the
    ``systems.<name>`` block (species, masses, potential), lets the model run on its own
    (``ogn simulate``, the energy-conserving rescale)."""
    attrs = train_pairs.attrs
    return {"system_config": system_config, "network": simulator.network_config._asdict(), "model_config": model_config,
            "training_config": training_config, "system": attrs.get("system", ""),
            "units": attrs.get("units", ""), "species_names": attrs.get("species_names", []),
            "n_species": simulator.n_species, "graph_cutoff": float(graph_cutoff),
            "k": int(attrs["k"]), "dt": attrs.get("dt"), "train_sha256": attrs.get("sha256"),
            "test_sha256": test_pairs.attrs.get("sha256"), "steps": state.step,
            "n_atoms": train_pairs.n_atoms,
            "train_systems": attrs.get("systems", [attrs.get("system", "")])}
