"""The interface every interatomic potential implements.

A potential is built once per run for a fixed box and species vector and returns pure
functions of ``(position, neighbor_idx)``:

* ``position``: (N, 3) float array, may be unwrapped (minimum image is applied inside);
* ``neighbor_idx``: (N, capacity) int array from :mod:`ogn.md.neighbors` (dense layout, full
  list: both i->j and j->i present; padding = N), built with radius >= ``cutoff`` (+ skin).

``energy`` returns the total potential energy (scalar); ``energy_and_forces`` returns
``(energy, forces)`` with forces (N, 3) = -dE/dposition. Units: those of the system's unit
system (:mod:`ogn.md.units`): eV and A for metal systems, epsilon and sigma for LJ.
``lammps_commands`` are the LAMMPS input lines (pair_style, pair_coeff, ...) that set up the
same potential, for the independent checks and the speed reference.
"""

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from ogn.md.space import minimum_image


class Potential(NamedTuple):
    name: str
    cutoff: float
    energy: Callable
    energy_and_forces: Callable
    lammps_commands: tuple[str, ...]
    lammps_units: str  # "lj" or "metal"
    parameters: dict  # the physical parameters used, for the files' metadata


def neighbor_displacements(position, neighbor_idx, box):
    """Minimum-image vectors r_j - r_i (N, M, 3), distances (N, M) and pair mask (N, M).

    Padded entries (index N) get a mask of False and a safe distance of 1 (so 1/r and its
    gradient stay finite); callers must zero their contribution with the mask.
    """
    n_atoms = position.shape[0]
    mask = neighbor_idx < n_atoms
    d = minimum_image(position[neighbor_idx] - position[:, None, :], box)
    r_sq = jnp.sum(d * d, axis=-1)
    r_sq = jnp.where(mask, r_sq, 1.0)
    return d, jnp.sqrt(r_sq), mask


def neighbor_displacement_components(position, neighbor_idx, box):
    """``base.neighbor_displacements`` split by Cartesian component: ``(dx, dy, dz)``.

    Returns minimum-image components of r_j - r_i (three (N, M) arrays), distances (N, M)
    with a safe 1 on padding, and the pair mask. Gathering the three (N,) coordinate columns
    is about ten times faster on XLA CPU than gathering (N, 3) rows into (N, M, 3).
    """
    n_atoms = position.shape[0]
    mask = neighbor_idx < n_atoms
    components = []
    for axis in range(3):
        column = position[:, axis]
        delta = column[neighbor_idx] - column[:, None]
        components.append(delta - box[axis] * jnp.round(delta / box[axis]))
    dx, dy, dz = components
    r_sq = jnp.where(mask, dx * dx + dy * dy + dz * dz, 1.0)
    return (dx, dy, dz), jnp.sqrt(r_sq), mask


def row_sums(*values):
    """Sums over axis 1 of several (B, M) arrays, as one variadic reduction.

    Returns a tuple of (B,) arrays. XLA's CPU backend fuses one reduction with all the
    elementwise work that produces its operands into a single loop; separate ``jnp.sum`` calls
    become separate loops that each re-read (or recompute) the pair arrays. Measured at 10,000
    atoms (CPU time, same process): Kob-Andersen forces 21 ms instead of 26 ms, EAM 78 instead
    of 85 ms; but BKS (erfc and two exp per pair) 99 instead of 67 ms, so BKS keeps
    separate sums: measure before using it for a kernel heavy in transcendental functions.
    """
    zero = jnp.zeros((), values[0].dtype)
    return jax.lax.reduce(tuple(values), (zero,) * len(values),
                          lambda a, b: tuple(x + y for x, y in zip(a, b, strict=True)), (1,))


def forces_from_energy(energy_fn: Callable) -> Callable:
    """``energy_and_forces`` from an energy function by automatic differentiation."""
    value_and_grad = jax.value_and_grad(energy_fn)

    def energy_and_forces(position, neighbor_idx):
        energy, grad = value_and_grad(position, neighbor_idx)
        return energy, -grad

    return energy_and_forces
