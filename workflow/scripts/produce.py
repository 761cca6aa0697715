"""Rule produce: one independent NVE trajectory (train or test) from the equilibrated state."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm, precision=sm.params.precision)

from ogn.data.h5md import read_trajectory, write_trajectory
from ogn.md.protocols import frames_to_trajectory, produce, state_from_trajectory, trajectory_seed
from ogn.md.systems import make_system

system = make_system(sm.wildcards.system, sm.params.system)
position, _ = state_from_trajectory(read_trajectory(sm.input.state), system)
seed = trajectory_seed(sm.params.seed, sm.wildcards.split, int(sm.wildcards.i))
frames, info = produce(system, position, sm.params.production, seed, log=log)
meta = {"kind": sm.wildcards.split, "index": int(sm.wildcards.i), "seed": seed, **info,
        "source": str(sm.input.state)}
write_trajectory(sm.output.trajectory, frames_to_trajectory(frames, system, meta))
log(f"done: {len(frames)} frames, {info['neighbor_rebuilds']} neighbor-list rebuilds")
