"""The neighbor lists of an MD run: when the next list is built ahead (half way through the
expected life of the current one, around the positions predicted for its expiry), and which
list takes over when the current one expires (:func:`ogn.md.dynamics.simulate`).
"""

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from ogn.md.neighbors import NeighborList, build_neighbor_list


class MDExplodedError(RuntimeError):
    pass


def predicted_positions(state, dt: float, steps: float) -> np.ndarray:
    """Host copy of the positions ``steps`` time steps ahead on straight lines (r + v t)."""
    return np.asarray(state.position) + (dt * steps) * np.asarray(state.velocity)


@dataclass
class ListKeeper:
    """The neighbor lists of a run in progress: the current one, the next one built ahead
    (or None), the capacity, the current list's age and the lives of the last lists."""

    neighbors: NeighborList
    capacity: int
    ahead: NeighborList | None = None
    age: int = 0  # steps made with the current list
    lifetimes: deque = field(default_factory=lambda: deque(maxlen=4))
    just_rebuilt: bool = False  # the list was built at the current positions before a chunk
    just_switched: bool = False  # the list was built ahead and took over before a chunk
    n_rebuilds: int = 0
    n_blocking: int = 0


def first_lifetime(state, neighbors: NeighborList, skin: float, dt: float):
    """A first guess of a list's life in steps: the fastest atom on a straight line to the
    edge of the skin (None if it cannot be told)."""
    speed = float(np.sqrt(np.max(np.sum(np.asarray(state.velocity) ** 2, axis=-1))))
    moved = np.asarray(state.position) - np.asarray(neighbors.reference_position)
    room = 0.5 * skin - float(np.sqrt(np.max(np.sum(moved * moved, axis=-1))))
    if speed > 0 and np.isfinite(room) and room > 0:
        return max(1, int(room / (speed * dt)))
    return None


def plan_chunk(lists: ListKeeper, done: int, target: int, dt):
    """(the step the next chunk ends at, the half life to build the next list for, or None).

    Half way through the expected life of the current list the next one is built, around the
    positions predicted for when the current one expires, while the rest of it runs."""
    if dt is None or lists.ahead is not None or not lists.lifetimes:
        return target, None
    half_life = 0.5 * float(np.mean(lists.lifetimes))
    split = max(1, round(half_life))
    if lists.age >= split:
        return target, half_life
    if done + split - lists.age < target:
        return done + split - lists.age, None
    return target, None


def renew_list(lists: ListKeeper, state, advanced: int, step: int, box,
               cutoff: float, skin: float, log) -> None:
    """The current list expired: the list built ahead takes over if no atom is farther than
    skin/2 from its reference positions, else a list is built at the current positions.
    Raises :class:`MDExplodedError` when a fresh list could not make a single step."""
    if lists.age:
        lists.lifetimes.append(lists.age)
    if advanced == 0 and (lists.just_rebuilt or lists.just_switched):
        lists.ahead = None  # built from a list that could not make a single step
    if advanced == 0 and lists.just_rebuilt:
        raise MDExplodedError(
            f"at MD step {step}: an atom moved more than skin/2 = {skin / 2:g} in one step; "
            "the time step is too large or the system exploded (check dt, the potential and "
            "the starting configuration)")
    lists.age = 0
    lists.just_rebuilt = lists.just_switched = False
    lists.n_rebuilds += 1
    if lists.ahead is not None:
        moved = np.asarray(state.position) - np.asarray(lists.ahead.reference_position)
        if np.max(np.sum(moved * moved, axis=-1)) <= (0.5 * skin) ** 2:
            lists.neighbors, lists.ahead, lists.just_switched = lists.ahead, None, True
            return
        lists.ahead = None
    lists.neighbors = build_neighbor_list(state.position, box, cutoff, skin,
                                          capacity=lists.capacity, log=log)
    lists.capacity = lists.neighbors.idx.shape[1]
    lists.n_blocking += 1
    lists.just_rebuilt = True
