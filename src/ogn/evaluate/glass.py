"""Liquid vs glass from MD alone: displacements over time and the fictive temperature.

Lengths and times are in the trajectory's file units (sigma and tau for LJ, A and fs otherwise);
energies in the units of the quench curve (epsilon for LJ, eV otherwise).
"""

from typing import NamedTuple

import numpy as np


def lag_steps(n_frames: int, n_lags: int) -> np.ndarray:
    """About ``n_lags`` frame lags from 1 to ``n_frames - 1``, evenly spaced on a log scale
    (always including 1 and the largest lag), unique and increasing."""
    if n_frames < 2:
        raise ValueError(f"displacements need at least 2 frames, got {n_frames}")
    lags = np.unique(np.round(np.geomspace(1, n_frames - 1, max(int(n_lags), 2))).astype(int))
    return lags


def mean_square_displacement(positions, lags=None, max_origins: int = 50, species=None,
                             select=None):
    """Mean over atoms of |r_i(t0 + lag) - r_i(t0)|^2 from unwrapped positions (T, N, 3).

    Without ``lags``: from the first frame to every frame, (T,), over the atoms of species
    ``select`` if given. With ``lags`` (frames): one value per lag, also averaged over time
    origins spread evenly over the frames that allow the lag (at most ``max_origins``).
    Length unit squared."""
    positions = np.asarray(positions, np.float64)
    if lags is None:
        d = positions - positions[0]
        sq = np.sum(d * d, axis=-1)
        if select is not None:
            sq = sq[:, np.asarray(species) == select]
        return sq.mean(axis=1)
    n_frames = positions.shape[0]
    values = []
    for lag in np.asarray(lags, dtype=int):
        if not 0 < lag < n_frames:
            raise ValueError(f"lag {lag} frames is outside 1..{n_frames - 1}")
        origins = np.unique(np.linspace(0, n_frames - 1 - lag, min(max_origins, n_frames - lag))
                            .round().astype(int))
        step = positions[origins + lag] - positions[origins]
        values.append(float(np.mean(np.sum(step * step, axis=-1))))
    return np.asarray(values)


def rmsd_curve(trajectories, n_lags: int = 40, max_origins: int = 50) -> dict:
    """Root-mean-square displacement vs time averaged over trajectories of one system.

    ``trajectories``: :class:`ogn.data.h5md.Trajectory` values with the same frame times. Returns
    ``{"time": (L,), "rmsd": (L,), "msd": (L,)}`` (file time and length units).
    """
    trajectories = list(trajectories)
    if not trajectories:
        raise ValueError("rmsd_curve needs at least one trajectory")
    n_frames = min(t.position.shape[0] for t in trajectories)
    lags = lag_steps(n_frames, n_lags)
    msd = np.mean([mean_square_displacement(t.position[:n_frames], lags, max_origins)
                   for t in trajectories], axis=0)
    frame_time = float(trajectories[0].time[1] - trajectories[0].time[0])
    return {"time": lags * frame_time, "rmsd": np.sqrt(msd), "msd": msd}


class LineFit(NamedTuple):
    slope: float  # energy per temperature unit
    intercept: float  # energy at T = 0
    n_points: int


class FictiveTemperature(NamedTuple):
    temperature: float  # where the liquid and glass lines cross (temperature unit of the curve)
    energy: float  # potential energy there
    liquid: LineFit
    glass: LineFit


def fit_line(temperature, energy, window) -> LineFit:
    """Least-squares line E = slope T + intercept over the points with T in ``window``
    (inclusive [low, high])."""
    temperature = np.asarray(temperature, dtype=np.float64)
    energy = np.asarray(energy, dtype=np.float64)
    low, high = sorted(float(x) for x in window)
    keep = (temperature >= low) & (temperature <= high) & np.isfinite(energy)
    if np.count_nonzero(keep) < 2 or np.ptp(temperature[keep]) == 0:
        raise ValueError(f"the temperature window [{low:g}, {high:g}] holds "
                         f"{np.count_nonzero(keep)} distinct points of the quench curve "
                         f"(T from {temperature.min():g} to {temperature.max():g}); widen the "
                         "window in sweeps.fictive or record the quench more often")
    slope, intercept = np.polyfit(temperature[keep], energy[keep], 1)
    return LineFit(float(slope), float(intercept), int(np.count_nonzero(keep)))


def fictive_temperature(temperature, energy, liquid_window, glass_window) -> FictiveTemperature:
    """Fictive temperature: the crossing of the straight lines fitted to the potential energy
    vs temperature of the cooling curve in the liquid window and in the glass window."""
    liquid = fit_line(temperature, energy, liquid_window)
    glass = fit_line(temperature, energy, glass_window)
    if np.isclose(liquid.slope, glass.slope, rtol=1e-9, atol=0):
        raise ValueError("the liquid and glass lines are parallel: no fictive temperature")
    crossing = (glass.intercept - liquid.intercept) / (liquid.slope - glass.slope)
    return FictiveTemperature(float(crossing), float(liquid.slope * crossing + liquid.intercept),
                              liquid, glass)


def fictive_caveats(fictive: float, final_temperature: float,
                    slope_ratio: float | None = None) -> list[str]:
    """Why a fictive temperature is ill-determined (an empty list if it is not): ``fictive``
    from :func:`fictive_temperature`, ``final_temperature`` the end of the cooling ramp,
    ``slope_ratio`` the glass line's slope over the liquid line's (None: not checked)."""
    caveats = []
    if slope_ratio is not None and slope_ratio >= 1.0:
        caveats.append("the glass line is not flatter than the liquid line: no glass "
                       "transition is resolved on this ramp (widen the windows or cool more "
                       "slowly)")
    if fictive < final_temperature:
        caveats.append("the lines cross below the end of the ramp: the cooling curve has not "
                       "left the liquid line (cool faster or widen the glass window)")
    return caveats


def cooling_part(curve, temperature_column: str = "target_temperature"):
    """(T, E_pot) of the ramp of a quench curve (``phase == "quench"``), the column of T being
    the thermostat's target (equal to the measured T under rescaling every step)."""
    ramp = curve[curve["phase"] == "quench"] if "phase" in curve else curve
    return ramp[temperature_column].to_numpy(float), ramp["potential_energy"].to_numpy(float)
