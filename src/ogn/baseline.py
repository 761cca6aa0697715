"""MD without a neighbor list: the paper's kind of O(N^2) baseline (issue 5, Fig. 4C).

Every force evaluation tests all N (N - 1) ordered pairs against the interaction range, row
block by row block so that memory stays bounded (``rows_per_block`` x N distances at a time),
and hands the pairs found to the potential's own ``energy_and_forces``. Nothing is carried from
one step to the next: there is no list to build, to check or to rebuild, and the pair search
costs O(N^2) per step, as in an all-pairs MD code.

How the pairs of a row block are packed into the dense layout of :mod:`ogn.neighbors` without a
scatter: with ``c[i, j]`` the running count of partners of atom i among atoms 0..j, the k-th
partner of i is the first j with ``c[i, j] >= k`` (a binary search per (i, k), so O(N log N)
per row on top of the N distances). Rows are padded with N; a row with more partners than the
``capacity`` makes the energy NaN (the MD loop then stops with a clear error) rather than
silently dropping pairs.

The potential is thereby evaluated on exactly the pairs within its range, so energies and
forces equal the neighbor-list ones (to round-off); a code that also evaluated the potential on
every distant pair would be slower still: the times measured here are a lower bound for an
all-pairs code.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from .neighbors import NeighborList


def all_pairs_neighbor_idx(position, box, radius: float, capacity: int,
                           rows_per_block: int = 256):
    """Dense neighbor rows of every atom from an all-pairs search (jax; usable inside jit).

    ``position`` (N, 3) (may be unwrapped), ``box`` (3,) sides, ``radius`` the interaction range
    (same length unit). Returns ``(idx, max_count)``: idx (N, capacity) int32 holding, per row
    i, every j != i with minimum-image distance < radius in increasing order, padded with N;
    ``max_count`` is the largest number of partners of any atom (more than ``capacity`` means
    some were cut off).
    """
    n_atoms = position.shape[0]
    box = jnp.asarray(box, position.dtype)
    block = max(1, min(int(rows_per_block), n_atoms))
    n_blocks = -(-n_atoms // block)
    atoms = jnp.arange(n_atoms, dtype=jnp.int32)
    ranks = jnp.arange(1, capacity + 1, dtype=jnp.int32)
    radius_sq = float(radius) ** 2

    def block_rows(rows):
        r_sq = jnp.zeros((rows.shape[0], n_atoms), position.dtype)
        for axis in range(3):
            delta = position[None, :, axis] - position[rows, axis][:, None]
            delta = delta - box[axis] * jnp.round(delta / box[axis])
            r_sq = r_sq + delta * delta
        partner = (r_sq < radius_sq) & (atoms[None, :] != rows[:, None])
        running = jnp.cumsum(partner.astype(jnp.int32), axis=1)
        idx = jax.vmap(lambda row: jnp.searchsorted(row, ranks, side="left", method="scan"))(
            running)
        return idx.astype(jnp.int32), running[:, -1]

    rows = jnp.arange(n_blocks * block, dtype=jnp.int32)
    rows = jnp.where(rows < n_atoms, rows, 0).reshape(n_blocks, block)
    idx, counts = jax.lax.map(block_rows, rows)
    idx = idx.reshape(n_blocks * block, capacity)[:n_atoms]
    return idx, jnp.max(counts.reshape(-1)[:n_atoms])


def all_pairs_energy_and_forces(energy_and_forces: Callable, box, radius: float,
                                capacity: int, rows_per_block: int = 256) -> Callable:
    """``(position, ignored) -> (energy, forces)`` of a potential, without a neighbor list.

    ``energy_and_forces`` is a :class:`ogn.potentials.Potential`'s function of
    ``(position, neighbor_idx)``; ``radius`` its range (``Potential.cutoff``); ``capacity`` the
    row width to pack the pairs into (at least the largest number of partners of an atom; the
    energy is NaN otherwise). The second argument is accepted and ignored, so that the result
    plugs into :func:`ogn.md.make_advance` (with an infinite skin: the list never expires).
    """

    def energy_and_forces_all_pairs(position, _neighbor_idx=None):
        idx, max_count = all_pairs_neighbor_idx(position, box, radius, capacity, rows_per_block)
        energy, forces = energy_and_forces(position, idx)
        return jnp.where(max_count <= capacity, energy, jnp.nan), forces

    return energy_and_forces_all_pairs


def placeholder_neighbors(position) -> NeighborList:
    """A one-column list of padding only: the MD loop's slot for a list the baseline never
    reads (its reference positions are ``position``)."""
    n_atoms = len(position)
    return NeighborList(idx=jnp.full((n_atoms, 1), n_atoms, jnp.int32),
                        reference_position=jnp.asarray(position))


def largest_partner_count(position, box, radius: float) -> int:
    """Largest number of atoms within ``radius`` of any atom (host, exact k-d tree search)."""
    from .neighbors import neighbor_counts, ordered_pairs

    senders, _ = ordered_pairs(np.asarray(position, np.float64), box, radius)
    return int(neighbor_counts(senders, len(position)).max()) if senders.size else 0
