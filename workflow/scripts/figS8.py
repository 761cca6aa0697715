"""Rule figS8: final test loss vs number of message-passing layers (params.models: the
(system, layers, k) of the layer sweep; input.curves: their curve.csv; params.n_last)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from ogn.runlog import make_logger  # noqa: E402
from ogn.sweeps import loss_table_from_files, write_figure  # noqa: E402

sm = snakemake  # noqa: F821
log = make_logger(sm.log[0])
table = loss_table_from_files(sm.params.models, sm.input.curves, int(sm.params.n_last))
wanted = pd.DataFrame([tuple(m) for m in sm.params.models], columns=["system", "layers", "k"])
rows = wanted.merge(table, on=["system", "layers", "k"], how="left")
figure, ax = plt.subplots(figsize=(5, 3.8))
for (system, k), group in rows.groupby(["system", "k"]):
    group = group.sort_values("layers")
    ax.semilogy(group["layers"], group["final_test_loss"], "o-", label=f"{system}, k = {k}")
    log(f"{system} k={k}: " + ", ".join(
        f"L{int(r.layers)} {r.final_test_loss:.4g} ({int(r.steps)} steps)"
        for r in group.itertuples()))
ax.set(xlabel="message-passing layers", ylabel="final test loss (standardized)")
ax.legend()
figure.tight_layout()
write_figure(figure, sm.output.png, sm.output.pdf)
