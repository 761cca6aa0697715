"""Rule transfer_loss: one-step test loss of a Fast-OGN model on MD of another size,
temperature or density (S5-S7), next to its loss on its own test pairs.

snakemake.input.model, .reference (the model's own test pairs), .trajectories (H5MD of the
variant); params.variant ({kind, factor, block}), params.base (the system's config block),
params.k, params.layers, params.test_pairs; output.loss (one-row CSV).
"""
from ogn.threads import configure_cpu_threads

configure_cpu_threads(snakemake.threads)  # noqa: F821

import pandas as pd  # noqa: E402

from ogn.pairs import evaluation_pairs_from_files, read_pairs  # noqa: E402
from ogn.runlog import make_logger  # noqa: E402
from ogn.sweeps import model_test_loss, number_density, write_table  # noqa: E402

sm = snakemake  # noqa: F821
log = make_logger(sm.log[0])
variant, base = sm.params.variant, sm.params.base
cutoff = float(base["graph_cutoff"])
pairs = evaluation_pairs_from_files(list(sm.input.trajectories), int(sm.params.k),
                                    int(sm.params.test_pairs))
log(f"{pairs.n_pairs} pairs of {pairs.n_atoms} atoms at k = {sm.params.k}")
loss = model_test_loss(sm.input.model, pairs, cutoff)
reference = model_test_loss(sm.input.model, read_pairs(sm.input.reference), cutoff)
block = variant["block"]
row = {"system": sm.wildcards.system, "variant": sm.wildcards.variant, "kind": variant["kind"],
       "factor": variant["factor"], "n_atoms": sum(block["counts"]),
       "temperature": block["temperature"], "density": number_density(block),
       "base_n_atoms": sum(base["counts"]), "base_temperature": base["temperature"],
       "base_density": number_density(base), "layers": int(sm.params.layers),
       "k": int(sm.params.k), "test_loss": loss, "reference_test_loss": reference,
       "loss_ratio": loss / reference}
log(f"test loss {loss:.4g} on {sm.wildcards.variant}, {reference:.4g} on the model's own test "
    f"pairs (ratio {loss / reference:.3g})")
write_table(pd.DataFrame([row]), sm.output.loss)
