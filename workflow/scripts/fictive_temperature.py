"""Rule fictive_temperature: the glass's fictive temperature from its quench curve (S11)."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm)

import pandas as pd

from ogn.data.atomic import write_csv
from ogn.evaluate.md_tables import fictive_temperature_table

write_csv(fictive_temperature_table(pd.read_csv(sm.input.quench), sm.params.n_atoms,
                                    sm.params.glass, sm.params.fictive, log), sm.output.table)
