"""The fixed repulsive core of the learned-force decoders (``model.options.repulsive_core``).

A learned pair force (or energy) is fitted where the training data has pairs; closer than the
closest pair it ever saw, it is an extrapolation, and a wrong sign there lets two atoms fall
into each other during a long rollout (silica's Si-Si pairs do). The core is a prior that
holds there and nowhere else: below the radius r0 of its species pair, a repulsion

    f_core(r) = -CORE_STRENGTH ((r0 - r) / (CORE_WIDTH r0))^2      (r < r0; 0 beyond)

is added to the learned force magnitude, in the decoder's force units (the velocity change's
scale over the stride, so the learned force is of order one: at r = 0.9 r0 the core pushes
ten times as hard). Its value and slope vanish at r0, so the force stays smooth; being
central and a function of the distance, it keeps momentum exact and the motion conservative.
Below r0 the learned function itself is not read where no training pair was (turned
attractive there, it pulls a close pair in faster than the core can hold it): a learned MLP
is held at its value at r0, and a table continues from r0 as an exponential wall with the
learned force's value and steepness there (:func:`ogn.net.tables.wall_continued`).
r0 is a fraction (the option's value, e.g. 0.95) of the shortest distance of that species pair
in the training data, measured when training starts on up to CORE_FRAMES configurations and
recorded in the model file: with a fraction below one the core leaves the training data
(almost) untouched. (The shortest distance is a tail statistic: 16 configurations of silica
put O-O at 1.98 A, 256 at 1.78 A.)
"""

import jax.numpy as jnp
import numpy as np

CORE_STRENGTH = 10.0  # the core's push at r = (1 - CORE_WIDTH) r0, in learned-force units
CORE_WIDTH = 0.1  # as a fraction of r0
CORE_FRAMES = 256  # training configurations searched for each species pair's shortest distance


def core_radii(shortest: np.ndarray, fraction: float) -> tuple:
    """The core radius r0 of each species pair (a tuple of tuples, the model file's form):
    ``fraction`` of its shortest training distance ``shortest`` (S, S), as
    :func:`ogn.evaluate.metrics.shortest_pair_distances` gives it (0 where the pair was never
    seen, ``inf`` there: no core)."""
    shortest = np.asarray(shortest, dtype=np.float64)
    return radii_table(float(fraction) * np.where(np.isfinite(shortest), shortest, 0.0))


def radii_table(rows) -> tuple:
    """(S, S) radii (array, or lists as read back from a model file's JSON) as the tuple of
    tuples of floats that NetworkConfig holds."""
    return tuple(tuple(float(r) for r in row) for row in rows)


def edge_core_radii(radii: tuple, sender_species, receiver_species):
    """(E,) r0 of each edge from the (S, S) ``radii`` and the one-hot species (E, S) of its
    two ends (padding edges: 0)."""
    table = jnp.asarray(radii, dtype=sender_species.dtype)
    return jnp.einsum("es,st,et->e", sender_species, table, receiver_species)


def _overlap(distance, radius):
    """(r0 - r) / (CORE_WIDTH r0) where positive (else 0) and the width CORE_WIDTH r0."""
    width = CORE_WIDTH * jnp.where(radius > 0, radius, 1.0)
    return jnp.maximum(radius - distance, 0.0) / width, width


def core_force(distance, radius):
    """(E,) the core's force magnitude (negative: repulsive) at ``distance`` for edges of core
    radius ``radius`` (0: no core)."""
    overlap, _ = _overlap(distance, radius)
    return -CORE_STRENGTH * overlap * overlap


def core_energy(distance, radius, length_unit: float):
    """(E,) the per-directed-edge energy of the core, for an energy whose force on atom i is
    ``-length_unit dE/dr_i`` with E summed over both directions of every pair (the energy
    decoder's convention, ``length_unit`` its graph cutoff): ``length_unit d(2 e)/dr`` is
    :func:`core_force`, the magnitude along r_j - r_i, so both decoders feel one core."""
    overlap, width = _overlap(distance, radius)
    return CORE_STRENGTH * width * overlap ** 3 / (6.0 * length_unit)
