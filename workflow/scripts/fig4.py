"""Fig. 4: (B) energy and momentum of Fast-OGN, MD at dt and MD at k*dt over the first MD steps
(LJ); (C) runtime of a rollout over runtime.md_steps MD steps vs N, per system, for our MD,
Fast-OGN, LAMMPS and MD without a neighbor list; (D) runtime at the largest N vs the
interaction complexity index. The footer names the machine and device of the times.

snakemake.input.runtime (results/runtime/{system}.csv, one per system), .complexity,
.fast / .md_kdt (rollout metrics.csv of Fast-OGN and MD at k*dt), .md (LJ test trajectory);
params.runtime, params.rollout, params.k, params.preset; output.pdf, output.png.
"""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ogn.h5md import read_trajectory  # noqa: E402
from ogn.plotting import panel_letter, plot_energy_momentum, save_figure, stop_of  # noqa: E402
from ogn.runtime import machine_label, median_seconds, ratio_summary  # noqa: E402

sm = snakemake  # noqa: F821
ENGINE_STYLE = {"md": ("MD (neighbor list)", "black", "o-"),
                "fast_ogn": ("Fast-OGN", "red", "s-"),
                "lammps": ("LAMMPS", "tab:blue", "^--"),
                "md_all_pairs": ("MD, no neighbor list", "0.5", "v:")}
NAMES = {"lj": "LJ", "sio2": "SiO$_2$", "si": "Si", "cuzr": "CuZr", "lj_glass": "LJ glass"}

tables = {t["system"].iloc[0]: t for t in (pd.read_csv(p) for p in sm.input.runtime)}
complexity = pd.read_csv(sm.input.complexity).set_index("system")
n_min = sm.params.runtime["exponent_min_atoms"]

fig = plt.figure(figsize=(13, 11))
grid = fig.add_gridspec(3, 4, height_ratios=[1.0, 1.0, 1.1], hspace=0.45, wspace=0.32)

# -- B: energy and momentum (LJ) --------------------------------------------------------------
steps = int(sm.params.rollout["energy_steps"])
k = int(sm.params.k)
md = read_trajectory(sm.input.md)
keep = (md.step - md.step[0]) <= steps
units = md.metadata.get("unit_strings", {})


def metrics_series(label, color, table):
    table = table[table["md_step"] <= steps]
    return {"label": label, "color": color, "md_step": table["md_step"].to_numpy(),
            **{name: table[name] for name in
               ("kinetic_energy", "potential_energy", "total_energy")},
            "momentum": table[["momentum_x", "momentum_y", "momentum_z"]].to_numpy(),
            "stop_reason": stop_of(table)[0]}


md_series = {"label": "MD (k=1)", "color": "black", "md_step": md.step[keep] - md.step[0],
             **{name: md.observables[name][keep] for name in
                ("kinetic_energy", "potential_energy", "total_energy", "momentum")}}
axes_b = [fig.add_subplot(grid[0, 0:2]), fig.add_subplot(grid[0, 2:4])]
plot_energy_momentum(axes_b, [md_series,
                              metrics_series(f"MD (k={k})", "orange", pd.read_csv(sm.input.md_kdt)),
                              metrics_series(f"Fast-OGN (k={k})", "red", pd.read_csv(sm.input.fast))],
                     units.get("energy", ""), units.get("momentum", ""))
axes_b[1].set_xlabel("MD step")
axes_b[0].set_title(f"LJ: energy over {steps} MD steps", fontsize=9)
axes_b[1].set_title("LJ: momentum", fontsize=9)
panel_letter(axes_b[0], "B")

# -- C: runtime vs N ---------------------------------------------------------------------------
systems = [s for s in sm.params.runtime["systems"] if s in tables]
summaries = {s: ratio_summary(tables[s], n_min=n_min) for s in systems}
for column, name in enumerate(systems):
    ax = fig.add_subplot(grid[1, column])
    for engine, (label, color, style) in ENGINE_STYLE.items():
        times = median_seconds(tables[name], engine)
        if times.empty:
            continue
        rows = tables[name][tables[name]["engine"] == engine].groupby("N")
        exponent = summaries[name][f"exponent_{engine}"]
        tag = f" (N$^{{{exponent:.2f}}}$)" if np.isfinite(exponent) else ""
        ax.errorbar(times.index, times.values,
                    yerr=[times.values - rows["min_s"].min().values,
                          rows["max_s"].max().values - times.values],
                    fmt=style, color=color, ms=4, lw=1.2, capsize=2, label=label + tag)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("N (atoms)")
    if column == 0:
        ax.set_ylabel(f"wall time of {sm.params.runtime['md_steps']} MD steps [s]")
        panel_letter(ax, "C")
    ax.set_title(NAMES.get(name, name), fontsize=10)
    ax.legend(fontsize=6, loc="best")
    ax.grid(True, which="both", alpha=0.2)

# -- D: runtime at the largest N vs complexity index ----------------------------------------------
ax = fig.add_subplot(grid[2, 0:2])
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
    x, y, names = zip(*points, strict=True)
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

# -- the measured ratios -------------------------------------------------------------------------
ax = fig.add_subplot(grid[2, 2:4])
ax.axis("off")
lines = ["measured at the largest N (paper: Fast-OGN 2-10x faster than MD at N = 10,000)", ""]
lines.append(f"{'system':<8}{'N':>7}{'OGN/MD':>9}{'MD/LAMMPS':>11}{'no-list/OGN':>13}"
             f"{'(N)':>8}")
for name in systems:
    s = summaries[name]
    all_pairs_n = "" if s["all_pairs_N"] is None else str(s["all_pairs_N"])
    lines.append(f"{NAMES.get(name, name).replace('$', '').replace('_', ''):<8}{s['N']:>7}"
                 f"{s['fast_ogn_over_md']:>9.2f}{s['md_over_lammps']:>11.2f}"
                 f"{s['all_pairs_over_fast_ogn']:>13.2f}{all_pairs_n:>8}")
lines += ["", "OGN/MD < 1: Fast-OGN faster than our MD (neighbor lists).",
          "no-list/OGN > 1: Fast-OGN faster than MD without a neighbor list",
          f"(the paper's baseline for Si and CuZr); exponents fitted for N >= {n_min}."]
ax.text(0.0, 1.0, "\n".join(lines), family="monospace", fontsize=8, va="top",
        transform=ax.transAxes)

fig.subplots_adjust(top=0.95, bottom=0.06, left=0.07, right=0.98)
first = next(iter(tables.values())).iloc[0]
fig.text(0.01, 0.005, f"times: {machine_label(first)} | median of {int(first['repeats'])} runs "
         f"(bars: min-max) | config: {sm.params.preset}"
         + (" | Fast-OGN times (C, D): the paper's network at Fast-OGN's depth, untrained"
            if sm.params.timed_paper_network else ""), fontsize=7, color="0.35")
save_figure(fig, sm.output.pdf, sm.output.png)
