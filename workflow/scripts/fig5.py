"""Rule fig5: liquid vs glass. A, RMSD vs time from the MD test trajectories; B, test loss vs
epoch of Fast-OGN at k = curve_k; C, final test loss vs k.

snakemake.input.liquid / .glass (H5MD lists), .curves (curve.csv of params.models, the
(system, layers, k) of both k sweeps); params: models, n_last, liquid, glass, curve_k, k, layers,
rmsd_lags, knee_factor;
output.png / .pdf, output.rmsd (CSV: system, time, rmsd, msd).
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from ogn.glass import rmsd_curve  # noqa: E402
from ogn.h5md import read_trajectory  # noqa: E402
from ogn.runlog import make_logger  # noqa: E402
from ogn.sweeps import (  # noqa: E402
    loss_knee,
    loss_table_from_files,
    read_curve,
    write_figure,
    write_table,
)

sm = snakemake  # noqa: F821
log = make_logger(sm.log[0])
p = sm.params
names = {"liquid": p.liquid, "glass": p.glass}
colors = {"liquid": "tab:red", "glass": "tab:blue"}
table = loss_table_from_files(p.models, sm.input.curves, int(p.n_last))

figure, axes = plt.subplots(1, 3, figsize=(13, 3.8))
rmsd_rows = []
for state, files in (("liquid", sm.input.liquid), ("glass", sm.input.glass)):
    trajectories = [read_trajectory(path) for path in files]
    curve = rmsd_curve(trajectories, n_lags=int(p.rmsd_lags))
    unit = trajectories[0].metadata.get("dt_unit", "time")
    axes[0].loglog(curve["time"], curve["rmsd"], "o-", ms=3, color=colors[state],
                   label=f"{state} ({names[state]})")
    rmsd_rows += [{"system": names[state], "state": state, "time": t, "rmsd": r, "msd": m}
                  for t, r, m in zip(curve["time"], curve["rmsd"], curve["msd"], strict=True)]
    log(f"{state}: RMSD {curve['rmsd'][0]:.4g} at t = {curve['time'][0]:.4g}, "
        f"{curve['rmsd'][-1]:.4g} at t = {curve['time'][-1]:.4g} {unit}")
axes[0].set(xlabel=f"time ({unit})", ylabel="RMSD (length unit)", title="A  MD")
axes[0].legend()

curve_files = {tuple(m): path for m, path in zip(p.models, sm.input.curves, strict=True)}
for state, system in names.items():
    curve = read_curve(curve_files[(system, int(p.layers), int(p.curve_k))])
    axes[1].semilogy(curve["epoch"], curve["test_loss"], "-", color=colors[state], label=state)
    axes[1].semilogy(curve["epoch"], curve["train_loss"], ":", color=colors[state], alpha=0.6)
axes[1].set(xlabel="epoch", ylabel="loss (standardized)",
            title=f"B  Fast-OGN ({p.layers} layers), k = {p.curve_k}")
axes[1].legend(title="solid: test, dotted: train")

for state, system in names.items():
    rows = table[(table["system"] == system) & (table["layers"] == int(p.layers))
                 & table["k"].isin([int(k) for k in p.k])].sort_values("k")
    knee = loss_knee(rows["k"], rows["final_test_loss"], float(p.knee_factor))
    axes[2].loglog(rows["k"], rows["final_test_loss"], "o-", color=colors[state],
                   label=f"{state}: turns up after k = {knee.last_good_k}"
                   if knee.first_bad_k else f"{state}: no sharp rise")
    losses = ", ".join(f"k={int(r.k)} {r.final_test_loss:.4g}" for r in rows.itertuples())
    log(f"{state}: final test losses {losses}; knee {knee}")
axes[2].set(xlabel="k (MD steps per prediction)", ylabel="final test loss", title="C")
axes[2].legend()
figure.tight_layout()
write_figure(figure, sm.output.png, sm.output.pdf)
write_table(pd.DataFrame(rmsd_rows), sm.output.rmsd)
