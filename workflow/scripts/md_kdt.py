"""Rule md_kdt: NVE MD at k times the time step from the first frame of a test trajectory,
with the rollouts' checks (Fig. 4B: MD at k dt blows up where Fast-OGN need not)."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm, precision="float64")

import numpy as np

from ogn.data.atomic import write_csv
from ogn.data.h5md import read_trajectory
from ogn.evaluate.md_reference import md_kdt_table
from ogn.md.systems import make_system

k = int(sm.params.k)
system = make_system(sm.wildcards.system, sm.params.system)
table, result = md_kdt_table(system, read_trajectory(sm.input.md), sm.params.rollout, k, log)
write_csv(table, sm.output.metrics)
e = table["total_energy"].to_numpy()
log(f"MD at {k} x dt: {len(table) - 1} steps of {k * system.dt_config:g} "
    f"{system.units.time_in_files}; stop: {result.stop_reason or 'none'}; "
    f"max |E - E0| = {np.nanmax(np.abs(e - e[0])):.4g} (KE0 {table['kinetic_energy'][0]:.4g})")
