"""Fig. 4: (B) energy and momentum of Fast-OGN, MD at dt and MD at k dt over the first MD
steps (LJ); (C) runtime of a rollout over ``runtime.md_steps`` MD steps against N per system,
for our MD, Fast-OGN, LAMMPS, MD without a neighbor list and the paper's Fast-OGN network
(untrained weights at the same k: a reference line for its cost, no model); (D) runtime at
the largest N against the interaction complexity index. The footer names the machine of the
times."""

import matplotlib.pyplot as plt
import numpy as np

from ogn.report.plotting import add_note, panel_letter, plot_energy_momentum
from ogn.report.rollout_figures import energy_series
from ogn.runtime.summary import median_seconds, ratio_summary
from ogn.runtime.timing import machine_label

ENGINE_STYLE = {"md": ("MD (neighbor list)", "black", "o-"),
                "fast_ogn": ("Fast-OGN", "red", "s-"),
                "lammps": ("LAMMPS", "tab:blue", "^--"),
                "md_all_pairs": ("MD, no neighbor list", "0.5", "v:"),
                "paper_ogn": ("paper's Fast-OGN network (untrained: timing reference)",
                              "tab:orange", "d-.")}
NAMES = {"lj": "LJ", "sio2": "SiO$_2$", "si": "Si", "cuzr": "CuZr", "lj_glass": "LJ glass"}


def runtime_figure(tables: dict, complexity, md, kdt, fast, settings: dict, k: int,
                   energy_steps: int, preset: str):
    """Fig. 4 from the runtime tables (system -> table), the complexity table, and the LJ
    test trajectory ``md`` with the metrics of MD at k dt (``kdt``) and Fast-OGN (``fast``)."""
    fig = plt.figure(figsize=(13, 11))
    grid = fig.add_gridspec(3, 4, height_ratios=[1.0, 1.0, 1.1], hspace=0.45, wspace=0.32)
    n_min = settings["exponent_min_atoms"]
    systems = [s for s in settings["systems"] if s in tables]
    summaries = {s: ratio_summary(tables[s], n_min=n_min) for s in systems}
    energy_panel(fig, grid, md, kdt, fast, k, energy_steps)
    for column, name in enumerate(systems):
        size_panel(fig.add_subplot(grid[1, column]), tables[name], summaries[name], name,
                   settings["md_steps"], first=column == 0)
    complexity_panel(fig.add_subplot(grid[2, 0:2]), tables, complexity, systems)
    ratio_text(fig.add_subplot(grid[2, 2:4]), summaries, systems, n_min)
    fig.subplots_adjust(top=0.95, bottom=0.06, left=0.07, right=0.98)
    first = next(iter(tables.values())).iloc[0]
    add_note(fig, f"times: {machine_label(first)} | median of {int(first['repeats'])} runs "
             f"(bars: min-max) | config: {preset} | Fast-OGN: the model files of the "
             f"rollouts, as trained{learned_force_note(tables)}")
    return fig


def learned_force_note(tables: dict) -> str:
    """", k = 5 with 3 force substeps per stride" and the like, per timed model."""
    parts = []
    for name, table in tables.items():
        rows = table[table["engine"] == "fast_ogn"]
        if rows.empty or "substeps" not in rows:
            continue
        row = rows.iloc[0]
        family = (f"{int(row['substeps'])} force substeps" if int(row["substeps"])
                  else "one pass")
        parts.append(f"{NAMES.get(name, name)} k = {int(row['model_k'])}, {family}")
    return "" if not parts else " (" + "; ".join(parts) + " per stride)"


def energy_panel(fig, grid, md, kdt, fast, k: int, steps: int) -> None:
    """Panel B: energies and momentum of MD, MD at k dt and Fast-OGN (LJ)."""
    units = md.metadata.get("unit_strings", {})
    axes = [fig.add_subplot(grid[0, 0:2]), fig.add_subplot(grid[0, 2:4])]
    plot_energy_momentum(axes, energy_series(md, kdt, fast, k, steps),
                         units.get("energy", ""), units.get("momentum", ""))
    axes[1].set_xlabel("MD step")
    axes[0].set_title(f"LJ: energy over {steps} MD steps", fontsize=9)
    axes[1].set_title("LJ: momentum", fontsize=9)
    panel_letter(axes[0], "B")


def size_panel(ax, table, summary: dict, name: str, md_steps: int, first: bool) -> None:
    """Panel C, one system: wall time against N per engine, with fitted exponents."""
    for engine, (label, color, style) in ENGINE_STYLE.items():
        times = median_seconds(table, engine)
        if times.empty:
            continue
        rows = table[table["engine"] == engine].groupby("N")
        exponent = summary[f"exponent_{engine}"]
        tag = f" (N$^{{{exponent:.2f}}}$)" if np.isfinite(exponent) else ""
        ax.errorbar(times.index, times.values,
                    yerr=[times.values - rows["min_s"].min().values,
                          rows["max_s"].max().values - times.values],
                    fmt=style, color=color, ms=4, lw=1.2, capsize=2, label=label + tag)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("N (atoms)")
    if first:
        ax.set_ylabel(f"wall time of {md_steps} MD steps [s]")
        panel_letter(ax, "C")
    ax.set_title(NAMES.get(name, name), fontsize=10)
    ax.legend(fontsize=6, loc="best")
    ax.grid(True, which="both", alpha=0.2)


def complexity_panel(ax, tables: dict, complexity, systems) -> None:
    """Panel D: wall time at the largest N against the complexity index."""
    for engine in ("md", "fast_ogn", "lammps"):
        label, color, style = ENGINE_STYLE[engine]
        points = []
        for name in systems:
            times = median_seconds(tables[name], engine)
            if not times.empty and name in complexity.index:
                points.append((complexity.loc[name, "index_energy"], times.iloc[-1], name))
        if not points:
            continue
        points.sort()
        x, y, _ = zip(*points, strict=True)
        ax.plot(x, y, style, color=color, ms=6, label=label)
        if engine == "md":
            for xi, yi, name in points:
                ax.annotate(NAMES.get(name, name), (xi, yi), textcoords="offset points",
                            xytext=(4, 4), fontsize=8)
    largest = {name: int(tables[name]["N"].max()) for name in systems}
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"complexity index (energy time per {int(complexity['per_atoms'].iloc[0])} "
                  "atoms / LJ's, ours)")
    ax.set_ylabel("wall time at the largest N [s]")
    ax.set_title("runtime at N = " + ", ".join(f"{NAMES.get(s, s)} {n}" for s, n in
                                               largest.items()), fontsize=8)
    ax.legend(fontsize=7)
    ax.grid(True, which="both", alpha=0.2)
    panel_letter(ax, "D")


def ratio_text(ax, summaries: dict, systems, n_min: int) -> None:
    """The measured ratios at the largest N, as a monospaced table."""
    ax.axis("off")
    lines = ["measured at the largest N (paper: Fast-OGN 2-10x faster than MD at N = 10,000)",
             "", f"{'system':<8}{'N':>7}{'OGN/MD':>9}{'paper/MD':>10}{'MD/LAMMPS':>11}"
             f"{'no-list/OGN':>13}{'(N)':>8}"]
    for name in systems:
        s = summaries[name]
        all_pairs_n = "" if s["all_pairs_N"] is None else str(s["all_pairs_N"])
        lines.append(f"{NAMES.get(name, name).replace('$', '').replace('_', ''):<8}{s['N']:>7}"
                     f"{s['fast_ogn_over_md']:>9.2f}{s['paper_ogn_over_md']:>10.2f}"
                     f"{s['md_over_lammps']:>11.2f}"
                     f"{s['all_pairs_over_fast_ogn']:>13.2f}{all_pairs_n:>8}")
    lines += ["", "OGN/MD < 1: Fast-OGN faster than our MD (neighbor lists).",
              "paper/MD: the paper's Fast-OGN network at the same k (untrained, timing only).",
              "no-list/OGN > 1: Fast-OGN faster than MD without a neighbor list",
              f"(the paper's baseline for Si and CuZr); exponents fitted for N >= {n_min}."]
    ax.text(0.0, 1.0, "\n".join(lines), family="monospace", fontsize=8, va="top",
            transform=ax.transAxes)
