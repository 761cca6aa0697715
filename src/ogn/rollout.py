"""Rollouts: a configuration advanced by repeated model steps (one model step = k MD steps).

The learned simulator predicts ``(dr, dv)`` over k MD steps; a rollout feeds its output back as
the next input. Like MD (:mod:`ogn.md`), the graph is found on the host within
``graph_cutoff + skin`` (:func:`ogn.graph.build_edges`, exact cell-list search, padded with N)
and reused inside jit while no atom has moved more than skin/2 since the build. Every model
step masks the edges longer than ``graph_cutoff`` to padding, so the network sees exactly the
edges within rc, as in training. A jitted chunk (``lax.while_loop``) runs model steps until

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
  :func:`ogn.metrics.make_energy_jump_check`).

:func:`md_rollout` runs the reference MD (e.g. at k*dt, Fig. 4B) with the same result type and
the same checks, stopping instead of raising when the integration blows up.
"""

import time
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .graph import build_edges, edge_vectors
from .neighbors import build_neighbor_list, check_radius_fits_box

# Spare edge slots when the capacity is chosen: every padding edge goes through the network,
# and the edge count of a liquid fluctuates by a percent or two.
EDGE_HEAD_ROOM = 0.05
STATUS_OK = 0
STATUS_NON_FINITE = 1
STATUS_CLOSE_PAIR = 2
STATUS_KINETIC = 3
STATUS_REASONS = {STATUS_NON_FINITE: "non_finite", STATUS_CLOSE_PAIR: "close_pair",
                  STATUS_KINETIC: "kinetic_energy"}


class RolloutChecks(NamedTuple):
    """Instability checks of a rollout (``None`` switches a check off)."""

    min_distance: Any = None  # scalar or (S, S) per species pair, length unit
    kinetic_energy_factor: float | None = None  # stop when KE > factor * KE(start)
    host_check: Callable | None = None  # (model_step, position, velocity) -> reason or None


class RolloutFns(NamedTuple):
    """What :func:`rollout` needs: the jitted chunk and the settings it was made with."""

    chunk: Callable
    graph_cutoff: float
    skin: float
    box: np.ndarray
    masses: np.ndarray | None
    checks: RolloutChecks


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


def usable_skin(graph_cutoff: float, skin: float, box) -> float:
    """The largest skin <= ``skin`` with ``graph_cutoff + skin`` within half the smallest box
    side (minimum image). The paper's small boxes leave no room (LJ: rc 3.0, half box 3.019),
    so the edges are then rebuilt after every step; large boxes use the full skin."""
    room = 0.5 * float(np.min(box)) - float(graph_cutoff)
    if room < 0:
        check_radius_fits_box(graph_cutoff, box)  # raises with the explanation
    return float(max(0.0, min(float(skin), room)))


def _predictor(simulator) -> Callable:
    """``simulator.predict_increments``, or ``simulator`` itself when it is a function."""
    return getattr(simulator, "predict_increments", simulator)


def make_rollout(simulator, graph_cutoff: float, skin: float, box, masses=None,
                 checks: RolloutChecks | None = None, model_dtype=jnp.float32) -> RolloutFns:
    """The jitted rollout chunk of a simulator (:class:`ogn.simulator.Simulator` or any function
    ``predict_increments(params, standard, position, velocity, species, box, senders,
    receivers) -> (dr, dv)``).

    ``graph_cutoff`` rc and ``skin`` in the length unit (``graph_cutoff + skin`` must fit in
    half the box: see :func:`usable_skin`); ``box`` (3,) side lengths; ``masses`` (N,) for
    the kinetic-energy check; ``model_dtype`` the dtype the network is fed (``None``: the
    carry's dtype, for stand-in models that need float64).
    """
    box = np.asarray(box, dtype=np.float64).reshape(-1)
    if box.size == 1:
        box = np.full(3, float(box[0]))
    check_radius_fits_box(float(graph_cutoff) + float(skin), box)
    checks = checks or RolloutChecks()
    if checks.kinetic_energy_factor is not None and masses is None:
        raise ValueError("the kinetic-energy check needs the masses: pass masses= to "
                         "make_rollout or set kinetic_energy_factor=None")
    predict = _predictor(simulator)
    cutoff_sq = float(graph_cutoff) ** 2
    half_skin_sq = (0.5 * float(skin)) ** 2
    mass = None if masses is None else jnp.asarray(np.asarray(masses, dtype=np.float64))
    min_distance = (None if checks.min_distance is None
                    else np.asarray(checks.min_distance, dtype=np.float64))

    def chunk(params, standard, position, velocity, species, senders, receivers, reference,
              n_steps, kinetic_limit):
        """Up to ``n_steps`` model steps with fixed edges. Returns (position, velocity, done,
        edges_valid, status)."""
        n_atoms = position.shape[0]
        box_j = jnp.asarray(box, dtype=position.dtype)
        feed_dtype = position.dtype if model_dtype is None else model_dtype
        real = senders < n_atoms
        if min_distance is not None:
            if min_distance.ndim == 0:
                limit_sq = jnp.asarray(min_distance ** 2, position.dtype)
            else:
                table = jnp.asarray(min_distance ** 2, position.dtype)
                limit_sq = table[jnp.take(species, senders, mode="clip"),
                                 jnp.take(species, receivers, mode="clip")]

        def cond(carry):
            done, _, _, valid, status = carry
            return (done < n_steps) & valid & (status == STATUS_OK)

        def body(carry):
            done, pos, vel, _, _ = carry
            wrapped = jnp.mod(pos, box_j)
            d = edge_vectors(wrapped, box_j, senders, receivers)
            dist_sq = jnp.sum(d * d, axis=-1)
            inside = real & (dist_sq < cutoff_sq)
            s_in = jnp.where(inside, senders, n_atoms)
            r_in = jnp.where(inside, receivers, n_atoms)
            close = jnp.asarray(False)
            if min_distance is not None:
                close = jnp.any(inside & (dist_sq < limit_sq))
            hot = jnp.asarray(False)
            if mass is not None and checks.kinetic_energy_factor is not None:
                kinetic = 0.5 * jnp.sum(mass.astype(vel.dtype)[:, None] * vel * vel)
                hot = kinetic > kinetic_limit
            dr, dv = predict(params, standard, wrapped.astype(feed_dtype),
                             vel.astype(feed_dtype), species, box_j.astype(feed_dtype),
                             s_in, r_in)
            new_pos = pos + dr.astype(pos.dtype)
            new_vel = vel + dv.astype(vel.dtype)
            finite = jnp.all(jnp.isfinite(new_pos)) & jnp.all(jnp.isfinite(new_vel))
            status = jnp.where(close, STATUS_CLOSE_PAIR,
                               jnp.where(hot, STATUS_KINETIC,
                                         jnp.where(finite, STATUS_OK, STATUS_NON_FINITE)))
            accept = status == STATUS_OK
            moved = new_pos - reference
            valid = jnp.max(jnp.sum(moved * moved, axis=-1)) <= half_skin_sq
            return (done + accept.astype(done.dtype),
                    jnp.where(accept, new_pos, pos), jnp.where(accept, new_vel, vel),
                    valid | ~accept, status.astype(jnp.int32))

        start = (jnp.zeros((), jnp.int32), position, velocity, jnp.asarray(True),
                 jnp.zeros((), jnp.int32))
        done, position, velocity, valid, status = jax.lax.while_loop(cond, body, start)
        return position, velocity, done, valid, status

    return RolloutFns(chunk=jax.jit(chunk), graph_cutoff=float(graph_cutoff), skin=float(skin),
                      box=box, masses=None if masses is None else np.asarray(masses),
                      checks=checks)


def _kinetic(velocity, masses) -> float:
    v = np.asarray(velocity, dtype=np.float64)
    return 0.5 * float(np.sum(np.asarray(masses)[:, None] * v * v))


def rollout(fns: RolloutFns, params, standard, position, velocity, species, box,
            n_model_steps: int, record_every: int = 1, log: Callable | None = None,
            progress_every: int = 0) -> RolloutResult:
    """Advance ``(position, velocity)`` by ``n_model_steps`` model steps; keep every
    ``record_every``-th state (and the first, the last and the state where a check fired).

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

    edges = build_edges(np.asarray(position), fns.box, search, extra_fraction=EDGE_HEAD_ROOM)
    reference = position
    positions, velocities, steps = [np.asarray(position)], [np.asarray(velocity)], [0]
    stopped_at, reason = None, None
    if checks.host_check is not None:
        reason = checks.host_check(0, positions[0], velocities[0])
        stopped_at = 0 if reason else None
    done = 0
    n_rebuilds = 0
    progress_every = progress_every or max(1, n_model_steps // 10)
    next_progress = progress_every
    while reason is None and done < n_model_steps:
        target = min(n_model_steps, (done // record_every + 1) * record_every)
        position, velocity, advanced, valid, status = fns.chunk(
            params, standard, position, velocity, species, jnp.asarray(edges.senders),
            jnp.asarray(edges.receivers), reference, jnp.asarray(target - done, jnp.int32),
            kinetic_limit)
        done += int(advanced)
        status = int(status)
        if status != STATUS_OK:
            reason = STATUS_REASONS[status]
            stopped_at = done + 1 if status == STATUS_NON_FINITE else done
        if done == target or reason is not None:
            if steps[-1] != done:
                positions.append(np.asarray(position))
                velocities.append(np.asarray(velocity))
                steps.append(done)
                if reason is None and checks.host_check is not None:
                    reason = checks.host_check(done, positions[-1], velocities[-1])
                    stopped_at = done if reason else None
        if reason is None and not bool(valid):
            capacity = edges.capacity
            edges = build_edges(np.asarray(position), fns.box, search, capacity=capacity,
                                extra_fraction=EDGE_HEAD_ROOM)
            if edges.capacity != capacity and log is not None:
                log(f"rollout: {edges.n_edges} edges exceed capacity {capacity}; "
                    f"reallocating to {edges.capacity} (one recompile)")
            reference = position
            n_rebuilds += 1
        if log is not None and done >= next_progress:
            elapsed = time.monotonic() - start_time
            rate = done / elapsed if elapsed > 0 else float("nan")
            log(f"rollout model step {done}/{n_model_steps} rebuilds={n_rebuilds} "
                f"rate={rate:.3g} steps/s left={(n_model_steps - done) / rate:.0f}s")
            next_progress += progress_every
    if reason is not None and log is not None:
        log(f"rollout stopped at model step {stopped_at}: {reason}")
    return _result(positions, velocities, steps, n_rebuilds, stopped_at, reason, start_time)


def md_rollout(system, position, velocity, n_steps: int, dt_factor: float = 1,
               record_every: int = 1, checks: RolloutChecks | None = None,
               log: Callable | None = None) -> RolloutResult:
    """NVE MD of ``system`` (:class:`ogn.systems.System`) at ``dt_factor`` (any positive
    number) times its time step, as a :class:`RolloutResult` (``model_steps`` counts steps
    of the scaled dt).

    ``position`` (N, 3) and ``velocity`` (N, 3) in *internal* units; frames are returned in
    internal units too (convert velocities with ``system.units.velocity_to_files``). Unlike
    :func:`ogn.md.simulate`, a blow-up does not raise: the run stops with ``non_finite``
    (non-finite energy or positions), ``close_pair``, ``kinetic_energy`` or a host check
    reason (``checks.host_check`` receives internal-unit velocities), or ``md_step_too_large``
    when an atom crosses skin/2 in a single step.
    """
    from .md import init_state, make_advance

    start_time = time.monotonic()
    checks = checks or RolloutChecks()
    pot = system.potential
    mass = jnp.asarray(system.mass)
    dt = system.dt * dt_factor
    advance = make_advance(pot.energy_and_forces, mass, dt, system.skin, system.units.boltzmann)
    position = jnp.asarray(position)
    neighbors = build_neighbor_list(position, system.box, pot.cutoff, system.skin)
    state = init_state(position, jnp.asarray(velocity), pot.energy_and_forces, neighbors)
    kinetic_start = _kinetic(velocity, system.mass)
    positions, velocities, steps = [np.asarray(state.position)], [np.asarray(state.velocity)], [0]
    reason = None if checks.host_check is None else checks.host_check(
        0, positions[0], velocities[0])
    stopped_at = 0 if reason else None
    done, n_rebuilds, just_rebuilt = 0, 0, False
    while reason is None and done < n_steps:
        target = min(n_steps, (done // record_every + 1) * record_every)
        state, advanced = advance(state, neighbors, done, target - done)
        advanced = int(advanced)
        done += advanced
        if done < target:
            if advanced == 0 and just_rebuilt:
                reason, stopped_at = "md_step_too_large", done + 1
                break
            if not np.all(np.isfinite(np.asarray(state.position))):
                reason, stopped_at = "non_finite", done
                break
            neighbors = build_neighbor_list(state.position, system.box, pot.cutoff,
                                            system.skin, capacity=neighbors.idx.shape[1],
                                            log=log)
            n_rebuilds += 1
            just_rebuilt = True
            continue
        just_rebuilt = False
        p, v = np.asarray(state.position), np.asarray(state.velocity)
        positions.append(p)
        velocities.append(v)
        steps.append(done)
        reason = _md_state_problem(system, state, v, kinetic_start, checks)
        if reason is None and checks.host_check is not None:
            reason = checks.host_check(done, p, v)
        stopped_at = done if reason else None
    if reason is not None and log is not None:
        log(f"MD at {dt_factor:g} x dt stopped at step {stopped_at}: {reason}")
    return _result(positions, velocities, steps, n_rebuilds, stopped_at, reason, start_time)


def _md_state_problem(system, state, velocity, kinetic_start: float,
                      checks: RolloutChecks) -> str | None:
    """The in-jit checks of :func:`make_rollout`, on the host for one MD state."""
    if not (np.isfinite(float(state.potential_energy)) and np.all(np.isfinite(velocity))):
        return "non_finite"
    if checks.kinetic_energy_factor is not None and \
            _kinetic(velocity, system.mass) > checks.kinetic_energy_factor * kinetic_start:
        return "kinetic_energy"
    if checks.min_distance is not None and \
            closest_approach_ratio(np.asarray(state.position), system.box, system.species,
                                   checks.min_distance) < 1.0:
        return "close_pair"
    return None


def closest_approach_ratio(position, box, species, min_distance) -> float:
    """min over pairs of distance / min_distance[species_i, species_j] (scalar allowed);
    below 1 means some pair is closer than allowed. Host function (numpy)."""
    from .neighbors import ordered_pairs

    table = np.asarray(min_distance, dtype=np.float64)
    radius = float(np.max(table))
    senders, receivers = ordered_pairs(np.asarray(position, np.float64), box, radius)
    if senders.size == 0:
        return float("inf")
    d = position[receivers] - position[senders]
    d -= box * np.round(d / box)
    r = np.linalg.norm(d, axis=1)
    species = np.asarray(species)
    limit = table if table.ndim == 0 else table[species[senders], species[receivers]]
    return float(np.min(r / limit))


def load_rollout_model(path, system_block: dict, k: int | None = None):
    """(simulator, params, standardization, metadata) of a model file, checked against the
    system block of the config (species, graph cutoff and, if given, k)."""
    from .modelfile import load_compatible_model
    from .normalizer import standardization
    from .simulator import make_simulator

    expected = {"species_names": list(system_block["species"]),
                "graph_cutoff": float(system_block["graph_cutoff"])}
    if k is not None:
        expected["k"] = int(k)
    saved = load_compatible_model(path, **expected)
    simulator = make_simulator(saved.network_config, int(saved.metadata["n_species"]))
    params = jax.tree_util.tree_map(jnp.asarray, saved.params)
    standard = jax.tree_util.tree_map(jnp.asarray, standardization(saved.normalizer))
    return simulator, params, standard, saved.metadata


def rollout_checks(md_positions, box, species, n_species: int, checks_config: dict,
                   host_check: Callable | None = None) -> RolloutChecks:
    """The workflow's checks (config ``rollout.checks``): pairs closer than
    ``close_pair_fraction`` times the shortest distance of that species pair in the MD frames
    ``md_positions`` (T, N, 3), kinetic energy above ``kinetic_energy_factor`` times its start
    value, and ``host_check`` (e.g. the energy jump check of :mod:`ogn.metrics`)."""
    from .metrics import shortest_pair_distances

    radius = 0.5 * float(np.min(box))
    shortest = shortest_pair_distances(md_positions, box, species, n_species, radius)
    shortest = np.where(np.isfinite(shortest), shortest, np.min(shortest))
    return RolloutChecks(min_distance=float(checks_config["close_pair_fraction"]) * shortest,
                         kinetic_energy_factor=float(checks_config["kinetic_energy_factor"]),
                         host_check=host_check)
