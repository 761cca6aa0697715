"""Rule produce: one independent NVE trajectory (train or test) from the equilibrated state."""
from ogn.threads import configure_cpu_threads

configure_cpu_threads(snakemake.threads)  # noqa: F821

from ogn.h5md import read_trajectory, write_trajectory  # noqa: E402
from ogn.precision import set_precision  # noqa: E402
from ogn.protocols import (  # noqa: E402
    frames_to_trajectory,
    produce,
    state_from_trajectory,
    trajectory_seed,
)
from ogn.runlog import make_logger  # noqa: E402
from ogn.systems import make_system  # noqa: E402

sm = snakemake  # noqa: F821
set_precision(sm.params.precision)
log = make_logger(sm.log[0])
name = sm.wildcards.system
system = make_system(name, {"systems": {name: sm.params.system}})
start = read_trajectory(sm.input.state)
position, _ = state_from_trajectory(start, system)
seed = trajectory_seed(sm.params.seed, sm.wildcards.split, int(sm.wildcards.i))
frames, info = produce(system, position, sm.params.production, seed, log=log)
meta = {"kind": sm.wildcards.split, "index": int(sm.wildcards.i), "seed": seed, **info,
        "source": str(sm.input.state)}
write_trajectory(sm.output.trajectory, frames_to_trajectory(frames, system, meta))
log(f"done: {len(frames)} frames, {info['neighbor_rebuilds']} neighbor-list rebuilds")
