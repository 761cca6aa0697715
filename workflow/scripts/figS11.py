"""Rule figS11: potential energy per atom vs temperature along the quench ramp, the liquid and
glass lines and their crossing (the fictive temperature). input.quench (quench.csv);
params: glass, fictive (liquid_window, glass_window), n_atoms, units; output.png/.pdf/.table."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ogn.glass import cooling_part, fictive_caveats, fictive_temperature  # noqa: E402
from ogn.runlog import make_logger  # noqa: E402
from ogn.sweeps import write_figure, write_table  # noqa: E402

sm = snakemake  # noqa: F821
log = make_logger(sm.log[0])
p = sm.params
n_atoms = int(p.n_atoms)
temperature, energy = cooling_part(pd.read_csv(sm.input.quench))
energy = energy / n_atoms
result = fictive_temperature(temperature, energy, p.fictive["liquid_window"],
                             p.fictive["glass_window"])
final_temperature = float(temperature.min())
slope_ratio = result.glass.slope / result.liquid.slope
log(f"fictive temperature {result.temperature:.4g} (liquid line over "
    f"{result.liquid.n_points} points, glass line over {result.glass.n_points}); glass/liquid "
    f"slope ratio {slope_ratio:.3g}")
for caveat in fictive_caveats(result.temperature, final_temperature, slope_ratio):
    log(f"warning: T_f is ill-determined: {caveat}")
t_unit, e_unit = ("", "epsilon") if p.units == "lj" else (" (K)", "eV")
figure, ax = plt.subplots(figsize=(5, 3.8))
ax.plot(temperature, energy, ".", ms=3, color="0.4", label="cooling ramp")
grid = np.linspace(temperature.min(), temperature.max(), 100)
ax.plot(grid, result.liquid.slope * grid + result.liquid.intercept, "-", color="tab:red",
        label="liquid line")
ax.plot(grid, result.glass.slope * grid + result.glass.intercept, "-", color="tab:blue",
        label="glass line")
ax.axvline(result.temperature, color="k", ls="--", lw=1,
           label=f"T_f = {result.temperature:.3g}")
ax.set(xlabel=f"temperature{t_unit}", ylabel=f"potential energy per atom ({e_unit})",
       title=f"{p.glass}: quench to T = {final_temperature:g}")
ax.legend(fontsize=8)
figure.tight_layout()
write_figure(figure, sm.output.png, sm.output.pdf)
write_table(pd.DataFrame([{
    "system": p.glass, "fictive_temperature": result.temperature,
    "energy_per_atom_at_crossing": result.energy, "final_temperature": final_temperature,
    "liquid_slope": result.liquid.slope, "glass_slope": result.glass.slope,
    "glass_over_liquid_slope": slope_ratio,
    "liquid_points": result.liquid.n_points, "glass_points": result.glass.n_points,
    "liquid_window": str(list(p.fictive["liquid_window"])),
    "glass_window": str(list(p.fictive["glass_window"]))}]), sm.output.table)
