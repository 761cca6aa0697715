"""Periodic orthorhombic space: minimum-image displacements and wrapping.

Positions may be unwrapped (atoms that crossed the boundary keep moving away from the box);
every displacement goes through the minimum image, so forces do not care. ``box`` is the
(3,) array of box side lengths.
"""

import jax.numpy as jnp
import numpy as np


def minimum_image(displacement, box):
    """Map displacement vectors (..., 3) to their shortest periodic image."""
    return displacement - box * jnp.round(displacement / box)


def wrap(position, box):
    """Positions wrapped into [0, box)."""
    return jnp.mod(position, box)


def wrap_numpy(position, box):
    wrapped = np.mod(np.asarray(position, dtype=np.float64), box)
    # np.mod can return exactly box for tiny negative inputs; fold that back to 0.
    wrapped[wrapped >= box] = 0.0
    return wrapped


def box_volume(box) -> float:
    return float(np.prod(np.asarray(box, dtype=np.float64)))
