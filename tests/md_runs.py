"""Short but real MD runs of every configured system, shared by the MD tests (cached per session)."""

import functools

import numpy as np
from conftest import REPO

from ogn.md.protocols import equilibrate, produce, quench
from ogn.workflow.config import load_config

# Enough to settle the temperature of these small systems; the NVE run is the 1000 steps.
EQUILIBRATION = {"minimize_steps": 300, "max_steps": 1500, "min_steps": 1500,
                 "settle_window": 500, "settle_tolerance": 0.005, "record_every": 50}
PRODUCTION = {"decorrelation_steps": 300, "n_train": 1, "n_test": 1, "steps": 1000,
              "save_every": 1}


@functools.cache
def paper_config():
    return load_config(REPO / "config" / "config.yaml")


@functools.cache
def system(name):
    from ogn.md.systems import make_system
    return make_system(name, paper_config())


@functools.cache
def equilibrated_state(name):
    """(position, velocity) internal units of an equilibrated configuration of ``name``."""
    block = paper_config()["systems"][name]
    if "quench" in block:
        liquid = equilibrated_state(block["quench"]["from_system"])
        settings = dict(block["quench"], steps=2000, relax_steps=500, record_every=100)
        result = quench(system(name), liquid[0], liquid[1], settings, log=lambda m: None)
    else:
        result = equilibrate(system(name), EQUILIBRATION, block["min_distance"], seed=7,
                             log=lambda m: None)
    return np.asarray(result.state.position), np.asarray(result.state.velocity)


@functools.cache
def nve_frames(name, seed=11):
    frames, _ = produce(system(name), equilibrated_state(name)[0], PRODUCTION, seed,
                        log=lambda m: None)
    return frames
