"""Host-built neighbor lists: exact against brute force, grow on overflow, never drop a pair."""

import numpy as np
import pytest

from ogn.md.neighbors import (
    build_neighbor_list,
    check_radius_fits_box,
    grown_capacity,
    needs_rebuild,
    neighbor_rows,
    ordered_pairs,
    padded_edges,
)


def brute_force_pairs(position, box, radius):
    d = position[None, :, :] - position[:, None, :]
    d -= box * np.round(d / box)
    r = np.linalg.norm(d, axis=-1)
    i, j = np.nonzero((r < radius) & ~np.eye(len(position), dtype=bool))
    return set(zip(i.tolist(), j.tolist(), strict=True))


@pytest.mark.parametrize("n, side, radius", [(200, 6.0, 2.9), (500, 9.0, 1.7), (50, 5.0, 2.5)])
def test_ordered_pairs_equal_brute_force(n, side, radius):
    rng = np.random.default_rng(n)
    box = np.full(3, side)
    # unwrapped positions (some far outside the box) must give the same pairs
    position = rng.uniform(-2 * side, 3 * side, (n, 3))
    senders, receivers = ordered_pairs(position, box, radius)
    assert set(zip(senders.tolist(), receivers.tolist(), strict=True)) == brute_force_pairs(
        position, box, radius)


def dense_pairs(idx):
    n = idx.shape[0]
    return {(i, j) for i in range(n) for j in idx[i].tolist() if j < n}


@pytest.mark.parametrize("side", [(14.0, 6.2, 9.0), (5.9, 12.5, 30.0)])
def test_cell_search_in_boxes_with_few_cells_along_some_axes(side):
    """Axes long enough for cells of radius/2 and axes searched whole by minimum image, mixed
    in one box; positions unwrapped, some exactly on the box faces."""
    rng = np.random.default_rng(int(side[0] * 10))
    box = np.asarray(side)
    position = rng.uniform(-1.0, 2.0, (700, 3)) * box
    position[:5] = np.floor(position[:5] / box) * box  # on a face (wraps to 0)
    senders, receivers = ordered_pairs(position, box, 2.9)
    assert set(zip(senders.tolist(), receivers.tolist(), strict=True)) == brute_force_pairs(
        position, box, 2.9)
    order = np.lexsort((receivers, senders))
    assert np.array_equal(order, np.arange(senders.size))  # sorted by sender, then receiver


def test_dilute_box_gets_cells_larger_than_the_radius():
    """80 atoms in a box of side 1000 (radius 2): cells of radius/2 would be 10^9; the grid is
    capped at a few cells per atom and the search stays exact."""
    rng = np.random.default_rng(6)
    box = np.full(3, 1000.0)
    position = np.concatenate([rng.uniform(0, 1000.0, (40, 3)),
                               500.0 + rng.uniform(-2.0, 2.0, (40, 3))])
    senders, receivers = ordered_pairs(position, box, 2.0)
    assert senders.size > 40
    assert set(zip(senders.tolist(), receivers.tolist(), strict=True)) == brute_force_pairs(
        position, box, 2.0)


def test_rows_wider_than_the_first_guess_are_searched_again():
    """A dense cluster in a dilute gas: its rows hold many times the mean count, more than the
    first search's width (1.5 x the uniform-density mean + 8); the result is still exact."""
    rng = np.random.default_rng(5)
    box = np.full(3, 20.0)
    gas = rng.uniform(0, 20.0, (600, 3))
    cluster = 10.0 + rng.uniform(-0.8, 0.8, (150, 3))
    position = np.concatenate([gas, cluster])
    idx, counts, capacity = neighbor_rows(position, box, 2.0)
    assert counts.max() >= 149 and capacity == grown_capacity(int(counts.max()), 0.1)
    assert idx.shape == (750, capacity)
    assert dense_pairs(idx) == brute_force_pairs(position, box, 2.0)
    assert np.array_equal(np.sum(idx < 750, axis=1), counts)


def test_dense_list_holds_every_pair_and_pads_with_n():
    rng = np.random.default_rng(0)
    box = np.full(3, 7.0)
    position = rng.uniform(0, 7.0, (300, 3))
    nbrs = build_neighbor_list(position, box, cutoff=2.5, skin=0.4)
    idx = np.asarray(nbrs.idx)
    pairs = {(i, j) for i in range(300) for j in idx[i] if j < 300}
    assert pairs == brute_force_pairs(position, box, 2.9)
    assert np.all((idx == 300) | (idx < 300))


def test_capacity_grows_on_overflow_and_is_kept_otherwise():
    rng = np.random.default_rng(1)
    box = np.full(3, 8.0)
    position = rng.uniform(0, 8.0, (400, 3))
    messages = []
    small = build_neighbor_list(position, box, 2.5, 0.3, capacity=4, log=messages.append)
    largest = int(np.sum(np.asarray(small.idx) < 400, axis=1).max())
    assert small.idx.shape[1] == grown_capacity(largest, 0.1)
    assert messages[0] == (f"neighbor list: {largest} neighbors exceed capacity 4; "
                           f"reallocating to {small.idx.shape[1]} (one recompile)")
    kept = build_neighbor_list(position, box, 2.5, 0.3, capacity=200, log=messages.append)
    assert kept.idx.shape[1] == 200 and len(messages) == 1


def test_needs_rebuild_after_half_skin():
    box = np.full(3, 10.0)
    position = np.random.default_rng(2).uniform(0, 10, (100, 3))
    nbrs = build_neighbor_list(position, box, 2.0, 0.4)
    moved = position.copy()
    moved[7, 0] += 0.19
    assert not bool(needs_rebuild(nbrs, moved, 0.4))
    moved[7, 0] += 0.02
    assert bool(needs_rebuild(nbrs, moved, 0.4))


def test_edges_layout_and_radius_check():
    rng = np.random.default_rng(3)
    box = np.full(3, 6.0)
    position = rng.uniform(0, 6, (120, 3))
    senders, receivers, n_edges, capacity = padded_edges(position, box, 2.0, capacity=10)
    assert capacity >= n_edges > 10
    assert np.all(senders[n_edges:] == 120) and np.all(receivers[n_edges:] == 120)
    assert set(zip(senders[:n_edges].tolist(), receivers[:n_edges].tolist(), strict=True)) == \
        brute_force_pairs(position, box, 2.0)
    with pytest.raises(ValueError, match="half the smallest box side"):
        check_radius_fits_box(3.5, box)
