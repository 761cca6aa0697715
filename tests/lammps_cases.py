"""Shared helpers for the potential tests: test configurations and brute-force references.

Host-side numpy code, independent of the library's potentials (except where a potential is
passed in explicitly, as for the steepest-descent relaxation).
"""

import numpy as np

from ogn.md.neighbors import build_neighbor_list


def species_vector(counts, rng) -> np.ndarray:
    """(N,) int species with ``counts[s]`` atoms of species s, in random order."""
    species = np.repeat(np.arange(len(counts)), counts)
    rng.shuffle(species)
    return species


def random_configuration(counts, box, min_distance, seed: int, max_candidates: int = 4096):
    """Atoms placed one by one at random in a periodic cubic box, never closer than allowed.

    ``min_distance`` is a scalar or a (n_species, n_species) matrix of minimum distances per
    species pair. Candidates for each atom are drawn in batches that double after every failed
    batch. Returns ``(position (N, 3) in [0, box), species (N,))``, float64 and int.
    """
    rng = np.random.default_rng(seed)
    species = species_vector(counts, rng)
    n_species = len(counts)
    min_distance = np.broadcast_to(np.asarray(min_distance, dtype=np.float64),
                                   (n_species, n_species))
    position = np.empty((species.size, 3))
    for i, s in enumerate(species):
        limit_sq = min_distance[s, species[:i]] ** 2
        batch = 4
        for _ in range(200):
            trial = rng.uniform(0.0, box, size=(batch, 3))
            d = trial[:, None, :] - position[None, :i, :]
            d -= box * np.round(d / box)
            ok = np.all(np.sum(d * d, axis=-1) >= limit_sq, axis=1)
            if ok.any():
                position[i] = trial[np.argmax(ok)]
                break
            batch = min(2 * batch, max_candidates)
        else:
            raise RuntimeError(f"could not place atom {i}: box too crowded for min_distance")
    return position, species


def steepest_descent(energy_and_forces, position, box, cutoff: float, steps: int,
                     max_displacement: float):
    """``steps`` steepest-descent moves, the atom under the largest force moving by
    ``max_displacement`` each time (the rest proportionally). Returns the new positions."""
    position = np.asarray(position, dtype=np.float64)
    capacity = None
    for _ in range(steps):
        neighbors = build_neighbor_list(position, box, cutoff, 0.0, capacity=capacity,
                                        extra_fraction=0.5)
        capacity = neighbors.idx.shape[1]
        _, forces = energy_and_forces(position, neighbors.idx)
        forces = np.asarray(forces)
        largest = np.max(np.linalg.norm(forces, axis=1))
        position = position + max_displacement / largest * forces
    return np.mod(position, box)


def all_pair_displacements(position, box):
    """Every ordered pair i != j by minimum image: ``i, j, d = r_j - r_i (P, 3), r (P,)``."""
    position = np.asarray(position, dtype=np.float64)
    n = position.shape[0]
    i, j = np.nonzero(~np.eye(n, dtype=bool))
    d = position[j] - position[i]
    d -= box * np.round(d / box)
    return i, j, d, np.sqrt(np.sum(d * d, axis=-1))


def pair_sum(position, box, species, pair_energy, pair_dphi, cutoff):
    """Brute-force total energy and forces of a pair potential over all minimum-image pairs.

    ``pair_energy(r, s_i, s_j)`` and ``pair_dphi(r, s_i, s_j)`` (dphi/dr) are numpy functions;
    ``cutoff(s_i, s_j)`` the range of each pair (pairs at r >= cutoff contribute nothing).
    """
    i, j, d, r = all_pair_displacements(position, box)
    si, sj = species[i], species[j]
    inside = r < cutoff(si, sj)
    i, j, d, r, si, sj = i[inside], j[inside], d[inside], r[inside], si[inside], sj[inside]
    energy = 0.5 * np.sum(pair_energy(r, si, sj))
    forces = np.zeros_like(np.asarray(position, dtype=np.float64))
    np.add.at(forces, i, (pair_dphi(r, si, sj) / r)[:, None] * d)
    return energy, forces


def relative_force_error(forces, reference) -> float:
    """max |F - F_ref| over all components, divided by max |F_ref| over all components."""
    forces = np.asarray(forces, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    return float(np.max(np.abs(forces - reference)) / np.max(np.abs(reference)))


def relative_energy_error(energy, reference) -> float:
    return float(abs(float(energy) - float(reference)) / abs(float(reference)))
