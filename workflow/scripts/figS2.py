"""ESI Fig. S2: root-mean-square displacement of MD vs time for every system, with the cage
size read off where its log-log slope falls to rollout.cage_slope (marked).

snakemake.input.md (test trajectories, ordered as params.systems); params.rollout,
params.preset; output.pdf, output.png, output.table (CSV: system, cage size, time).
"""
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ogn.atomic import atomic_path
from ogn.h5md import read_trajectory
from ogn.metrics import cage_size, mean_square_displacement
from ogn.plotting import add_footer, panel_letter, save_figure

sm = snakemake  # noqa: F821
slope = float(sm.params.rollout["cage_slope"])
systems = list(sm.params.systems)
fig, axes = plt.subplots(1, len(systems), figsize=(3.2 * len(systems), 3.2), squeeze=False)
rows = []
for ax, name, path, letter in zip(axes[0], systems, sm.input.md, "ABCDEFGH", strict=False):
    md = read_trajectory(path)
    t = md.time - md.time[0]
    msd = mean_square_displacement(md.position)
    cage, when = cage_size(t, msd, slope)
    rows.append({"system": name, "cage_size": cage, "cage_time": when,
                 "time_unit": md.metadata.get("dt_unit", "")})
    ax.loglog(t[1:], np.sqrt(msd[1:]), "k-")
    ax.axhline(cage, color="red", ls="--", lw=0.8)
    ax.plot([when], [cage], "ro")
    ax.set_title(f"{name}: cage {cage:.3g}", fontsize=9)
    ax.set_xlabel(f"time [{md.metadata.get('dt_unit', '')}]")
    ax.set_ylabel("RMSD")
    panel_letter(ax, letter)
fig.tight_layout(rect=(0, 0.05, 1, 1))
add_footer(fig, sm.params.preset, "n/a (MD only)",
           f"cage = RMSD where d ln MSD / d ln t first reaches {slope:g}")
save_figure(fig, sm.output.pdf, sm.output.png)
with atomic_path(sm.output.table) as tmp:
    pd.DataFrame(rows).to_csv(tmp, index=False)
