"""Rule equilibrate: random placement, FIRE, velocity rescaling until the energy settles."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm, precision=sm.params.precision)

from ogn.data.atomic import write_csv
from ogn.data.h5md import write_trajectory
from ogn.md.protocols import equilibrate, frame_of_state, frames_to_trajectory
from ogn.md.systems import make_system

system = make_system(sm.wildcards.system, sm.params.system)
result = equilibrate(system, sm.params.settings, sm.params.system["min_distance"],
                     seed=sm.params.seed, log=log)
frames = [frame_of_state(result.steps, result.state, system)]
meta = {"kind": "equilibrated", "seed": sm.params.seed, "settled": result.settled,
        "equilibration_steps": result.steps, "equilibration": sm.params.settings}
write_trajectory(sm.output.state, frames_to_trajectory(frames, system, meta))
write_csv(result.curve, sm.output.curve)
log(f"done: {result.steps} steps, settled={result.settled}")
