"""The summary's rows (each headline number of the paper beside ours, with the preset and the
training behind it) and the ablation's Markdown table. Losses are standardized, dimensionless.
"""

import numpy as np
import pandas as pd

from ogn.evaluate.glass import fictive_caveats
from ogn.evaluate.losses import loss_knee

# ----------------------------------------------------------------------------- summary

NOT_COMPUTED = "not computed"


def settings_label(training: dict, production: dict,
                   system_budgets: dict | None = None) -> str:
    """The training length and data size behind a number (for the summary's preset column);
    ``system_budgets``: {system: minutes} of the systems that train for their own budget
    (``systems.<s>.training.max_minutes``)."""
    limits = [f"{training['epochs']} epochs"]
    if training.get("max_steps"):
        limits.append(f"at most {training['max_steps']} steps")
    if training.get("max_minutes"):
        limits.append(f"at most {training['max_minutes']} min")
    if system_budgets:
        limits[-1] += " (" + ", ".join(f"{name}: {float(minutes):g} min"
                                       for name, minutes in system_budgets.items()) + ")"
    return (f"{', '.join(limits)}; {production['n_train']} train x {production['steps']} MD "
            f"steps")


def _of_role(losses: pd.DataFrame, role: str) -> pd.DataFrame:
    """The rows of the figures' models or of the sweeps' (a table without roles: all)."""
    return losses[losses["role"] == role] if "role" in losses else losses


def _loss(losses: pd.DataFrame, system: str, layers: int, k: int,
          role: str = "sweeps") -> pd.Series | None:
    losses = _of_role(losses, role)
    rows = losses[(losses["system"] == system) & (losses["layers"] == int(layers))
                  & (losses["k"] == int(k))]
    return None if rows.empty else rows.iloc[0]


def _fmt(value, digits: int = 3) -> str:
    return NOT_COMPUTED if value is None or not np.isfinite(value) else f"{value:.{digits}g}"


def _knee_text(losses, system, layers, ks, factor) -> tuple[str, str]:
    losses = _of_role(losses, "sweeps")
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
    :func:`ogn.evaluate.glass.fictive_caveats` of its first row, as a note suffix."""
    row = fictive.iloc[0]
    ratio = (float(row["glass_over_liquid_slope"]) if "glass_over_liquid_slope" in fictive
             else None)
    caveats = fictive_caveats(float(row["fictive_temperature"]),
                              float(row["final_temperature"]), ratio)
    return "".join(f"; ill-determined: {caveat}" for caveat in caveats)


SWEEP_FIGURES = ("5B", "5C", "S8", "S9")  # rows read off the sweep models


def headline_rows(*, losses, rmsd, fictive, transfer, accuracy, sweeps, models, training,
                  production, fast_ogn_k, sweep_training=None,
                  sweep_models: str = "", runtime_tables=None,
                  system_budgets: dict | None = None) -> list[dict]:
    """Rows (figure, quantity, paper, ours, note, settings) of the summary table; the sweep
    models' rows carry ``sweep_training`` (default ``training``) and what they train, the
    figures' models the systems' own budgets (``system_budgets``, {system: minutes})."""
    settings = settings_label(training, production, system_budgets)
    swept = settings_label(sweep_training or training, production) + (
        f"; {sweep_models}" if sweep_models else "")
    rows = (rollout_rows(losses, accuracy, sweeps, models, fast_ogn_k)
            + speed_rows(runtime_tables, accuracy, int(models["fast_ogn_layers"]))
            + sweep_rows(losses, rmsd, sweeps, models, fast_ogn_k)
            + fictive_rows(fictive, sweeps["glass"]) + transfer_rows(transfer))
    return [{"figure": figure, "quantity": quantity, "paper": paper, "ours": ours,
             "note": note, "settings": swept if figure in SWEEP_FIGURES else settings}
            for figure, quantity, paper, ours, note in rows]


def rollout_rows(losses, accuracy, sweeps, models, fast_ogn_k) -> list[tuple]:
    """S1 (the OGN's final loss), 2C and 3C (rollout RMSEs), 4B (energy drift)."""
    liquid, glass = sweeps["liquid"], sweeps["glass"]
    fast_layers, ogn_layers = int(models["fast_ogn_layers"]), int(models["ogn_layers"])
    ogn_k = int(models["ogn_k"])
    ogn = _loss(losses, liquid, ogn_layers, ogn_k, role="figures")
    rows = [("S1", f"final test loss, OGN ({ogn_layers} layers, k = {models['ogn_k']}), "
             f"{liquid}", "~1e-4 (plateau within 1000 epochs)",
             _fmt(None if ogn is None else ogn["final_test_loss"]),
             "" if ogn is None else f"after {int(ogn['steps'])} steps ({ogn['epochs']:.3g} "
             "epochs)")]
    for system in fast_ogn_k:
        row = _accuracy_row(accuracy, system, ogn_layers, ogn_k)
        step = "" if row is None else f" at MD step {int(row['evaluated_md_step'])}"
        note = ("from results/accuracy.csv (rollout stage)" if row is not None
                else "needs the rollout stage's results/accuracy.csv")
        if system == liquid:
            rows += [("2C", f"position RMSE{step}, OGN, {system}", "0.03 (cage size ~0.4)",
                      _fmt(_get(row, "position_rmse")), note),
                     ("2C", f"velocity RMSE{step}, OGN, {system}", "0.32 (velocity scale 1.73)",
                      _fmt(_get(row, "velocity_rmse")), note)]
        elif system != glass:
            rows += [("3C", f"position RMSE / cage size{step}, OGN, {system}", "0.01-0.1",
                      _fmt(_get(row, "position_rmse_over_cage")), note),
                     ("3C", f"velocity RMSE / velocity scale{step}, OGN, {system}", "0.01-0.1",
                      _fmt(_get(row, "velocity_rmse_over_scale")), note)]
    row = _accuracy_row(accuracy, liquid, fast_layers, fast_ogn_k[liquid])
    rows.append(("4B", f"total-energy drift over 100 MD steps, Fast-OGN, {liquid} (MD's in the "
                 "note)", "conserved", _fmt(_get(row, "energy_drift_100")),
                 "needs the rollout stage's results/accuracy.csv" if row is None
                 else f"MD: {_fmt(_get(row, 'md_energy_drift_100'))}; verdict "
                 f"{row.get('verdict', '')}"))
    return rows


def speed_rows(runtime_tables, accuracy, fast_layers: int) -> list[tuple]:
    """4C, per system with a runtime table (rule runtime): the timed model's wall time for
    the table's MD steps over our MD's and over LAMMPS's at the largest N timed, with the
    rollout errors (results/accuracy.csv) of the model of the same system, ``fast_layers``
    and the timed model's k in the note."""
    if not runtime_tables:
        return [("4C", "Fast-OGN speed-up over MD at N = 10,000", "2-10x (except LJ)",
                 NOT_COMPUTED, "needs the runtime stage's results/runtime/<system>.csv")]
    rows = []
    for system, table in runtime_tables.items():
        largest = int(table["N"].max())
        at = table[table["N"] == largest].set_index("engine")
        if "fast_ogn" not in at.index:
            continue
        learned = at.loc["fast_ogn"]
        over = {engine: float(learned["median_s"]) / float(at.loc[engine, "median_s"])
                for engine in ("md", "lammps") if engine in at.index}
        row = _accuracy_row(accuracy, system, fast_layers, int(learned["model_k"]))
        judged = ("no rollout in results/accuracy.csv" if row is None else
                  f"its rollout at MD step {int(row['evaluated_md_step'])}: position "
                  f"{_fmt(_get(row, 'position_rmse_over_cage'))} of the cage, velocity "
                  f"{_fmt(_get(row, 'velocity_rmse_over_scale'))} of sqrt(kB T / m), "
                  f"verdict {row['verdict']}")
        if "paper_ogn" in at.index and "md" in at.index:
            paper = float(at.loc["paper_ogn", "median_s"]) / float(at.loc["md", "median_s"])
            judged += (f"; the paper's Fast-OGN network at the same k (untrained weights, a "
                       f"timing reference): {_fmt(paper)} of our MD")
        model = str(learned["model"]) or "the runtime stage's model"
        family = (f"k = {int(learned['model_k'])}, {int(learned['substeps'])} substeps, "
                  f"{learned['layout']}")
        rows.append(("4C", f"learned model's time / our MD's and / LAMMPS's, N = {largest}, "
                     f"{system}", "0.1-0.5 of MD (2-10x faster; LJ slower)",
                     f"{_fmt(over.get('md'))} / {_fmt(over.get('lammps'))}",
                     f"{model} ({family}); {judged}"))
    return rows


def sweep_rows(losses, rmsd, sweeps, models, fast_ogn_k) -> list[tuple]:
    """5A (RMSD liquid / glass), 5B (loss liquid / glass), 5C (the ratio at every k, the knee
    in k), S9 (the knee of the other systems) and S8 (the loss against depth)."""
    liquid, glass = sweeps["liquid"], sweeps["glass"]
    fast_layers = int(models["fast_ogn_layers"])
    factor = float(sweeps["knee_factor"])
    rows = []
    by_state = {state: rows_ for state, rows_ in rmsd.groupby("state")}
    if {"liquid", "glass"} <= set(by_state):
        t_max = min(by_state["liquid"]["time"].max(), by_state["glass"]["time"].max())
        at = {s: float(np.interp(t_max, r["time"], r["rmsd"])) for s, r in by_state.items()}
        rows.append(("5A", f"RMSD liquid / glass at t = {t_max:g} (MD)", "orders of magnitude",
                     _fmt(at["liquid"] / at["glass"]),
                     f"RMSD {at['liquid']:.3g} ({liquid}) vs {at['glass']:.3g} ({glass})"))
    curve_k = int(sweeps["curve_k"])
    pair = [_loss(losses, s, fast_layers, curve_k) for s in (liquid, glass)]
    ratio = (None if any(r is None for r in pair)
             else pair[0]["final_test_loss"] / pair[1]["final_test_loss"])
    rows.append(("5B", f"test loss liquid / glass, Fast-OGN k = {curve_k}", "~10", _fmt(ratio),
                 "" if ratio is None else f"{pair[0]['final_test_loss']:.3g} vs "
                 f"{pair[1]['final_test_loss']:.3g} after {int(pair[0]['steps'])} / "
                 f"{int(pair[1]['steps'])} steps"))
    rows.append(_liquid_over_glass_row(losses, liquid, glass, fast_layers, sweeps["k"]))
    for system, paper in ((liquid, "5-10"), (glass, "10-20")):
        ours, note = _knee_text(losses, system, fast_layers, sweeps["k"], factor)
        rows.append(("5C", f"k where the final loss turns up sharply, {system}", paper, ours,
                     f"{note}; rise = loss > {factor:g}x the best at smaller k"))
    for system in sweeps["k_systems"]:
        if system not in (liquid, glass):
            ours, note = _knee_text(losses, system, fast_layers, sweeps["k"], factor)
            rows.append(("S9", f"k where the final loss turns up sharply, {system}",
                         f"Fast-OGN uses k = {fast_ogn_k[system]}", ours, note))
    rows += [_layer_row(losses, system, int(fast_ogn_k[system]), sweeps["layers"])
             for system in sweeps.get("layer_systems", [])]
    return rows


def _liquid_over_glass_row(losses, liquid, glass, layers, ks) -> tuple:
    """5C: the liquid's final loss over the glass's at every swept k (the paper: the glass is
    learned better at every k)."""
    ratios = {}
    for k in sorted({int(k) for k in ks}):
        pair = [_loss(losses, s, layers, k) for s in (liquid, glass)]
        if not any(r is None for r in pair):
            ratios[k] = float(pair[0]["final_test_loss"] / pair[1]["final_test_loss"])
    quantity = f"test loss liquid / glass at each swept k, Fast-OGN ({liquid} / {glass})"
    if not ratios:
        return ("5C", quantity, "> 1 at every k", NOT_COMPUTED, "no k with both models")
    below = [k for k, ratio in ratios.items() if not ratio > 1.0]
    note = ("the liquid's loss above the glass's at every swept k" if not below
            else "the glass's loss not below the liquid's at k = "
            + ", ".join(str(k) for k in below))
    return ("5C", quantity, "> 1 at every k",
            ", ".join(f"k = {k}: {ratio:.3g}" for k, ratio in ratios.items()), note)


def _layer_row(losses, system, k, layers) -> tuple:
    """S8: the final loss against the number of message-passing layers at the system's
    Fast-OGN k (the paper: one layer already satisfactory, little gain beyond two)."""
    values = {}
    for n in sorted({int(n) for n in layers}):
        row = _loss(losses, system, n, k)
        if row is not None:
            values[n] = float(row["final_test_loss"])
    quantity = f"final test loss vs message-passing layers (layers: loss), {system}, k = {k}"
    paper = "1 layer satisfactory; little gain beyond 2"
    if not values:
        return ("S8", quantity, paper, NOT_COMPUTED, "no layer-sweep model")
    ours = ", ".join(f"{n}: {value:.3g}" for n, value in values.items())
    deepest, shallowest = max(values), min(values)
    notes = []
    if 2 in values and deepest > 2:
        notes.append(f"{deepest} layers / 2 layers: {values[deepest] / values[2]:.3g}")
    if 2 in values and shallowest < 2:
        notes.append(f"{shallowest} / 2 layers: {values[shallowest] / values[2]:.3g}")
    return ("S8", quantity, paper, ours, "; ".join(notes))


def fictive_rows(fictive, glass: str) -> list[tuple]:
    """S11: the glass's fictive temperature, with its caveats."""
    if not len(fictive):
        return []
    return [("S11", f"fictive temperature of {glass}", "> 0.5 (quenched to 0.5)",
             _fmt(float(fictive["fictive_temperature"].iloc[0])),
             f"final T {fictive['final_temperature'].iloc[0]:g}" + _fictive_caveat(fictive))]


def transfer_rows(transfer) -> list[tuple]:
    """S5-S7: the one-step loss on other sizes, temperatures and densities."""
    rows = []
    for kind, figure, plural in (("size", "S5", "sizes"), ("temperature", "S6", "temperatures"),
                                 ("density", "S7", "densities")):
        rows_ = transfer[transfer["kind"] == kind] if len(transfer) else transfer
        if len(rows_) == 0:
            rows.append((figure, f"transfer to other {plural}: loss / loss at training "
                         "conditions", "generalizes (qualitative)", NOT_COMPUTED,
                         "no runs configured"))
            continue
        text = ", ".join(f"x{r.factor:g}: {r.loss_ratio:.3g}" for r in rows_.itertuples())
        rows.append((figure, f"transfer to other {plural}: one-step loss / loss at training "
                     "conditions", "generalizes (qualitative)", text,
                     f"Fast-OGN of {', '.join(sorted(set(rows_['system'])))}; one-step test "
                     "loss"))
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
        lines += [f"## {system}, k = {k}", "", *markdown_rows(group, columns), ""]
    return "\n".join(lines)


def markdown_rows(table: pd.DataFrame, columns) -> list[str]:
    """A Markdown table of ``columns`` of ``table``: header, rule, one line per row (floats
    to 3 significant digits)."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in table.itertuples():
        cells = []
        for column in columns:
            value = getattr(row, column)
            cells.append(f"{value:.3g}" if isinstance(value, float) else str(value))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def frontier_markdown(table: pd.DataFrame, system: str, settings: dict) -> str:
    """One system's frontier (rule frontier_table) as Markdown: the recommended point (the
    fastest that meets ``frontier.targets``) or why there is none, then every point."""
    from ogn.runtime.frontier import recommended_point

    steps = sorted(int(s) for s in settings["rollout_steps"])
    targets = settings["targets"]
    lines = [f"# The accuracy/speed frontier of {system}", "",
             f"Each point trained {float(settings['minutes']):g} min; error: the larger of the "
             f"position RMSE over the cage size and the velocity RMSE over sqrt(kB T / m) at MD "
             f"step {steps[0]}; times: {int(table['timed_md_steps'].iloc[0])} MD steps at "
             f"N = {int(table['N'].iloc[0])}, medians of {int(table['repeats'].iloc[0])} "
             f"interleaved rounds beside our MD and LAMMPS, {table['cpu_model'].iloc[0]}, "
             f"{int(table['threads'].iloc[0])} threads. Targets: error <= {targets['error']:g}, "
             f"stable {steps[-1]} MD steps, energy drift <= {targets['energy_drift']:g} of <KE>.",
             ""]
    best = recommended_point(table)
    if best is None:
        lines += ["No point meets every target.", ""]
    else:
        lines += [f"Recommended: **{best['point']}** ({best['step_family']}): error "
                  f"{best['error']:.3g}, {best['learned_s']:.3g} s, {best['over_md']:.3g} of our "
                  f"MD's time and {best['over_lammps']:.3g} of LAMMPS's.", ""]
    columns = ["point", "precision", "training_steps", "test_loss_dr", "test_loss_dv", "error",
               "stable_md_steps", "energy_drift", "learned_s", "over_md", "over_lammps",
               "force_evaluations_per_100_md_steps", "layout", "pareto", "meets_targets"]
    columns = [column for column in columns if column in table]  # older rows lack precision
    return "\n".join(lines + markdown_rows(table, columns)) + "\n"
