"""Rule figS12: the ablation of the extended OGN, one row of panels per (system, k).

Panels per row: A one-step test loss of dr and of dv; B rollout position and velocity RMSE
(over the cage size and the thermal velocity scale); C total-energy drift (over <KE>) and
momentum drift (over its thermal scale); D time per training step. Unstable rollouts are
drawn in red with the MD step at which they stopped.
snakemake.input.table; params.preset, .minutes, .layers; output.pdf, output.png.
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ogn.plotting import STOP_COLOR, add_footer, panel_letter, save_figure  # noqa: E402
from ogn.runlog import make_logger  # noqa: E402

sm = snakemake  # noqa: F821
log = make_logger(sm.log[0])
table = pd.read_csv(sm.input.table)
cases = list(dict.fromkeys(zip(table["system"], table["k"], strict=True)))
figure, axes = plt.subplots(len(cases), 4, figsize=(15, 0.5 + 2.6 * len(cases)),
                            squeeze=False)


def paired_bars(ax, labels, first, second, names, colors, unstable=None):
    y = np.arange(len(labels))
    floor = 1e-12
    ax.barh(y - 0.2, np.maximum(first, floor), 0.4, label=names[0], color=colors[0])
    ax.barh(y + 0.2, np.maximum(second, floor), 0.4, label=names[1], color=colors[1])
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xscale("log")
    ax.invert_yaxis()
    if unstable is not None:
        for i, note in enumerate(unstable):
            if note:
                ax.text(0.98, i, note, transform=ax.get_yaxis_transform(), ha="right",
                        va="center", fontsize=6, color=STOP_COLOR, fontweight="bold")
    ax.legend(fontsize=7, loc="lower right")


for row, (system, k) in enumerate(cases):
    group = table[(table["system"] == system) & (table["k"] == k)]
    labels = list(group["variant"])
    unstable = [f"stopped at MD step {int(s)}" if isinstance(r, str) and r else ""
                for s, r in zip(group["stopped_at_md_step"].fillna(-1),
                                group["stop_reason"].fillna(""), strict=True)]
    ax = axes[row, 0]
    paired_bars(ax, labels, group["test_loss_dr"].to_numpy(), group["test_loss_dv"].to_numpy(),
                ["dr", "dv"], ["tab:blue", "tab:orange"])
    ax.set(xlabel="one-step test loss (standardized)", title=f"{system}, k = {k}")
    ax = axes[row, 1]
    paired_bars(ax, labels, (group["position_rmse"] / group["cage_size"]).to_numpy(),
                (group["velocity_rmse"] / group["velocity_scale"]).to_numpy(),
                ["position / cage", "velocity / thermal"], ["tab:green", "tab:purple"],
                unstable)
    ax.axvline(1.0, color="0.5", lw=0.8, ls=":")
    steps = int(group["rollout_md_steps"].max())
    ax.set(xlabel=f"rollout RMSE at MD step {steps} (relative)")
    ax = axes[row, 2]
    paired_bars(ax, labels, group["energy_drift"].to_numpy(), group["momentum_drift"].to_numpy(),
                ["energy / <KE>", "momentum / thermal"], ["tab:red", "tab:gray"], unstable)
    md_drift = float(group["md_energy_drift"].median())
    ax.axvline(md_drift, color="tab:red", lw=0.8, ls="--")
    ax.set(xlabel=f"max drift over the rollout (dashed: MD energy {md_drift:.1g})")
    ax = axes[row, 3]
    y = np.arange(len(labels))
    ax.barh(y, group["ms_per_step"], color="tab:cyan")
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set(xlabel="training step (ms)")
    for column, letter in enumerate("ABCD"):
        if row == 0:
            panel_letter(axes[row, column], letter)
    for r in group.itertuples():
        log(f"{system} k={k} {r.variant}: loss dr {r.test_loss_dr:.3g} dv {r.test_loss_dv:.3g}, "
            f"RMSE pos {r.position_rmse:.3g} vel {r.velocity_rmse:.3g}, "
            f"E drift {r.energy_drift:.3g}, P drift {r.momentum_drift:.3g}, "
            f"{r.ms_per_step:.0f} ms/step, {r.verdict}")
figure.tight_layout(rect=(0, 0.03, 1, 1))
add_footer(figure, sm.params.preset, "see table.csv",
           f"each model {float(sm.params.minutes):g} min of training, "
           f"{int(sm.params.layers)} layers")
save_figure(figure, sm.output.pdf, sm.output.png)
