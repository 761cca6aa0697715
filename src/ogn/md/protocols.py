"""The MD protocols of the workflow: equilibration, production of independent NVE
trajectories, and the quench of a liquid into a glass.

Each returns plain values (states, frames, curves); the workflow scripts write them.
Randomness comes from explicit integer seeds (numpy Generator for placement, JAX keys for
velocities), so the same seed gives the same files.
"""

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ogn.data.h5md import Trajectory
from ogn.md.dynamics import (
    Frame,
    MDState,
    Thermostat,
    init_state,
    make_advance,
    maxwell_boltzmann_velocities,
    simulate,
)
from ogn.md.neighbors import build_neighbor_list
from ogn.md.placement import minimize_fire, random_non_overlapping
from ogn.md.systems import System


class Equilibrated(NamedTuple):
    state: MDState
    curve: pd.DataFrame  # step, temperature, potential/kinetic/total energy (file units)
    settled: bool
    steps: int


def run_segment(system: System, state: MDState, neighbors, n_steps: int, record_every: int,
                thermostat: Thermostat | None, first_step: int = 0, log=None,
                progress_every: int = 0, record_first: bool = True):
    """Advance ``state`` by ``n_steps`` (NVE, or velocity rescaling if ``thermostat``)."""
    pot = system.potential
    advance = make_advance(pot.energy_and_forces, jnp.asarray(system.mass), system.dt,
                           system.skin, system.units.boltzmann, thermostat)
    return simulate(state, neighbors, advance, n_steps, record_every, jnp.asarray(system.mass),
                    system.units.boltzmann, system.box, pot.cutoff, system.skin,
                    first_step=first_step, log=log, record_first=record_first,
                    progress_every=progress_every)


def frames_to_curve(frames: list[Frame], system: System, extra: dict | None = None) -> pd.DataFrame:
    units = system.units
    data = {
        "step": [f.step for f in frames],
        "time": [f.step * system.dt_config for f in frames],
        "temperature": [f.temperature for f in frames],
        "potential_energy": [f.potential_energy for f in frames],
        "kinetic_energy": [f.kinetic_energy for f in frames],
        "total_energy": [f.potential_energy + f.kinetic_energy for f in frames],
    }
    if extra:
        data.update(extra)
    curve = pd.DataFrame(data)
    curve.attrs["units"] = {"time": units.time_in_files, "energy": units.energy,
                            "temperature": units.temperature}
    return curve


def start_state(system: System, position, velocity):
    neighbors = build_neighbor_list(position, system.box, system.potential.cutoff, system.skin)
    return init_state(jnp.asarray(position), jnp.asarray(velocity),
                      system.potential.energy_and_forces, neighbors), neighbors


def settled_after(potential_energy: np.ndarray, kinetic_energy: np.ndarray, window: int,
                  tolerance: float) -> bool:
    """True when the mean potential energy of the last two windows (in records) differs by less
    than ``tolerance`` times the mean kinetic energy."""
    if len(potential_energy) < 2 * window:
        return False
    last = potential_energy[-window:].mean()
    previous = potential_energy[-2 * window:-window].mean()
    return abs(last - previous) < tolerance * kinetic_energy[-window:].mean()


def equilibrate(system: System, settings: dict, min_distance: float, seed: int,
                log: Callable = print) -> Equilibrated:
    """Random placement, FIRE overlap removal, Gaussian velocities at T (zero momentum), then
    velocity rescaling to T every step until the potential energy settles."""
    rng = np.random.default_rng(seed)
    n_atoms = len(system.species)
    position = random_non_overlapping(rng, n_atoms, system.box, min_distance)
    log(f"placed {n_atoms} atoms (min distance {min_distance}) in box {system.box.tolist()}")
    position, energy = minimize_fire(position, system.potential.energy_and_forces, system.box,
                                     system.potential.cutoff, system.skin,
                                     settings["minimize_steps"], log=log)
    log(f"FIRE {settings['minimize_steps']} steps: potential energy {energy:.8g}")
    key = jax.random.PRNGKey(seed)
    velocity = maxwell_boltzmann_velocities(key, jnp.asarray(system.mass), system.temperature,
                                            system.units.boltzmann)
    state, neighbors = start_state(system, position, velocity)
    thermostat = Thermostat(system.temperature, system.temperature, 1)
    record_every = settings["record_every"]
    window_steps = settings["settle_window"]
    window_records = max(1, window_steps // record_every)
    frames: list[Frame] = []
    step = 0
    settled = False
    while step < settings["max_steps"]:
        run = run_segment(system, state, neighbors, window_steps, record_every, thermostat,
                          first_step=step, log=log, record_first=(step == 0))
        state, neighbors = run.state, run.neighbors
        frames.extend(run.frames)
        step += window_steps
        pe = np.array([f.potential_energy for f in frames])
        ke = np.array([f.kinetic_energy for f in frames])
        log(f"equilibrate step {step}: T={frames[-1].temperature:.5g} "
            f"E_pot(window mean)={pe[-window_records:].mean():.8g}")
        if step >= settings["min_steps"] and settled_after(
                pe, ke, window_records, settings["settle_tolerance"]):
            settled = True
            break
    if not settled:
        log(f"WARNING: potential energy not settled within {settings['max_steps']} steps "
            "(raise md.equilibration.max_steps)")
    return Equilibrated(state=state, curve=frames_to_curve(frames, system), settled=settled,
                        steps=step)


def trajectory_seed(base_seed: int, split: str, index: int) -> int:
    """Distinct, reproducible seed per trajectory: train i and test i never share one."""
    offsets = {"train": 1_000, "test": 2_000, "long": 3_000, "transfer": 4_000}
    return int(base_seed) * 10_000 + offsets[split] + int(index)


def produce(system: System, start_position, production: dict, seed: int,
            log: Callable = print, n_steps: int | None = None) -> tuple[list[Frame], dict]:
    """One independent NVE trajectory from an equilibrated configuration: new Gaussian
    velocities (own seed), ``decorrelation_steps`` of velocity rescaling to T, then NVE."""
    key = jax.random.PRNGKey(seed)
    velocity = maxwell_boltzmann_velocities(key, jnp.asarray(system.mass), system.temperature,
                                            system.units.boltzmann)
    state, neighbors = start_state(system, jnp.asarray(start_position), velocity)
    thermostat = Thermostat(system.temperature, system.temperature, 1)
    decorrelation = production["decorrelation_steps"]
    record = max(1, decorrelation // 100)
    run = run_segment(system, state, neighbors, decorrelation, record, thermostat,
                      log=log, record_first=False)
    log(f"decorrelated for {decorrelation} steps at T={system.temperature}")
    start = run.state
    if run.frames:
        start, scale = energy_targeted_start(run.state, run.frames, system)
        log(f"NVE start: velocities scaled by {scale:.5f} so the total energy equals "
            "<E_pot> (last half of decorrelation) + (3N-3) k_B T / 2")
    steps = production["steps"] if n_steps is None else n_steps
    save_every = production["save_every"]
    nve = run_segment(system, start, run.neighbors, steps, save_every, None, log=log,
                      progress_every=max(save_every, steps // 10))
    info = {"decorrelation_steps": decorrelation, "nve_steps": steps, "save_every": save_every,
            "neighbor_rebuilds": nve.n_rebuilds}
    return nve.frames, info


def energy_targeted_start(state: MDState, frames: list[Frame], system: System):
    """Scale velocities so that the NVE total energy is the thermostatted ensemble's mean.

    Under velocity rescaling the kinetic energy is fixed and the potential energy fluctuates
    (by about 1/sqrt(6N) of 3N k_B T for a harmonic solid: 2.5 % at N = 265); switching to
    NVE at an arbitrary instant would set the run's temperature off by that much. The target
    is <E_pot> over the last half of the records + (3N-3) k_B T / 2. Returns (state, scale).
    """
    potential = np.array([f.potential_energy for f in frames[len(frames) // 2:]])
    target_kinetic = 0.5 * (3 * len(system.mass) - 3) * system.units.boltzmann * \
        system.temperature
    kinetic_now = frames[-1].kinetic_energy
    wanted = potential.mean() + target_kinetic - float(state.potential_energy)
    if wanted <= 0.25 * target_kinetic:  # far from equilibrium: keep the thermostat's state
        return state, 1.0
    scale = float(np.sqrt(wanted / kinetic_now))
    return state._replace(velocity=state.velocity * scale), scale


def quench(system: System, start_position, start_velocity, quench_settings: dict,
           log: Callable = print) -> Equilibrated:
    """Velocity rescaling every step with a linear ramp from ``from_temperature`` to the
    system's temperature over ``steps``, then NVE relaxation for ``relax_steps``. The curve
    (``phase`` = quench / relax) holds T and the potential energy for the fictive temperature."""
    state, neighbors = start_state(system, jnp.asarray(start_position), jnp.asarray(start_velocity))
    ramp = Thermostat(float(quench_settings["from_temperature"]), system.temperature,
                      int(quench_settings["steps"]))
    record_every = quench_settings["record_every"]
    run = run_segment(system, state, neighbors, quench_settings["steps"], record_every, ramp,
                      log=log, progress_every=max(record_every, quench_settings["steps"] // 10))
    log(f"quenched to T={system.temperature} in {quench_settings['steps']} steps")
    relax = run_segment(system, run.state, run.neighbors, quench_settings["relax_steps"],
                        record_every, None, first_step=quench_settings["steps"], log=log,
                        progress_every=max(record_every, quench_settings["relax_steps"] // 20),
                        record_first=False)
    frames = run.frames + relax.frames
    phase = ["quench"] * len(run.frames) + ["relax"] * len(relax.frames)
    steps = np.array([f.step for f in frames], dtype=np.float64)
    target = np.where(
        steps <= ramp.ramp_steps,
        ramp.start + (ramp.end - ramp.start) * np.minimum(steps / ramp.ramp_steps, 1.0),
        ramp.end)
    curve = frames_to_curve(frames, system, {"phase": phase, "target_temperature": target})
    return Equilibrated(state=relax.state, curve=curve, settled=True,
                        steps=quench_settings["steps"] + quench_settings["relax_steps"])


def frames_to_trajectory(frames: list[Frame], system: System, metadata: dict) -> Trajectory:
    """Stack frames into a :class:`Trajectory` in *file* units (velocity per fs or tau)."""
    units = system.units
    to_file = units.velocity_to_files
    velocity = np.stack([to_file(f.velocity) for f in frames])
    steps = np.array([f.step for f in frames], dtype=np.int64)
    ke = np.array([f.kinetic_energy for f in frames])
    pe = np.array([f.potential_energy for f in frames])
    observables = {
        "kinetic_energy": ke,
        "potential_energy": pe,
        "total_energy": ke + pe,
        "temperature": np.array([f.temperature for f in frames]),
        "momentum": np.stack([to_file(f.momentum) for f in frames]),
    }
    meta = dict(metadata)
    meta.update({"system": system.name, "units": units.name, "dt": system.dt_config,
                 "dt_unit": units.time_in_files, "boltzmann": units.boltzmann,
                 "temperature": system.temperature, "skin": system.skin,
                 "potential": {"name": system.potential.name,
                               "cutoff": system.potential.cutoff,
                               "parameters": system.potential.parameters}})
    return Trajectory(
        position=np.stack([f.position for f in frames]), velocity=velocity, step=steps,
        time=steps * system.dt_config, species=system.species,
        species_names=system.species_names, mass=system.mass, box=system.box,
        observables=observables, metadata=meta)


def state_from_trajectory(trajectory: Trajectory, system: System, frame: int = -1):
    """(position, velocity) in internal units from one frame of a trajectory file."""
    return (np.asarray(trajectory.position[frame]),
            system.units.velocity_from_files(np.asarray(trajectory.velocity[frame])))


def frame_of_state(step: int, state: MDState, system: System) -> Frame:
    from ogn.md.dynamics import frame_of
    return frame_of(step, state, np.asarray(system.mass), system.units.boltzmann)
