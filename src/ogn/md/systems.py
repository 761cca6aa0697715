"""A system as configured: species per atom, masses, box, units, potential, time step.

Built from one ``systems.<name>`` block of the config; everything downstream (MD, pairs, graph)
takes the :class:`System` value rather than re-reading config.
"""

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from ogn.md.potentials import make_potential
from ogn.md.potentials.base import Potential
from ogn.md.sizing import species_vector
from ogn.md.units import UnitSystem, unit_system


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


def make_system(name: str, config: dict, counts=None, box=None) -> System:
    """The system ``name`` of ``config['systems']``; ``counts``/``box`` override the paper size."""
    if "systems" in config and name not in config["systems"]:
        raise ValueError(f"no system {name!r} under systems: (configured: "
                         f"{', '.join(config['systems'])}); add a systems.{name} block or use "
                         "one of those")
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
