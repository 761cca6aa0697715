"""Stand-in learned simulators for the tests of ``ogn simulate``: values with the fields of
:class:`ogn.net.trained.TrainedModel` whose "network" returns the true MD increments over
the stride (k velocity-Verlet steps of the system's potential, every pair of atoms, float64),
optionally distorted, so that a run's result is known exactly."""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ogn.md.baseline import all_pairs_idx
from ogn.md.potentials import make_potential
from ogn.md.units import unit_system
from ogn.net.structures import NetworkConfig


class _Predictor(NamedTuple):
    predict_increments: object


class StandInModel(NamedTuple):
    simulator: _Predictor
    params: object
    standard: object
    k: int
    graph_cutoff: float
    species_names: tuple
    units: str
    dt: float
    species_masses: tuple
    system_config: dict
    system_name: str
    training_steps: int = 0
    network_dtype: object = None  # fed the carry's dtype (float64)

    @property
    def n_species(self) -> int:
        return len(self.species_names)

    @property
    def network_config(self) -> NetworkConfig:
        """No network: rolled out on the graph's edges, as every untabulated model."""
        return NetworkConfig(n_layers=0)


def true_md_model(system_name: str, block: dict, species, box, k: int, *,
                  heat_species: int | None = None, heat_factor: float = 1.0,
                  freeze: bool = False) -> StandInModel:
    """A stand-in of stride ``k`` for the system ``block`` (a ``systems.<name>`` config block)
    with these ``species`` (N,) in this ``box``: exact velocity Verlet. ``heat_species``: the
    velocity change of that species is multiplied by ``heat_factor`` (a model that heats one
    species); ``freeze``: every velocity is set to zero (nothing left to rescale)."""
    units = unit_system(block["units"])
    box = np.asarray(box, np.float64)
    species = np.asarray(species, np.int32)
    potential = make_potential(block, jnp.asarray(box), jnp.asarray(species))
    idx = jnp.asarray(all_pairs_idx(len(species)))
    mass = jnp.asarray(np.asarray(block["masses"], np.float64)[species])[:, None]
    dt = units.dt_internal(float(block["dt"]))
    to_internal = units.config_time_per_internal

    def predict_increments(params, standard, position, velocity, species_in, box_in, senders,
                           receivers):
        def step(_, carry):
            r, v, f = carry
            v_half = v + 0.5 * dt * f / mass
            r = r + dt * v_half
            _, f = potential.energy_and_forces(r, idx)
            return r, v_half + 0.5 * dt * f / mass, f

        v0 = velocity * to_internal
        _, f0 = potential.energy_and_forces(position, idx)
        r, v, _ = jax.lax.fori_loop(0, k, step, (position, v0, f0))
        dv = (v - v0) / to_internal
        if heat_species is not None:
            dv = jnp.where((species_in == heat_species)[:, None], dv * heat_factor, dv)
        if freeze:
            dv = -velocity
        return r - position, dv

    return StandInModel(simulator=_Predictor(predict_increments), params=None, standard=None,
                        k=int(k), graph_cutoff=float(block["graph_cutoff"]),
                        species_names=tuple(block["species"]), units=block["units"],
                        dt=float(block["dt"]), species_masses=tuple(block["masses"]),
                        system_config=block, system_name=system_name)
