"""Rule complexity: the interaction complexity index of every runtime system (Fig. 4D)."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm, precision=sm.params.precision, omp_passive=True,
                compilation_cache=False)

from ogn.data.atomic import write_csv
from ogn.data.h5md import read_trajectory
from ogn.runtime.stage import complexity_table

starts = [read_trajectory(path, frames=slice(-1, None)) for path in sm.input.states]
write_csv(complexity_table(sm.params.systems, sm.params.system_configs, starts,
                           sm.params.runtime, sm.threads, log), sm.output.table)
log(f"done: {sm.output.table}")
