"""Rule cage_sizes: the cage size of every system from its MD test trajectory, and the RMSD
curves it is read from (ESI S2)."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm)

from ogn.data.atomic import write_csv
from ogn.data.h5md import read_trajectory
from ogn.evaluate.md_tables import cage_size_tables

cages, curves = cage_size_tables(sm.params.systems, [read_trajectory(p) for p in sm.input.md],
                                 float(sm.params.rollout["cage_slope"]))
write_csv(cages, sm.output.table)
write_csv(curves, sm.output.curves)
log(cages.to_string(index=False))
