"""A system as configured: species per atom, masses, box, units, potential, time step.

Built from one ``systems.<name>`` block of the config; everything downstream (MD, pairs, graph)
takes the :class:`System` value rather than re-reading config.
"""

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from .potentials import Potential, make_potential
from .units import UnitSystem, unit_system


class System(NamedTuple):
    name: str
    units: UnitSystem
    species: np.ndarray  # (N,) int32
    species_names: list
    mass: np.ndarray  # (N,) per atom, mass unit
    box: np.ndarray  # (3,)
    temperature: float  # temperature unit (K or epsilon/k_B)
    dt: float  # internal time unit
    dt_config: float  # as configured (fs or tau)
    skin: float
    potential: Potential


def species_vector(counts) -> np.ndarray:
    """Species index per atom, species grouped in config order: [0]*n0 + [1]*n1 + ..."""
    return np.concatenate([np.full(int(n), i, dtype=np.int32) for i, n in enumerate(counts)])


def make_system(name: str, config: dict, counts=None, box=None) -> System:
    """The system ``name`` of ``config['systems']``; ``counts``/``box`` override the paper size."""
    block = config["systems"][name] if "systems" in config else config
    counts = block["counts"] if counts is None else counts
    side = block["box"] if box is None else box
    box_array = np.full(3, float(side)) if np.ndim(side) == 0 else np.asarray(side, np.float64)
    species = species_vector(counts)
    mass = np.asarray(block["masses"], dtype=np.float64)[species]
    units = unit_system(block["units"])
    potential = make_potential(block, jnp.asarray(box_array), jnp.asarray(species))
    return System(
        name=name, units=units, species=species, species_names=list(block["species"]),
        mass=mass, box=box_array, temperature=float(block["temperature"]),
        dt=units.dt_internal(float(block["dt"])), dt_config=float(block["dt"]),
        skin=float(block["skin"]), potential=potential,
    )


def scaled_counts_and_box(block: dict, n_atoms: int):
    """Counts and cubic box side for about ``n_atoms`` atoms at the configured density and
    composition (used for runs at other sizes)."""
    counts = np.asarray(block["counts"], dtype=np.float64)
    fractions = counts / counts.sum()
    new_counts = np.maximum(1, np.round(fractions * n_atoms)).astype(int)
    density = counts.sum() / float(block["box"]) ** 3
    side = (new_counts.sum() / density) ** (1.0 / 3.0)
    return new_counts.tolist(), side
