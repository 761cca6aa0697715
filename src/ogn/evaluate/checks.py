"""The stops of a rollout: status codes and reasons, the check thresholds, and the
closeness and skin helpers they need."""

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from ogn.md.neighbors import check_radius_fits_box

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


def usable_skin(graph_cutoff: float, skin: float, box) -> float:
    """The largest skin <= ``skin`` with ``graph_cutoff + skin`` within half the smallest box
    side (minimum image). The paper's small boxes leave no room (LJ: rc 3.0, half box 3.019),
    so the edges are then rebuilt after every step; large boxes use the full skin."""
    room = 0.5 * float(np.min(box)) - float(graph_cutoff)
    if room < 0:
        check_radius_fits_box(graph_cutoff, box)  # raises with the explanation
    return float(max(0.0, min(float(skin), room)))


def _kinetic(velocity, masses) -> float:
    v = np.asarray(velocity, dtype=np.float64)
    return 0.5 * float(np.sum(np.asarray(masses)[:, None] * v * v))


def closest_approach_ratio(position, box, species, min_distance) -> float:
    """min over pairs of distance / min_distance[species_i, species_j] (scalar allowed);
    below 1 means some pair is closer than allowed. Host function (numpy)."""
    from ogn.md.neighbors import ordered_pairs

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


def rollout_checks(md_positions, box, species, n_species: int, checks_config: dict,
                   host_check: Callable | None = None) -> RolloutChecks:
    """The workflow's checks (config ``rollout.checks``): pairs closer than
    ``close_pair_fraction`` times the shortest distance of that species pair in the MD frames
    ``md_positions`` (T, N, 3), kinetic energy above ``kinetic_energy_factor`` times its start
    value, and ``host_check`` (e.g. the energy jump check of :mod:`ogn.evaluate.metrics`)."""
    from ogn.evaluate.metrics import shortest_pair_distances

    radius = 0.5 * float(np.min(box))
    shortest = shortest_pair_distances(md_positions, box, species, n_species, radius)
    shortest = np.where(np.isfinite(shortest), shortest, np.min(shortest))
    return RolloutChecks(min_distance=float(checks_config["close_pair_fraction"]) * shortest,
                         kinetic_energy_factor=float(checks_config["kinetic_energy_factor"]),
                         host_check=host_check)
