"""Rule pairs: training and test input/target pairs (frame t, frame t + k MD steps)."""
from ogn.workflow.job import start_job

sm = snakemake
log = start_job(sm)

from ogn.data.pairs import evaluation_pairs_from_files, training_pairs_from_files, write_pairs

k = int(sm.params.k)
train = training_pairs_from_files(list(sm.input.train), k)
log(f"{train.n_pairs} training pairs at k = {k} from {len(sm.input.train)} trajectories "
    f"({train.n_atoms} atoms, frame stride {train.attrs['frame_stride']})")
test = evaluation_pairs_from_files(list(sm.input.test), k,
                                   int(sm.params.training["test_pairs"]))
log(f"{test.n_pairs} test pairs from {len(sm.input.test)} trajectories")
write_pairs(sm.output.train, train)
write_pairs(sm.output.test, test)
log(f"written {sm.output.train} (sha256 {train.attrs['sha256'][:12]}) and {sm.output.test}")
