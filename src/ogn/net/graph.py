"""Padded directed graphs of atomic configurations (the graph network's connectivity).

One directed edge per ordered pair (i, j), i != j, closer than the graph cutoff rc by minimum
image; both directions are present. Edge k goes from ``senders[k]`` (atom i) to
``receivers[k]`` (atom j) and carries the feature ``r_j - r_i`` (minimum image, length unit of
the positions).

Edges are found on the host (:func:`ogn.md.neighbors.padded_edges`, an exact cell-list search) and
padded with the out-of-range index N to a fixed ``capacity``, so that jitted code sees fixed
shapes. When a configuration has more pairs than the capacity, the capacity grows (jitted
callers recompile once for the new shape); no edge is ever dropped.
"""

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from ogn.md.neighbors import grown_capacity, ordered_pairs, padded_edges
from ogn.md.space import minimum_image


class Edges(NamedTuple):
    """Host-side padded edge list of one configuration."""

    senders: np.ndarray  # (capacity,) int32, padding = N
    receivers: np.ndarray  # (capacity,) int32, padding = N
    n_edges: int  # real edges (the first n_edges entries)
    capacity: int


def build_edges(position, box, cutoff: float, capacity: int | None = None,
                extra_fraction: float = 0.25) -> Edges:
    """Edges within ``cutoff`` of a configuration, padded to ``capacity`` (grown if needed).

    ``position`` (N, 3) may be unwrapped; ``box`` (3,) side lengths; ``cutoff`` in the same
    length unit. With ``capacity=None`` (or too small) a new capacity of the pair count times
    ``1 + extra_fraction`` (rounded up to a multiple of 8) is chosen.
    """
    senders, receivers, n_edges, capacity = padded_edges(
        position, box, cutoff, capacity, extra_fraction=extra_fraction)
    return Edges(senders, receivers, int(n_edges), int(capacity))


def count_edges(position, box, cutoff: float) -> int:
    """Number of directed edges (ordered pairs) within ``cutoff``."""
    senders, _ = ordered_pairs(np.asarray(position, dtype=np.float64), box, cutoff)
    return int(senders.size)


def spread_frames(positions, frames: int = 16) -> np.ndarray:
    """Up to ``frames`` evenly spaced configurations of ``positions`` (M, N, 3), first and last
    included: the sample on which training-data statistics are measured once."""
    positions = np.asarray(positions)
    chosen = np.unique(np.linspace(0, len(positions) - 1,
                                   min(frames, len(positions))).astype(int))
    return positions[chosen]


def edge_capacity_for(positions, box, cutoff: float, extra_fraction: float = 0.05) -> int:
    """A capacity that fits every configuration in ``positions`` (M, N, 3), with head room."""
    needed = max(count_edges(p, box, cutoff) for p in positions)
    return grown_capacity(needed, extra_fraction)


def edge_vectors_numpy(position, box, edges: Edges):
    """``r_receiver - r_sender`` by minimum image, float64 (capacity, 3); padding rows are 0."""
    position = np.asarray(position, dtype=np.float64)
    box = np.asarray(box, dtype=np.float64)
    n = edges.n_edges
    vectors = np.zeros((edges.capacity, 3))
    d = position[edges.receivers[:n]] - position[edges.senders[:n]]
    vectors[:n] = d - box * np.round(d / box)
    return vectors


def edge_vectors(position, box, senders, receivers):
    """``r_receiver - r_sender`` by minimum image (jax; usable inside jit); padding rows are 0."""
    n_atoms = position.shape[0]
    d = (jnp.take(position, receivers, axis=0, mode="clip")
         - jnp.take(position, senders, axis=0, mode="clip"))
    d = minimum_image(d, box)
    return jnp.where((senders < n_atoms)[:, None], d, 0.0)

