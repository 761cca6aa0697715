"""A starting configuration for a learned simulator, in the units of the model's files, and
the checks that it fits the model (species, box, velocities)."""

from typing import NamedTuple

import numpy as np


class Configuration(NamedTuple):
    """Atoms in an orthorhombic periodic box, in file units (length sigma or A; velocity
    sigma/tau or A/fs). ``species`` (N,) indexes ``species_names``; ``velocity`` is None when
    the source had none; ``mass`` (N,) is None when the source named no masses."""

    position: np.ndarray
    velocity: np.ndarray | None
    species: np.ndarray
    species_names: list
    box: np.ndarray
    mass: np.ndarray | None = None
    source: str = ""


class StartError(ValueError):
    """A starting configuration that cannot be used with the model, with what to do."""


def in_model_species(configuration: Configuration, model_species) -> Configuration:
    """``configuration`` with its species renumbered in the model's order; refused, naming
    both lists, when it holds a species the model was not trained on."""
    model_species = [str(name) for name in model_species]
    unknown = sorted(set(configuration.species_names) - set(model_species))
    present = sorted({configuration.species_names[s] for s in np.unique(configuration.species)})
    if unknown and set(unknown) & set(present):
        raise StartError(
            f"{configuration.source}: species {sorted(set(unknown) & set(present))} are not "
            f"among the model's species {model_species}; the model can only run atoms of the "
            "species it was trained on (for a LAMMPS data file, name the types with --types "
            f"in the model's terms, e.g. --types {' '.join(model_species)})")
    lookup = np.array([model_species.index(name) if name in model_species else -1
                       for name in configuration.species_names], dtype=np.int32)
    return configuration._replace(species=lookup[np.asarray(configuration.species)],
                                  species_names=model_species)


def check_box(configuration: Configuration, graph_cutoff: float) -> None:
    """Refuse a box with a side shorter than twice the model's graph cutoff (the minimum
    image would then miss neighbours)."""
    short = float(np.min(configuration.box))
    if short < 2.0 * float(graph_cutoff):
        raise StartError(
            f"{configuration.source}: the box {np.round(configuration.box, 6).tolist()} has a "
            f"side {short:g} shorter than twice the model's graph cutoff {graph_cutoff:g}; "
            "replicate the configuration (e.g. LAMMPS `replicate 2 2 2`, ASE "
            "`atoms.repeat(2)`) until every side is at least "
            f"{2.0 * float(graph_cutoff):g}")


def check_masses(configuration: Configuration, model_masses) -> None:
    """Refuse masses that differ from the model's by more than 1e-4 relative (the model
    learned the dynamics of those masses)."""
    if configuration.mass is None:
        return
    expected = np.asarray(model_masses, np.float64)[configuration.species]
    bad = ~np.isclose(configuration.mass, expected, rtol=1e-4, atol=0)
    if np.any(bad):
        first = int(np.flatnonzero(bad)[0])
        name = configuration.species_names[int(configuration.species[first])]
        raise StartError(
            f"{configuration.source}: atom {first} ({name}) has mass "
            f"{configuration.mass[first]:g}, the model was trained with {expected[first]:g}; "
            "fix the masses (LAMMPS `Masses` section) or the --types order")


def maxwell_boltzmann(mass, temperature: float, boltzmann: float, to_files, seed: int):
    """Velocities (file units) drawn at ``temperature`` by
    :func:`ogn.md.dynamics.maxwell_boltzmann_velocities` (total momentum zero, exactly T
    over 3N - 3 degrees of freedom), seeded."""
    import jax

    from ogn.md.dynamics import maxwell_boltzmann_velocities

    velocity = maxwell_boltzmann_velocities(jax.random.PRNGKey(int(seed)),
                                            np.asarray(mass, np.float64), float(temperature),
                                            boltzmann)
    return to_files(np.asarray(velocity, np.float64))
