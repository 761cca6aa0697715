"""Figures of the MD and of the sweeps' losses: ESI S2 (cage sizes), Fig. 5 (liquid against
glass), ESI S11 (fictive temperature). Each function takes tables and returns the figure."""

import matplotlib.pyplot as plt
import numpy as np

from ogn.evaluate.glass import cooling_part
from ogn.evaluate.losses import loss_knee
from ogn.report.plotting import add_footer, panel_letter

STATE_COLORS = {"liquid": "tab:red", "glass": "tab:blue"}


def cage_size_figure(cages, curves, slope: float, preset: str):
    """ESI S2: RMSD of MD against time per system (``curves``), the cage size marked where
    the log-log slope of the MSD first reaches ``slope`` (``cages``)."""
    systems = list(cages["system"])
    fig, axes = plt.subplots(1, len(systems), figsize=(3.2 * len(systems), 3.2), squeeze=False)
    for ax, cage, letter in zip(axes[0], cages.itertuples(), "ABCDEFGH", strict=False):
        curve = curves[curves["system"] == cage.system]
        ax.loglog(curve["time"].iloc[1:], curve["rmsd"].iloc[1:], "k-")
        ax.axhline(cage.cage_size, color="red", ls="--", lw=0.8)
        ax.plot([cage.cage_time], [cage.cage_size], "ro")
        ax.set_title(f"{cage.system}: cage {cage.cage_size:.3g}", fontsize=9)
        ax.set_xlabel(f"time [{cage.time_unit}]")
        ax.set_ylabel("RMSD")
        panel_letter(ax, letter)
    fig.tight_layout()
    add_footer(fig, preset, "n/a (MD only)",
               f"cage = RMSD where d ln MSD / d ln t first reaches {slope:g}")
    return fig


def liquid_glass_figure(rmsd, losses, curves: dict, names: dict, layers: int, curve_k: int,
                        ks, knee_factor: float, log):
    """Fig. 5: A, RMSD against time of liquid and glass (``rmsd``); B, test and train loss
    against epoch at k = ``curve_k`` (``curves``: state -> curve table); C, final test loss
    against k (``losses``, the sweep's loss table), with the k where it turns up."""
    figure, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    unit = "time"
    for state, system in names.items():
        rows = rmsd[rmsd["state"] == state]
        unit = rows["time_unit"].iloc[0] if "time_unit" in rows else unit
        axes[0].loglog(rows["time"], rows["rmsd"], "o-", ms=3, color=STATE_COLORS[state],
                       label=f"{state} ({system})")
    axes[0].set(xlabel=f"time ({unit})", ylabel="RMSD (length unit)", title="A  MD")
    axes[0].legend()
    for state, curve in curves.items():
        axes[1].semilogy(curve["epoch"], curve["test_loss"], "-", color=STATE_COLORS[state],
                         label=state)
        axes[1].semilogy(curve["epoch"], curve["train_loss"], ":", color=STATE_COLORS[state],
                         alpha=0.6)
    axes[1].set(xlabel="epoch", ylabel="loss (standardized)",
                title=f"B  Fast-OGN ({layers} layers), k = {curve_k}")
    axes[1].legend(title="solid: test, dotted: train")
    for state, system in names.items():
        rows = losses[(losses["system"] == system) & (losses["layers"] == int(layers))
                      & losses["k"].isin([int(k) for k in ks])].sort_values("k")
        knee = loss_knee(rows["k"], rows["final_test_loss"], float(knee_factor))
        axes[2].loglog(rows["k"], rows["final_test_loss"], "o-", color=STATE_COLORS[state],
                       label=f"{state}: turns up after k = {knee.last_good_k}"
                       if knee.first_bad_k else f"{state}: no sharp rise")
        values = ", ".join(f"k={int(r.k)} {r.final_test_loss:.4g}" for r in rows.itertuples())
        log(f"{state}: final test losses {values}; knee {knee}")
    axes[2].set(xlabel="k (MD steps per prediction)", ylabel="final test loss", title="C")
    axes[2].legend()
    figure.tight_layout()
    return figure


def fictive_temperature_figure(quench_curve, fictive, n_atoms: int, units: str):
    """ESI S11: potential energy per atom against temperature along the quench ramp, the
    liquid and glass lines and their crossing (``fictive``: the fictive-temperature table)."""
    temperature, energy = cooling_part(quench_curve)
    energy = energy / int(n_atoms)
    row = fictive.iloc[0]
    t_unit, e_unit = ("", "epsilon") if units == "lj" else (" (K)", "eV")
    figure, ax = plt.subplots(figsize=(5, 3.8))
    ax.plot(temperature, energy, ".", ms=3, color="0.4", label="cooling ramp")
    grid = np.linspace(temperature.min(), temperature.max(), 100)
    for state in ("liquid", "glass"):
        ax.plot(grid, row[f"{state}_slope"] * grid + row[f"{state}_intercept"], "-",
                color=STATE_COLORS[state], label=f"{state} line")
    ax.axvline(row["fictive_temperature"], color="k", ls="--", lw=1,
               label=f"T_f = {row['fictive_temperature']:.3g}")
    ax.set(xlabel=f"temperature{t_unit}", ylabel=f"potential energy per atom ({e_unit})",
           title=f"{row['system']}: quench to T = {row['final_temperature']:g}")
    ax.legend(fontsize=8)
    figure.tight_layout()
    return figure
