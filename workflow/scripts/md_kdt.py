"""Rule md_kdt: NVE MD at k times the time step from the first frame of a test trajectory, with
the rollouts' instability checks (Fig. 4B: MD at k*dt blows up where Fast-OGN need not).

snakemake.input.md; params.system, params.rollout, params.k; output.metrics (CSV per step of
k*dt: md_step, energies, momentum, status).
"""
from ogn.threads import configure_cpu_threads

configure_cpu_threads(snakemake.threads)  # noqa: F821

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ogn.atomic import atomic_path  # noqa: E402
from ogn.evaluation import md_based_checks  # noqa: E402
from ogn.h5md import read_trajectory  # noqa: E402
from ogn.metrics import energies_and_momentum  # noqa: E402
from ogn.precision import enable_float64  # noqa: E402
from ogn.rollout import md_rollout  # noqa: E402
from ogn.runlog import make_logger  # noqa: E402
from ogn.systems import make_system  # noqa: E402

enable_float64()
sm = snakemake  # noqa: F821
log = make_logger(sm.log[0])
name, k, settings = sm.wildcards.system, int(sm.params.k), sm.params.rollout
system = make_system(name, {"systems": {name: sm.params.system}})
md = read_trajectory(sm.input.md)
n_steps = max(1, int(settings["energy_steps"]) // k)
checks, potential_energy = md_based_checks(system, md, settings, velocity_in_files=False)
result = md_rollout(system, md.position[0], system.units.velocity_from_files(md.velocity[0]),
                    n_steps, dt_factor=k, checks=checks, log=log)
velocity_files = system.units.velocity_to_files(result.velocity)
values = energies_and_momentum(system, result.position_unwrapped, velocity_files,
                               potential_energy)
table = pd.DataFrame({"md_step": result.model_steps * k, "step_of_kdt": result.model_steps,
                      "time": result.model_steps * k * system.dt_config,
                      "kinetic_energy": values["kinetic_energy"],
                      "potential_energy": values["potential_energy"],
                      "total_energy": values["total_energy"],
                      **{f"momentum_{a}": values["momentum"][:, i]
                         for i, a in enumerate("xyz")}})
status = ["ok"] * len(table)
if result.stop_reason:
    status[-1] = result.stop_reason
table["status"] = status
with atomic_path(sm.output.metrics) as tmp:
    table.to_csv(tmp, index=False)
e = table["total_energy"].to_numpy()
log(f"MD at {k} x dt: {len(table) - 1} steps of {k * system.dt_config:g} "
    f"{system.units.time_in_files}; stop: {result.stop_reason or 'none'}; "
    f"max |E - E0| = {np.nanmax(np.abs(e - e[0])):.4g} (KE0 {table['kinetic_energy'][0]:.4g})")
