"""Plotting helpers shared by the figure scripts (matplotlib, no global state).

Each helper draws on axes it is given and returns nothing (or the artists it made). A
rollout that stopped early is never drawn as if it had finished: :func:`annotate_stop` writes
the reason and the step on the panel in red, and curves end at the last state kept.

Series passed to :func:`plot_energy_momentum` are dicts with keys ``label``, ``color``,
``md_step`` (F,), ``kinetic_energy``, ``potential_energy``, ``total_energy`` (F,),
``momentum`` (F, 3) and optionally ``stop_reason`` (str or None).
"""

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ogn.data.atomic import atomic_path  # noqa: E402

STOP_COLOR = "#c00000"


def panel_letter(ax, letter: str) -> None:
    """Bold panel letter at the top left, outside the axes."""
    ax.text(-0.14, 1.04, letter, transform=ax.transAxes, fontsize=12, fontweight="bold",
            va="bottom", ha="left")


FOOTER_FONT_SIZE = 7


def add_note(fig, text: str, font_size: float = FOOTER_FONT_SIZE) -> int:
    """Grey provenance text along the bottom of ``fig``, wrapped to the figure's width; every
    axes is moved up so that nothing overlaps it. Call after the layout. Returns the number
    of lines."""
    # about 0.55 em per character of the sans-serif font; 72 points per inch
    width = max(40, int(fig.get_figwidth() * 72 / (0.55 * font_size)) - 4)
    lines = textwrap.wrap(text, width=width) or [""]
    height = (len(lines) * 1.3 * font_size + 6) / (72 * fig.get_figheight())
    for ax in fig.axes:
        box = ax.get_position()
        ax.set_position([box.x0, height + box.y0 * (1 - height), box.width,
                         box.height * (1 - height)])
    fig.text(0.01, 0.005, "\n".join(lines), fontsize=font_size, color="0.35", ha="left",
             va="bottom", linespacing=1.3)
    return len(lines)


def add_footer(fig, preset: str, training_steps, extra: str = "") -> int:
    """The provenance every figure carries (config preset and training steps, then
    ``extra``), wrapped inside the figure (:func:`add_note`)."""
    text = f"config: {preset} | model training steps: {training_steps}"
    if extra:
        text += f" | {extra}"
    return add_note(fig, text)


def annotate_stop(ax, reason, md_step, where=(0.02, 0.04)) -> None:
    """Red note on ``ax`` that the run stopped (nothing if ``reason`` is empty)."""
    if not reason or (isinstance(reason, float) and np.isnan(reason)):
        return
    ax.text(*where, f"UNSTABLE: stopped at MD step {md_step} ({reason})",
            transform=ax.transAxes, color=STOP_COLOR, fontsize=7, fontweight="bold",
            ha="left", va="bottom",
            bbox={"facecolor": "white", "edgecolor": STOP_COLOR, "alpha": 0.85, "pad": 2})


def save_figure(fig, *paths, dpi: int = 150, tight: bool = False) -> None:
    """Write the figure to each path (format from the suffix: pdf, png) atomically, then close
    it; ``tight`` trims the margins to what is drawn."""
    for path in paths:
        if path is None:
            continue
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=Path(path).suffix.lstrip("."), dpi=dpi,
                        bbox_inches="tight" if tight else None)
    plt.close(fig)


def stop_of(table: pd.DataFrame):
    """(reason, md_step) of a metrics table whose last ``status`` is not ``ok``, else (None, None)."""
    if "status" not in table or table["status"].iloc[-1] == "ok":
        return None, None
    return str(table["status"].iloc[-1]), int(table["md_step"].iloc[-1])


def plot_atom_paths(ax, true_positions, predicted_positions, atoms, axes=(0, 1)) -> None:
    """Paths of ``atoms`` projected on two Cartesian ``axes``: MD (solid black) and model
    (dashed red), each starting at a dot. Positions (F, N, 3) unwrapped, centred per atom on
    its starting point so that atoms from all over the box fit in one panel."""
    a, b = axes
    for index, atom in enumerate(atoms):
        start = true_positions[0, atom]
        t = true_positions[:, atom] - start
        p = predicted_positions[:, atom] - start
        label_t = "MD" if index == 0 else None
        label_p = "model" if index == 0 else None
        color = plt.cm.tab10(index % 10)
        ax.plot(t[:, a], t[:, b], "-", color=color, lw=1.2, label=label_t)
        ax.plot(p[:, a], p[:, b], "--", color=color, lw=1.2, label=label_p)
        ax.plot(t[-1, a], t[-1, b], "o", color=color, ms=3)
        ax.plot(p[-1, a], p[-1, b], "x", color=color, ms=4)
    ax.plot([0], [0], "k.", ms=4)
    ax.set_xlabel(f"{'xyz'[a]} - {'xyz'[a]}(0)")
    ax.set_ylabel(f"{'xyz'[b]} - {'xyz'[b]}(0)")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(fontsize=7, loc="upper right", title="solid MD, dashed model", title_fontsize=6)


def density_scatter(ax, true_values, predicted_values, label: str, error: float) -> None:
    """Hexbin density (log counts) of predicted vs true x, y, z values, the identity line and
    the RMSE printed on the panel."""
    true_values = np.asarray(true_values, np.float64).ravel()
    predicted_values = np.asarray(predicted_values, np.float64).ravel()
    finite = np.isfinite(true_values) & np.isfinite(predicted_values)
    t, p = true_values[finite], predicted_values[finite]
    if t.size:
        low, high = np.percentile(np.concatenate([t, p]), [0.5, 99.5])
        pad = 0.05 * (high - low + 1e-12)
        extent = (low - pad, high + pad, low - pad, high + pad)
        ax.hexbin(t, p, gridsize=40, bins="log", cmap="viridis", mincnt=1, extent=extent)
        ax.plot(extent[:2], extent[:2], "r-", lw=0.8)
        ax.set_xlim(extent[:2])
        ax.set_ylim(extent[:2])
    ax.set_xlabel(f"true {label}")
    ax.set_ylabel(f"predicted {label}")
    ax.text(0.04, 0.94, f"RMSE {error:.3g}", transform=ax.transAxes, fontsize=8, va="top",
            bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"})


def plot_energy_momentum(axes, series, energy_unit: str = "", momentum_unit: str = "",
                         components=("kinetic_energy", "potential_energy", "total_energy")):
    """Fig. 4B: energies (``axes[0]``) and momentum per axis (``axes[1]``) vs MD step.

    Energies are drawn relative to their value at step 0 so that kinetic, potential and total
    energy share one scale (kinetic solid-dotted, potential dotted, total solid). Momentum x, y,
    z: solid, dashed, dotted. Every series ending with a ``stop_reason`` gets a red cross at
    its last point and a note naming the reason.
    """
    ax_e, ax_p = axes
    styles = {"kinetic_energy": "-.", "potential_energy": ":", "total_energy": "-"}
    names = {"kinetic_energy": "KE", "potential_energy": "PE", "total_energy": "E"}
    notes = []
    for s in series:
        steps = np.asarray(s["md_step"])
        for name in components:
            values = np.asarray(s[name], np.float64)
            ax_e.plot(steps, values - values[0], styles[name], color=s["color"], lw=1.2,
                      label=f"{s['label']} {names[name]}")
        momentum = np.asarray(s["momentum"], np.float64)
        for axis, style in enumerate(("-", "--", ":")):
            ax_p.plot(steps, momentum[:, axis], style, color=s["color"], lw=1.2,
                      label=f"{s['label']} P{'xyz'[axis]}")
        reason = s.get("stop_reason")
        if reason:
            total = np.asarray(s["total_energy"], np.float64)
            last = total[-1] - total[0] if np.isfinite(total[-1]) else 0.0
            ax_e.plot(steps[-1], last, "x", color=STOP_COLOR, ms=9, mew=2)
            ax_p.plot(steps[-1], momentum[-1, 0], "x", color=STOP_COLOR, ms=9, mew=2)
            notes.append(f"{s['label']}: stopped at MD step {steps[-1]} ({reason})")
    ax_e.set_ylabel(f"energy - energy(0) [{energy_unit}]" if energy_unit
                    else "energy - energy(0)")
    ax_p.set_ylabel(f"momentum [{momentum_unit}]" if momentum_unit else "momentum")
    ax_p.set_xlabel("MD step")
    ax_e.legend(fontsize=6, ncol=len(series), loc="best")
    ax_p.legend(fontsize=6, ncol=len(series), loc="best")
    for index, note in enumerate(notes):
        ax_e.text(0.02, 0.04 + 0.09 * index, note, transform=ax_e.transAxes,
                  color=STOP_COLOR, fontsize=7, fontweight="bold",
                  bbox={"facecolor": "white", "edgecolor": STOP_COLOR, "alpha": 0.85,
                        "pad": 2})
    return notes


def symmetric_log_limits(ax, values, floor: float = 1e-12) -> None:
    """y-limits of a log axis covering the finite positive ``values``."""
    values = np.asarray(values, np.float64)
    values = values[np.isfinite(values) & (values > floor)]
    if values.size:
        ax.set_ylim(values.min() / 2, values.max() * 2)


def plot_rollout_comparison(ax_paths, ax_position, ax_velocity, md, rollout, table,
                            figure_step: int, n_atoms: int, seed: int, title: str = "") -> dict:
    """Figs. 2/3 row: paths of random atoms up to ``figure_step`` (MD vs model), and density
    scatters of predicted vs true positions and velocities at that step (or the last state
    kept, with the stop annotated). ``md`` and ``rollout`` are :class:`ogn.data.h5md.Trajectory`
    (file units), ``table`` the rollout's metrics.csv. Returns what was plotted (step, RMSEs)."""
    rows = table[table["md_step"] <= figure_step]
    row = rows.iloc[-1]
    step = int(row["md_step"])
    frames = np.nonzero(rollout.step <= step)[0]
    md_index = np.searchsorted(md.step, md.step[0] + rollout.step[frames])
    rng = np.random.default_rng(seed)
    atoms = rng.choice(md.position.shape[1], size=min(n_atoms, md.position.shape[1]),
                       replace=False)
    plot_atom_paths(ax_paths, md.position[md_index], rollout.position[frames], atoms)
    ax_paths.set_title(f"{title} {len(atoms)} random atoms, {step} MD steps".strip(),
                       fontsize=9)
    last = frames[-1]
    density_scatter(ax_position, md.position[md_index[-1]], rollout.position[last],
                    "position", float(row["position_rmse"]))
    density_scatter(ax_velocity, md.velocity[md_index[-1]], rollout.velocity[last],
                    "velocity", float(row["velocity_rmse"]))
    ax_position.set_title(f"x, y, z at MD step {step}", fontsize=9)
    ax_velocity.set_title(f"vx, vy, vz at MD step {step}", fontsize=9)
    reason, stop_step = stop_of(table)
    if reason:
        for ax in (ax_paths, ax_position, ax_velocity):
            annotate_stop(ax, reason, stop_step)
    elif step < figure_step:
        ax_paths.text(0.02, 0.04, f"only {step} of {figure_step} MD steps available",
                      transform=ax_paths.transAxes, color=STOP_COLOR, fontsize=7)
    return {"md_step": step, "position_rmse": float(row["position_rmse"]),
            "velocity_rmse": float(row["velocity_rmse"]), "stop_reason": reason}
