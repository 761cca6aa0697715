"""Configurations at other sizes: the equilibrated box tiled, a cube of N atoms cut out at
the same density and composition, relaxed and settled at T."""

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

# --------------------------------------------------------------------------------------------
# configurations at other sizes


def closest_distances(position, species, box) -> np.ndarray:
    """(S, S) shortest minimum-image distance between atoms of species a and b (inf where a
    pair of species never comes within half the box)."""
    from ogn.md.neighbors import ordered_pairs

    species = np.asarray(species)
    n_species = int(species.max()) + 1
    senders, receivers = ordered_pairs(np.asarray(position, np.float64), box,
                                       0.49 * float(np.min(box)))
    d = position[receivers] - position[senders]
    d -= box * np.round(d / box)
    r = np.linalg.norm(d, axis=1)
    closest = np.full((n_species, n_species), np.inf)
    np.minimum.at(closest, (species[senders], species[receivers]), r)
    return closest


def cropped_tiling(position, species, box, counts, side: float, rng: np.random.Generator,
                   margin: float = 0.02, closeness: float = 0.9):
    """A configuration of ``counts`` atoms per species in a cubic box of ``side``, cut from
    periodic copies of ``position`` at the same density.

    The copies fill a cube of side ``side * (1 + m)``, which is then scaled onto the box (a
    compression by 1/(1 + m)); atoms meeting new neighbours across the cut faces closer than
    ``closeness`` times the shortest distance of their species pair in ``position`` are
    removed (one of each such pair), then random atoms of each species down to ``counts``.
    m starts at ``margin`` and grows until every species has enough atoms left. Relax before
    use (:func:`sized_configuration`). Returns (position (N, 3), species (N,) grouped in
    species order, as :func:`ogn.md.sizing.species_vector`).
    """
    from scipy.spatial import cKDTree

    box = np.asarray(box, np.float64) * np.ones(3)
    position = np.mod(np.asarray(position, np.float64), box)
    species = np.asarray(species)
    counts = np.asarray(counts, dtype=int)
    limit = closeness * closest_distances(position, species, box)
    for grow in range(50):
        crop = side * (1.0 + margin * (grow + 1))
        copies = np.ceil(crop / box).astype(int)
        shifts = np.stack(np.meshgrid(*(np.arange(c) for c in copies), indexing="ij"),
                          -1).reshape(-1, 3) * box
        tiled = (position[None] + shifts[:, None]).reshape(-1, 3)
        tiled_species = np.tile(species, len(shifts))
        inside = np.all(tiled < crop, axis=1)
        scaled = np.mod(tiled[inside] * (side / crop), side)
        scaled_species = tiled_species[inside]
        pairs = cKDTree(scaled, boxsize=side).query_pairs(float(np.max(limit[np.isfinite(
            limit)])), output_type="ndarray")
        usable = np.ones(len(scaled), dtype=bool)
        if len(pairs):
            d = scaled[pairs[:, 1]] - scaled[pairs[:, 0]]
            d -= side * np.round(d / side)
            too_close = np.linalg.norm(d, axis=1) < limit[scaled_species[pairs[:, 0]],
                                                          scaled_species[pairs[:, 1]]]
            for i, j in pairs[too_close]:
                if usable[i] and usable[j]:
                    usable[j] = False
        available = np.bincount(scaled_species[usable], minlength=len(counts))
        if np.all(available[:len(counts)] >= counts):
            break
    else:  # pragma: no cover - needs a pathological composition
        raise ValueError(f"cannot cut {counts.tolist()} atoms from copies of the box")
    kept_position, kept_species = [], []
    for s, wanted in enumerate(counts):
        candidates = np.flatnonzero(usable & (scaled_species == s))
        chosen = np.sort(rng.choice(candidates, size=int(wanted), replace=False))
        kept_position.append(scaled[chosen])
        kept_species.append(np.full(int(wanted), s, dtype=np.int32))
    return np.concatenate(kept_position), np.concatenate(kept_species)


class SizedStart(NamedTuple):
    system: object  # ogn.md.systems.System at the new size
    position: np.ndarray  # (N, 3) internal length unit
    velocity: np.ndarray  # (N, 3) internal velocity unit


def sized_configuration(name: str, system_config: dict, position, species, box, n_atoms: int,
                        fire_steps: int, settle_steps: int, seed: int,
                        log: Callable | None = None) -> SizedStart:
    """The system ``name`` at about ``n_atoms`` atoms (same density and composition,
    :func:`ogn.md.sizing.scaled_counts_and_box`), cut from copies of an equilibrated configuration
    (:func:`cropped_tiling`), relaxed by ``fire_steps`` FIRE steps, given Maxwell-Boltzmann
    velocities at T and run ``settle_steps`` MD steps with velocity rescaling to T."""
    from ogn.md.dynamics import Thermostat, maxwell_boltzmann_velocities
    from ogn.md.placement import minimize_fire
    from ogn.md.protocols import run_segment, start_state
    from ogn.md.sizing import scaled_counts_and_box
    from ogn.md.systems import make_system

    counts, side = scaled_counts_and_box(system_config, n_atoms)
    system = make_system(name, {"systems": {name: system_config}}, counts=counts, box=side)
    rng = np.random.default_rng(seed)
    cut, _ = cropped_tiling(position, species, box, counts, side, rng)
    pot = system.potential
    relaxed, energy = minimize_fire(cut, pot.energy_and_forces, system.box, pot.cutoff,
                                    system.skin, fire_steps)
    velocity = maxwell_boltzmann_velocities(jax.random.PRNGKey(seed), jnp.asarray(system.mass),
                                            system.temperature, system.units.boltzmann)
    state, neighbors = start_state(system, relaxed, velocity)
    if settle_steps > 0:
        thermostat = Thermostat(system.temperature, system.temperature, 1)
        run = run_segment(system, state, neighbors, settle_steps, settle_steps, thermostat,
                          record_first=False)
        state = run.state
    if log is not None:
        log(f"{name}: N = {len(system.species)} in a box of {side:.4g} (counts {counts}); "
            f"FIRE {fire_steps} steps (E_pot {energy:.6g}), {settle_steps} steps at T")
    return SizedStart(system, np.asarray(state.position), np.asarray(state.velocity))
