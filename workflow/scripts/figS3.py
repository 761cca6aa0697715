"""ESI Fig. S3: position and velocity RMSE against MD vs MD step over the rollout (up to
rollout.steps), relative to the cage size and the velocity scale, for every rollout.

snakemake.input.metrics and .summary (lists, same order); params.preset; output.pdf, .png.
"""
import matplotlib.pyplot as plt
import pandas as pd

from ogn.plotting import add_footer, annotate_stop, panel_letter, save_figure, stop_of

sm = snakemake  # noqa: F821
fig, (ax_r, ax_v) = plt.subplots(1, 2, figsize=(10, 4))
training = []
notes = 0
for index, (metrics, summary) in enumerate(zip(sm.input.metrics, sm.input.summary,
                                               strict=True)):
    table = pd.read_csv(metrics)
    info = pd.read_csv(summary).iloc[0]
    label = f"{info['system']} L{info['layers']} k{info['k']}"
    color = plt.cm.tab10(index % 10)
    steps = table["md_step"].clip(lower=1)
    ax_r.loglog(steps[1:], table["position_rmse"][1:] / info["cage_size"], color=color,
                label=label)
    ax_v.loglog(steps[1:], table["velocity_rmse"][1:] / info["velocity_scale"], color=color,
                label=label)
    reason, step = stop_of(table)
    if reason:
        ax_r.plot(steps.iloc[-1], table["position_rmse"].iloc[-1] / info["cage_size"], "x",
                  color="#c00000", ms=8, mew=2)
        annotate_stop(ax_r, f"{label}: {reason}", step, where=(0.02, 0.04 + 0.08 * notes))
        notes += 1
    training.append(f"{label}: {info['training_steps']}")
ax_r.set(xlabel="MD step", ylabel="position RMSE / cage size")
ax_v.set(xlabel="MD step", ylabel="velocity RMSE / sqrt(kB T / m)")
for ax, letter in ((ax_r, "A"), (ax_v, "B")):
    ax.axhline(1.0, color="0.5", lw=0.8, ls=":")
    ax.legend(fontsize=6)
    panel_letter(ax, letter)
fig.tight_layout(rect=(0, 0.06, 1, 1))
add_footer(fig, sm.params.preset, "; ".join(training))
save_figure(fig, sm.output.pdf, sm.output.png)
