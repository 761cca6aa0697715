"""Losses read from training curves and models: final losses, the knee of the loss against
k, loss tables (losses are standardized, dimensionless)."""

from typing import NamedTuple

import numpy as np
import pandas as pd


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


def loss_table_from_files(models, paths, n_last: int) -> pd.DataFrame:
    """:func:`loss_table` of the curve files ``paths`` of ``models`` ((system, layers, k),
    in the same order)."""
    return loss_table({tuple(model): read_curve(path)
                       for model, path in zip(models, paths, strict=True)}, n_last)


def transfer_row(model_path, pairs, reference_pairs, system: str, variant_name: str,
                 variant: dict, base: dict, layers: int, k: int, log) -> dict:
    """The one-step test loss of a model on MD of another size, temperature or density
    (``pairs``, the transfer ``variant`` of config block ``base``), beside its loss on its own
    test pairs (``reference_pairs``)."""
    from ogn.net.trained import load, pairs_loss
    from ogn.workflow.sweeps import number_density

    model = load(model_path, species_names=pairs.attrs["species_names"],
                 graph_cutoff=float(base["graph_cutoff"]), k=int(pairs.attrs["k"]))
    loss = pairs_loss(model, pairs)
    reference = pairs_loss(model, reference_pairs)
    log(f"test loss {loss:.4g} on {variant_name}, {reference:.4g} on the model's own test "
        f"pairs (ratio {loss / reference:.3g})")
    block = variant["block"]
    return {"system": system, "variant": variant_name, "kind": variant["kind"],
            "factor": variant["factor"], "n_atoms": sum(block["counts"]),
            "temperature": block["temperature"], "density": number_density(block),
            "base_n_atoms": sum(base["counts"]), "base_temperature": base["temperature"],
            "base_density": number_density(base), "layers": int(layers), "k": int(k),
            "test_loss": loss, "reference_test_loss": reference,
            "loss_ratio": loss / reference}
