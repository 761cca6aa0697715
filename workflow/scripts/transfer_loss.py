"""Rule transfer_loss: one-step test loss of Fast-OGN on MD of another size, temperature or
density, beside its loss on its own test pairs (one CSV row)."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm)

import pandas as pd

from ogn.data.atomic import write_csv
from ogn.data.pairs import evaluation_pairs_from_files, read_pairs
from ogn.evaluate.losses import transfer_row

pairs = evaluation_pairs_from_files(list(sm.input.trajectories), int(sm.params.k),
                                    int(sm.params.test_pairs))
log(f"{pairs.n_pairs} pairs of {pairs.n_atoms} atoms at k = {sm.params.k}")
row = transfer_row(sm.input.model, pairs, read_pairs(sm.input.reference), sm.wildcards.system,
                   sm.wildcards.variant, sm.params.variant, sm.params.base, sm.params.layers,
                   sm.params.k, log)
write_csv(pd.DataFrame([row]), sm.output.loss)
