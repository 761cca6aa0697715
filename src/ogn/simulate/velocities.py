"""Kinetic energy split into the motion of centres of mass and the motion about them, and
velocities rescaled about those centres so that total momentum is untouched (numpy, host).

Velocities here are in the internal unit (length per internal time, :mod:`ogn.md.units`), so
that 1/2 m v^2 is in the energy unit.
"""

import numpy as np


def centre_of_mass_velocity(velocity, mass) -> np.ndarray:
    """(3,) mass-weighted mean velocity of ``velocity`` (N, 3) with masses ``mass`` (N,)."""
    mass = np.asarray(mass, np.float64)
    return np.sum(mass[:, None] * velocity, axis=0) / np.sum(mass)


def peculiar_kinetic_energy(velocity, mass) -> float:
    """Kinetic energy of the motion about the centre of mass."""
    mass = np.asarray(mass, np.float64)
    relative = np.asarray(velocity, np.float64) - centre_of_mass_velocity(velocity, mass)
    return 0.5 * float(np.sum(mass[:, None] * relative * relative))


def rescaled_about_centre(velocity, mass, factor: float) -> np.ndarray:
    """Velocities whose motion about the centre of mass is scaled by ``factor``; the
    centre-of-mass velocity, hence the total momentum, is unchanged."""
    centre = centre_of_mass_velocity(velocity, mass)
    return centre + float(factor) * (np.asarray(velocity, np.float64) - centre)


def species_kinetic_energies(velocity, mass, species, n_species: int):
    """Per species s: (kinetic energy of the species' centre of mass, kinetic energy about it,
    degrees of freedom about it 3 (N_s - 1)), as three (S,) arrays."""
    centre, about, dof = np.zeros(n_species), np.zeros(n_species), np.zeros(n_species)
    species = np.asarray(species)
    for s in range(n_species):
        members = species == s
        if not np.any(members):
            continue
        v, m = np.asarray(velocity, np.float64)[members], np.asarray(mass, np.float64)[members]
        centre_v = centre_of_mass_velocity(v, m)
        centre[s] = 0.5 * float(np.sum(m)) * float(centre_v @ centre_v)
        about[s] = peculiar_kinetic_energy(v, m)
        dof[s] = 3 * (int(np.sum(members)) - 1)
    return centre, about, dof


def species_temperatures(velocity, mass, species, n_species: int, boltzmann: float):
    """(S,) temperature of each species from its motion about its own centre of mass
    (2 K_s / (3 (N_s - 1) k_B); NaN for a species with a single atom)."""
    _, about, dof = species_kinetic_energies(velocity, mass, species, n_species)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(dof > 0, 2.0 * about / np.maximum(dof, 1) / boltzmann, np.nan)
