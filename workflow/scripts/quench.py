"""Rule quench: velocity-rescaling ramp from the liquid to the glass temperature, NVE relax."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm, precision=sm.params.precision)

from ogn.data.atomic import write_csv
from ogn.data.h5md import read_trajectory, write_trajectory
from ogn.md.protocols import frame_of_state, frames_to_trajectory, quench, state_from_trajectory
from ogn.md.systems import make_system

system = make_system(sm.wildcards.system, sm.params.system)
position, velocity = state_from_trajectory(read_trajectory(sm.input.liquid), system)
settings = sm.params.system["quench"]
result = quench(system, position, velocity, settings, log=log)
frames = [frame_of_state(result.steps, result.state, system)]
meta = {"kind": "quenched", "quench": settings, "source": str(sm.input.liquid)}
write_trajectory(sm.output.state, frames_to_trajectory(frames, system, meta))
write_csv(result.curve, sm.output.curve)
log("done")
