"""Rule long_rollout: a model rolled out over thousands of MD steps against MD run as long
from the same frame (ESI S4): MSD, total energy, F_s(q, t) and g(r)."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm, precision="float64")

from ogn.data.atomic import write_csv
from ogn.data.h5md import read_trajectory
from ogn.evaluate.long_run import long_rollout_tables
from ogn.md.systems import make_system
from ogn.net.trained import load_for_system

system = make_system(sm.wildcards.system, sm.params.system)
model = load_for_system(sm.input.model, sm.params.system, int(sm.params.k))
trajectories = [read_trajectory(path) for path in sm.input.md]
series, structure = long_rollout_tables(system, model, trajectories, sm.params.rollout, log)
write_csv(series, sm.output.series)
write_csv(structure, sm.output.structure)
