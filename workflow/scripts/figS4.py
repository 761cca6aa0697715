"""ESI Fig. S4: long rollouts vs MD: mean-square displacement, total energy, g(r) and
F_s(q, t) at the first peak of S(q), one row per system of params.systems.

snakemake.input.series, .structure (lists ordered as params.systems); params.preset;
output.pdf, output.png.
"""
import matplotlib.pyplot as plt
import pandas as pd

from ogn.plotting import STOP_COLOR, add_footer, annotate_stop, panel_letter, save_figure

sm = snakemake  # noqa: F821
systems = list(sm.params.systems)
fig, axes = plt.subplots(len(systems), 4, figsize=(14, 3.3 * len(systems) + 0.4),
                         squeeze=False)
letters = iter("ABCDEFGHIJKLMNOP")
training = []
for row, name in enumerate(systems):
    series = pd.read_csv(sm.input.series[row])
    structure = pd.read_csv(sm.input.structure[row])
    ax_msd, ax_e, ax_g, ax_f = axes[row]
    t = series["time"].to_numpy()
    positive = t > 0
    ax_msd.loglog(t[positive], series["msd_md"][positive], "k-", label="MD")
    ax_msd.loglog(t[positive], series["msd_model"][positive], "r--", label="model")
    ax_msd.set(xlabel="time", ylabel="MSD", title=f"{name}: MSD")
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
        for ax in axes[row]:
            annotate_stop(ax, reason, stop)
        ax_e.axvline(stop, color=STOP_COLOR, lw=0.8)
    for ax in axes[row]:
        ax.legend(fontsize=7)
        panel_letter(ax, next(letters))
    training.append(f"{name}: {structure['training_steps'].iloc[0]}")
fig.tight_layout(rect=(0, 0.03, 1, 1))
add_footer(fig, sm.params.preset, "; ".join(training))
save_figure(fig, sm.output.pdf, sm.output.png)
