"""ESI S13 (beyond the paper): the accuracy/speed frontier, one panel per system.

Each frontier point (a row of ``results/frontier/<system>.csv``) is a marker at its wall time
for ``runtime.md_steps`` MD steps at about ``frontier.size`` atoms (x) and its rollout error
at the first of ``frontier.rollout_steps`` (y: the larger of the position RMSE over the cage
size and the velocity RMSE over sqrt(kB T / m)), coloured by k; circles are direct
predictors (squares: their network in bfloat16), triangles learned forces (the number beside
them: substeps per stride). Points
whose rollout stopped before that step sit on the panel's top edge as crosses. Our MD and
LAMMPS, timed in the same jobs, are vertical lines (the median over the points' jobs); the
Pareto front is the step line; the targets' error is a horizontal dashed line, and the
points that meet every target (error, stability, energy drift) are ringed.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullFormatter

from ogn.report.plotting import add_footer
from ogn.runtime.frontier import meets_targets, pareto_mask, point_error


def bfloat16(row) -> bool:
    """Whether a frontier row ran its network in bfloat16 (rows written before the precision
    axis have no ``precision``: float32)."""
    return str(getattr(row, "precision", "float32")) == "bfloat16"


def frontier_panel(ax, table, system: str, first_step: int, long_step: int,
                   targets: dict, k_colors: dict) -> None:
    error = point_error(table, first_step)
    seconds = table["learned_s"].to_numpy(np.float64)
    finite = np.isfinite(error)
    top = max(1.0, 2.0 * np.nanmax(error)) if finite.any() else 1.0
    good = meets_targets(table, targets, first_step, long_step)
    for i, row in enumerate(table.itertuples()):
        color = k_colors[int(row.k)]
        marker = "^" if int(row.substeps) else ("s" if bfloat16(row) else "o")
        if finite[i]:
            ax.scatter(seconds[i], error[i], marker=marker, color=color, s=36, zorder=3)
            if int(row.substeps):
                ax.annotate(str(int(row.substeps)), (seconds[i], error[i]), fontsize=6,
                            xytext=(3, 3), textcoords="offset points")
            if good[i]:
                ax.scatter(seconds[i], error[i], marker="o", s=140, facecolors="none",
                           edgecolors="black", linewidths=0.8, zorder=2)
        else:
            ax.scatter(seconds[i], top, marker="x", color=color, s=30, zorder=3)
    front = pareto_mask(seconds, error)
    if front.any():
        order = np.argsort(seconds[front])
        ax.step(seconds[front][order], error[front][order], where="post", color="0.3",
                linewidth=1.0, label="Pareto front")
    for column, label, style in (("md_s", "our MD", "-"), ("lammps_s", "LAMMPS", "--")):
        value = np.nanmedian(table[column].to_numpy(np.float64))
        if np.isfinite(value):
            ax.axvline(value, color="black", linestyle=style, linewidth=1.0,
                       label=f"{label} ({value:.3g} s)")
    ax.axhline(float(targets["error"]), color="tab:red", linestyle=":", linewidth=1.0,
               label=f"target error {float(targets['error']):g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_ylim(top=top * 1.3)
    n_atoms = int(np.nanmedian(table["N"])) if len(table) else 0
    steps = int(table["timed_md_steps"].iloc[0]) if len(table) else 0
    ax.set_xlabel(f"wall time of {steps} MD steps at N = {n_atoms} (s)")
    ax.set_ylabel(f"rollout error at MD step {first_step}\n(max of RMSE / cage, RMSE / v_T)")
    ax.set_title(system)
    ax.legend(fontsize=6, loc="lower right")


def frontier_figure(tables: dict, first_step: int, long_step: int, targets: dict,
                    preset: str, minutes: float, log):
    """ESI S13 from the frontier tables (system -> DataFrame of point rows)."""
    systems = list(tables)
    ks = sorted({int(k) for table in tables.values() for k in table["k"]})
    cmap = plt.get_cmap("viridis")
    k_colors = {k: cmap(i / max(1, len(ks) - 1)) for i, k in enumerate(ks)}
    figure, axes = plt.subplots(1, len(systems), figsize=(5.2 * len(systems), 4.4),
                                squeeze=False)
    for ax, system in zip(axes[0], systems, strict=True):
        table = tables[system]
        frontier_panel(ax, table, system, first_step, long_step, targets, k_colors)
        for row in table.itertuples():
            log(f"{system} {row.point}: {row.learned_s:.3g} s ({row.over_md:.3g} of MD, "
                f"{row.over_lammps:.3g} of LAMMPS), error "
                f"{float(point_error(row._asdict(), first_step)):.3g}, stable "
                f"{row.stable_md_steps} MD steps")
    handles = [plt.Line2D([], [], marker="o", linestyle="", color=k_colors[k], label=f"k = {k}")
               for k in ks]
    handles += [plt.Line2D([], [], marker="o", linestyle="", color="0.5", label="direct")]
    if any(bfloat16(row) for table in tables.values() for row in table.itertuples()):
        handles += [plt.Line2D([], [], marker="s", linestyle="", color="0.5",
                               label="direct, bfloat16")]
    handles += [plt.Line2D([], [], marker="^", linestyle="", color="0.5",
                           label="learned force (n substeps)"),
                plt.Line2D([], [], marker="x", linestyle="", color="0.5",
                           label=f"unstable before step {first_step}")]
    figure.legend(handles=handles, loc="upper center", ncol=len(handles), fontsize=7,
                  frameon=False)
    figure.tight_layout(rect=(0, 0, 1, 0.93))
    add_footer(figure, preset, f"{float(minutes):g} min per point",
               "models: results/frontier/<system>/<point>/model.npz; ringed: meets every "
               f"target (error <= {float(targets['error']):g}, stable {long_step} MD steps, "
               f"energy drift <= {float(targets['energy_drift']):g} of <KE>)")
    return figure
