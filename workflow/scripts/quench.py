"""Rule quench: velocity-rescaling ramp from the liquid to the glass temperature, NVE relax."""
from ogn.threads import configure_cpu_threads

configure_cpu_threads(snakemake.threads)  # noqa: F821

from ogn.atomic import atomic_path  # noqa: E402
from ogn.h5md import read_trajectory, write_trajectory  # noqa: E402
from ogn.precision import set_precision  # noqa: E402
from ogn.protocols import (  # noqa: E402
    frame_of_state,
    frames_to_trajectory,
    quench,
    state_from_trajectory,
)
from ogn.runlog import make_logger  # noqa: E402
from ogn.systems import make_system  # noqa: E402

sm = snakemake  # noqa: F821
set_precision(sm.params.precision)
log = make_logger(sm.log[0])
name = sm.wildcards.system
system = make_system(name, {"systems": {name: sm.params.system}})
liquid = read_trajectory(sm.input.liquid)
position, velocity = state_from_trajectory(liquid, system)
settings = sm.params.system["quench"]
result = quench(system, position, velocity, settings, log=log)
frames = [frame_of_state(result.steps, result.state, system)]
meta = {"kind": "quenched", "quench": settings, "source": str(sm.input.liquid)}
write_trajectory(sm.output.state, frames_to_trajectory(frames, system, meta))
with atomic_path(sm.output.curve) as tmp:
    result.curve.to_csv(tmp, index=False)
log("done")
