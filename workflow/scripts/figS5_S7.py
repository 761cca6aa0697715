"""Rule figS5_S7: one-step test loss of Fast-OGN (trained at the paper's size, temperature and
density) on MD of other sizes (S5), temperatures (S6) or densities (S7), relative to its loss on
its own test pairs. snakemake.input.table (results/transfer/transfer_losses.csv), params.kind."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from ogn.runlog import make_logger  # noqa: E402
from ogn.sweeps import write_figure  # noqa: E402

sm = snakemake  # noqa: F821
log = make_logger(sm.log[0])
kind = sm.params.kind
column = {"size": "n_atoms", "temperature": "temperature", "density": "density"}[kind]
table = pd.read_csv(sm.input.table)
table = table[table["kind"] == kind] if len(table) else table
figure, ax = plt.subplots(figsize=(5, 3.8))
if len(table) == 0:
    ax.text(0.5, 0.5, f"no {kind} transfer runs in config\n(sweeps.transfer.{kind}_factors)",
            ha="center", va="center", transform=ax.transAxes)
    log(f"no {kind} transfer runs configured")
for system, rows in table.groupby("system") if len(table) else []:
    rows = rows.sort_values(column)
    base = rows[f"base_{column}"].iloc[0]
    x = list(rows[column]) + [base]
    y = list(rows["test_loss"]) + [rows["reference_test_loss"].iloc[0]]
    order = sorted(range(len(x)), key=x.__getitem__)
    line, = ax.semilogy([x[i] for i in order], [y[i] for i in order], "o-",
                        label=f"{system} (L{rows['layers'].iloc[0]}, k = {rows['k'].iloc[0]})")
    ax.semilogy([base], [rows["reference_test_loss"].iloc[0]], "*", ms=14,
                color=line.get_color(), label=f"{system}: training conditions")
    for _, row in rows.iterrows():
        log(f"{system} {row['variant']}: {column} = {row[column]:.4g}, test loss "
            f"{row['test_loss']:.4g} ({row['loss_ratio']:.3g}x the training conditions)")
ax.set(xlabel={"size": "number of atoms", "temperature": "temperature",
               "density": "number density"}[kind],
       ylabel="one-step test loss (standardized)", title=f"transfer: other {kind}")
if len(table):
    ax.legend(fontsize=8)
figure.tight_layout()
write_figure(figure, sm.output.png, sm.output.pdf)
