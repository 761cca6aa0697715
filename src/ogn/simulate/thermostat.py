"""Stochastic velocity rescaling between strides (Bussi, Donadio and Parrinello, J. Chem.
Phys. 126, 014101 (2007)): the canonical ensemble for a learned simulator.

After each stride of duration dt_s the kinetic energy K of the motion about the centre of mass
(N_f = 3N - 3 degrees of freedom) is replaced by a draw from the exact solution of

    dK = (K_target - K) dt / tau + 2 sqrt(K K_target / N_f) dW / sqrt(tau),

K_target = N_f k_B T / 2, which leaves the canonical distribution of K invariant:

    K' = c K + (1 - c) K_target (R_1^2 + S) / N_f + 2 R_1 sqrt(c (1 - c) K K_target / N_f),

with c = exp(-dt_s / tau), R_1 a standard normal and S a chi-squared draw with N_f - 1
degrees of freedom. The velocities about the centre of mass are scaled by sqrt(K' / K), so
the total momentum is unchanged. Seeded: the same seed gives the same trajectory.
"""

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from ogn.simulate.velocities import peculiar_kinetic_energy, rescaled_about_centre


class Csvr(NamedTuple):
    """A stochastic velocity-rescaling thermostat: target ``temperature`` (K or epsilon/k_B),
    relaxation time ``tau`` (file time unit: fs or tau), random ``seed``."""

    temperature: float
    tau: float
    seed: int = 0


def check_csvr(thermostat: Csvr) -> None:
    if not thermostat.temperature > 0:
        raise ValueError(f"thermostat temperature {thermostat.temperature}: it must be > 0")
    if not thermostat.tau > 0:
        raise ValueError(f"thermostat tau {thermostat.tau}: it must be > 0 (time unit of the "
                         "model's files: fs for metal, tau for LJ)")


def csvr_kinetic_energy(kinetic: float, target: float, n_dof: int, decay: float,
                        rng: np.random.Generator) -> float:
    """One draw of the new kinetic energy K' (see the module docstring): ``kinetic`` K,
    ``target`` K_target, ``n_dof`` N_f, ``decay`` c = exp(-dt_s / tau)."""
    r1 = rng.standard_normal()
    rest = rng.chisquare(n_dof - 1) if n_dof > 1 else 0.0
    share = (1.0 - decay) * target / n_dof
    return float(decay * kinetic + share * (r1 * r1 + rest)
                 + 2.0 * r1 * np.sqrt(decay * share * kinetic))


def make_csvr_step(thermostat: Csvr, mass, boltzmann: float, stride_time: float,
                   to_internal: Callable, to_files: Callable) -> Callable:
    """``after_stride(model_step, position, velocity) -> velocity`` for
    :func:`ogn.evaluate.rollout.rollout`: velocities (file units) thermostatted over one
    stride of ``stride_time`` (file time unit). ``to_internal`` / ``to_files`` convert
    velocities between file and internal units."""
    check_csvr(thermostat)
    mass = np.asarray(mass, np.float64)
    n_dof = 3 * len(mass) - 3
    target = 0.5 * n_dof * boltzmann * float(thermostat.temperature)
    decay = float(np.exp(-float(stride_time) / float(thermostat.tau)))
    rng = np.random.default_rng(int(thermostat.seed))

    def after_stride(model_step: int, position, velocity):
        internal = to_internal(np.asarray(velocity, np.float64))
        kinetic = peculiar_kinetic_energy(internal, mass)
        if kinetic <= 0:
            return velocity
        new = csvr_kinetic_energy(kinetic, target, n_dof, decay, rng)
        return to_files(rescaled_about_centre(internal, mass, np.sqrt(max(new, 0.0) / kinetic)))

    return after_stride
