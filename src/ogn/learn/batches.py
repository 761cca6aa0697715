"""Data order and batches: which pairs, symmetries and time reversals a step sees (a pure
function of seed and step), the padded host batch and its device copy."""

from typing import NamedTuple

import numpy as np

from ogn.data.augment import apply_symmetry, random_symmetry_indices
from ogn.data.pairs import Pairs
from ogn.learn.recipe import steps_per_epoch
from ogn.net.graph import build_edges, edge_capacity_for, edge_vectors_numpy
from ogn.net.simulator import node_inputs, targets_of

CAPACITY_HEAD_ROOM = 0.05  # fraction of extra edge slots when a configuration outgrows them


class HostBatch(NamedTuple):
    """Raw (unstandardized) inputs and targets of one step, numpy float64."""

    nodes: np.ndarray  # (B, N, n_species + 3)
    edges: np.ndarray  # (B, capacity, 3)
    senders: np.ndarray  # (B, capacity) int32
    receivers: np.ndarray  # (B, capacity) int32
    targets: np.ndarray  # (B, N, 6)
    edge_weights: np.ndarray  # (B, capacity) 1 for real edges, 0 for padding


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
