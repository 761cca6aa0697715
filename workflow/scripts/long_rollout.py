"""Rule long_rollout: a model rolled out over several thousand MD steps against MD run as long
from the same frame (ESI S4): MSD, total energy, g(r) and F_s(q, t) at the first peak of S(q).

snakemake.input.model, .md; params.system, params.rollout, params.k; output.series (CSV per
recorded step), output.structure (CSV: r, g of MD and model; q of the S(q) peak).
"""
from ogn.threads import configure_cpu_threads

configure_cpu_threads(snakemake.threads)  # noqa: F821

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ogn.atomic import atomic_path  # noqa: E402
from ogn.evaluation import md_based_checks, model_rollout  # noqa: E402
from ogn.h5md import read_trajectory  # noqa: E402
from ogn.metrics import (  # noqa: E402
    energies_and_momentum,
    first_peak_q,
    mean_square_displacement,
    self_intermediate_scattering,
    structure_factor,
)
from ogn.observables import radial_distribution  # noqa: E402
from ogn.precision import enable_float64  # noqa: E402
from ogn.rollout import load_rollout_model, md_rollout  # noqa: E402
from ogn.runlog import make_logger  # noqa: E402
from ogn.systems import make_system  # noqa: E402

enable_float64()
sm = snakemake  # noqa: F821
log = make_logger(sm.log[0])
name, k, settings = sm.wildcards.system, int(sm.params.k), sm.params.rollout
system = make_system(name, {"systems": {name: sm.params.system}})
md = read_trajectory(sm.input.md)
simulator, params, standard, meta = load_rollout_model(sm.input.model, sm.params.system, k)
n_model_steps = max(1, int(settings["long_steps"]) // k)
record = int(settings["long_record_every"])
graph_cutoff = float(sm.params.system["graph_cutoff"])
checks, potential_energy = md_based_checks(system, md, settings)
log(f"model rollout: {n_model_steps} model steps of k = {k}, a frame every {record}")
model, _ = model_rollout(system, graph_cutoff, settings, simulator, params, standard, md,
                         n_model_steps, record, checks, log)
log(f"MD: {n_model_steps * k} steps from the same frame")
reference = md_rollout(system, md.position[0], system.units.velocity_from_files(md.velocity[0]),
                       n_model_steps * k, record_every=record * k, log=log)

steps = reference.model_steps  # MD steps
values_md = energies_and_momentum(system, reference.position_unwrapped,
                                  system.units.velocity_to_files(reference.velocity),
                                  potential_energy)
values_model = energies_and_momentum(system, model.position_unwrapped, model.velocity,
                                     potential_energy)
q, s = structure_factor(reference.position_unwrapped[len(steps) // 2:], system.box)
q_peak = first_peak_q(q, s, q_min=2 * np.pi / float(np.min(system.box)) * 1.5)


def padded(values, n):
    out = np.full(n, np.nan)
    out[:len(values)] = values
    return out


n = len(steps)
series = pd.DataFrame({
    "md_step": steps, "time": steps * system.dt_config,
    "msd_md": mean_square_displacement(reference.position_unwrapped),
    "msd_model": padded(mean_square_displacement(model.position_unwrapped), n),
    "total_energy_md": values_md["total_energy"],
    "total_energy_model": padded(values_model["total_energy"], n),
    "kinetic_energy_md": values_md["kinetic_energy"],
    "fs_md": self_intermediate_scattering(reference.position_unwrapped, q_peak),
    "fs_model": padded(self_intermediate_scattering(model.position_unwrapped, q_peak), n),
})
series["model_status"] = "ok"
if model.stop_reason:
    last = len(model.model_steps) - 1
    series.loc[last, "model_status"] = model.stop_reason
    series.loc[last + 1:, "model_status"] = "stopped"
series.attrs["q_peak"] = q_peak
with atomic_path(sm.output.series) as tmp:
    series.to_csv(tmp, index=False)

r_max = min(0.5 * float(np.min(system.box)), 3.0 * float(sm.params.system["graph_cutoff"]))
half_md = reference.position_unwrapped[n // 2:]
model_frames = model.position_unwrapped[len(model.model_steps) // 2:]
r, g_md = radial_distribution(half_md, system.box, system.species, (0, 0), r_max, n_bins=100)
finite = [p for p in model_frames if np.all(np.isfinite(p))]
g_model = radial_distribution(np.stack(finite), system.box, system.species, (0, 0), r_max,
                              n_bins=100)[1] if finite else np.full_like(r, np.nan)
structure = pd.DataFrame({"r": r, "g_md": g_md, "g_model": g_model, "q_peak": q_peak,
                          "model_stop_reason": model.stop_reason or "",
                          "model_stopped_at_md_step": -1 if model.stopped_at is None
                          else model.stopped_at * k,
                          "training_steps": meta.get("steps")})
with atomic_path(sm.output.structure) as tmp:
    structure.to_csv(tmp, index=False)
log(f"done: q at the S(q) peak {q_peak:.4g}; model stop: {model.stop_reason or 'none'}")
