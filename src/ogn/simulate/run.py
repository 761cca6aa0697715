"""A trained model run from a configuration: NVE, or NVT with the stochastic velocity
rescaling of :mod:`ogn.simulate.thermostat`, optionally energy-conserving
(:mod:`ogn.simulate.energy`), with the rollouts' instability stops, returned as a
:class:`ogn.data.h5md.Trajectory` with its observables and metadata.

The rollout itself is :func:`ogn.evaluate.rollout.rollout`, the same code that the workflow's
rollout, runtime and ablation stages run: edges within rc + skin rebuilt when an atom has moved
skin/2, the network fed float32 and the state carried in the precision JAX runs in.
"""

import time
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from ogn.data.h5md import Trajectory
from ogn.evaluate.checks import RolloutChecks, rollout_checks
from ogn.evaluate.rollout import make_model_rollout, rollout
from ogn.md.units import unit_system
from ogn.simulate.configuration import (
    Configuration,
    StartError,
    check_box,
    check_masses,
    in_model_species,
)
from ogn.simulate.energy import make_energy_conserving_step
from ogn.simulate.thermostat import Csvr, make_csvr_step
from ogn.simulate.velocities import species_temperatures

DEFAULT_CHECKS = {"close_pair_fraction": 0.5, "kinetic_energy_factor": 10.0}


class RunOptions(NamedTuple):
    """How a model is run: frames every ``every`` MD steps (a multiple of k); ``thermostat``
    (:class:`Csvr`, None: NVE); ``conserve_energy`` (the energy-conserving rescale; needs the
    true potential); ``equipartition`` (share the rescale's kinetic energy among species by
    their degrees of freedom); ``skin`` of the graph edges (length unit); ``checks``
    (:class:`RolloutChecks`, None: close pairs below half the start's closest approach of each
    species pair, kinetic energy above 10 times the start's)."""

    every: int | None = None
    thermostat: Csvr | None = None
    conserve_energy: bool = False
    equipartition: bool = True
    skin: float = 0.5
    checks: RolloutChecks | None = None


class RunResult(NamedTuple):
    trajectory: Trajectory
    stop_reason: str | None
    stopped_at_md_step: int | None
    seconds: float


def prepared(model, configuration: Configuration) -> Configuration:
    """``configuration`` in the model's species order, checked against its box limit and
    masses, with velocities (refused with a message when it has none)."""
    configuration = in_model_species(configuration, model.species_names)
    check_box(configuration, model.graph_cutoff)
    if model.species_masses is not None:
        check_masses(configuration, model.species_masses)
    if configuration.velocity is None:
        raise StartError(f"{configuration.source} holds no velocities; give the command "
                         "--temperature T to draw them from the Maxwell-Boltzmann "
                         "distribution at T (seeded by --seed)")
    return configuration


def atom_masses(model, configuration: Configuration) -> np.ndarray:
    if model.species_masses is not None:
        return np.asarray(model.species_masses, np.float64)[configuration.species]
    if configuration.mass is not None:
        return np.asarray(configuration.mass, np.float64)
    raise StartError("the model file records no masses and the starting file names none; "
                     "use a starting file with masses (LAMMPS `Masses`, H5MD)")


def potential_energy_function(model, configuration: Configuration,
                              system_block: dict | None = None) -> Callable:
    """``potential_energy(position) -> float`` under the true potential of ``system_block``
    (default: the one the model file records), for this configuration's box and species."""
    import jax.numpy as jnp

    from ogn.evaluate.metrics import make_energy_function
    from ogn.md.potentials import make_potential

    block = system_block or model.system_config
    if not block or "potential" not in block:
        raise StartError("the energy-conserving rescale needs the true potential: this model "
                         "file does not record its system's config block; pass --config "
                         "with the workflow's config file(s) that define systems."
                         f"{model.system_name or '<name>'}")
    potential = make_potential(block, jnp.asarray(configuration.box),
                               jnp.asarray(configuration.species))
    holder = PotentialInBox(potential=potential, box=np.asarray(configuration.box))
    return make_energy_function(holder)


class PotentialInBox(NamedTuple):
    """The two fields of :class:`ogn.md.systems.System` that the energy function reads."""

    potential: object
    box: np.ndarray


def run(model, configuration: Configuration, md_steps: int, *,
        options: RunOptions | None = None, system_block: dict | None = None,
        log: Callable | None = None) -> RunResult:
    """``model`` (:class:`ogn.net.trained.TrainedModel`) rolled out from ``configuration``
    for ``md_steps`` MD steps (a multiple of its k) with ``options`` (:class:`RunOptions`);
    ``system_block`` supplies the true potential when the model file has none."""
    start_time = time.monotonic()
    options = options or RunOptions()
    k = int(model.k)
    every = int(options.every or k)
    for name, value in (("steps", md_steps), ("every", every)):
        if int(value) < k or int(value) % k:
            raise StartError(f"--{name} {value}: the model advances k = {k} MD steps per call; "
                             f"use a positive multiple of {k}")
    configuration = prepared(model, configuration)
    units = unit_system(model.units or "lj")
    mass = atom_masses(model, configuration)
    stride_time = k * float(model.dt if model.dt is not None else 1.0)
    after_stride, potential_energy = strides_hook(model, configuration, options, mass, units,
                                                  stride_time, system_block, log)
    checks = options.checks or rollout_checks(
        configuration.position[None], configuration.box, configuration.species,
        model.n_species, DEFAULT_CHECKS)
    fns = make_model_rollout(model, float(options.skin), configuration.box, masses=mass,
                             checks=checks, log=log)
    result = rollout(fns, model.params, model.standard, configuration.position,
                     configuration.velocity, configuration.species, configuration.box,
                     int(md_steps) // k, record_every=every // k, log=log,
                     after_stride=after_stride,
                     progress=md_progress(k, float(model.dt or 1.0), units.time_in_files))
    trajectory = as_trajectory(model, configuration, result, mass, units, options,
                               potential_energy)
    stopped = None if result.stopped_at is None else int(result.stopped_at) * k
    return RunResult(trajectory=trajectory, stop_reason=result.stop_reason,
                     stopped_at_md_step=stopped, seconds=time.monotonic() - start_time)


def md_progress(k: int, dt: float, time_unit: str) -> Callable:
    """Progress lines in MD steps and simulated time, for :func:`rollout`."""

    def line(done: int, total: int, n_rebuilds: int, start_time: float) -> str:
        elapsed = time.monotonic() - start_time
        rate = done * k / elapsed if elapsed > 0 else float("nan")
        return (f"MD step {done * k}/{total * k} ({done * k * dt:.6g} {time_unit}), "
                f"{rate:.4g} MD steps/s, {(total - done) * k / rate:.0f} s left, "
                f"{n_rebuilds} edge rebuilds")

    return line


def strides_hook(model, configuration, options: RunOptions, mass, units, stride_time,
                 system_block, log):
    """(after_stride hook or None, potential-energy function or None) of ``options``."""
    potential_energy = None
    if options.conserve_energy or system_block or model.system_config:
        try:
            potential_energy = potential_energy_function(model, configuration, system_block)
        except (StartError, ValueError, OSError) as error:
            if options.conserve_energy:
                raise
            if log is not None:
                log(f"no potential energy in the output: the true potential is unavailable "
                    f"({error})")
    if options.conserve_energy and options.thermostat is not None:
        raise StartError("--conserve-energy keeps NVE's energy, --thermostat changes it; "
                         "choose one")
    if options.conserve_energy:
        velocity = units.velocity_from_files(np.asarray(configuration.velocity, np.float64))
        total = 0.5 * float(np.sum(mass[:, None] * velocity ** 2)) + float(
            potential_energy(configuration.position))
        return make_energy_conserving_step(
            potential_energy, mass, configuration.species, model.n_species, total,
            units.velocity_from_files, units.velocity_to_files, options.equipartition,
            units.boltzmann, model.species_names, log,
            log_every=max(1, int(options.every or model.k) // model.k),
            k=model.k), potential_energy
    if options.thermostat is not None:
        return make_csvr_step(options.thermostat, mass, units.boltzmann, stride_time,
                              units.velocity_from_files, units.velocity_to_files), \
            potential_energy
    return None, potential_energy


def as_trajectory(model, configuration: Configuration, result, mass, units,
                  options: RunOptions, potential_energy) -> Trajectory:
    """The rollout's frames as a :class:`Trajectory` in file units, with kinetic energy,
    temperature (3N - 3 degrees of freedom), per-species temperatures, momentum and, where
    the true potential is known, potential and total energy."""
    k = int(model.k)
    steps = result.model_steps * k
    dt = float(model.dt if model.dt is not None else 1.0)
    internal = units.velocity_from_files(np.asarray(result.velocity, np.float64))
    kinetic = 0.5 * np.sum(mass[None, :, None] * internal ** 2, axis=(1, 2))
    n_dof = 3 * len(mass) - 3
    observables = {"kinetic_energy": kinetic,
                   "temperature": 2.0 * kinetic / (n_dof * units.boltzmann),
                   "momentum": np.sum(mass[None, :, None] * result.velocity, axis=1)}
    per_species = np.array([species_temperatures(v, mass, configuration.species,
                                                 model.n_species, units.boltzmann)
                            for v in internal])
    if model.n_species > 1:
        for s, name in enumerate(model.species_names):
            observables[f"temperature_{name}"] = per_species[:, s]
    if potential_energy is not None:
        potential = np.array([potential_energy(p) for p in result.position_unwrapped])
        observables["potential_energy"] = potential
        observables["total_energy"] = kinetic + potential
    thermostat = options.thermostat
    metadata = {"units": model.units or "lj", "system": model.system_name, "dt": dt,
                "dt_unit": units.time_in_files, "k": k, "boltzmann": units.boltzmann,
                "source": configuration.source, "model_training_steps": model.training_steps,
                "ensemble": "NVT (CSVR)" if thermostat else "NVE",
                "thermostat": None if thermostat is None else thermostat._asdict(),
                "conserve_energy": bool(options.conserve_energy),
                "equipartition": bool(options.equipartition),
                "stop_reason": result.stop_reason,
                "stopped_at_md_step": None if result.stopped_at is None
                else int(result.stopped_at) * k}
    return Trajectory(position=np.asarray(result.position_unwrapped), velocity=result.velocity,
                      step=steps, time=steps * dt, species=configuration.species,
                      species_names=list(model.species_names), mass=mass,
                      box=np.asarray(configuration.box, np.float64), observables=observables,
                      metadata=metadata)
