"""Fig. 4B: kinetic, potential and total energy and momentum per axis over the first MD steps
for Fast-OGN (k MD steps per prediction), MD at dt (the test trajectory) and MD at k*dt.

snakemake.input.fast (Fast-OGN metrics.csv), .md_kdt (md_kdt metrics.csv), .md (test
trajectory), .rollout (Fast-OGN rollout.h5, for provenance); params.rollout, params.k,
params.preset; output.pdf, output.png.
"""
import matplotlib.pyplot as plt
import pandas as pd

from ogn.h5md import read_trajectory
from ogn.plotting import add_footer, panel_letter, plot_energy_momentum, save_figure, stop_of

sm = snakemake  # noqa: F821
steps = int(sm.params.rollout["energy_steps"])
k = int(sm.params.k)
fast = pd.read_csv(sm.input.fast)
fast = fast[fast["md_step"] <= steps]
kdt = pd.read_csv(sm.input.md_kdt)
md = read_trajectory(sm.input.md)
rollout = read_trajectory(sm.input.rollout)
keep = (md.step - md.step[0]) <= steps
units = md.metadata.get("unit_strings", {})


def series(label, color, table):
    return {"label": label, "color": color, "md_step": table["md_step"].to_numpy(),
            "kinetic_energy": table["kinetic_energy"], "potential_energy":
            table["potential_energy"], "total_energy": table["total_energy"],
            "momentum": table[["momentum_x", "momentum_y", "momentum_z"]].to_numpy(),
            "stop_reason": stop_of(table)[0]}


md_series = {"label": "MD (k=1)", "color": "black", "md_step": md.step[keep] - md.step[0],
             **{name: md.observables[name][keep] for name in
                ("kinetic_energy", "potential_energy", "total_energy", "momentum")}}
fig, axes = plt.subplots(2, 1, figsize=(7, 6.5), sharex=True)
plot_energy_momentum(axes, [md_series, series(f"MD (k={k})", "orange", kdt),
                            series(f"Fast-OGN (k={k})", "red", fast)],
                     units.get("energy", ""), units.get("momentum", ""))
axes[0].set_title(f"{md.metadata.get('system')}: energy and momentum over {steps} MD steps",
                  fontsize=9)
panel_letter(axes[0], "B")
fig.tight_layout(rect=(0, 0.03, 1, 1))
add_footer(fig, sm.params.preset, rollout.metadata.get("training_steps"),
           f"Fast-OGN L{rollout.metadata.get('layers')} k{k}")
save_figure(fig, sm.output.pdf, sm.output.png)
