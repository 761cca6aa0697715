"""Figures of the supplement's sweeps: training curves (S1), transfer to other sizes,
temperatures and densities (S5-S7), loss against layers (S8) and against k (S9, S10).
Each function takes tables and returns the figure; ``log`` receives the numbers drawn."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ogn.evaluate.losses import loss_knee
from ogn.report.plotting import add_footer

TRANSFER_COLUMNS = {"size": "n_atoms", "temperature": "temperature", "density": "density"}
TRANSFER_LABELS = {"size": "number of atoms", "temperature": "temperature",
                   "density": "number density"}


def add_sweep_footer(fig, preset: str, losses: pd.DataFrame) -> None:
    """The footer of a sweep figure: the config and sweep models behind it and the training
    steps of its models (one number where they all trained alike)."""
    steps = sorted({int(s) for s in losses["steps"]}) if len(losses) else []
    text = (str(steps[0]) if len(steps) == 1 else
            f"{steps[0]}-{steps[-1]}" if steps else "none")
    add_footer(fig, preset, text)


def training_curves_figure(curves: dict, log):
    """ESI S1: test (solid) and train (dotted) loss against step of every model
    (``curves``: (system, layers, k) -> curve table), one panel per system."""
    models = list(curves)
    systems = list(dict.fromkeys(m[0] for m in models))
    columns = min(3, len(systems))
    rows = int(np.ceil(len(systems) / columns))
    figure, axes = plt.subplots(rows, columns, figsize=(4.5 * columns, 3.5 * rows),
                                squeeze=False)
    for ax, system in zip(axes.flat, systems, strict=False):
        for (name, layers, k), curve in curves.items():
            if name != system:
                continue
            line, = ax.loglog(curve["step"], curve["test_loss"], "-", label=f"L{layers} k{k}")
            ax.loglog(curve["step"], curve["train_loss"], ":", color=line.get_color(),
                      alpha=0.6)
            log(f"{system} L{layers} k{k}: {int(curve['step'].iloc[-1])} steps, last test loss "
                f"{curve['test_loss'].iloc[-1]:.4g}")
        ax.set(title=system, xlabel="training step", ylabel="loss (standardized)")
        ax.legend(fontsize=7, ncol=2)
    for ax in list(axes.flat)[len(systems):]:
        ax.axis("off")
    figure.tight_layout()
    return figure


def transfer_figure(table: pd.DataFrame, kind: str, log):
    """ESI S5-S7: one-step test loss of Fast-OGN on MD of other sizes, temperatures or
    densities (``kind``), the training conditions starred."""
    column = TRANSFER_COLUMNS[kind]
    table = table[table["kind"] == kind] if len(table) else table
    figure, ax = plt.subplots(figsize=(5, 3.8))
    if len(table) == 0:
        ax.text(0.5, 0.5, f"no {kind} transfer runs in config\n(sweeps.transfer.{kind}_factors)",
                ha="center", va="center", transform=ax.transAxes)
        log(f"no {kind} transfer runs configured")
    for system, rows in table.groupby("system") if len(table) else []:
        rows = rows.sort_values(column)
        base = rows[f"base_{column}"].iloc[0]
        reference = rows["reference_test_loss"].iloc[0]
        x = list(rows[column]) + [base]
        y = list(rows["test_loss"]) + [reference]
        order = sorted(range(len(x)), key=x.__getitem__)
        line, = ax.semilogy([x[i] for i in order], [y[i] for i in order], "o-",
                            label=f"{system} (L{rows['layers'].iloc[0]}, k = {rows['k'].iloc[0]})")
        ax.semilogy([base], [reference], "*", ms=14, color=line.get_color(),
                    label=f"{system}: training conditions")
        for _, row in rows.iterrows():
            log(f"{system} {row['variant']}: {column} = {row[column]:.4g}, test loss "
                f"{row['test_loss']:.4g} ({row['loss_ratio']:.3g}x the training conditions)")
    ax.set(xlabel=TRANSFER_LABELS[kind], ylabel="one-step test loss (standardized)",
           title=f"transfer: other {kind}")
    if len(table):
        ax.legend(fontsize=8)
    figure.tight_layout()
    return figure


def layers_figure(losses: pd.DataFrame, models, log):
    """ESI S8: final test loss against the number of message-passing layers of ``models``
    ((system, layers, k) of the layer sweep)."""
    wanted = pd.DataFrame([tuple(m) for m in models], columns=["system", "layers", "k"])
    rows = wanted.merge(losses, on=["system", "layers", "k"], how="left")
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
    return figure


def k_sweep_figure(losses: pd.DataFrame, systems, layers: int, ks, knee_factor: float,
                   fast_ogn_k: dict, log):
    """ESI S9 / S10: final test loss against k per system at Fast-OGN depth; the k each
    system's Fast-OGN uses boxed, the first sharp rise crossed."""
    figure, ax = plt.subplots(figsize=(5.5, 4))
    for system in systems:
        rows = losses[(losses["system"] == system) & (losses["layers"] == int(layers))
                      & losses["k"].isin([int(k) for k in ks])].sort_values("k")
        if rows.empty:
            log(f"{system}: no models in the k sweep")
            continue
        knee = loss_knee(rows["k"], rows["final_test_loss"], float(knee_factor))
        line, = ax.loglog(rows["k"], rows["final_test_loss"], "o-", label=system)
        chosen = rows[rows["k"] == int(fast_ogn_k[system])]
        ax.loglog(chosen["k"], chosen["final_test_loss"], "s", ms=10, mfc="none",
                  color=line.get_color())
        if knee.first_bad_k is not None:
            bad = rows[rows["k"] == knee.first_bad_k]
            ax.loglog(bad["k"], bad["final_test_loss"], "x", ms=12, color=line.get_color())
        log(f"{system}: " + ", ".join(f"k={int(r.k)} {r.final_test_loss:.4g}"
                                      for r in rows.itertuples())
            + f"; turns up between k = {knee.last_good_k} and {knee.first_bad_k}")
    ax.set(xlabel="k (MD steps per prediction)", ylabel="final test loss (standardized)",
           title=f"Fast-OGN ({layers} layers); square: k used, x: first sharp rise")
    ax.legend()
    figure.tight_layout()
    return figure
