"""Rule complexity: the interaction complexity index of every runtime system (Fig. 4D).

snakemake.input.states (equilibrated H5MD, one per system, in params.systems order);
params.systems, params.system_configs, params.runtime, params.precision;
output.table (results/runtime/complexity.csv, columns ogn.runtime.COMPLEXITY_COLUMNS).
"""
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from ogn.threads import configure_cpu_threads  # noqa: E402

configure_cpu_threads(snakemake.threads)  # noqa: F821

import pandas as pd  # noqa: E402

from ogn.atomic import atomic_path  # noqa: E402
from ogn.h5md import read_trajectory  # noqa: E402
from ogn.neighbors import build_neighbor_list  # noqa: E402
from ogn.precision import set_precision  # noqa: E402
from ogn.runlog import make_logger  # noqa: E402
from ogn.runtime import (  # noqa: E402
    COMPLEXITY_COLUMNS,
    complexity_rows,
    energy_seconds,
    lammps_force_seconds,
)
from ogn.systems import make_system  # noqa: E402

sm = snakemake  # noqa: F821
set_precision(sm.params.precision)
log = make_logger(sm.log[0])
settings = sm.params.runtime
timings = {}
for name, path in zip(sm.params.systems, sm.input.states, strict=True):
    start = read_trajectory(path, frames=slice(-1, None))
    system = make_system(name, {"systems": {name: sm.params.system_configs[name]}})
    position = start.position[-1]
    pot = system.potential
    neighbors = build_neighbor_list(position, system.box, pot.cutoff, system.skin)
    timings[name] = {
        "potential": pot.name, "n_atoms_timed": len(position),
        "energy_s": energy_seconds(pot.energy, position, neighbors.idx,
                                   calls=settings["complexity_calls"]),
        "energy_forces_s": energy_seconds(pot.energy_and_forces, position, neighbors.idx,
                                          calls=settings["complexity_calls"]),
        "lammps_s": lammps_force_seconds(system, position, steps=settings["complexity_calls"],
                                         threads=sm.threads),
    }
    log(f"{name} ({pot.name}, N = {len(position)}): energy {timings[name]['energy_s']:.3g} s, "
        f"energy+forces {timings[name]['energy_forces_s']:.3g} s, LAMMPS "
        f"{timings[name]['lammps_s']:.3g} s per evaluation")
rows = complexity_rows(timings, per_atoms=int(settings["complexity_atoms"]))
with atomic_path(sm.output.table) as tmp:
    pd.DataFrame(rows, columns=COMPLEXITY_COLUMNS).to_csv(tmp, index=False)
log(f"done: {sm.output.table}")
