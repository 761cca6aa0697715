"""ESI S12: the ablation of the extended OGN, one row of panels per (system, k).

Rows: the trained variants, then the integrator reference ``verlet{n}`` (no training time).
Panels per row: A one-step test loss of dr and of dv; B rollout position and velocity RMSE
(over the cage size and the thermal velocity scale); C total-energy drift (over <KE>) and
momentum drift (over its thermal scale); D time per training step. Unstable rollouts are
named in red with the MD step at which they stopped.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullFormatter

from ogn.report.plotting import STOP_COLOR, add_footer, panel_letter


def variant_ticks(ax, labels, stops) -> None:
    """Variant names on the y axis; a rollout stopped by a check is named in red with its
    MD step."""
    y = np.arange(len(labels))
    text = [f"{name} (stop {stop})" if stop else name
            for name, stop in zip(labels, stops, strict=True)]
    ax.set_yticks(y, text, fontsize=8)
    for tick, stop in zip(ax.get_yticklabels(), stops, strict=True):
        if stop:
            tick.set_color(STOP_COLOR)
    ax.invert_yaxis()


def paired_bars(ax, labels, stops, first, second, names, colors) -> None:
    y = np.arange(len(labels))
    floor = 1e-12
    ax.barh(y - 0.2, np.maximum(first, floor), 0.4, label=names[0], color=colors[0])
    ax.barh(y + 0.2, np.maximum(second, floor), 0.4, label=names[1], color=colors[1])
    ax.set_xscale("log")
    low, high = ax.get_xlim()
    if np.log10(high / low) > 1.2:  # enough decades for labelled major ticks only
        ax.xaxis.set_minor_formatter(NullFormatter())
    else:
        ax.tick_params(axis="x", which="minor", labelsize=6)
    variant_ticks(ax, labels, stops)
    ax.legend(fontsize=7, loc="best")


def ablation_figure(table, preset: str, minutes: float, layers: int, log):
    """ESI S12 from the ablation table (rows of :func:`ogn.evaluate.against_md.ablation_row`)."""
    cases = list(dict.fromkeys(zip(table["system"], table["k"], strict=True)))
    figure, axes = plt.subplots(len(cases), 4, figsize=(16, 0.5 + 2.6 * len(cases)),
                                squeeze=False)
    for row, (system, k) in enumerate(cases):
        group = table[(table["system"] == system) & (table["k"] == k)]
        ablation_row_panels(axes[row], group, system, k, first=row == 0)
        for r in group.itertuples():
            log(f"{system} k={k} {r.variant}: loss dr {r.test_loss_dr:.3g} dv "
                f"{r.test_loss_dv:.3g}, RMSE pos {r.position_rmse:.3g} vel "
                f"{r.velocity_rmse:.3g}, E drift {r.energy_drift:.3g}, P drift "
                f"{r.momentum_drift:.3g}, {r.ms_per_step:.0f} ms/step, {r.verdict}")
    figure.tight_layout()
    add_footer(figure, preset, "see table.csv",
               f"each model {float(minutes):g} min of training, {int(layers)} layers")
    return figure


def ablation_row_panels(axes, group, system: str, k: int, first: bool) -> None:
    """The four panels of one (system, k) case."""
    labels = list(group["variant"])
    stops = [int(s) if isinstance(r, str) and r else None
             for s, r in zip(group["stopped_at_md_step"].fillna(-1),
                             group["stop_reason"].fillna(""), strict=True)]
    ax = axes[0]
    paired_bars(ax, labels, [None] * len(labels), group["test_loss_dr"].to_numpy(),
                group["test_loss_dv"].to_numpy(), ["dr", "dv"], ["tab:blue", "tab:orange"])
    ax.set(xlabel="one-step test loss (standardized)", title=f"{system}, k = {k}")
    ax = axes[1]
    paired_bars(ax, labels, stops, (group["position_rmse"] / group["cage_size"]).to_numpy(),
                (group["velocity_rmse"] / group["velocity_scale"]).to_numpy(),
                ["position / cage", "velocity / thermal"], ["tab:green", "tab:purple"])
    ax.axvline(1.0, color="0.5", lw=0.8, ls=":")
    steps = int(group["rollout_md_steps"].max())
    ax.set(xlabel=f"rollout RMSE / scale, last step (<= {steps} MD steps)")
    ax = axes[2]
    paired_bars(ax, labels, stops, group["energy_drift"].to_numpy(),
                group["momentum_drift"].to_numpy(), ["energy / <KE>", "momentum / thermal"],
                ["tab:red", "tab:gray"])
    md_drift = float(group["md_energy_drift"].median())
    ax.axvline(md_drift, color="tab:red", lw=0.8, ls="--")
    ax.set(xlabel=f"max drift (dashed: MD's energy, {md_drift:.1g})")
    ax = axes[3]
    ax.barh(np.arange(len(labels)), group["ms_per_step"], color="tab:cyan")
    variant_ticks(ax, labels, [None] * len(labels))
    ax.set(xlabel="training step (ms)")
    if first:
        for column, letter in enumerate("ABCD"):
            panel_letter(axes[column], letter)
