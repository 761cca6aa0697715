"""Piecewise-cubic interpolation of uniformly tabulated functions, as LAMMPS's EAM styles do.

A function tabulated at ``x_m = m * delta`` (m = 0..n-1) is represented on each interval
[x_m, x_{m+1}] by a cubic in the fraction ``t = x / delta - m`` in [0, 1]:

    f(t) = ((c3 t + c2) t + c1) t + c0,

with ``c0 = f_m`` and slopes ``c1`` (per grid step) from finite differences: a five-point
stencil inside, three-point next to the ends, one-sided at the ends; ``c2, c3`` make the
cubic match values and slopes at both ends of the interval (a C1 Hermite spline). This is
the construction of LAMMPS ``pair_eam.cpp`` (``PairEAM::interpolate``), re-derived here so
that our energies match LAMMPS to round-off.

Out of range: arguments below 0 extrapolate the first cubic; arguments beyond the last grid
point are clamped to it (fraction capped at 1), as LAMMPS does. Polynomials are evaluated by
Horner's rule (no ``t**0``, whose gradient is NaN at t = 0).
"""

import jax.numpy as jnp
import numpy as np


def finite_difference_slopes(values) -> np.ndarray:
    """Slopes df/dm (per grid step) at every grid point of a table (n >= 5 points)."""
    f = np.asarray(values, dtype=np.float64)
    n = f.shape[-1]
    if n < 5:
        raise ValueError(f"a spline table needs at least 5 points, got {n}")
    slope = np.empty_like(f)
    slope[..., 0] = f[..., 1] - f[..., 0]
    slope[..., 1] = 0.5 * (f[..., 2] - f[..., 0])
    slope[..., n - 2] = 0.5 * (f[..., n - 1] - f[..., n - 3])
    slope[..., n - 1] = f[..., n - 1] - f[..., n - 2]
    slope[..., 2:n - 2] = ((f[..., 0:n - 4] - f[..., 4:n])
                           + 8.0 * (f[..., 3:n - 1] - f[..., 1:n - 3])) / 12.0
    return slope


def cubic_coefficients(values) -> np.ndarray:
    """Per-interval cubic coefficients ``[c0, c1, c2, c3]``, shape (..., n - 1, 4).

    ``values`` (..., n) are the function at the grid points; the coefficients are in units of
    the function per power of the grid fraction (divide derivatives by the grid step).
    """
    f = np.asarray(values, dtype=np.float64)
    slope = finite_difference_slopes(f)
    rise = f[..., 1:] - f[..., :-1]
    c0 = f[..., :-1]
    c1 = slope[..., :-1]
    c2 = 3.0 * rise - 2.0 * slope[..., :-1] - slope[..., 1:]
    c3 = slope[..., :-1] + slope[..., 1:] - 2.0 * rise
    return np.stack([c0, c1, c2, c3], axis=-1)


def locate(x, inverse_delta, n_points: int):
    """Interval index (int32) and fraction t <= 1 of argument(s) ``x`` on a uniform grid.

    ``inverse_delta`` = 1 / grid step. Indices are clipped to [0, n_points - 2]; the fraction
    is capped at 1 (clamping beyond the table) but may be negative below 0 (extrapolation).
    """
    scaled = x * inverse_delta
    interval = jnp.clip(jnp.floor(scaled), 0, n_points - 2)
    fraction = jnp.minimum(scaled - interval, 1.0)
    return interval.astype(jnp.int32), fraction


def cubic_value(coefficients, t):
    """Value of cubics at fractions ``t`` (Horner); ``coefficients`` = (c0, c1, c2, c3),
    each an array broadcastable with ``t``."""
    c0, c1, c2, c3 = coefficients
    return ((c3 * t + c2) * t + c1) * t + c0


def cubic_slope(coefficients, t, inverse_delta):
    """Derivative d f / d x of the cubics at fractions ``t`` (``inverse_delta`` = 1/step)."""
    _, c1, c2, c3 = coefficients
    return ((3.0 * c3 * t + 2.0 * c2) * t + c1) * inverse_delta
