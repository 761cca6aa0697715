"""Figures of the rollouts: Figs. 2 and 3 (rollouts against MD), Fig. 4B (energy and
momentum), ESI S3 (error accumulation) and ESI S4 (long rollouts)."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ogn.evaluate.against_md import figure_step_of
from ogn.evaluate.long_run import long_rollout_judgement
from ogn.report.plotting import (
    STOP_COLOR,
    add_footer,
    annotate_stop,
    panel_letter,
    plot_energy_momentum,
    plot_rollout_comparison,
    stop_of,
)

MOMENTUM_COLUMNS = ["momentum_x", "momentum_y", "momentum_z"]


def panel_rows(n_rows: int, n_columns: int, width: float, row_height: float):
    """(figure, axes (rows, columns), panel letters A, B, ... row by row) of a figure with one
    row of panels per system."""
    fig, axes = plt.subplots(n_rows, n_columns, figsize=(width, row_height * n_rows + 0.4),
                             squeeze=False)
    return fig, axes, iter(panel_letters(n_rows * n_columns))


def panel_letters(n: int) -> list[str]:
    """``n`` panel letters: A to Z, then AA, AB, ..."""
    import string

    letters = list(string.ascii_uppercase)
    return [letters[i] if i < 26 else letters[i // 26 - 1] + letters[i % 26] for i in range(n)]


def metrics_series(label: str, color: str, table, max_step: int | None = None) -> dict:
    """A series of :func:`ogn.report.plotting.plot_energy_momentum` from a metrics table
    (rollout or md_kdt), up to ``max_step`` MD steps."""
    if max_step is not None:
        table = table[table["md_step"] <= max_step]
    return {"label": label, "color": color, "md_step": table["md_step"].to_numpy(),
            **{name: table[name] for name in
               ("kinetic_energy", "potential_energy", "total_energy")},
            "momentum": table[MOMENTUM_COLUMNS].to_numpy(), "stop_reason": stop_of(table)[0]}


def trajectory_series(md, max_step: int) -> dict:
    """The MD test trajectory as a series (black, k = 1), up to ``max_step`` MD steps."""
    keep = (md.step - md.step[0]) <= max_step
    return {"label": "MD (k=1)", "color": "black", "md_step": md.step[keep] - md.step[0],
            **{name: md.observables[name][keep] for name in
               ("kinetic_energy", "potential_energy", "total_energy", "momentum")}}


def energy_series(md, kdt, fast, k: int, steps: int) -> list[dict]:
    """Fig. 4B's three series: MD at dt, MD at k dt and Fast-OGN."""
    return [trajectory_series(md, steps), metrics_series(f"MD (k={k})", "orange", kdt, steps),
            metrics_series(f"Fast-OGN (k={k})", "red", fast, steps)]


def family_note(step_family) -> str:
    """`` (learned pair force, 5 substeps)`` for a footer ('' for files written before it was
    recorded)."""
    return f" ({step_family})" if isinstance(step_family, str) and step_family else ""


def energy_figure(md, kdt, fast, rollout, k: int, steps: int, preset: str):
    """Fig. 4B: kinetic, potential and total energy and momentum per axis over ``steps`` MD
    steps for Fast-OGN, MD at dt (the test trajectory ``md``) and MD at k dt."""
    units = md.metadata.get("unit_strings", {})
    fig, axes = plt.subplots(2, 1, figsize=(7, 6.5), sharex=True)
    plot_energy_momentum(axes, energy_series(md, kdt, fast, k, steps),
                         units.get("energy", ""), units.get("momentum", ""))
    axes[0].set_title(f"{md.metadata.get('system')}: energy and momentum over {steps} MD "
                      "steps", fontsize=9)
    panel_letter(axes[0], "B")
    fig.tight_layout()
    add_footer(fig, preset, rollout.metadata.get("training_steps"),
               f"Fast-OGN L{rollout.metadata.get('layers')} k{k}"
               + family_note(rollout.metadata.get("step_family")))
    return fig


def error_growth_figure(metrics, summaries, preset: str):
    """ESI S3: position and velocity RMSE against MD step over every rollout, relative to the
    cage size and the velocity scale (``metrics``, ``summaries``: tables in the same order)."""
    fig, (ax_r, ax_v) = plt.subplots(1, 2, figsize=(10, 4))
    training = []
    notes = 0
    for index, (table, summary) in enumerate(zip(metrics, summaries, strict=True)):
        info = summary.iloc[0]
        label = f"{info['system']} L{info['layers']} k{info['k']}"
        color = plt.cm.tab10(index % 10)
        steps = table["md_step"].clip(lower=1)
        ax_r.loglog(steps[1:], table["position_rmse"][1:] / info["cage_size"], color=color,
                    label=label)
        ax_v.loglog(steps[1:], table["velocity_rmse"][1:] / info["velocity_scale"],
                    color=color, label=label)
        reason, step = stop_of(table)
        if reason:
            ax_r.plot(steps.iloc[-1], table["position_rmse"].iloc[-1] / info["cage_size"], "x",
                      color=STOP_COLOR, ms=8, mew=2)
            annotate_stop(ax_r, f"{label}: {reason}", step, where=(0.02, 0.04 + 0.08 * notes))
            notes += 1
        training.append(f"{label}{family_note(info.get('step_family'))}: "
                        f"{info['training_steps']}")
    ax_r.set(xlabel="MD step", ylabel="position RMSE / cage size")
    ax_v.set(xlabel="MD step", ylabel="velocity RMSE / sqrt(kB T / m)")
    for ax, letter in ((ax_r, "A"), (ax_v, "B")):
        ax.axhline(1.0, color="0.5", lw=0.8, ls=":")
        ax.legend(fontsize=6)
        panel_letter(ax, letter)
    fig.tight_layout()
    add_footer(fig, preset, "; ".join(training))
    return fig


def long_rollout_figure(systems, series_tables, structure_tables, preset: str):
    """ESI S4: long rollouts against MD, one row per system: MSD, total energy, g(r) and
    F_s(q, t) at the first peak of S(q)."""
    systems = list(systems)
    fig, axes, letters = panel_rows(len(systems), 4, 14, 3.3)
    training = []
    for row, name in enumerate(systems):
        series, structure = series_tables[row], structure_tables[row]
        long_rollout_row(axes[row], name, series, structure)
        for ax in axes[row]:
            ax.legend(fontsize=7)
            panel_letter(ax, next(letters))
        family = structure["step_family"].iloc[0] if "step_family" in structure else None
        training.append(f"{name}{family_note(family)}: {structure['training_steps'].iloc[0]}")
    fig.tight_layout()
    add_footer(fig, preset, "; ".join(training))
    return fig


def long_rollout_row(axes, name: str, series, structure) -> None:
    """One row of ESI S4 on four axes."""
    ax_msd, ax_e, ax_g, ax_f = axes
    t = series["time"].to_numpy()
    positive = t > 0
    for column, style, color, label in (("msd_md", "-", "k", "MD"),
                                        ("msd_model", "--", "r", "model")):
        ax_msd.loglog(t[positive], series[column][positive], style, color=color, label=label)
        error = f"{column}_error"
        if error in series and np.isfinite(series[error]).any():
            ax_msd.fill_between(t[positive], (series[column] - series[error])[positive],
                                (series[column] + series[error])[positive], color=color,
                                alpha=0.15, lw=0)
    title = f"{name}: MSD"
    if "start_frames" in series:
        judged = long_rollout_judgement(series, structure)
        title += (f" ({judged['start_frames']} starts; end: model / MD "
                  f"{judged['msd_ratio']:.2f} +- {judged['msd_ratio_error']:.2f})")
    ax_msd.set(xlabel="time", ylabel="MSD")
    ax_msd.set_title(title, fontsize=8)
    e_md = series["total_energy_md"].to_numpy()
    ke = float(series["kinetic_energy_md"].mean())
    ax_e.plot(series["md_step"], (e_md - e_md[0]) / ke, "k-", label="MD")
    ax_e.plot(series["md_step"], (series["total_energy_model"] - e_md[0]) / ke, "r--",
              label="model")
    ax_e.set(xlabel="MD step", ylabel="(E - E_MD(0)) / <KE>", title="total energy")
    ax_g.plot(structure["r"], structure["g_md"], "k-", label="MD")
    ax_g.plot(structure["r"], structure["g_model"], "r--", label="model")
    ax_g.set(xlabel="r", ylabel="g(r) (species 0-0)", title="second half of the run")
    q = float(structure["q_peak"].iloc[0])
    ax_f.semilogx(t[positive], series["fs_md"][positive], "k-", label="MD")
    ax_f.semilogx(t[positive], series["fs_model"][positive], "r--", label="model")
    ax_f.set(xlabel="time", ylabel="F_s(q, t)", title=f"q = {q:.3g} (S(q) peak)")
    reason = structure["model_stop_reason"].iloc[0]
    if isinstance(reason, str) and reason:
        stop = int(structure["model_stopped_at_md_step"].iloc[0])
        for ax in axes:
            annotate_stop(ax, reason, stop)
        ax_e.axvline(stop, color=STOP_COLOR, lw=0.8)


def rollout_figure(systems, md_paths, rollout_paths, metrics_paths, settings: dict,
                   preset: str):
    """Figs. 2 and 3: one :func:`plot_rollout_comparison` row per system; panel letters
    A, B, C, ... row by row; footer with the preset and each model's training steps."""
    from ogn.data.h5md import read_trajectory

    systems = list(systems)
    fig, axes, letters = panel_rows(len(systems), 3, 11, 3.4)
    training = []
    for row, name in enumerate(systems):
        rollout = read_trajectory(rollout_paths[row])
        figure_step = figure_step_of(settings, name)
        plot_rollout_comparison(*axes[row], read_trajectory(md_paths[row]), rollout,
                                pd.read_csv(metrics_paths[row]), figure_step,
                                int(settings["random_atoms"]), int(settings["seed"]),
                                title=name)
        for ax in axes[row]:
            panel_letter(ax, next(letters))
        meta = rollout.metadata
        training.append(f"{name} L{meta['layers']} k{meta['k']}"
                        f"{family_note(meta.get('step_family'))}: {meta.get('training_steps')}")
    fig.tight_layout()
    add_footer(fig, preset, "; ".join(training))
    return fig
