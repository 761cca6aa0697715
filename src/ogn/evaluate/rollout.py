"""Rollouts: a configuration advanced by repeated model steps (one model step = k MD steps).

The learned simulator predicts ``(dr, dv)`` over k MD steps; a rollout feeds its output back as
the next input. Like MD (:mod:`ogn.md.dynamics`), the graph is found on the host within
``graph_cutoff + skin`` (:func:`ogn.net.graph.build_edges`, exact cell-list search, padded with N)
and reused inside jit while no atom has moved more than skin/2 since the build. Every model
step masks the edges longer than ``graph_cutoff`` to padding, so the network sees exactly the
edges within rc, as in training. A tabulated learned force runs on dense neighbour rows instead
(:func:`make_model_rollout` chooses; :mod:`ogn.net.row_forces`), found and reused the same way;
a tabulated energy decoder reads a second list of rows within its three-body cutoff + skin.
A jitted chunk (``lax.while_loop``) runs model steps until

(a) the requested number of steps is done,
(b) some atom moved more than skin/2 since the edge build (the host rebuilds the edges, growing
    their capacity if needed (one recompile), and continues), or
(c) an instability check fires (:class:`RolloutChecks`): the rollout stops and says why.

Positions are carried unwrapped (for displacements) in the precision of the input (float64
when enabled); the network sees the positions wrapped into the box and the velocities cast to
``model_dtype`` (float32, the dtype of trained parameters). Units are those of the data the
model was trained on (file units: sigma and sigma/tau, or A and A/fs).

Instability checks (each optional):

* ``non_finite``: a step produced NaN or inf; that step is not kept (the last finite state is
  the last frame) and ``stopped_at`` is the model step that failed;
* ``close_pair``: two atoms closer than ``min_distance`` (a scalar, or an (S, S) matrix per
  species pair, length unit), checked on the state fed to the model; that state is kept as the
  last frame and ``stopped_at`` is its step;
* ``kinetic_energy``: the kinetic energy of the state fed to the model exceeds
  ``kinetic_energy_factor`` times that of the starting state (needs ``masses``);
* ``host_check(model_step, position_unwrapped, velocity) -> reason or None``: any host-side
  test on each recorded frame (the workflow uses it for jumps of the true total energy,
  :func:`ogn.evaluate.metrics.make_energy_jump_check`).

:func:`md_rollout` runs the reference MD (e.g. at k*dt, Fig. 4B) with the same result type and
the same checks, stopping instead of raising when the integration blows up.
"""

import time
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ogn.evaluate.checks import (
    EDGE_HEAD_ROOM,
    STATUS_CLOSE_PAIR,
    STATUS_KINETIC,
    STATUS_NON_FINITE,
    STATUS_OK,
    STATUS_REASONS,
    RolloutChecks,
    _kinetic,
)
from ogn.md.neighbors import check_radius_fits_box, neighbor_rows
from ogn.net.graph import build_edges, edge_vectors


class RolloutFns(NamedTuple):
    """What :func:`rollout` needs: the jitted chunk and the settings it was made with."""

    chunk: Callable
    graph_cutoff: float
    skin: float
    box: np.ndarray
    masses: np.ndarray | None
    checks: RolloutChecks
    layout: str = "edges"  # the pair table the chunk reads: "edges" or (dense) "rows"
    # rows: the reach of the second list of rows that an energy decoder's angular terms
    # read (its three-body cutoff + skin), or None
    three_body_reach: float | None = None


class RolloutResult(NamedTuple):
    """Frames of a rollout. ``model_steps`` (F,) labels the frames (MD step = k * model step);
    the last frame of a stopped rollout is the last state kept (see the module docstring)."""

    position_unwrapped: np.ndarray  # (F, N, 3)
    velocity: np.ndarray  # (F, N, 3)
    model_steps: np.ndarray  # (F,) int64
    n_rebuilds: int
    stopped_at: int | None  # model step at which a check fired, None if it completed
    stop_reason: str | None
    seconds: float  # wall time of the call (including any compilation)


def _result(positions, velocities, steps, n_rebuilds: int, stopped_at, reason,
            start_time: float) -> RolloutResult:
    """The :class:`RolloutResult` of recorded frames (lists of (N, 3) arrays and steps)."""
    return RolloutResult(position_unwrapped=np.stack(positions), velocity=np.stack(velocities),
                         model_steps=np.asarray(steps, dtype=np.int64), n_rebuilds=n_rebuilds,
                         stopped_at=stopped_at, stop_reason=reason,
                         seconds=time.monotonic() - start_time)


def _predictor(simulator) -> Callable:
    """``simulator.predict_increments``, or ``simulator`` itself when it is a function."""
    return getattr(simulator, "predict_increments", simulator)


def edge_limits_sq(min_distance, species, senders, receivers, dtype):
    """The squared closest approach allowed per edge (a scalar, or per species pair from an
    (S, S) table), or None without the close-pair check."""
    if min_distance is None:
        return None
    if min_distance.ndim == 0:
        return jnp.asarray(min_distance ** 2, dtype)
    table = jnp.asarray(min_distance ** 2, dtype)
    return table[jnp.take(species, senders, mode="clip"),
                 jnp.take(species, receivers, mode="clip")]


def stop_status(close, hot, finite):
    """The status code of a model step: a close pair first, then the kinetic energy, then a
    non-finite result."""
    return jnp.where(close, STATUS_CLOSE_PAIR,
                     jnp.where(hot, STATUS_KINETIC,
                               jnp.where(finite, STATUS_OK, STATUS_NON_FINITE)))


def checked_settings(graph_cutoff: float, skin: float, box, masses,
                     checks: RolloutChecks | None):
    """(box (3,), checks, masses for the kinetic-energy check or None) of a rollout, after
    checking that the pair search fits the box and that the checks have what they need."""
    box = np.asarray(box, dtype=np.float64).reshape(-1) * np.ones(3)
    check_radius_fits_box(float(graph_cutoff) + float(skin), box)
    checks = checks or RolloutChecks()
    if checks.kinetic_energy_factor is not None and masses is None:
        raise ValueError("the kinetic-energy check needs the masses: pass masses= to the "
                         "rollout or set kinetic_energy_factor=None")
    mass = None if masses is None or checks.kinetic_energy_factor is None else jnp.asarray(
        np.asarray(masses, dtype=np.float64))
    return box, checks, mass


def make_rollout(simulator, graph_cutoff: float, skin: float, box, masses=None,
                 checks: RolloutChecks | None = None, model_dtype=jnp.float32) -> RolloutFns:
    """The jitted rollout chunk of a simulator (:class:`ogn.net.simulator.Simulator` or any function
    ``predict_increments(params, standard, position, velocity, species, box, senders,
    receivers) -> (dr, dv)``).

    ``graph_cutoff`` rc and ``skin`` in the length unit (``graph_cutoff + skin`` must fit in
    half the box: see :func:`usable_skin`); ``box`` (3,) side lengths; ``masses`` (N,) for
    the kinetic-energy check; ``model_dtype`` the dtype the network is fed (``None``: the
    carry's dtype, for stand-in models that need float64).
    """
    box, checks, mass = checked_settings(graph_cutoff, skin, box, masses, checks)
    min_distance = (None if checks.min_distance is None
                    else np.asarray(checks.min_distance, dtype=np.float64))
    chunk = rollout_chunk(_predictor(simulator), box, float(graph_cutoff) ** 2,
                          (0.5 * float(skin)) ** 2, mass, min_distance, model_dtype)
    return RolloutFns(chunk=jax.jit(chunk), graph_cutoff=float(graph_cutoff), skin=float(skin),
                      box=box, masses=None if masses is None else np.asarray(masses),
                      checks=checks)


def make_row_rollout(config, n_species: int, skin: float, box, masses=None,
                     checks: RolloutChecks | None = None) -> RolloutFns:
    """The jitted rollout chunk of a tabulated learned force (NetworkConfig ``config``: a
    pair force, or the energy decoder with a pair force) on dense neighbour rows within its
    graph cutoff + ``skin``, and for the energy decoder's angular terms a second list within
    its three-body cutoff + ``skin`` (:mod:`ogn.net.row_forces`): the rollout of
    :func:`make_rollout`, with the same checks, several times cheaper per force evaluation.
    The chunk reads the model's parameters and standardisation from its arguments, as the
    edge chunk does."""
    from ogn.net.row_forces import row_layout_problem

    problem = row_layout_problem(config)
    if problem is not None:
        raise ValueError(f"no dense-row rollout for this model: {problem}")
    cutoff = float(config.radial_cutoff)
    box, checks, mass = checked_settings(cutoff, skin, box, masses, checks)
    limit_sq = None
    if checks.min_distance is not None:
        limit = np.asarray(checks.min_distance, dtype=np.float64)
        limit_sq = (np.full(n_species * n_species, float(limit) ** 2) if limit.ndim == 0
                    else (limit ** 2).reshape(-1))
    chunk = row_rollout_chunk(config, n_species, box, (0.5 * float(skin)) ** 2, mass,
                              limit_sq)
    three_body_reach = (float(config.three_body_cutoff) + float(skin)
                        if config.decoder == "energy" else None)
    return RolloutFns(chunk=jax.jit(chunk), graph_cutoff=cutoff, skin=float(skin), box=box,
                      masses=None if masses is None else np.asarray(masses), checks=checks,
                      layout="rows", three_body_reach=three_body_reach)


def row_rollout_chunk(config, n_species: int, box, half_skin_sq: float, mass,
                      limit_sq) -> Callable:
    """The chunk (to be jitted) of :func:`make_row_rollout`: model steps on fixed neighbour
    rows ``rows`` (N, K) (for an energy decoder followed by its rows within the three-body
    reach, (N, K3)), in the network's float32, with the checks of :func:`rollout_chunk`.

    Its last argument and output is the force state (:class:`ogn.net.row_forces.StrideEnd`
    and whether it holds): each stride hands its last acceleration to the next, and the
    chunk to the next chunk through :func:`rollout`, so that a stride costs ``substeps``
    force evaluations, not ``substeps + 1``. A chunk keeps the force it is handed only if
    its rows hold as many pairs within reach as the rows the force was found on
    (:func:`ogn.net.row_forces.make_row_pair_count`: after a rebuild the old rows may lack a
    pair that came within the cutoff); a rollout's first stride, and a stride after a rebuild
    that found such a pair, evaluate their start."""
    from ogn.net.row_forces import (
        StrideEnd,
        make_row_acceleration,
        make_row_pair_count,
        make_row_stride,
        row_force_field,
    )

    def chunk(params, standard, position, velocity, species, *arguments):
        *rows, reference, n_steps, kinetic_limit, (carried, held) = arguments
        field = row_force_field(config, params, standard, n_species)
        row_stride = make_row_stride(field, species, box)
        box_j = jnp.asarray(box, dtype=position.dtype)
        limits = None if limit_sq is None else jnp.asarray(limit_sq, jnp.float32)
        neighbor_idx, three_body_idx = rows[0], (rows[1] if len(rows) > 1 else None)

        def fed(pos):
            return jnp.mod(pos, box_j).astype(jnp.float32)

        acceleration = make_row_acceleration(field, species, box)
        carried = StrideEnd(*carried)
        here = fed(position)
        same_pairs = make_row_pair_count(field, box)(here, neighbor_idx,
                                                     three_body_idx) == carried.pairs
        start = jax.lax.cond(held & same_pairs, lambda: carried,
                             lambda: acceleration(here, neighbor_idx, limits, three_body_idx,
                                                  True))

        def stride(pos, vel, state):
            return row_stride(fed(pos), vel.astype(jnp.float32), neighbor_idx, limits,
                              three_body_idx, state)

        *outputs, end = checked_strides(stride, position, velocity, reference, n_steps,
                                        kinetic_limit, mass, half_skin_sq, state=start)
        return (*outputs, (end, jnp.asarray(True)))

    return chunk


def no_force_state(n_atoms: int):
    """The force state a row chunk starts a rollout with: none held (the first stride
    evaluates its start)."""
    from ogn.net.row_forces import StrideEnd

    return (StrideEnd(jnp.zeros((n_atoms, 3), jnp.float32), jnp.asarray(False),
                      jnp.zeros((), jnp.int32)), jnp.asarray(False))


def make_model_rollout(model, skin: float, box, masses=None,
                       checks: RolloutChecks | None = None, layout: str = "auto",
                       log: Callable | None = None) -> RolloutFns:
    """The rollout of a trained model (:class:`ogn.net.trained.TrainedModel`): on dense
    neighbour rows where the model is a tabulated learned force, pair force or energy
    decoder (``layout`` "auto" or "rows"),
    on the graph's edges otherwise (or with ``layout`` "edges"). Both give the same strides
    (tests/test_row_forces.py); ``log`` is told which.

    ``skin`` is the Verlet skin asked for; each layout takes the part of it that fits in half
    the box beyond its own reach (:func:`ogn.evaluate.checks.usable_skin`): the graph cutoff
    for the edges; for the rows, the end of the learned force (``NetworkConfig.radial_cutoff``,
    which a ``model.options.force_cutoff`` puts below the graph cutoff), with at least the
    margin to the graph cutoff as skin, so that the rows list every pair the model's graph
    does. The skin used is ``RolloutFns.skin``."""
    from ogn.evaluate.checks import usable_skin
    from ogn.net.row_forces import row_layout_problem

    if layout not in ("auto", "rows", "edges"):
        raise ValueError(f"rollout layout {layout!r}: use auto, rows or edges")
    problem = row_layout_problem(model.network_config)
    if layout == "rows" and problem is not None:
        raise ValueError(f"no dense-row rollout for this model: {problem}")
    if layout != "edges" and problem is None:
        if log is not None:
            log("rollout on dense neighbour rows (tabulated learned force)")
        reach = model.network_config.radial_cutoff
        margin = max(0.0, float(model.graph_cutoff) - reach)
        return make_row_rollout(model.network_config, model.n_species,
                                usable_skin(reach, max(float(skin), margin), box), box, masses,
                                checks)
    if log is not None:
        log("rollout on the graph's edge list")
    return make_rollout(model.simulator, model.graph_cutoff,
                        usable_skin(model.graph_cutoff, skin, box), box, masses=masses,
                        checks=checks, model_dtype=model.network_dtype)


def checked_strides(stride, position, velocity, reference, n_steps, kinetic_limit, mass,
                    half_skin_sq: float, state=None):
    """Up to ``n_steps`` model steps of ``stride(position, velocity) -> (dr, dv, close)``
    (``close``: a pair too close in the state fed to it) inside a ``lax.while_loop``, stopping
    early when a check fires or some atom moved more than skin/2 from ``reference``. Returns
    (position, velocity, done, pairs_valid, status); a step that fails a check is not kept.

    With ``state`` (a pytree), the stride is ``stride(position, velocity, state) -> (dr, dv,
    close, state)``, the state of one accepted stride is handed to the next (a learned force's
    last acceleration), and the last one is returned as well."""
    if state is None:
        def stateful(pos, vel, carried):
            return (*stride(pos, vel), carried)
    else:
        stateful = stride
    carried_start = () if state is None else state

    def cond(carry):
        done, _, _, valid, status, _ = carry
        return (done < n_steps) & valid & (status == STATUS_OK)

    def body(carry):
        done, pos, vel, _, _, carried = carry
        hot = jnp.asarray(False)
        if mass is not None:
            kinetic = 0.5 * jnp.sum(mass.astype(vel.dtype)[:, None] * vel * vel)
            hot = kinetic > kinetic_limit
        dr, dv, close, new_carried = stateful(pos, vel, carried)
        new_pos = pos + dr.astype(pos.dtype)
        new_vel = vel + dv.astype(vel.dtype)
        finite = jnp.all(jnp.isfinite(new_pos)) & jnp.all(jnp.isfinite(new_vel))
        status = stop_status(close, hot, finite)
        accept = status == STATUS_OK
        moved = new_pos - reference
        valid = jnp.max(jnp.sum(moved * moved, axis=-1)) <= half_skin_sq
        kept = jax.tree_util.tree_map(lambda new, old: jnp.where(accept, new, old),
                                      new_carried, carried)
        return (done + accept.astype(done.dtype),
                jnp.where(accept, new_pos, pos), jnp.where(accept, new_vel, vel),
                valid | ~accept, status.astype(jnp.int32), kept)

    start = (jnp.zeros((), jnp.int32), position, velocity, jnp.asarray(True),
             jnp.zeros((), jnp.int32), carried_start)
    done, position, velocity, valid, status, carried = jax.lax.while_loop(cond, body, start)
    if state is None:
        return position, velocity, done, valid, status
    return position, velocity, done, valid, status, carried


def rollout_chunk(predict, box, cutoff_sq: float, half_skin_sq: float, mass, min_distance,
                  model_dtype) -> Callable:
    """The rollout chunk (to be jitted) of :func:`make_rollout`: ``mass`` (N,) for the
    kinetic-energy check (None: no such check), ``min_distance`` for the close-pair check
    (None: none)."""

    def chunk(params, standard, position, velocity, species, senders, receivers, reference,
              n_steps, kinetic_limit):
        """Up to ``n_steps`` model steps with fixed edges. Returns (position, velocity, done,
        edges_valid, status)."""
        n_atoms = position.shape[0]
        box_j = jnp.asarray(box, dtype=position.dtype)
        feed_dtype = position.dtype if model_dtype is None else model_dtype
        real = senders < n_atoms
        limit_sq = edge_limits_sq(min_distance, species, senders, receivers, position.dtype)

        def stride(pos, vel):
            wrapped = jnp.mod(pos, box_j)
            d = edge_vectors(wrapped, box_j, senders, receivers)
            dist_sq = jnp.sum(d * d, axis=-1)
            inside = real & (dist_sq < cutoff_sq)
            close = (jnp.asarray(False) if limit_sq is None
                     else jnp.any(inside & (dist_sq < limit_sq)))
            dr, dv = predict(params, standard, wrapped.astype(feed_dtype),
                             vel.astype(feed_dtype), species, box_j.astype(feed_dtype),
                             jnp.where(inside, senders, n_atoms),
                             jnp.where(inside, receivers, n_atoms))
            return dr, dv, close

        return checked_strides(stride, position, velocity, reference, n_steps, kinetic_limit,
                               mass, half_skin_sq)

    return chunk


class NeighborRows(NamedTuple):
    """Host-side dense neighbour rows of one configuration (the "rows" layout)."""

    idx: np.ndarray  # (N, capacity) int32, padding = N
    capacity: int
    # the second list an energy decoder's angular terms read (within their reach), or None
    three_body_idx: np.ndarray | None = None
    three_body_capacity: int | None = None


def pair_table(layout: str, position, box, search: float, previous=None,
               log: Callable | None = None, three_body_search: float | None = None):
    """The pairs within ``search`` of ``position`` in the chunk's ``layout``: :class:`Edges`
    or :class:`NeighborRows` (with ``three_body_search``, also the rows within it), in at
    least the capacity of ``previous`` (a larger one costs one recompile, and is logged)."""
    if layout == "edges":
        if previous is None:
            return build_edges(np.asarray(position), box, search,
                               extra_fraction=EDGE_HEAD_ROOM)
        return rebuilt_edges(previous, position, box, search, log)
    capacity = None if previous is None else previous.capacity
    idx, counts, new_capacity = neighbor_rows(np.asarray(position, np.float64), box, search,
                                              capacity, extra_fraction=EDGE_HEAD_ROOM)
    if capacity is not None and new_capacity != capacity and log is not None:
        log(f"rollout: {int(counts.max())} neighbours exceed the row capacity {capacity}; "
            f"reallocating to {new_capacity} (one recompile)")
    three_body_idx = three_body_capacity = None
    if three_body_search is not None:
        old = None if previous is None else previous.three_body_capacity
        three_body_idx, counts, three_body_capacity = neighbor_rows(
            np.asarray(position, np.float64), box, three_body_search, old,
            extra_fraction=EDGE_HEAD_ROOM)
        if old is not None and three_body_capacity != old and log is not None:
            log(f"rollout: {int(counts.max())} neighbours exceed the three-body row capacity "
                f"{old}; reallocating to {three_body_capacity} (one recompile)")
    return NeighborRows(idx=idx, capacity=int(new_capacity), three_body_idx=three_body_idx,
                        three_body_capacity=three_body_capacity)


def pair_arrays(pairs) -> tuple:
    """The device arrays a chunk reads from a :func:`pair_table`."""
    if isinstance(pairs, NeighborRows):
        if pairs.three_body_idx is not None:
            return jnp.asarray(pairs.idx), jnp.asarray(pairs.three_body_idx)
        return (jnp.asarray(pairs.idx),)
    return jnp.asarray(pairs.senders), jnp.asarray(pairs.receivers)


def rebuilt_edges(edges, position, box, search: float, log: Callable | None):
    """The edges within ``search`` of ``position``, in at least the old capacity (a larger one
    costs one recompile, and is logged)."""
    capacity = edges.capacity
    edges = build_edges(np.asarray(position), box, search, capacity=capacity,
                        extra_fraction=EDGE_HEAD_ROOM)
    if edges.capacity != capacity and log is not None:
        log(f"rollout: {edges.n_edges} edges exceed capacity {capacity}; "
            f"reallocating to {edges.capacity} (one recompile)")
    return edges


class StopRollout(Exception):  # noqa: N818 (a signal, not an error of the code)
    """Raised by an ``after_stride`` hook of :func:`rollout` to end the rollout: ``reason``
    becomes its ``stop_reason``, the message goes to the log."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def _apply_after_stride(after_stride: Callable, done: int, position, velocity,
                        log: Callable | None):
    """(velocity, None) from the hook, or (the stride's own velocity, reason) when it stops
    the rollout."""
    try:
        new = after_stride(done, np.asarray(position), np.asarray(velocity))
    except StopRollout as stop:
        if log is not None:
            log(str(stop))
        return velocity, stop.reason
    return jnp.asarray(new, velocity.dtype), None


def progress_line(done: int, total: int, n_rebuilds: int, start_time: float) -> str:
    elapsed = time.monotonic() - start_time
    rate = done / elapsed if elapsed > 0 else float("nan")
    return (f"rollout model step {done}/{total} rebuilds={n_rebuilds} rate={rate:.3g} steps/s "
            f"left={(total - done) / rate:.0f}s")


def rollout(fns: RolloutFns, params, standard, position, velocity, species, box,
            n_model_steps: int, record_every: int = 1, log: Callable | None = None,
            progress_every: int = 0, after_stride: Callable | None = None,
            progress: Callable = progress_line) -> RolloutResult:
    """Advance ``(position, velocity)`` by ``n_model_steps`` model steps; keep every
    ``record_every``-th state (and the first, the last and the state where a check fired).

    ``after_stride(model_step, position, velocity) -> velocity``, if given, runs on the host
    after every model step and replaces its velocities (a thermostat, the energy-conserving
    rescale of :mod:`ogn.simulate`); the model then steps one stride per jitted call. It may
    raise :class:`StopRollout`, which ends the rollout at that step with the stride's own
    output as the last frame. ``progress(done, total, n_rebuilds, start_time) -> str`` makes
    the progress lines.

    ``position`` (N, 3), may be unwrapped; ``velocity`` (N, 3); ``species`` (N,) int;
    ``box`` (3,) must be the box ``fns`` was made for. ``log`` receives progress lines
    (every ``progress_every`` model steps, default about a tenth of the run) and rebuild
    notices.
    """
    start_time = time.monotonic()
    if not np.allclose(np.asarray(box, np.float64).reshape(-1) * np.ones(3), fns.box):
        raise ValueError(f"box {box} differs from the box the rollout was made for {fns.box}")
    if record_every < 1:
        raise ValueError(f"record_every = {record_every}; it must be at least 1")
    search = fns.graph_cutoff + fns.skin
    position = jnp.asarray(position)
    velocity = jnp.asarray(velocity)
    species = jnp.asarray(np.asarray(species, dtype=np.int32))
    checks = fns.checks
    kinetic_limit = np.inf
    if checks.kinetic_energy_factor is not None:
        kinetic_limit = checks.kinetic_energy_factor * _kinetic(velocity, fns.masses)
    kinetic_limit = jnp.asarray(kinetic_limit, dtype=velocity.dtype)

    pairs = pair_table(fns.layout, position, fns.box, search,
                       three_body_search=fns.three_body_reach)
    force_state = (no_force_state(position.shape[0]) if fns.layout == "rows" else None)
    reference = position
    positions, velocities, steps = [np.asarray(position)], [np.asarray(velocity)], [0]
    stopped_at, reason = None, None
    if checks.host_check is not None:
        reason = checks.host_check(0, positions[0], velocities[0])
        stopped_at = 0 if reason else None
    done = n_rebuilds = 0
    progress_every = progress_every or max(1, n_model_steps // 10)
    next_progress = progress_every
    while reason is None and done < n_model_steps:
        target = min(n_model_steps, (done // record_every + 1) * record_every)
        chunk_steps = 1 if after_stride is not None else target - done
        arguments = (params, standard, position, velocity, species, *pair_arrays(pairs),
                     reference, jnp.asarray(chunk_steps, jnp.int32), kinetic_limit)
        if force_state is None:
            position, velocity, advanced, valid, status = fns.chunk(*arguments)
        else:
            position, velocity, advanced, valid, status, force_state = fns.chunk(
                *arguments, force_state)
        done += int(advanced)
        status = int(status)
        if after_stride is not None and int(advanced):
            velocity, reason = _apply_after_stride(after_stride, done, position, velocity, log)
            stopped_at = done if reason else None
        if status != STATUS_OK:
            reason = STATUS_REASONS[status]
            stopped_at = done + 1 if status == STATUS_NON_FINITE else done
        if (done == target or reason is not None) and steps[-1] != done:
            positions.append(np.asarray(position))
            velocities.append(np.asarray(velocity))
            steps.append(done)
            if reason is None and checks.host_check is not None:
                reason = checks.host_check(done, positions[-1], velocities[-1])
                stopped_at = done if reason else None
        if reason is None and not bool(valid):
            pairs = pair_table(fns.layout, position, fns.box, search, pairs, log,
                               fns.three_body_reach)
            reference = position
            n_rebuilds += 1
        if log is not None and done >= next_progress:
            log(progress(done, n_model_steps, n_rebuilds, start_time))
            next_progress += progress_every
    if reason is not None and log is not None:
        log(f"rollout stopped at model step {stopped_at}: {reason}")
    return _result(positions, velocities, steps, n_rebuilds, stopped_at, reason, start_time)
