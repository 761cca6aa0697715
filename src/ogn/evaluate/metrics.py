"""Accuracy of rollouts against MD, and the physical quantities compared (numpy, host side).

Conventions (file units throughout: sigma, sigma/tau, or A, A/fs):

* a position or velocity RMSE is taken over atoms *and* Cartesian components,
  ``sqrt(mean_{i,a} (pred_ia - true_ia)^2)``, the quantity a scatter of predicted vs true
  x, y, z values shows; positions are compared unwrapped (both runs start from the same
  frame, so this is the error of the displacements);
* the velocity scale is ``sqrt(k_B T / <m>)``, the standard deviation of one velocity
  component at temperature T (``<m>`` the mean atomic mass);
* the root-mean-square displacement RMSD(t) = sqrt(<|r_i(t) - r_i(0)|^2>) of MD, and the cage
  size read off it where the motion stops being ballistic: the RMSD at the first time the
  local slope d ln MSD / d ln t falls to ``slope`` (1 by default: at the plateau of a glass the
  slope is near 0; in a liquid the ballistic slope 2 turns into diffusion's 1 there);
* energies (kinetic, potential by the true potential on the given configurations, total) in
  the energy unit, momentum per axis in mass x file velocity (as in the MD files).
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ogn.md.neighbors import build_neighbor_list, ordered_pairs


def rmse(predicted, true, axis=None):
    """Root-mean-square difference (over ``axis``; all axes by default)."""
    d = np.asarray(predicted, np.float64) - np.asarray(true, np.float64)
    return np.sqrt(np.mean(d * d, axis=axis))


def rollout_errors(predicted_position, predicted_velocity, true_position, true_velocity,
                   species, species_names) -> dict:
    """Per-frame RMSEs (F,) of positions and velocities, all atoms and per species.

    Arrays (F, N, 3), positions unwrapped. Keys: ``position_rmse``, ``velocity_rmse`` and
    ``position_rmse_<name>``, ``velocity_rmse_<name>`` for every species of a multi-species
    system.
    """
    errors = {"position_rmse": rmse(predicted_position, true_position, axis=(1, 2)),
              "velocity_rmse": rmse(predicted_velocity, true_velocity, axis=(1, 2))}
    species = np.asarray(species)
    if len(species_names) > 1:
        for index, name in enumerate(species_names):
            atoms = species == index
            errors[f"position_rmse_{name}"] = rmse(predicted_position[:, atoms],
                                                   true_position[:, atoms], axis=(1, 2))
            errors[f"velocity_rmse_{name}"] = rmse(predicted_velocity[:, atoms],
                                                   true_velocity[:, atoms], axis=(1, 2))
    return errors


def cage_size(times, msd, slope: float = 1.0):
    """(cage size, time) from an MSD curve: the RMSD where d ln MSD / d ln t first falls to
    ``slope`` (see the module docstring). ``times`` (T,) with times[0] = 0. If the slope never
    gets there (too short a run), the point of smallest slope is used."""
    times = np.asarray(times, np.float64)
    msd = np.asarray(msd, np.float64)
    keep = (times > 0) & (msd > 0)
    t, m = times[keep], msd[keep]
    if len(t) < 3:
        raise ValueError("the MSD curve needs at least 3 points after t = 0 for a cage size")
    local = np.gradient(np.log(m), np.log(t))
    below = np.nonzero(local <= slope)[0]
    index = int(below[0]) if below.size else int(np.argmin(local))
    return float(np.sqrt(m[index])), float(t[index])


def velocity_scale(temperature: float, boltzmann: float, masses, config_time_per_internal=1.0):
    """sqrt(k_B T / <m>) in file velocity units (internal velocity / time-unit factor)."""
    return float(np.sqrt(boltzmann * temperature / np.mean(masses)) / config_time_per_internal)


def shortest_pair_distances(positions, box, species, n_species: int, radius: float):
    """(S, S) shortest distance between atoms of each species pair over the frames (T, N, 3);
    ``inf`` where no pair came within ``radius``."""
    positions = np.asarray(positions, np.float64)
    if positions.ndim == 2:
        positions = positions[None]
    species = np.asarray(species)
    shortest = np.full((n_species, n_species), np.inf)
    for frame in positions:
        senders, receivers = ordered_pairs(frame, box, radius)
        d = frame[receivers] - frame[senders]
        d -= box * np.round(d / box)
        r = np.linalg.norm(d, axis=1)
        np.minimum.at(shortest, (species[senders], species[receivers]), r)
    return shortest


def make_energy_function(system) -> Callable:
    """``potential_energy(position) -> float`` of ``system``'s true potential (a neighbor
    list built per configuration; its capacity only grows, so recompiles stay rare)."""
    energy = jax.jit(system.potential.energy)
    capacity = [None]

    def potential_energy(position) -> float:
        position = np.asarray(position, np.float64)
        if not np.all(np.isfinite(position)):
            return float("nan")
        neighbors = build_neighbor_list(position, system.box, system.potential.cutoff, 0.0,
                                        capacity=capacity[0])
        capacity[0] = int(neighbors.idx.shape[1])
        return float(energy(jnp.asarray(position), neighbors.idx))

    return potential_energy


def energies_and_momentum(system, positions, velocities_files, potential_energy=None) -> dict:
    """Kinetic, potential (true potential), total energy (F,) and momentum (F, 3) of frames.

    ``positions`` (F, N, 3); ``velocities_files`` (F, N, 3) in file units. Momentum is in
    mass x file velocity, as :func:`ogn.md.protocols.frames_to_trajectory` writes it.
    """
    potential_energy = potential_energy or make_energy_function(system)
    v_files = np.asarray(velocities_files, np.float64)
    v_internal = system.units.velocity_from_files(v_files)
    mass = np.asarray(system.mass)[None, :, None]
    kinetic = 0.5 * np.sum(mass * v_internal ** 2, axis=(1, 2))
    potential = np.array([potential_energy(p) for p in positions])
    return {"kinetic_energy": kinetic, "potential_energy": potential,
            "total_energy": kinetic + potential,
            "momentum": np.sum(mass * v_files, axis=1)}


def make_energy_jump_check(system, tolerance: float, velocity_in_files: bool = True,
                           potential_energy=None) -> Callable:
    """A host check for :class:`ogn.evaluate.checks.RolloutChecks`: ``"energy_jump"`` when the total
    energy (true potential) moves from its value at the first frame checked by more than
    ``tolerance`` times the kinetic energy of that frame, or is not finite."""
    potential_energy = potential_energy or make_energy_function(system)
    reference = {}

    def check(step, position, velocity):
        v = np.asarray(velocity, np.float64)
        if velocity_in_files:
            v = system.units.velocity_from_files(v)
        kinetic = 0.5 * float(np.sum(np.asarray(system.mass)[:, None] * v * v))
        total = kinetic + potential_energy(position)
        if not np.isfinite(total):
            return "non_finite"
        if not reference:
            reference.update(total=total, kinetic=kinetic)
            return None
        if abs(total - reference["total"]) > tolerance * reference["kinetic"]:
            return "energy_jump"
        return None

    return check


def structure_factor(positions, box, n_max: int = 8):
    """Isotropic S(q) = <|sum_i exp(i q.r_i)|^2> / N on the box's reciprocal lattice
    q = 2 pi n / L (|n_a| <= n_max), averaged over frames and over vectors of equal |q|
    (rounded to 1e-6). Returns (q, S). The first peak locates F_s(q, t)'s q."""
    positions = np.asarray(positions, np.float64)
    if positions.ndim == 2:
        positions = positions[None]
    box = np.asarray(box, np.float64)
    grid = np.arange(-n_max, n_max + 1)
    n = np.stack(np.meshgrid(grid, grid, grid, indexing="ij"), -1).reshape(-1, 3)
    n = n[np.any(n != 0, axis=1)]
    q_vectors = 2 * np.pi * n / box
    q_norm = np.round(np.linalg.norm(q_vectors, axis=1), 6)
    s = np.zeros(len(q_vectors))
    for frame in positions:
        phase = frame @ q_vectors.T
        s += (np.cos(phase).sum(0) ** 2 + np.sin(phase).sum(0) ** 2) / frame.shape[0]
    s /= len(positions)
    unique, inverse = np.unique(q_norm, return_inverse=True)
    return unique, np.bincount(inverse, weights=s) / np.bincount(inverse)


def first_peak_q(q, s, q_min: float = 0.0) -> float:
    """q of the highest S(q) beyond ``q_min``."""
    q, s = np.asarray(q), np.asarray(s)
    candidates = np.nonzero(q > q_min)[0]
    return float(q[candidates[np.argmax(s[candidates])]])


def self_intermediate_scattering(positions, q: float, species=None, select=None):
    """F_s(q, t) (T,) = <sin(q r)/(q r)>, r = |r_i(t) - r_i(0)| (isotropic average), over
    atoms (optionally of species ``select``), from unwrapped positions (T, N, 3)."""
    positions = np.asarray(positions, np.float64)
    d = positions - positions[0]
    r = np.linalg.norm(d, axis=-1)
    if select is not None:
        r = r[:, np.asarray(species) == select]
    return np.mean(np.sinc(q * r / np.pi), axis=1)


def energy_and_momentum_drift(total_energy, momentum, kinetic_energy, masses,
                              config_time_per_internal=1.0, temperature=None, boltzmann=None):
    """Conservation over a run: (max |E(t) - E(0)| / <KE>, max |P(t) - P(0)| / P_scale) where
    P_scale = sqrt(N <m> k_B T) in file units (the momentum of one atom at thermal speed
    times sqrt(N)); without T, sqrt(2 <KE> <m>) replaces sqrt(N <m> k_B T)."""
    total_energy = np.asarray(total_energy, np.float64)
    momentum = np.asarray(momentum, np.float64)
    finite = np.isfinite(total_energy)
    energy_drift = float(np.max(np.abs(total_energy[finite] - total_energy[0]))
                         / np.mean(np.asarray(kinetic_energy)[finite])) if finite.any() \
        else float("nan")
    masses = np.asarray(masses, np.float64)
    if temperature is not None:
        scale = np.sqrt(len(masses) * masses.mean() * boltzmann * temperature)
    else:
        scale = np.sqrt(2 * np.mean(kinetic_energy) * masses.mean())
    scale /= config_time_per_internal
    momentum_drift = float(np.nanmax(np.abs(momentum - momentum[0])) / scale)
    return energy_drift, momentum_drift


def md_frame_indices(md_steps, wanted_steps):
    """Indices of the MD frames at steps ``md_steps[0] + wanted_steps``; a clear error when the
    trajectory does not hold them (saved too sparsely or too short)."""
    md_steps = np.asarray(md_steps)
    wanted = md_steps[0] + np.asarray(wanted_steps)
    index = np.searchsorted(md_steps, wanted)
    if np.any(index >= len(md_steps)) or np.any(md_steps[np.minimum(index, len(md_steps) - 1)]
                                                != wanted):
        raise ValueError(
            f"the MD trajectory (steps {md_steps[0]}..{md_steps[-1]}, {len(md_steps)} frames) "
            "does not hold every step the rollout is compared at; save every step "
            "(md.production.save_every: 1) and make rollout.steps at most md.production.steps")
    return index


def rollout_table(system, k: int, model_steps, positions, velocities_files, md, stop_reason,
                  potential_energy=None) -> pd.DataFrame:
    """Per recorded frame of a rollout: errors against the MD trajectory ``md``
    (:class:`ogn.data.h5md.Trajectory`, file units) and the energies/momenta of both.

    Columns: ``md_step`` (= k x model step), ``model_step``, ``time``, the RMSEs of
    :func:`rollout_errors`, ``kinetic_energy``, ``potential_energy``, ``total_energy``,
    ``momentum_{x,y,z}`` of the rollout, the same with prefix ``md_`` from the MD file, and
    ``status``: ``ok``, or on the last row of a stopped rollout the reason it stopped.
    """
    model_steps = np.asarray(model_steps)
    md_steps = model_steps * int(k)
    index = md_frame_indices(md.step, md_steps)
    table = {"md_step": md_steps, "model_step": model_steps,
             "time": md_steps * float(md.metadata.get("dt", system.dt_config))}
    table.update(rollout_errors(positions, velocities_files, md.position[index],
                                md.velocity[index], system.species, system.species_names))
    own = energies_and_momentum(system, positions, velocities_files, potential_energy)
    for prefix, values in (("", own), ("md_", {name: md.observables[name][index] for name in
                                               ("kinetic_energy", "potential_energy",
                                                "total_energy", "momentum")})):
        for name in ("kinetic_energy", "potential_energy", "total_energy"):
            table[prefix + name] = np.asarray(values[name], np.float64)
        for axis, label in enumerate("xyz"):
            table[f"{prefix}momentum_{label}"] = np.asarray(values["momentum"])[:, axis]
    status = ["ok"] * len(model_steps)
    if stop_reason:
        status[-1] = stop_reason
    table["status"] = status
    return pd.DataFrame(table)
