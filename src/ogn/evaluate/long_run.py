"""A model rolled out over thousands of MD steps against MD run as long from the same frame
(ESI S4): mean-square displacement, total energy, F_s(q, t) at the first peak of S(q), and
g(r) over the second half of both runs. Lengths, times and energies in file units."""

from collections.abc import Callable

import numpy as np
import pandas as pd

from ogn.evaluate.against_md import md_based_checks, model_rollout
from ogn.evaluate.glass import mean_square_displacement
from ogn.evaluate.md_reference import md_rollout
from ogn.evaluate.metrics import (
    energies_and_momentum,
    first_peak_q,
    self_intermediate_scattering,
    structure_factor,
)
from ogn.evaluate.observables import radial_distribution
from ogn.net.trained import TrainedModel


def padded(values, n: int) -> np.ndarray:
    """``values`` followed by NaN up to length ``n`` (a rollout that stopped early)."""
    out = np.full(n, np.nan)
    out[:len(values)] = values
    return out


def long_rollout_tables(system, model: TrainedModel, md, settings: dict, log: Callable):
    """(series, structure): per recorded MD step the MSD, total energy and F_s of model and
    MD, and g(r) of both with the S(q) peak and the model's stop."""
    k = model.k
    n_model_steps = max(1, int(settings["long_steps"]) // k)
    record = int(settings["long_record_every"])
    checks, potential_energy = md_based_checks(system, md, settings)
    log(f"model rollout: {n_model_steps} model steps of k = {k}, a frame every {record}")
    rolled, _ = model_rollout(system, model, settings, md, n_model_steps, record, checks, log)
    log(f"MD: {n_model_steps * k} steps from the same frame")
    reference = md_rollout(system, md.position[0],
                           system.units.velocity_from_files(md.velocity[0]), n_model_steps * k,
                           record_every=record * k, log=log)
    series, q_peak = long_series(system, rolled, reference, potential_energy)
    structure = long_structure(system, model, rolled, reference, q_peak)
    log(f"done: q at the S(q) peak {q_peak:.4g}; model stop: {rolled.stop_reason or 'none'}")
    return series, structure


def long_series(system, rolled, reference, potential_energy):
    """(per-step table of model and MD, q of the S(q) peak)."""
    steps = reference.model_steps  # MD steps
    values_md = energies_and_momentum(system, reference.position_unwrapped,
                                      system.units.velocity_to_files(reference.velocity),
                                      potential_energy)
    values_model = energies_and_momentum(system, rolled.position_unwrapped, rolled.velocity,
                                         potential_energy)
    q, s = structure_factor(reference.position_unwrapped[len(steps) // 2:], system.box)
    q_peak = first_peak_q(q, s, q_min=2 * np.pi / float(np.min(system.box)) * 1.5)
    n = len(steps)
    series = pd.DataFrame({
        "md_step": steps, "time": steps * system.dt_config,
        "msd_md": mean_square_displacement(reference.position_unwrapped),
        "msd_model": padded(mean_square_displacement(rolled.position_unwrapped), n),
        "total_energy_md": values_md["total_energy"],
        "total_energy_model": padded(values_model["total_energy"], n),
        "kinetic_energy_md": values_md["kinetic_energy"],
        "fs_md": self_intermediate_scattering(reference.position_unwrapped, q_peak),
        "fs_model": padded(self_intermediate_scattering(rolled.position_unwrapped, q_peak), n),
    })
    series["model_status"] = "ok"
    if rolled.stop_reason:
        last = len(rolled.model_steps) - 1
        series.loc[last, "model_status"] = rolled.stop_reason
        series.loc[last + 1:, "model_status"] = "stopped"
    return series, q_peak


def long_structure(system, model: TrainedModel, rolled, reference, q_peak: float):
    """g(r) (species 0-0) of MD and model over the second half of each run."""
    n = len(reference.model_steps)
    r_max = min(0.5 * float(np.min(system.box)), 3.0 * model.graph_cutoff)
    r, g_md = radial_distribution(reference.position_unwrapped[n // 2:], system.box,
                                  system.species, (0, 0), r_max, n_bins=100)
    frames = rolled.position_unwrapped[len(rolled.model_steps) // 2:]
    finite = [p for p in frames if np.all(np.isfinite(p))]
    g_model = radial_distribution(np.stack(finite), system.box, system.species, (0, 0), r_max,
                                  n_bins=100)[1] if finite else np.full_like(r, np.nan)
    return pd.DataFrame({"r": r, "g_md": g_md, "g_model": g_model, "q_peak": q_peak,
                         "model_stop_reason": rolled.stop_reason or "",
                         "model_stopped_at_md_step": -1 if rolled.stopped_at is None
                         else rolled.stopped_at * model.k,
                         "training_steps": model.training_steps,
                         "step_family": model.network_config.step_family})
