"""A model rolled out over thousands of MD steps against MD run as long from the same frames
(ESI S4): mean-square displacement, total energy, F_s(q, t) at the first peak of S(q), and
g(r) over the second half of the runs. Lengths, times and energies in file units.

One long run of a few hundred atoms is a noisy sample of its MSD: two MD runs from the same
frame whose velocities differ by one part in a million end 3 to 23 % apart after 2000 steps
(LJ liquid and silica of the quick preset). Model and MD therefore both start from
``settings["long_origins"]`` frames (or a system's own count, :func:`long_origin_count`)
shared out over the test trajectories and spread evenly over each (:func:`origin_starts`); the
series holds their means and standard errors, and the MSD ratio at the last step is judged
against its error (:func:`long_rollout_judgement`).

Frames of one trajectory are not independent structures: a slow liquid keeps its structure for
longer than a 1000-step trajectory lasts. Quick-preset silica (363 atoms, 3600 K, 2000 steps),
one learned model: 6 starts from one trajectory put its MSD at 0.83-0.91 of MD's in four
trainings, and so did BKS's exact force in the same tables (0.85 +- 0.04); 12 starts of the
same trajectory put the learned force at 0.97 +- 0.05 and the exact force at 0.99 +- 0.05,
and 24 shared out over both test trajectories the learned force at 1.00 +- 0.04. The
independent test trajectories (each from new velocities and its own decorrelation run) are
the better samples, so the starts are taken from all of them.

Both start from each frame with its velocities scaled by 1 + ``settings["long_perturbation"]``
x, x a standard normal per component seeded by ``settings["seed"]``, the trajectory and the
frame, the same for model and MD. MD continued exactly from frames of one trajectory would
repeat that trajectory: its runs would be one sample shifted in time, not independent ones,
and their standard error far too small. Measured on the quick preset's liquid silicon (8 frames, 2000
steps): the exact continuations end at a mean MSD of 10.6 A^2, two sets of runs perturbed by
1e-6 at 11.8 and 11.9 (ratios 1.11 +- 0.04 and 1.12 +- 0.08 against the exact ones)."""

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


def origin_frames(n_frames: int, n_origins: int) -> list[int]:
    """``n_origins`` distinct frame indices spread evenly from the first frame to the last."""
    if n_origins < 1:
        raise ValueError(f"long_origins must be at least 1, got {n_origins}")
    return sorted({int(round(i)) for i in np.linspace(0, n_frames - 1, n_origins)})


def origin_starts(trajectory_lengths, n_origins: int) -> list[tuple[int, int]]:
    """``(trajectory, frame)`` of ``n_origins`` start frames shared out over trajectories of
    ``trajectory_lengths`` frames: as evenly as the count allows (the first ones take one more),
    each share spread evenly from its trajectory's first frame to its last
    (:func:`origin_frames`); a trajectory left without a share gives none."""
    if n_origins < 1:
        raise ValueError(f"long_origins must be at least 1, got {n_origins}")
    lengths = list(trajectory_lengths)
    if not lengths:
        raise ValueError("a long rollout needs at least one test trajectory")
    shares = [n_origins // len(lengths) + (index < n_origins % len(lengths))
              for index in range(len(lengths))]
    return [(index, frame)
            for index, (length, share) in enumerate(zip(lengths, shares, strict=True))
            if share for frame in origin_frames(length, share)]


def long_origin_count(settings: dict, system_name: str) -> int:
    """How many start frames a system's long run takes: ``settings["long_origins_per_system"]``
    for it, else ``settings["long_origins"]`` (a glass, whose few hopping atoms make one run's
    MSD vary by a third, needs more than a liquid)."""
    own = dict(settings.get("long_origins_per_system") or {})
    return int(own.get(system_name, settings["long_origins"]))


def perturbed_velocity(velocity, relative: float, seed) -> np.ndarray:
    """``velocity`` with each component scaled by 1 + ``relative`` x, x standard normal from
    a generator seeded with ``seed`` (an int or a sequence of ints; ``relative`` 0:
    unchanged)."""
    velocity = np.asarray(velocity, np.float64)
    if relative == 0:
        return velocity
    noise = np.random.default_rng(seed).standard_normal(velocity.shape)
    return velocity * (1.0 + relative * noise)


def mean_and_error(rows) -> tuple[np.ndarray, np.ndarray]:
    """(mean, standard error of the mean) over the first axis; NaN where any row is NaN (a run
    that stopped), and the error NaN with fewer than two rows."""
    rows = np.asarray(rows, np.float64)
    mean = rows.mean(axis=0)
    if rows.shape[0] < 2:
        return mean, np.full_like(mean, np.nan)
    return mean, rows.std(axis=0, ddof=1) / np.sqrt(rows.shape[0])


def earliest_stop(runs):
    """The model rollout that stopped first over the runs [(frame, model, MD)], or None."""
    stopped = [rolled for _, rolled, _ in runs if rolled.stop_reason]
    return min(stopped, key=lambda rolled: rolled.stopped_at) if stopped else None


def long_rollout_tables(system, model: TrainedModel, trajectories, settings: dict,
                        log: Callable):
    """(series, structure): per recorded MD step the MSD (mean and standard error over the
    start frames), total energy (first start frame) and F_s (mean) of model and MD, and g(r)
    of both (mean over start frames) with the S(q) peak and the model's first stop. The start
    frames are shared out over ``trajectories``, a list of test trajectories
    (:func:`origin_starts`); the rollout checks take their limits from the first."""
    k = model.k
    n_model_steps = max(1, int(settings["long_steps"]) // k)
    record = int(settings["long_record_every"])
    origins = origin_starts([len(md.step) for md in trajectories],
                            long_origin_count(settings, system.name))
    relative = float(settings["long_perturbation"])
    checks, potential_energy = md_based_checks(system, trajectories[0], settings)
    runs = []
    for number, (index, frame) in enumerate(origins):
        md = trajectories[index]
        velocity = perturbed_velocity(md.velocity[frame], relative,
                                      seed=(int(settings["seed"]), index, frame))
        start = md._replace(position=md.position[frame:], velocity=velocity[None],
                            step=md.step[frame:], time=md.time[frame:])
        log(f"start frame {frame} of test trajectory {index} ({number + 1} of {len(origins)}, "
            f"velocities perturbed by {relative:g}): model rollout, "
            f"{n_model_steps} model steps of k = {k}, a frame every {record}")
        rolled, _ = model_rollout(system, model, settings, start, n_model_steps, record, checks,
                                  log)
        log(f"start frame {frame}: MD, {n_model_steps * k} steps")
        reference = md_rollout(system, start.position[0],
                               system.units.velocity_from_files(start.velocity[0]),
                               n_model_steps * k, record_every=record * k, log=log)
        runs.append((frame, rolled, reference))
    series, q_peak = long_series(system, runs, potential_energy)
    structure = long_structure(system, model, runs, q_peak)
    judged = long_rollout_judgement(series, structure)
    log(f"done: q at the S(q) peak {q_peak:.4g}; g(r) first peak model / MD "
        f"{judged['g_peak_ratio']:.4f}; MSD at the last step model / MD "
        f"{judged['msd_ratio']:.4f} +- {judged['msd_ratio_error']:.4f} over {len(origins)} "
        f"start frames; model stop: {structure['model_stop_reason'].iloc[0] or 'none'}")
    return series, structure


def long_series(system, runs, potential_energy):
    """(per-step table of model and MD over the runs [(frame, model, MD)], q of the S(q)
    peak of the first run's MD)."""
    _, first_model, first_md = runs[0]
    steps = first_md.model_steps  # MD steps
    n = len(steps)
    values_md = energies_and_momentum(system, first_md.position_unwrapped,
                                      system.units.velocity_to_files(first_md.velocity),
                                      potential_energy)
    values_model = energies_and_momentum(system, first_model.position_unwrapped,
                                         first_model.velocity, potential_energy)
    q, s = structure_factor(first_md.position_unwrapped[n // 2:], system.box)
    q_peak = first_peak_q(q, s, q_min=2 * np.pi / float(np.min(system.box)) * 1.5)
    msd_md, msd_model, fs_md, fs_model = [], [], [], []
    for _, rolled, reference in runs:
        msd_md.append(mean_square_displacement(reference.position_unwrapped))
        msd_model.append(padded(mean_square_displacement(rolled.position_unwrapped), n))
        fs_md.append(self_intermediate_scattering(reference.position_unwrapped, q_peak))
        fs_model.append(padded(self_intermediate_scattering(rolled.position_unwrapped, q_peak),
                               n))
    msd_md, msd_md_error = mean_and_error(msd_md)
    msd_model, msd_model_error = mean_and_error(msd_model)
    series = pd.DataFrame({
        "md_step": steps, "time": steps * system.dt_config,
        "msd_md": msd_md, "msd_model": msd_model,
        "msd_md_error": msd_md_error, "msd_model_error": msd_model_error,
        "total_energy_md": values_md["total_energy"],
        "total_energy_model": padded(values_model["total_energy"], n),
        "kinetic_energy_md": values_md["kinetic_energy"],
        "fs_md": np.mean(fs_md, axis=0), "fs_model": np.mean(fs_model, axis=0),
        "start_frames": len(runs),
    })
    series["model_status"] = "ok"
    rolled = earliest_stop(runs)
    if rolled is not None:
        last = len(rolled.model_steps) - 1
        series.loc[last, "model_status"] = rolled.stop_reason
        series.loc[last + 1:, "model_status"] = "stopped"
    return series, q_peak


def long_structure(system, model: TrainedModel, runs, q_peak: float):
    """g(r) (species 0-0) of MD and model over the second half of each run, averaged over the
    runs; the model's earliest stop over them (-1: none)."""
    n = len(runs[0][2].model_steps)
    r_max = min(0.5 * float(np.min(system.box)), 3.0 * model.graph_cutoff)
    g_md, g_model = [], []
    for _, rolled, reference in runs:
        r, g = radial_distribution(reference.position_unwrapped[n // 2:], system.box,
                                   system.species, (0, 0), r_max, n_bins=100)
        g_md.append(g)
        frames = rolled.position_unwrapped[len(rolled.model_steps) // 2:]
        finite = [p for p in frames if np.all(np.isfinite(p))]
        if finite:
            g_model.append(radial_distribution(np.stack(finite), system.box, system.species,
                                               (0, 0), r_max, n_bins=100)[1])
    stopped = earliest_stop(runs)
    return pd.DataFrame({"r": r, "g_md": np.mean(g_md, axis=0),
                         "g_model": np.mean(g_model, axis=0) if g_model
                         else np.full_like(r, np.nan), "q_peak": q_peak,
                         "model_stop_reason": stopped.stop_reason if stopped else "",
                         "model_stopped_at_md_step": -1 if stopped is None
                         else stopped.stopped_at * model.k,
                         "training_steps": model.training_steps,
                         "step_family": model.step_label})


def long_rollout_judgement(series, structure) -> dict:
    """The long run's numbers: g(r)'s highest (first) peak, model over MD; MSD at the last
    recorded step, model over MD, with its standard error (from both means' errors; NaN with
    one start frame)."""
    g_ratio = float(np.max(structure["g_model"]) / np.max(structure["g_md"]))
    last = series.iloc[-1]
    ratio = float(last["msd_model"] / last["msd_md"])
    error = ratio * float(np.hypot(last["msd_model_error"] / last["msd_model"],
                                   last["msd_md_error"] / last["msd_md"]))
    return {"g_peak_ratio": g_ratio, "msd_ratio": ratio, "msd_ratio_error": error,
            "start_frames": int(last["start_frames"])}
