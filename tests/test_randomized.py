"""Randomized checks (hypothesis): neighbor lists and graph edges against brute force over
random sizes, boxes, radii and unwrapped positions; the data order of training; the running
statistics' merge order."""

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ogn.learn.batches import batch_plan
from ogn.learn.recipe import steps_per_epoch
from ogn.md.neighbors import build_neighbor_list
from ogn.net.graph import build_edges
from ogn.net.normalizer import init_stats, mean_and_std, update_stats

FAST = settings(max_examples=30, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


@st.composite
def configurations(draw):
    """(positions (N, 3) unwrapped, box (3,), radius <= half the smallest side)."""
    n_atoms = draw(st.integers(2, 60))
    box = np.array([draw(st.floats(3.0, 12.0)) for _ in range(3)])
    radius = draw(st.floats(0.3, 0.5)) * float(np.min(box))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    # unwrapped: up to two boxes away on either side
    position = rng.uniform(-2.0, 3.0, (n_atoms, 3)) * box
    return position, box, radius


def brute_force_pairs(position, box, radius) -> set:
    """Ordered pairs (i, j), i != j, closer than ``radius`` by minimum image."""
    d = position[None, :, :] - position[:, None, :]
    d -= box * np.round(d / box)
    close = np.sum(d * d, axis=-1) < radius * radius
    np.fill_diagonal(close, False)
    return {(int(i), int(j)) for i, j in zip(*np.nonzero(close), strict=True)}


def far_from_the_radius(position, box, radius, margin=1e-9) -> bool:
    """No pair within rounding of the radius (there both answers are right)."""
    d = position[None, :, :] - position[:, None, :]
    d -= box * np.round(d / box)
    r = np.sqrt(np.sum(d * d, axis=-1))
    return not np.any(np.abs(r - radius) < margin * radius)


@FAST
@given(configurations())
def test_neighbor_lists_hold_exactly_the_pairs_in_range(config):
    position, box, radius = config
    assume(far_from_the_radius(position, box, radius))
    neighbors = build_neighbor_list(position, box, radius, 0.0)
    idx = np.asarray(neighbors.idx)
    n_atoms = len(position)
    listed = {(i, int(j)) for i in range(n_atoms) for j in idx[i] if j < n_atoms}
    assert listed == brute_force_pairs(position, box, radius)
    for i in range(n_atoms):  # no pair twice in a row
        row = idx[i][idx[i] < n_atoms]
        assert len(set(row.tolist())) == len(row)


@FAST
@given(configurations())
def test_graph_edges_are_every_ordered_pair_in_range_once(config):
    position, box, radius = config
    assume(far_from_the_radius(position, box, radius))
    edges = build_edges(position, box, radius)
    n_atoms = len(position)
    real = edges.senders < n_atoms
    assert int(np.sum(real)) == edges.n_edges and np.all(real[:edges.n_edges])
    pairs = list(zip(edges.senders[real].tolist(), edges.receivers[real].tolist(), strict=True))
    assert len(pairs) == len(set(pairs))
    assert set(pairs) == brute_force_pairs(position, box, radius)


def test_pairs_exactly_at_the_radius_are_left_out():
    """The lists keep r < radius, as the potentials' hard cutoffs do: a pair exactly at the
    radius (exact in binary) is not listed, one a hair inside is."""
    box = np.full(3, 8.0)
    position = np.array([[1.0, 1.0, 1.0], [3.0, 1.0, 1.0], [1.0, 2.999999, 1.0]])
    neighbors = np.asarray(build_neighbor_list(position, box, 2.0, 0.0).idx)
    assert set(neighbors[0][neighbors[0] < 3].tolist()) == {2}
    edges = build_edges(position, box, 2.0)
    assert sorted(zip(edges.senders[:edges.n_edges].tolist(),
                      edges.receivers[:edges.n_edges].tolist(), strict=True)) == [(0, 2), (2, 0)]


@FAST
@given(st.integers(0, 1000), st.integers(1, 60), st.integers(1, 8), st.booleans(),
       st.integers(0, 5))
def test_an_epoch_sees_each_pair_at_most_once(seed, n_pairs, batch_size, augment, epoch):
    assume(n_pairs >= batch_size)
    per_epoch = steps_per_epoch(n_pairs, batch_size)
    seen = np.concatenate([batch_plan(seed, epoch * per_epoch + step, n_pairs, batch_size,
                                      augment)[0] for step in range(per_epoch)])
    assert len(seen) == per_epoch * batch_size
    assert len(set(seen.tolist())) == len(seen)  # no pair twice in one epoch
    assert seen.min() >= 0 and seen.max() < n_pairs
    # the same step always sees the same data (resume equals an uninterrupted run)
    again = batch_plan(seed, epoch * per_epoch, n_pairs, batch_size, augment)
    np.testing.assert_array_equal(again[0], seen[:batch_size])


@FAST
@given(st.integers(0, 2**31 - 1), st.lists(st.integers(1, 40), min_size=2, max_size=6))
def test_running_statistics_do_not_depend_on_the_merge_order(seed, sizes):
    rng = np.random.default_rng(seed)
    batches = [rng.normal(3.0, 2.0, (n, 4)) for n in sizes]
    forward, backward = init_stats(4), init_stats(4)
    for batch in batches:
        forward = update_stats(forward, batch)
    for batch in reversed(batches):
        backward = update_stats(backward, batch)
    whole = update_stats(init_stats(4), np.concatenate(batches))
    everything = np.concatenate(batches)
    for stats in (forward, backward):
        for a, b in zip(mean_and_std(stats), mean_and_std(whole), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    mean, std = mean_and_std(whole)
    np.testing.assert_allclose(mean, everything.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(std, everything.std(axis=0), rtol=1e-10)
