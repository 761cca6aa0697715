"""Float32 vs float64 MD: energy drift and fluctuation over the same NVE run.

For each system: equilibrate in float64, then run the same NVE segment from the same state in
float64 and in float32 and print drift (last-100 minus first-100 mean total energy) and
fluctuation (std of total energy), both relative to the mean kinetic energy.

    python benchmarks/md_precision.py [--steps 1000] [--systems lj si ...]
"""

import argparse

from ogn.md.precision import enable_float64

enable_float64()

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from ogn.evaluate.observables import energy_drift_and_fluctuation  # noqa: E402
from ogn.md.dynamics import init_state, make_advance, maxwell_boltzmann_velocities, simulate  # noqa: E402
from ogn.md.neighbors import build_neighbor_list  # noqa: E402
from ogn.md.protocols import equilibrate  # noqa: E402
from ogn.md.systems import make_system  # noqa: E402
from ogn.workflow.config import REPO_ROOT, load_config  # noqa: E402

EQUILIBRATION = {"minimize_steps": 300, "max_steps": 2000, "min_steps": 2000,
                 "settle_window": 500, "settle_tolerance": 0.005, "record_every": 50}


def nve_in(dtype, system, position, velocity, steps):
    pot = system.potential
    pos = jnp.asarray(position, dtype)
    vel = jnp.asarray(velocity, dtype)
    mass = jnp.asarray(system.mass, dtype)
    nbrs = build_neighbor_list(np.asarray(position), system.box, pot.cutoff, system.skin)
    state = init_state(pos, vel, pot.energy_and_forces, nbrs)
    advance = make_advance(pot.energy_and_forces, mass, system.dt, system.skin,
                           system.units.boltzmann)
    run = simulate(state, nbrs, advance, steps, 1, mass, system.units.boltzmann, system.box,
                   pot.cutoff, system.skin)
    total = np.array([f.potential_energy + f.kinetic_energy for f in run.frames])
    kinetic = np.array([f.kinetic_energy for f in run.frames])
    assert run.frames[-1].position.dtype == np.dtype(dtype)
    return energy_drift_and_fluctuation(total, kinetic)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--systems", nargs="*", default=["lj", "sio2", "si", "cuzr"])
    args = parser.parse_args()
    config = load_config(REPO_ROOT / "config" / "config.yaml")
    print("| system | float64 drift | float64 fluct. | float32 drift | float32 fluct. |")
    print("|---|---|---|---|---|")
    for name in args.systems:
        system = make_system(name, config)
        eq = equilibrate(system, EQUILIBRATION, config["systems"][name]["min_distance"], seed=3,
                         log=lambda m: None)
        import jax
        velocity = maxwell_boltzmann_velocities(jax.random.PRNGKey(1), jnp.asarray(system.mass),
                                                system.temperature, system.units.boltzmann)
        results = [nve_in(dt, system, eq.state.position, velocity, args.steps)
                   for dt in (jnp.float64, jnp.float32)]
        cells = " | ".join(f"{d:+.2e} | {f:.2e}" for d, f in results)
        print(f"| {name} | {cells} |", flush=True)


if __name__ == "__main__":
    main()
