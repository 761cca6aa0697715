"""Rule runtime: wall time of runtime.md_steps MD steps against N for one system, by our MD,
the trained Fast-OGN, LAMMPS, MD without a neighbor list and the paper's network as a timing
reference (results/runtime/{system}.csv)."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm, precision=sm.params.precision, omp_passive=True,
                compilation_cache=False)

from ogn.data.atomic import write_csv
from ogn.data.h5md import read_trajectory
from ogn.net.trained import load_for_system
from ogn.runtime.engines import paper_network_reference
from ogn.runtime.stage import runtime_table

model = load_for_system(sm.input.model, sm.params.system, int(sm.params.k))
reference = (paper_network_reference(model, sm.params.model_block, int(sm.params.paper_layers),
                                     int(sm.params.runtime["seed"]))
             if "paper_ogn" in sm.params.runtime["engines"] else None)
table = runtime_table(sm.wildcards.system, sm.params.system,
                      read_trajectory(sm.input.state, frames=slice(-1, None)), model,
                      sm.params.runtime, sm.threads, log,
                      partial_path=sm.output.table + ".partial", model_path=sm.input.model,
                      reference=reference)
write_csv(table, sm.output.table)
log(f"done: {len(table)} timings written to {sm.output.table}")
