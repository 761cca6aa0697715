"""Rules figS9 / figS10: final test loss vs k per system (Fast-OGN depth), the k where it
turns up sharply marked. input.curves: curve.csv of params.models ((system, layers, k));
params: models, n_last, systems, layers, k, knee_factor, fast_ogn_k (the k each system's
Fast-OGN uses)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ogn.runlog import make_logger  # noqa: E402
from ogn.sweeps import loss_knee, loss_table_from_files, write_figure  # noqa: E402

sm = snakemake  # noqa: F821
log = make_logger(sm.log[0])
p = sm.params
table = loss_table_from_files(sm.params.models, sm.input.curves, int(sm.params.n_last))
figure, ax = plt.subplots(figsize=(5.5, 4))
for system in p.systems:
    rows = table[(table["system"] == system) & (table["layers"] == int(p.layers))
                 & table["k"].isin([int(k) for k in p.k])].sort_values("k")
    if rows.empty:
        log(f"{system}: no models in the k sweep")
        continue
    knee = loss_knee(rows["k"], rows["final_test_loss"], float(p.knee_factor))
    line, = ax.loglog(rows["k"], rows["final_test_loss"], "o-", label=system)
    chosen = rows[rows["k"] == int(p.fast_ogn_k[system])]
    ax.loglog(chosen["k"], chosen["final_test_loss"], "s", ms=10, mfc="none",
              color=line.get_color())
    if knee.first_bad_k is not None:
        bad = rows[rows["k"] == knee.first_bad_k]
        ax.loglog(bad["k"], bad["final_test_loss"], "x", ms=12, color=line.get_color())
    log(f"{system}: " + ", ".join(f"k={int(r.k)} {r.final_test_loss:.4g}"
                                  for r in rows.itertuples())
        + f"; turns up between k = {knee.last_good_k} and {knee.first_bad_k}")
ax.set(xlabel="k (MD steps per prediction)", ylabel="final test loss (standardized)",
       title=f"Fast-OGN ({p.layers} layers); square: k used, x: first sharp rise")
ax.legend()
figure.tight_layout()
write_figure(figure, sm.output.png, sm.output.pdf)
