"""Energy-conserving strides: after each stride of a learned simulator the velocities are
rescaled so that the total energy under the true potential returns to its starting value.

A learned stride conserves energy only as well as it is learned; over a long rollout the
error accumulates as heating or cooling. FlashMD corrects it with one global velocity factor.
Here two things go further:

* **equipartition between species** (default): the kinetic energy the correction leaves is
  shared among the species in proportion to their degrees of freedom, so a model that heats
  one species more than another (oxygen against silicon, say) does not keep that imbalance.
  Each species' velocities are scaled about its own centre of mass, so every species'
  momentum, hence the total momentum, is unchanged. With ``equipartition=False`` one factor
  scales every velocity about the centre of mass (FlashMD's correction, momentum kept too);
* **no imaginary factor**: when a stride's energy error exceeds the kinetic energy there is
  nothing left to rescale; the rollout stops with a message that says so, instead of taking
  the square root of a negative number.

The species temperatures before each correction are logged: they show how the model itself
distributes heat.
"""

from collections.abc import Callable

import numpy as np

from ogn.evaluate.checks import _kinetic as kinetic_energy
from ogn.evaluate.rollout import StopRollout
from ogn.simulate.velocities import (
    peculiar_kinetic_energy,
    rescaled_about_centre,
    species_kinetic_energies,
)

STOP_REASON = "energy_not_conservable"


class EnergyNotConservable(ValueError):
    pass


def conserving_velocities(velocity, mass, species, n_species: int, potential: float,
                          total: float, equipartition: bool = True) -> np.ndarray:
    """Velocities (internal units) rescaled so that kinetic + ``potential`` = ``total``
    (see the module docstring). Raises :class:`EnergyNotConservable` when the kinetic energy
    required is not reachable by scaling the motion about the centres of mass."""
    velocity = np.asarray(velocity, np.float64)
    kinetic = kinetic_energy(velocity, mass)
    wanted = total - potential
    if not equipartition:
        about = peculiar_kinetic_energy(velocity, mass)
        fixed = kinetic - about
        if wanted - fixed <= 0 or about <= 0:
            raise EnergyNotConservable(_message(kinetic, potential, total))
        return rescaled_about_centre(velocity, mass, np.sqrt((wanted - fixed) / about))
    centre, about, dof = species_kinetic_energies(velocity, mass, species, n_species)
    available = wanted - float(np.sum(centre))
    if available <= 0 or np.any((about <= 0) & (dof > 0)):
        raise EnergyNotConservable(_message(kinetic, potential, total))
    shares = available * dof / np.sum(dof)
    out = velocity.copy()
    species = np.asarray(species)
    for s in np.flatnonzero(dof > 0):
        members = species == s
        out[members] = rescaled_about_centre(velocity[members], np.asarray(mass)[members],
                                             np.sqrt(shares[s] / about[s]))
    return out


def _message(kinetic: float, potential: float, total: float) -> str:
    error = kinetic + potential - total
    return (f"the stride's energy error {error:.6g} exceeds the kinetic energy {kinetic:.6g} "
            "that could absorb it (energy unit): rescaling velocities cannot restore the "
            "starting energy. The model's stride is too inaccurate here: use a model with a "
            "smaller k or a better-trained one, or run without --conserve-energy")


def make_energy_conserving_step(potential_energy: Callable, mass, species, n_species: int,
                                total_energy: float, to_internal: Callable,
                                to_files: Callable, equipartition: bool = True,
                                boltzmann: float = 1.0, species_names=(),
                                log: Callable | None = None, log_every: int = 0,
                                k: int = 1) -> Callable:
    """``after_stride(model_step, position, velocity) -> velocity`` for
    :func:`ogn.evaluate.rollout.rollout`: the energy-conserving rescale to ``total_energy``
    under ``potential_energy(position) -> float``. Logs the species temperatures before the
    correction every ``log_every`` strides (0: never); a stride that cannot be corrected
    raises :class:`ogn.evaluate.rollout.StopRollout` with the reason
    ``"energy_not_conservable"``."""
    from ogn.simulate.velocities import species_temperatures

    mass = np.asarray(mass, np.float64)

    def after_stride(model_step: int, position, velocity):
        internal = to_internal(np.asarray(velocity, np.float64))
        potential = float(potential_energy(position))
        if log is not None and log_every and model_step % log_every == 0:
            temperatures = species_temperatures(internal, mass, species, n_species, boltzmann)
            named = ", ".join(f"{name} {t:.5g}" for name, t in
                              zip(species_names, temperatures, strict=False))
            error = kinetic_energy(internal, mass) + potential - total_energy
            log(f"MD step {model_step * k}: energy error before the rescale {error:.4g}; "
                f"species temperatures before it: {named}")
        try:
            return to_files(conserving_velocities(internal, mass, species, n_species,
                                                  potential, total_energy, equipartition))
        except EnergyNotConservable as error:
            raise StopRollout(STOP_REASON, f"MD step {model_step * k}: {error}") from None

    return after_stride
