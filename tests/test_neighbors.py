"""Host-built neighbor lists: exact against brute force, grow on overflow, never drop a pair."""

import numpy as np
import pytest

from ogn.neighbors import (
    build_neighbor_list,
    check_radius_fits_box,
    needs_rebuild,
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
    assert small.idx.shape[1] > 4 and "reallocating" in messages[0]
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
