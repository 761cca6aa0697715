"""Sweeps of the supplement: which models and MD runs they need, and what to read from them.

Pure functions of the config (``sweeps`` block) and of training curves (``curve.csv``: step,
epoch, lr, train_loss, test_loss, seconds; losses are standardized, dimensionless).
"""

from typing import NamedTuple

import numpy as np
import pandas as pd

from .glass import fictive_caveats
from .systems import scaled_counts_and_box

TRANSFER_KINDS = ("size", "temperature", "density")


def k_sweep_models(config: dict) -> list[tuple[str, int, int]]:
    """(system, layers, k) of the final-loss-vs-k sweep (Fig. 5C, S9, S10) and of the loss
    curves of Fig. 5B: Fast-OGN depth, every k of ``sweeps.k`` (and ``sweeps.curve_k``)."""
    sweeps = config["sweeps"]
    layers = int(config["models"]["fast_ogn_layers"])
    ks = sorted(set(int(k) for k in sweeps["k"]) | {int(sweeps["curve_k"])})
    systems = list(dict.fromkeys(list(sweeps["k_systems"]) + [sweeps["liquid"], sweeps["glass"]]))
    return [(system, layers, k) for system in systems for k in ks]


def layer_sweep_models(config: dict) -> list[tuple[str, int, int]]:
    """(system, layers, k) of the test-loss-vs-depth sweep (S8) at each system's Fast-OGN k."""
    sweeps = config["sweeps"]
    return [(system, int(layers), int(config["systems"][system]["fast_ogn_k"]))
            for system in sweeps["layer_systems"] for layers in sweeps["layers"]]


def factor_label(factor: float) -> str:
    """A short file-name-safe label of a factor: 2 -> '2', 0.8 -> '0.8'."""
    return f"{float(factor):g}"


def transfer_variants(config: dict) -> dict[str, dict[str, dict]]:
    """``{system: {variant: {"kind", "factor", "block"}}}`` for the transfer runs (S5-S7).

    * size ``f``: about f times the atoms at the same density and composition (box grown);
    * temperature ``f``: the same configuration size at f times the system's temperature;
    * density ``f``: the same box with about f times the atoms (same composition), placed
      at first no closer than 0.9 f^(-1/3) times the system's ``min_distance``.

    ``block`` is a complete ``systems.<name>`` config block for the MD of that variant.
    """
    transfer = config["sweeps"]["transfer"]
    variants: dict[str, dict[str, dict]] = {}
    for system in transfer["systems"]:
        base = config["systems"][system]
        if "quench" in base:
            raise ValueError(f"sweeps.transfer.systems lists {system!r}, a quenched system; "
                             "transfer runs start from an equilibrated liquid: remove it")
        n_atoms = int(sum(base["counts"]))
        per_system = {}
        for kind in TRANSFER_KINDS:
            for factor in transfer[f"{kind}_factors"]:
                block = dict(base)
                if kind == "size":
                    counts, side = scaled_counts_and_box(base, round(float(factor) * n_atoms))
                    block.update(counts=[int(c) for c in counts], box=float(side))
                elif kind == "temperature":
                    block["temperature"] = float(base["temperature"]) * float(factor)
                else:
                    counts, _ = scaled_counts_and_box(base, round(float(factor) * n_atoms))
                    block["counts"] = [int(c) for c in counts]
                    # random placement packs f x the atoms: spacing shrinks as f^(-1/3), and
                    # 10% more room keeps random sequential addition from jamming (FIRE
                    # removes the overlaps afterwards)
                    block["min_distance"] = (0.9 * float(base["min_distance"])
                                             * float(factor) ** (-1.0 / 3.0))
                per_system[f"{kind}{factor_label(factor)}"] = {
                    "kind": kind, "factor": float(factor), "block": block}
        variants[system] = per_system
    return variants


def number_density(block: dict) -> float:
    """Atoms per unit volume of a system block (1/length^3 in its units)."""
    return float(sum(block["counts"])) / float(block["box"]) ** 3


def read_curve(path) -> pd.DataFrame:
    """A training curve with numeric columns; rows without a test evaluation are dropped."""
    curve = pd.read_csv(path)
    missing = {"step", "epoch", "train_loss", "test_loss"} - set(curve.columns)
    if missing:
        raise ValueError(f"{path} is not a training curve: columns {sorted(missing)} missing")
    curve = curve.apply(pd.to_numeric, errors="coerce")
    return curve.dropna(subset=["test_loss"]).reset_index(drop=True)


def final_loss(curve: pd.DataFrame, n_last: int, column: str = "test_loss") -> float:
    """Mean of the last ``n_last`` recorded values of ``column`` (NaN for an empty curve)."""
    values = curve[column].dropna().to_numpy(float)
    if values.size == 0:
        return float("nan")
    return float(np.mean(values[-max(int(n_last), 1):]))


class Knee(NamedTuple):
    last_good_k: int | None  # largest k before the sharp rise
    first_bad_k: int | None  # first k whose loss exceeds factor x the best loss at smaller k


def loss_knee(ks, losses, factor: float) -> Knee:
    """Where the final loss "turns up sharply" with k: scanning k upwards, the first k whose
    loss exceeds ``factor`` times the smallest loss at smaller k; (None, None) if none does
    (and ``last_good_k`` = the largest k)."""
    order = np.argsort(np.asarray(ks, dtype=float))
    ks = [int(np.asarray(ks)[i]) for i in order]
    losses = np.asarray(losses, dtype=float)[order]
    best = np.inf
    for index, (k, loss) in enumerate(zip(ks, losses, strict=True)):
        if index > 0 and np.isfinite(best) and loss > factor * best:
            return Knee(ks[index - 1], k)
        if np.isfinite(loss):
            best = min(best, loss)
    return Knee(ks[-1] if ks else None, None)


def loss_table(curves: dict, n_last: int) -> pd.DataFrame:
    """One row per model: ``curves`` maps (system, layers, k) to a curve DataFrame. Columns:
    system, layers, k, final_test_loss, final_train_loss, steps, epochs, seconds."""
    rows = []
    for (system, layers, k), curve in curves.items():
        last = curve.iloc[-1] if len(curve) else None
        rows.append({
            "system": system, "layers": int(layers), "k": int(k),
            "final_test_loss": final_loss(curve, n_last, "test_loss"),
            "final_train_loss": final_loss(curve, n_last, "train_loss"),
            "steps": int(last["step"]) if last is not None else 0,
            "epochs": float(last["epoch"]) if last is not None else 0.0,
            "seconds": float(last["seconds"]) if last is not None and "seconds" in curve
            else float("nan")})
    columns = ["system", "layers", "k", "final_test_loss", "final_train_loss", "steps",
               "epochs", "seconds"]
    return pd.DataFrame(rows, columns=columns).sort_values(["system", "layers", "k"],
                                                           ignore_index=True)


def model_test_loss(model_path, pairs, graph_cutoff: float) -> float:
    """Mean standardized one-step loss of a saved model on ``pairs`` (:class:`ogn.pairs.Pairs`),
    with the model's own normalizer: the measure of its training curve, on other data."""
    from .modelfile import load_compatible_model
    from .normalizer import standardization
    from .simulator import make_simulator
    from .training import make_eval_loss, mean_test_loss, prepare_test_set

    n_species = len(pairs.attrs["species_names"])
    saved = load_compatible_model(model_path, species_names=pairs.attrs["species_names"],
                                  graph_cutoff=graph_cutoff, k=int(pairs.attrs["k"]))
    simulator = make_simulator(saved.network_config, n_species)
    test_set = prepare_test_set(pairs, graph_cutoff, n_species)
    return mean_test_loss(make_eval_loss(simulator), saved.params,
                          standardization(saved.normalizer), test_set)


def sweep_problems(config: dict) -> list[str]:
    """Messages (empty when fine) about the ``sweeps`` block that the schema cannot see."""
    sweeps = config["sweeps"]
    systems = config["systems"]
    problems = []
    named = ([("sweeps.liquid", sweeps["liquid"]), ("sweeps.glass", sweeps["glass"])]
             + [("sweeps.k_systems", s) for s in sweeps["k_systems"]]
             + [("sweeps.layer_systems", s) for s in sweeps["layer_systems"]]
             + [("sweeps.transfer.systems", s) for s in sweeps["transfer"]["systems"]])
    for key, name in named:
        if name not in systems:
            problems.append(f"{key} names {name!r}, which is not under `systems` "
                            f"({', '.join(systems)}); fix the name")
    if sweeps["glass"] in systems and "quench" not in systems[sweeps["glass"]]:
        problems.append(f"sweeps.glass = {sweeps['glass']!r} has no `quench` block: name the "
                        "quenched system")
    for name in sweeps["transfer"]["systems"]:
        if name in systems and "quench" in systems[name]:
            problems.append(f"sweeps.transfer.systems lists {name!r}, a quenched system; "
                            "transfer runs start from an equilibrated liquid: remove it")
    steps = int(config["md"]["production"]["steps"])
    too_long = sorted({int(k) for k in list(sweeps["k"]) + [sweeps["curve_k"]] if int(k) > steps})
    if too_long:
        problems.append(f"sweeps.k / sweeps.curve_k ask for k = {too_long} MD steps, longer than "
                        f"the trajectories (md.production.steps = {steps}); drop those k")
    return problems


def loss_table_from_files(models, paths, n_last: int) -> pd.DataFrame:
    """:func:`loss_table` of the curve files ``paths`` of ``models`` ((system, layers, k),
    in the same order)."""
    return loss_table({tuple(model): read_curve(path)
                       for model, path in zip(models, paths, strict=True)}, n_last)


def write_figure(figure, *paths) -> None:
    """Save a matplotlib figure to each path (format from the suffix), atomically."""
    from pathlib import Path

    from .atomic import atomic_path

    for path in paths:
        with atomic_path(path) as tmp:
            figure.savefig(tmp, format=Path(path).suffix.lstrip("."), dpi=150,
                           bbox_inches="tight")


def write_table(table: pd.DataFrame, path) -> None:
    """Write a DataFrame as CSV atomically."""
    from .atomic import atomic_path

    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)


# ----------------------------------------------------------------------------- summary

NOT_COMPUTED = "not computed"


def settings_label(training: dict, production: dict) -> str:
    """The training length and data size behind a number (for the summary's preset column)."""
    limits = [f"{training['epochs']} epochs"]
    if training.get("max_steps"):
        limits.append(f"at most {training['max_steps']} steps")
    if training.get("max_minutes"):
        limits.append(f"at most {training['max_minutes']} min")
    return (f"{', '.join(limits)}; {production['n_train']} train x {production['steps']} MD "
            f"steps")


def _loss(losses: pd.DataFrame, system: str, layers: int, k: int) -> pd.Series | None:
    rows = losses[(losses["system"] == system) & (losses["layers"] == int(layers))
                  & (losses["k"] == int(k))]
    return None if rows.empty else rows.iloc[0]


def _fmt(value, digits: int = 3) -> str:
    return NOT_COMPUTED if value is None or not np.isfinite(value) else f"{value:.{digits}g}"


def _knee_text(losses, system, layers, ks, factor) -> tuple[str, str]:
    rows = losses[(losses["system"] == system) & (losses["layers"] == int(layers))
                  & losses["k"].isin([int(k) for k in ks])].sort_values("k")
    if len(rows) < 2:
        return NOT_COMPUTED, "fewer than two k in the sweep"
    knee = loss_knee(rows["k"], rows["final_test_loss"], factor)
    swept = ", ".join(str(int(k)) for k in rows["k"])
    if knee.first_bad_k is None:
        return f"no sharp rise up to k = {int(rows['k'].max())}", f"k swept: {swept}"
    return f"{knee.last_good_k}-{knee.first_bad_k}", f"k swept: {swept}"


def _accuracy_row(accuracy, system: str, layers: int, k: int):
    """The rollout stage's summary row (results/accuracy.csv) of one model, or None."""
    if accuracy is None or not {"system", "layers", "k"} <= set(accuracy.columns):
        return None
    rows = accuracy[(accuracy["system"] == system) & (accuracy["layers"] == int(layers))
                    & (accuracy["k"] == int(k))]
    return None if rows.empty else rows.iloc[0]


def _get(row, column):
    return None if row is None or column not in row else float(row[column])


def _fictive_caveat(fictive: pd.DataFrame) -> str:
    """Why the fictive temperature of the S11 table cannot be trusted ("" if it can):
    :func:`ogn.glass.fictive_caveats` of its first row, as a note suffix."""
    row = fictive.iloc[0]
    ratio = (float(row["glass_over_liquid_slope"]) if "glass_over_liquid_slope" in fictive
             else None)
    caveats = fictive_caveats(float(row["fictive_temperature"]),
                              float(row["final_temperature"]), ratio)
    return "".join(f"; ill-determined: {caveat}" for caveat in caveats)


def headline_rows(*, losses, rmsd, fictive, transfer, accuracy, sweeps, models, training,
                  production, fast_ogn_k) -> list[dict]:
    """Rows (figure, quantity, paper, ours, note, settings) of the summary table."""
    settings = settings_label(training, production)
    liquid, glass = sweeps["liquid"], sweeps["glass"]
    fast_layers, ogn_layers = int(models["fast_ogn_layers"]), int(models["ogn_layers"])
    factor = float(sweeps["knee_factor"])
    rows = []

    def add(figure, quantity, paper, ours, note=""):
        rows.append({"figure": figure, "quantity": quantity, "paper": paper, "ours": ours,
                     "note": note, "settings": settings})

    ogn = _loss(losses, liquid, ogn_layers, int(models["ogn_k"]))
    add("S1", f"final test loss, OGN ({ogn_layers} layers, k = {models['ogn_k']}), {liquid}",
        "~1e-4 (plateau within 1000 epochs)",
        _fmt(None if ogn is None else ogn["final_test_loss"]),
        "" if ogn is None else f"after {int(ogn['steps'])} steps ({ogn['epochs']:.3g} epochs)")
    ogn_k = int(models["ogn_k"])
    for system in fast_ogn_k:
        row = _accuracy_row(accuracy, system, ogn_layers, ogn_k)
        step = "" if row is None else f" at MD step {int(row['evaluated_md_step'])}"
        note = ("from results/accuracy.csv (rollout stage)" if row is not None
                else "needs the rollout stage's results/accuracy.csv")
        if system == liquid:
            add("2C", f"position RMSE{step}, OGN, {system}", "0.03 (cage size ~0.4)",
                _fmt(_get(row, "position_rmse")), note)
            add("2C", f"velocity RMSE{step}, OGN, {system}", "0.32 (velocity scale 1.73)",
                _fmt(_get(row, "velocity_rmse")), note)
        elif system != glass:
            add("3C", f"position RMSE / cage size{step}, OGN, {system}", "0.01-0.1",
                _fmt(_get(row, "position_rmse_over_cage")), note)
            add("3C", f"velocity RMSE / velocity scale{step}, OGN, {system}", "0.01-0.1",
                _fmt(_get(row, "velocity_rmse_over_scale")), note)
    row = _accuracy_row(accuracy, liquid, fast_layers, fast_ogn_k[liquid])
    add("4B", f"total-energy drift over 100 MD steps, Fast-OGN, {liquid} (MD's in the note)",
        "conserved", _fmt(_get(row, "energy_drift_100")),
        "needs the rollout stage's results/accuracy.csv" if row is None
        else f"MD: {_fmt(_get(row, 'md_energy_drift_100'))}; verdict {row.get('verdict', '')}")
    add("4C", "Fast-OGN speed-up over MD at N = 10,000", "2-10x (except LJ)", NOT_COMPUTED,
        "measured by the runtime stage (results/runtime/), not by this one")

    by_state = {state: rows_ for state, rows_ in rmsd.groupby("state")}
    if {"liquid", "glass"} <= set(by_state):
        t_max = min(by_state["liquid"]["time"].max(), by_state["glass"]["time"].max())
        at = {s: float(np.interp(t_max, r["time"], r["rmsd"])) for s, r in by_state.items()}
        add("5A", f"RMSD liquid / glass at t = {t_max:g} (MD)", "orders of magnitude",
            _fmt(at["liquid"] / at["glass"]),
            f"RMSD {at['liquid']:.3g} ({liquid}) vs {at['glass']:.3g} ({glass})")
    curve_k = int(sweeps["curve_k"])
    pair = [_loss(losses, s, fast_layers, curve_k) for s in (liquid, glass)]
    ratio = (None if any(r is None for r in pair)
             else pair[0]["final_test_loss"] / pair[1]["final_test_loss"])
    add("5B", f"test loss liquid / glass, Fast-OGN k = {curve_k}", "~10", _fmt(ratio),
        "" if ratio is None else f"{pair[0]['final_test_loss']:.3g} vs "
        f"{pair[1]['final_test_loss']:.3g} after {int(pair[0]['steps'])} / "
        f"{int(pair[1]['steps'])} steps")
    for system, paper in ((liquid, "5-10"), (glass, "10-20")):
        ours, note = _knee_text(losses, system, fast_layers, sweeps["k"], factor)
        add("5C", f"k where the final loss turns up sharply, {system}", paper, ours,
            f"{note}; rise = loss > {factor:g}x the best at smaller k")
    for system in sweeps["k_systems"]:
        if system in (liquid, glass):
            continue
        ours, note = _knee_text(losses, system, fast_layers, sweeps["k"], factor)
        add("S9", f"k where the final loss turns up sharply, {system}",
            f"Fast-OGN uses k = {fast_ogn_k[system]}", ours, note)
    if len(fictive):
        add("S11", f"fictive temperature of {glass}", "> 0.5 (quenched to 0.5)",
            _fmt(float(fictive["fictive_temperature"].iloc[0])),
            f"final T {fictive['final_temperature'].iloc[0]:g}" + _fictive_caveat(fictive))
    for kind, figure, plural in (("size", "S5", "sizes"), ("temperature", "S6", "temperatures"),
                                 ("density", "S7", "densities")):
        rows_ = transfer[transfer["kind"] == kind] if len(transfer) else transfer
        if len(rows_) == 0:
            add(figure, f"transfer to other {plural}: loss / loss at training conditions",
                "generalizes (qualitative)", NOT_COMPUTED, "no runs configured")
            continue
        text = ", ".join(f"x{r.factor:g}: {r.loss_ratio:.3g}" for r in rows_.itertuples())
        add(figure, f"transfer to other {plural}: one-step loss / loss at training conditions",
            "generalizes (qualitative)", text,
            f"Fast-OGN of {', '.join(sorted(set(rows_['system'])))}; one-step test loss")
    return rows


def markdown_table(table: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table of a DataFrame (strings as they are)."""
    columns = list(table.columns)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in table.itertuples(index=False):
        lines.append("| " + " | ".join(str(v).replace("|", "/") for v in row) + " |")
    return "\n".join(lines) + "\n"


def ablation_markdown(table: pd.DataFrame, minutes: float) -> str:
    """The ablation table (rule ablation_table) as Markdown, one block per (system, k)."""
    lines = [f"# Ablation of the extended OGN: every model trained {minutes:g} min", ""]
    columns = ["variant", "training_steps", "ms_per_step", "test_loss_dr", "test_loss_dv",
               "rollout_md_steps", "position_rmse", "velocity_rmse", "energy_drift",
               "momentum_drift", "verdict"]
    lines += ["RMSEs and drifts at the rollout's last MD step (`rollout_md_steps`: "
              "`ablation.rollout_steps`, or where an instability check stopped it); drifts: "
              "max |E(t) - E(0)| / <KE> and max |P(t) - P(0)| over its thermal scale. "
              "`verlet{n}` rows: velocity Verlet with the true potential, each stride of k MD "
              "steps in n steps (no training; n = 1 is MD at k x dt).", ""]
    for (system, k), group in table.groupby(["system", "k"], sort=False):
        lines += [f"## {system}, k = {k}", "",
                  "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        for row in group.itertuples():
            cells = []
            for column in columns:
                value = getattr(row, column)
                cells.append(f"{value:.3g}" if isinstance(value, float) else str(value))
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)
