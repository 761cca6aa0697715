"""Rule figS1: test (solid) and train (dotted) loss vs training step of every model, one panel
per system. snakemake.input.curves and params.models ((system, layers, k), same order)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ogn.runlog import make_logger  # noqa: E402
from ogn.sweeps import read_curve, write_figure  # noqa: E402

sm = snakemake  # noqa: F821
log = make_logger(sm.log[0])
models = [tuple(m) for m in sm.params.models]
systems = list(dict.fromkeys(m[0] for m in models))
columns = min(3, len(systems))
rows = int(np.ceil(len(systems) / columns))
figure, axes = plt.subplots(rows, columns, figsize=(4.5 * columns, 3.5 * rows), squeeze=False)
for ax, system in zip(axes.flat, systems, strict=False):
    for (name, layers, k), path in zip(models, sm.input.curves, strict=True):
        if name != system:
            continue
        curve = read_curve(path)
        line, = ax.loglog(curve["step"], curve["test_loss"], "-", label=f"L{layers} k{k}")
        ax.loglog(curve["step"], curve["train_loss"], ":", color=line.get_color(), alpha=0.6)
        log(f"{system} L{layers} k{k}: {int(curve['step'].iloc[-1])} steps, last test loss "
            f"{curve['test_loss'].iloc[-1]:.4g}")
    ax.set(title=system, xlabel="training step", ylabel="loss (standardized)")
    ax.legend(fontsize=7, ncol=2)
for ax in list(axes.flat)[len(systems):]:
    ax.axis("off")
figure.tight_layout()
write_figure(figure, sm.output.png, sm.output.pdf)
