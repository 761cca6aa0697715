"""Which models and MD runs the supplement's sweeps need (pure functions of the config;
no numerical stack beyond numpy, so the workflow plans without JAX)."""

from ogn.md.sizing import scaled_counts_and_box
from ogn.workflow.config import deep_update

TRANSFER_KINDS = ("size", "temperature", "density")


def own_sweep_models(config: dict) -> bool:
    """Whether the sweeps train models of their own (``sweeps.model`` or ``sweeps.training``
    set) rather than reuse the figures' models."""
    sweeps = config["sweeps"]
    return bool(sweeps.get("model") or sweeps.get("training"))


def sweep_config(config: dict) -> dict:
    """The config as the sweep models' training sees it: ``sweeps.model`` and
    ``sweeps.training`` merged over the ``model`` and ``training`` blocks."""
    sweeps = config["sweeps"]
    return deep_update(config, {"model": sweeps.get("model") or {},
                                "training": sweeps.get("training") or {}})


def sweep_models(config: dict) -> list[tuple[str, int, int]]:
    """(system, layers, k) of every model of the sweeps: the k sweeps and the layer sweep."""
    return list(dict.fromkeys(k_sweep_models(config) + layer_sweep_models(config)))


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

    ``block`` is a complete ``systems.<name>`` config block for the MD of that variant,
    without the system's model choice (``model_options``, ``training``): choosing a model
    reruns no MD.
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
                block = {key: value for key, value in base.items()
                         if key not in ("model_options", "training")}
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
