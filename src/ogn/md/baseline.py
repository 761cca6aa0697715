"""MD without a neighbor list: the paper's kind of O(N^2) baseline (Fig. 4C).

The paper's MD baseline for Si and CuZr evaluated its potentials with jax-md's energy functions
without a neighbor list: every force evaluation computes the displacement of every ordered pair
of atoms, and the cutoff only zeroes the terms of distant pairs. Here that is done with our own
potentials, unchanged: they are handed a "list" that holds every other atom in every row,
``idx[i] = (0, 1, ..., N - 1)`` with i itself replaced by the padding index N. Each potential
masks pairs beyond its cutoff itself, so energies and forces equal the neighbor-list ones to
round-off (tests/test_runtime.py), and the list never expires (the MD loop is given an infinite
skin), so there is nothing to search, check or rebuild.

Cost and memory grow as N^2: the (N, N) int32 table takes 4 N^2 bytes (0.4 GB at 10,000 atoms);
LJ, BKS and EAM then work through it in blocks of rows (:func:`ogn.md.neighbors.map_row_blocks`),
while Stillinger-Weber evaluates the whole table at once, about 100 N^2 bytes (10 GB at 10,000
atoms): ``runtime.all_pairs_max_atoms`` caps N, and the runtime rule's ``mem_mb`` must allow it.
"""

import jax.numpy as jnp
import numpy as np

from ogn.md.neighbors import NeighborList


def all_pairs_idx(n_atoms: int) -> np.ndarray:
    """The (N, N) int32 table whose row i lists every atom but i (i itself replaced by N)."""
    atoms = np.arange(n_atoms, dtype=np.int32)
    return np.where(atoms[:, None] == atoms[None, :], np.int32(n_atoms), atoms[None, :])


def all_pairs_neighbors(position) -> NeighborList:
    """A neighbor list holding every ordered pair, for the MD loop with an infinite skin."""
    position = jnp.asarray(position)
    return NeighborList(idx=jnp.asarray(all_pairs_idx(position.shape[0])),
                        reference_position=position)
