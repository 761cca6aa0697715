"""FIRE overlap removal: it finishes from badly overlapping starts and lowers the energy."""

import numpy as np
from conftest import REPO

from ogn.md.placement import minimize_fire, random_non_overlapping
from ogn.md.systems import make_system
from ogn.workflow.config import load_config


def test_fire_advances_from_a_near_overlap_with_a_bounded_step():
    system = make_system("lj", load_config(REPO / "config" / "config.yaml"))
    pot = system.potential
    rng = np.random.default_rng(3)
    start = random_non_overlapping(rng, len(system.species), system.box, 0.8)
    start[1] = start[0] + np.array([0.3, 0.0, 0.0])  # r = 0.3 sigma: forces ~1e8 epsilon/sigma
    steps = 40
    position, energy = minimize_fire(start, pot.energy_and_forces, system.box, pot.cutoff,
                                     system.skin, steps)
    position = np.asarray(position)
    # without a step limit the first step throws the pair far past skin/2 and FIRE never
    # advances; with it, every atom moved at most steps * skin/4
    moved = np.linalg.norm(position - start, axis=1)
    assert moved.max() <= steps * 0.25 * system.skin + 1e-12
    assert np.linalg.norm(position[1] - position[0]) > 0.6
    assert np.isfinite(energy) and energy / len(start) < 0.0
