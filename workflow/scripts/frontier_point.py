"""Rule frontier_point: one frontier model, run in the point's network precision, judged like
MD (one-step losses, rollout errors at frontier.rollout_steps as fractions of the cage size and
of sqrt(kB T / m), stable steps, energy drift) and timed at frontier.size atoms against our MD
and LAMMPS in this job."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm, precision=sm.params.precision, omp_passive=True,
                compilation_cache=False)

import pandas as pd

from ogn.data.atomic import write_csv
from ogn.data.h5md import read_trajectory
from ogn.data.pairs import read_pairs
from ogn.md.systems import make_system
from ogn.net.trained import load_for_system, with_network_precision
from ogn.runtime.frontier import frontier_accuracy, frontier_speed

settings = sm.params.frontier
model = with_network_precision(load_for_system(sm.input.model, sm.params.system,
                                               int(sm.params.k)),
                               sm.params.point.get("precision", "float32"))
row = {"system": sm.wildcards.system, "point": sm.wildcards.point, **sm.params.point,
       "step_family": model.step_label,
       "graph_cutoff": model.graph_cutoff, "training_steps": int(model.training_steps or 0),
       "model": sm.input.model}
row.update(frontier_accuracy(make_system(sm.wildcards.system, sm.params.physics), model,
                             read_pairs(sm.input.test), read_trajectory(sm.input.md),
                             sm.params.rollout, settings["rollout_steps"], log))
row.update(frontier_speed(sm.wildcards.system, sm.params.physics,
                          read_trajectory(sm.input.state, frames=slice(-1, None)), model,
                          int(settings["size"]), sm.params.runtime, settings["engines"],
                          int(settings["repeats"]), sm.threads, log,
                          skin=float(sm.params.rollout["graph_skin"])))
write_csv(pd.DataFrame([row]), sm.output.row)
