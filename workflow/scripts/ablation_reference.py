"""Rule ablation_reference: velocity Verlet with the true potential over a stride of k MD
steps, in 1, 2, ... substeps, judged like an ablation model (the scale a learned stride-k
step has to beat; see ogn.evaluate.verlet_reference). One CSV row per substep count."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm, precision="float64")

import pandas as pd

from ogn.data.atomic import write_csv
from ogn.data.h5md import read_trajectory
from ogn.data.pairs import read_pairs
from ogn.evaluate.verlet_reference import reference_rows
from ogn.md.systems import make_system

rows = reference_rows(make_system(sm.wildcards.system, sm.params.system),
                      read_pairs(sm.input.test), read_trajectory(sm.input.md),
                      sm.params.rollout, int(sm.params.k), sm.params.substeps, log)
write_csv(pd.DataFrame(rows, columns=None if rows else ["system", "k", "variant"]),
          sm.output.evaluation)
