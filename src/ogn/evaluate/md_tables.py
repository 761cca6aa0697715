"""Tables read off the MD alone, for the figures and the summary: cage sizes (ESI S2), the RMSD
of the liquid and the glass (Fig. 5A), and the glass's fictive temperature (ESI S11).
Lengths and times in file units; energies in the units of the quench curve."""

from collections.abc import Callable

import numpy as np
import pandas as pd

from ogn.evaluate.glass import (
    cooling_part,
    fictive_caveats,
    fictive_temperature,
    mean_square_displacement,
    rmsd_curve,
)
from ogn.evaluate.metrics import cage_size


def cage_size_tables(systems, trajectories, slope: float):
    """(cages, curves): per system the cage size (the RMSD where d ln MSD / d ln t first
    reaches ``slope``) and when; and the RMSD of every frame from the first."""
    cages, curves = [], []
    for name, md in zip(systems, trajectories, strict=True):
        t = md.time - md.time[0]
        msd = mean_square_displacement(md.position)
        cage, when = cage_size(t, msd, slope)
        unit = md.metadata.get("dt_unit", "")
        cages.append({"system": name, "cage_size": cage, "cage_time": when, "time_unit": unit})
        curves.append(pd.DataFrame({"system": name, "time": t, "rmsd": np.sqrt(msd),
                                    "time_unit": unit}))
    return pd.DataFrame(cages), pd.concat(curves, ignore_index=True)


def rmsd_table(systems: dict, trajectories: dict, n_lags: int, log: Callable) -> pd.DataFrame:
    """RMSD and MSD against time lag, averaged over time origins and the trajectories, for
    each state (``systems``: state -> system name; ``trajectories``: state -> list)."""
    rows = []
    for state, system in systems.items():
        runs = trajectories[state]
        curve = rmsd_curve(runs, n_lags=int(n_lags))
        unit = runs[0].metadata.get("dt_unit", "time")
        rows += [{"system": system, "state": state, "time": t, "rmsd": r, "msd": m,
                  "time_unit": unit}
                 for t, r, m in zip(curve["time"], curve["rmsd"], curve["msd"], strict=True)]
        log(f"{state}: RMSD {curve['rmsd'][0]:.4g} at t = {curve['time'][0]:.4g}, "
            f"{curve['rmsd'][-1]:.4g} at t = {curve['time'][-1]:.4g} {unit}")
    return pd.DataFrame(rows)


def fictive_temperature_table(quench_curve: pd.DataFrame, n_atoms: int, glass: str,
                              windows: dict, log: Callable) -> pd.DataFrame:
    """The fictive temperature where the liquid and glass lines of E_pot per atom against T
    cross, with the fitted lines (``windows``: liquid_window and glass_window in T)."""
    temperature, energy = cooling_part(quench_curve)
    energy = energy / int(n_atoms)
    result = fictive_temperature(temperature, energy, windows["liquid_window"],
                                 windows["glass_window"])
    final_temperature = float(temperature.min())
    slope_ratio = result.glass.slope / result.liquid.slope
    log(f"fictive temperature {result.temperature:.4g} (liquid line over "
        f"{result.liquid.n_points} points, glass line over {result.glass.n_points}); "
        f"glass/liquid slope ratio {slope_ratio:.3g}")
    for caveat in fictive_caveats(result.temperature, final_temperature, slope_ratio):
        log(f"warning: T_f is ill-determined: {caveat}")
    return pd.DataFrame([{
        "system": glass, "fictive_temperature": result.temperature,
        "energy_per_atom_at_crossing": result.energy, "final_temperature": final_temperature,
        "liquid_slope": result.liquid.slope, "glass_slope": result.glass.slope,
        "liquid_intercept": result.liquid.intercept, "glass_intercept": result.glass.intercept,
        "glass_over_liquid_slope": slope_ratio,
        "liquid_points": result.liquid.n_points, "glass_points": result.glass.n_points,
        "liquid_window": str(list(windows["liquid_window"])),
        "glass_window": str(list(windows["glass_window"]))}])
