"""Rule equilibrate: random placement, FIRE, velocity rescaling until the energy settles."""
from ogn.threads import configure_cpu_threads

configure_cpu_threads(snakemake.threads)  # noqa: F821 (injected by Snakemake)

from ogn.atomic import atomic_path  # noqa: E402
from ogn.h5md import write_trajectory  # noqa: E402
from ogn.precision import set_precision  # noqa: E402
from ogn.protocols import equilibrate, frame_of_state, frames_to_trajectory  # noqa: E402
from ogn.runlog import make_logger  # noqa: E402
from ogn.systems import make_system  # noqa: E402

sm = snakemake  # noqa: F821
set_precision(sm.params.precision)
log = make_logger(sm.log[0])
name = sm.wildcards.system
system = make_system(name, {"systems": {name: sm.params.system}})
result = equilibrate(system, sm.params.settings, sm.params.system["min_distance"],
                     seed=sm.params.seed, log=log)
frames = [frame_of_state(result.steps, result.state, system)]
meta = {"kind": "equilibrated", "seed": sm.params.seed, "settled": result.settled,
        "equilibration_steps": result.steps, "equilibration": sm.params.settings}
write_trajectory(sm.output.state, frames_to_trajectory(frames, system, meta))
with atomic_path(sm.output.curve) as tmp:
    result.curve.to_csv(tmp, index=False)
log(f"done: {result.steps} steps, settled={result.settled}")
