"""Rule rmsd: RMSD against time of the liquid and the glass from their MD (Fig. 5A)."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm)

from ogn.data.atomic import write_csv
from ogn.data.h5md import read_trajectory
from ogn.evaluate.md_tables import rmsd_table

trajectories = {"liquid": [read_trajectory(p) for p in sm.input.liquid],
                "glass": [read_trajectory(p) for p in sm.input.glass]}
write_csv(rmsd_table({"liquid": sm.params.liquid, "glass": sm.params.glass}, trajectories,
                     sm.params.rmsd_lags, log), sm.output.rmsd)
