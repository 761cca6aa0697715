"""Neighbor lists built on the host with a cell list, used inside jit with fixed shapes.

Two layouts of the same pair search:

* the *dense* layout, ``idx`` of shape (N, capacity): row i lists every j != i within
  ``cutoff + skin`` of i (minimum image), padded with the out-of-range index N. MD potentials
  use it: per-atom sums are row reductions, which are fast on CPU and GPU (no scatter).
* the *edge* layout, ``senders, receivers`` of shape (capacity,), one entry per ordered pair
  (both directions), padded with N. The graph network uses it.

Building on the host is exact: the pair count is known before the arrays are handed on, so a
list never silently drops a pair. When the count exceeds the capacity the capacity grows (the
caller's jitted functions then see a new shape and recompile once). A list stays valid while no
atom has moved more than skin/2 since it was built (:func:`needs_rebuild`).

The search (:mod:`ogn.md.cell_list`, compiled by numba) bins the atoms into cells of side at
least radius/2 and visits each unordered pair of cells within reach once, so every pair's
distance is computed once and written into both atoms' rows. At 10,000 Kob-Andersen atoms
(radius 3 sigma, 680,000 pairs) it takes about 21 ms on one core of this machine, against 95 ms
for scipy's periodic k-d tree (``query_pairs``) plus the sort and packing it needs; MD rebuilds
the list every 5-6 steps, so this is the difference between rebuilds costing more than the
forces and costing a fraction of them.
"""

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ogn.md.cell_list import CELLS_PER_ATOM, CELLS_PER_RADIUS, cell_list_rows
from ogn.md.space import wrap_numpy


class NeighborList(NamedTuple):
    """Dense neighbor list (a pytree: pass it into jitted functions)."""

    idx: jnp.ndarray  # (N, capacity) int32, padding = N
    reference_position: jnp.ndarray  # (N, 3) positions (unwrapped) at build time


def check_radius_fits_box(radius: float, box) -> None:
    """Minimum image needs every interaction range to be at most half the box."""
    half = 0.5 * float(np.min(box))
    if radius > half * (1 + 1e-12):
        raise ValueError(
            f"search radius {radius:g} (cutoff + skin) exceeds half the smallest box side "
            f"({half:g}); the minimum-image convention would miss pairs. Use a larger box "
            f"(more atoms at the same density) or a smaller skin."
        )


def expected_neighbor_count(n_atoms: int, box, radius: float) -> float:
    """Mean number of neighbors within ``radius`` at uniform density."""
    density = n_atoms / float(np.prod(np.asarray(box, dtype=np.float64)))
    return density * 4.0 / 3.0 * np.pi * radius**3


def neighbor_rows(position, box, radius: float, capacity: int | None = None,
                  extra_fraction: float = 0.1):
    """Exact dense rows of every pair within ``radius``: ``(idx, counts, capacity)``.

    ``capacity`` is the row width to use when it suffices; if ``None`` or too small, the
    search is repeated with ``max count * (1 + extra_fraction)`` (:func:`grown_capacity`).
    """
    box = np.asarray(box, dtype=np.float64) * np.ones(3)
    check_radius_fits_box(radius, box)
    wrapped = wrap_numpy(position, box)
    n_atoms = wrapped.shape[0]
    width = capacity if capacity is not None else grown_capacity(
        1.5 * expected_neighbor_count(n_atoms, box, radius) + 8, 0.0)
    idx, counts = cell_list_rows(wrapped, box, float(radius), int(width), CELLS_PER_RADIUS,
                                  CELLS_PER_ATOM)
    needed = int(counts.max()) if n_atoms else 0
    if capacity is None or needed > capacity:
        capacity = grown_capacity(needed, extra_fraction)
        if needed > width:  # rows were cut short: search again, wide enough
            idx, counts = cell_list_rows(wrapped, box, float(radius), capacity,
                                          CELLS_PER_RADIUS, CELLS_PER_ATOM)
        elif capacity > width:
            idx = np.concatenate(
                [idx, np.full((n_atoms, capacity - width), n_atoms, np.int32)], axis=1)
        else:  # only padding columns go
            idx = np.ascontiguousarray(idx[:, :capacity])
    return idx, counts, capacity


def ordered_pairs(position, box, radius: float):
    """All ordered pairs (i, j), i != j, with minimum-image distance < radius.

    Host function (numpy in, numpy out). Returns ``senders, receivers`` sorted by sender
    (then receiver), int64 arrays of equal length; both directions of each pair are present.
    """
    idx, counts, _ = neighbor_rows(np.asarray(position, dtype=np.float64), box, radius,
                                   extra_fraction=0.0)
    idx.sort(axis=1)  # padding N sorts last
    n_atoms = idx.shape[0]
    senders = np.repeat(np.arange(n_atoms, dtype=np.int64), counts)
    receivers = idx[np.arange(idx.shape[1]) < counts[:, None]].astype(np.int64)
    return senders, receivers


def grown_capacity(needed: int, extra_fraction: float) -> int:
    """Capacity with head room, rounded up to a multiple of 8 to keep recompiles rare."""
    capacity = int(np.ceil(needed * (1.0 + extra_fraction)))
    return max(8, -(-capacity // 8) * 8)


def build_neighbor_list(position, box, cutoff: float, skin: float, capacity: int | None = None,
                        extra_fraction: float = 0.1, log=None) -> NeighborList:
    """Dense neighbor list of everything within ``cutoff + skin``.

    ``capacity`` is the row width to use when it suffices; if ``None`` or too small, a new
    capacity ``max_count * (1 + extra_fraction)`` is allocated (and ``log`` is told, if given).
    Every padding slot costs as much as a pair in the force kernels, so the head room is
    small: in Kob-Andersen LJ at 10,000 atoms (T = 3.0) the largest count drifts by about 2 %
    over 60 steps (149-152, mean 136), far inside 10 %; an overflow only costs one recompile.
    """
    previous = capacity
    idx, counts, capacity = neighbor_rows(np.asarray(position, dtype=np.float64), box,
                                          cutoff + skin, capacity, extra_fraction)
    if previous is not None and capacity != previous and log is not None:
        log(f"neighbor list: {int(counts.max())} neighbors exceed capacity {previous}; "
            f"reallocating to {capacity} (one recompile)")
    return NeighborList(idx=jnp.asarray(idx), reference_position=jnp.asarray(position))


def needs_rebuild(neighbors: NeighborList, position, skin: float):
    """True (a jax bool) when some atom moved more than skin/2 since the list was built."""
    moved = position - neighbors.reference_position
    max_sq = jnp.max(jnp.sum(moved * moved, axis=-1))
    return max_sq > (0.5 * skin) ** 2


def map_row_blocks(row_fn: Callable, neighbor_idx, rows_per_block: int = 256):
    """Evaluate ``row_fn(rows, idx_rows)`` block by block over the rows of a dense list.

    ``rows`` (B,) are the atom indices of a block and ``idx_rows`` (B, capacity) their rows of
    ``neighbor_idx``; ``row_fn`` returns a pytree of per-row arrays (leading axis B). Returns the
    same pytree with leading axis N. The last block is padded with copies of atom 0 whose rows
    hold only padding, and those rows are dropped. Row by row the results are the same as one
    evaluation on the whole (N, capacity) list; on CPU the block's temporaries stay in cache,
    which makes pair potentials several times faster at thousands of atoms.
    """
    n_atoms, capacity = neighbor_idx.shape
    block = max(1, min(int(rows_per_block), n_atoms))
    n_blocks = -(-n_atoms // block)
    if n_blocks == 1:
        return row_fn(jnp.arange(n_atoms, dtype=jnp.int32), neighbor_idx)
    n_padded = n_blocks * block
    rows = jnp.arange(n_padded, dtype=jnp.int32)
    rows = jnp.where(rows < n_atoms, rows, 0).reshape(n_blocks, block)
    idx = jnp.pad(neighbor_idx, ((0, n_padded - n_atoms), (0, 0)), constant_values=n_atoms)
    out = jax.lax.map(lambda args: row_fn(*args), (rows, idx.reshape(n_blocks, block, capacity)))
    return jax.tree_util.tree_map(
        lambda x: x.reshape((n_padded,) + x.shape[2:])[:n_atoms], out)


def padded_edges(position, box, radius: float, capacity: int | None = None,
                 extra_fraction: float = 0.25):
    """Edge layout: (senders, receivers, n_edges, capacity), padded with N to ``capacity``.

    Grows ``capacity`` when the pair count exceeds it (never drops an edge).
    """
    position_np = np.asarray(position, dtype=np.float64)
    n_atoms = position_np.shape[0]
    senders, receivers = ordered_pairs(position_np, box, radius)
    n_edges = senders.size
    if capacity is None or n_edges > capacity:
        capacity = grown_capacity(n_edges, extra_fraction)
    pad = capacity - n_edges
    senders = np.concatenate([senders, np.full(pad, n_atoms)]).astype(np.int32)
    receivers = np.concatenate([receivers, np.full(pad, n_atoms)]).astype(np.int32)
    return senders, receivers, n_edges, capacity
