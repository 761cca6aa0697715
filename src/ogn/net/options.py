"""``model`` config block -> what is trained: the paper's OGN or the extended one, the
network's shape and the training options, parsed here and nowhere else."""


import numpy as np

from ogn.net.structures import EQUIVARIANT_DECODERS, LEARNED_FORCE_DECODERS, NetworkConfig

ARCHITECTURES = ("paper", "extended")
# every key of model.options at the value that reproduces the paper (an ablation variant
# starts from these and switches its own options on)
PAPER_OPTIONS = {"radial_basis": 0, "aggregation": "sum", "decoder": "node",
                 "relative_velocity_vectors": False, "time_reversal": False,
                 "loss_weights": {"dr": 1.0, "dv": 1.0}, "curriculum_k1_fraction": 0.0,
                 "learning_rate": None, "lr_decay_rate": None, "lr_decay_steps": None,
                 "pair_force_substep": 2.0, "three_body_cutoff": None,
                 "three_body_channels": 8, "three_body_order": 2, "pair_term": "force",
                 "repulsive_core": 0.0, "tabulate": 0, "learned_tables": 0,
                 "force_cutoff": None, "table_smoothness": 0.0, "embedding": False,
                 "embedding_decay": 0.0}
AGGREGATIONS = ("sum", "mean")
DECODERS = ("node", "vector", "pair_force", "energy")
PAIR_TERMS = ("force", "energy")  # the energy decoder's pair term


def extended_options(model_config: dict) -> dict | None:
    """``model.options`` of an extended model, or None for the paper's OGN: the one place that
    decides which of the two a ``model`` config block trains."""
    architecture = model_config.get("architecture", "paper")
    if architecture not in ARCHITECTURES:
        raise ValueError(f"model.architecture = {architecture!r} is not known; use one of "
                         f"{', '.join(ARCHITECTURES)}")
    if architecture != "extended":
        return None
    return dict(model_config.get("options") or {})


def network_config(model_config: dict, n_layers: int, output_size: int = 6,
                   split_edge_projection: bool = True,
                   graph_cutoff: float | None = None,
                   species_masses=None, stride_steps: int | None = None,
                   stride_time: float | None = None,
                   three_body_neighbours: float | None = None,
                   three_body_edge_fraction: float | None = None,
                   core_radii: tuple | None = None,
                   embedding_density: tuple | None = None) -> NetworkConfig:
    """NetworkConfig from the config block ``model`` and a layer count (``models.*_layers``).

    ``model.architecture: paper`` is the paper's OGN whatever ``model.options`` say;
    ``extended`` applies the options (``graph_cutoff`` is then needed by a radial basis; the
    pair-force and energy decoders also need the stride, ``stride_steps`` = k MD steps lasting
    ``stride_time``, and take ceil(k / ``pair_force_substep``) velocity-Verlet substeps; the
    energy decoder divides its angular moments by ``three_body_neighbours``, the data's mean
    number of neighbours within the three-body cutoff: see
    :func:`ogn.net.energy.mean_neighbours`, and its angular terms read
    ``three_body_edge_fraction`` of the graph's edge slots, default 1: see
    :func:`ogn.net.energy.three_body_edge_fraction`). ``model.options.repulsive_core`` > 0 needs
    ``core_radii``, the (S, S) core radius of each species pair
    (:func:`ogn.net.core.core_radii`). ``model.options.force_cutoff`` (learned-force decoders;
    null: the graph cutoff) is where their learned functions of distance, and the radial
    basis they read, end (``NetworkConfig.radial_cutoff``): see :func:`force_cutoff_of`.
    ``model.options.embedding`` (pair-force decoder) adds the learned embedded-atom term of
    :mod:`ogn.net.embedding`, its densities standardised by ``embedding_density``, the
    data's (mean, standard deviation) of :func:`ogn.net.embedding.density_statistics`; its
    learned density starts as the envelope times exp(-r / ``embedding_decay``) (0: the
    envelope alone).
    """
    if int(n_layers) < 1:
        raise ValueError(f"the network needs at least one message-passing layer, got {n_layers}")
    options = extended_options(model_config) or {}
    radial_basis = int(options.get("radial_basis", 0))
    aggregation = str(options.get("aggregation", "sum"))
    decoder = str(options.get("decoder", "node"))
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"model.options.aggregation = {aggregation!r}; use one of "
                         f"{', '.join(AGGREGATIONS)}")
    if decoder not in DECODERS:
        raise ValueError(f"model.options.decoder = {decoder!r}; use one of {', '.join(DECODERS)}")
    conflicts = option_conflicts(options)
    if conflicts:
        raise ValueError(conflicts[0])
    if radial_basis and not graph_cutoff:
        raise ValueError("a radial basis (model.options.radial_basis > 0) needs the system's "
                         "graph_cutoff")
    if decoder in EQUIVARIANT_DECODERS and species_masses is None:
        raise ValueError(f"the {decoder} decoder needs the mass of every species")
    substeps = 0
    if decoder in LEARNED_FORCE_DECODERS:
        if not stride_steps or not stride_time or stride_time <= 0:
            raise ValueError(f"the {decoder} decoder integrates over the stride: it needs the "
                             "pairs' k (stride_steps) and k dt (stride_time)")
        substep = float(options.get("pair_force_substep", 2.0))
        if not substep > 0:
            raise ValueError(f"model.options.pair_force_substep = {substep}: the largest "
                             "substep, in MD time steps, must be positive (e.g. 2)")
        substeps = int(np.ceil(int(stride_steps) / substep - 1e-9))
    three_body = {}
    if decoder == "energy":
        three_body = three_body_shape(options, float(graph_cutoff))
        three_body["three_body_neighbours"] = float(three_body_neighbours or 1.0)
        fraction = float(three_body_edge_fraction or 1.0)
        if not 0 < fraction <= 1:
            raise ValueError(f"three_body_edge_fraction = {fraction:g}: the three-body edge "
                             "list's share of the graph's edge slots lies in (0, 1]")
        three_body["three_body_edge_fraction"] = fraction
    core = ()
    if float(options.get("repulsive_core") or 0.0) > 0:
        if core_radii is None:
            raise ValueError("model.options.repulsive_core needs the training data's shortest "
                             "distance of each species pair (core_radii)")
        from ogn.net.core import radii_table  # JAX: planning imports this module without it

        core = radii_table(core_radii)
    relative_velocity_vectors = bool(options.get("relative_velocity_vectors", False))
    radial_cutoff = 0.0
    if radial_basis:
        radial_cutoff = (force_cutoff_of(options, float(graph_cutoff))
                         if decoder in LEARNED_FORCE_DECODERS else float(graph_cutoff))
    return NetworkConfig(n_layers=int(n_layers), latent_size=int(model_config["latent_size"]),
                         hidden_size=int(model_config["hidden_size"]),
                         mlp_hidden_layers=int(model_config["mlp_hidden_layers"]),
                         output_size=int(output_size),
                         split_edge_projection=bool(split_edge_projection),
                         radial_basis=radial_basis,
                         radial_cutoff=radial_cutoff,
                         aggregation=aggregation, decoder=decoder,
                         species_masses=(tuple(float(m) for m in species_masses)
                                         if decoder in EQUIVARIANT_DECODERS else ()),
                         relative_velocity_vectors=relative_velocity_vectors,
                         stride_time=float(stride_time) if substeps else 0.0,
                         substeps=substeps, core_radii=core,
                         embedding=bool(options.get("embedding", False)),
                         embedding_decay=float(options.get("embedding_decay") or 0.0),
                         embedding_density=tuple(float(x) for x in
                                                 (embedding_density or (0.0, 1.0))),
                         **three_body)


def force_cutoff_of(options: dict, graph_cutoff: float) -> float:
    """Where a learned force's functions of distance end, ``model.options.force_cutoff`` (null:
    the graph cutoff), at most the graph cutoff.

    The graph keeps every edge within its cutoff; a force that ends before it leaves the
    margin between the two as a skin. A rollout rebuilds its pair lists once per stride (and
    the paper's boxes, twice the graph cutoff wide, leave no room for a skin beyond it), so
    a pair that comes within the force's reach during a stride is then already listed. With
    no margin such a pair is missed until the next stride and then appears inside the range
    with its energy: a learned force whose tail is not exactly zero gains or loses that much
    energy at every stride (silica's learned tables: 1.9 % of <KE> over 1000 MD steps; the
    same tables ended at BKS's 8 A cutoff: 0.2 %)."""
    cutoff = options.get("force_cutoff")
    if cutoff is None:
        return float(graph_cutoff)
    cutoff = float(cutoff)
    if not 0 < cutoff <= graph_cutoff * (1 + 1e-12):
        raise ValueError(f"model.options.force_cutoff = {cutoff:g} must lie in (0, the graph "
                         f"cutoff {graph_cutoff:g}]: a learned force sees graph edges only; "
                         "lower it (e.g. the potential's cutoff), or raise the system's "
                         "graph_cutoff")
    return cutoff


def three_body_shape(options: dict, graph_cutoff: float) -> dict:
    """The energy decoder's terms from ``model.options``: the angular terms' cutoff (null: the
    graph cutoff; at most that, since only graph edges are seen), channels and order, and
    the pair term (a force or an energy)."""
    cutoff = options.get("three_body_cutoff")
    cutoff = graph_cutoff if cutoff is None else float(cutoff)
    if not 0 < cutoff <= graph_cutoff * (1 + 1e-12):
        raise ValueError(f"model.options.three_body_cutoff = {cutoff:g} must lie in (0, the "
                         f"graph cutoff {graph_cutoff:g}]: the angular terms see graph edges "
                         "only; lower it, or raise the system's graph_cutoff")
    channels = int(options.get("three_body_channels", 8))
    order = int(options.get("three_body_order", 2))
    if channels < 1 or not 0 <= order <= 4:
        raise ValueError(f"model.options.three_body_channels = {channels} and three_body_order "
                         f"= {order}: use at least one channel and an order from 0 to 4 (2 "
                         "holds Stillinger-Weber's (cos theta + 1/3)^2)")
    pair_term = str(options.get("pair_term", "force"))
    if pair_term not in PAIR_TERMS:
        raise ValueError(f"model.options.pair_term = {pair_term!r}; use force (a learned "
                         "central pair force: half the training cost) or energy (the "
                         "gradient of a learned pair energy)")
    return {"three_body_cutoff": cutoff, "three_body_channels": channels,
            "three_body_order": order, "pair_term": pair_term}


def option_conflicts(options: dict) -> list[str]:
    """Combinations of ``model.options`` that do not make a model, one message each naming the
    keys and the fix (empty when fine). :func:`network_config` raises the first; the workflow
    reports all of them at start-up (:func:`ogn.workflow.checks.startup_problems`)."""
    decoder = options.get("decoder", "node")
    conflicts = []
    if decoder in EQUIVARIANT_DECODERS and int(options.get("radial_basis") or 0) < 1:
        conflicts.append(f"model.options.decoder = {decoder} sees distances only through the "
                         "radial basis: set model.options.radial_basis to at least 1 (e.g. 16)")
    if options.get("relative_velocity_vectors") and decoder != "vector":
        conflicts.append("model.options.relative_velocity_vectors shapes the vector decoder: "
                         "set model.options.decoder = vector, or turn it off")
    if (decoder in LEARNED_FORCE_DECODERS
            and float(options.get("curriculum_k1_fraction") or 0.0) > 0):
        conflicts.append(f"model.options.curriculum_k1_fraction > 0 would train the {decoder} "
                         "decoder at k = 1, whose stride is part of the model: set "
                         "curriculum_k1_fraction to 0 for it")
    core = float(options.get("repulsive_core") or 0.0)
    if core and decoder not in LEARNED_FORCE_DECODERS:
        conflicts.append(f"model.options.repulsive_core adds a repulsion to a learned force; the "
                         f"{decoder} decoder has none: use decoder pair_force or energy, or set "
                         "repulsive_core to 0")
    points = int(options.get("tabulate") or 0)
    learned = int(options.get("learned_tables") or 0)
    tables_fit = decoder in LEARNED_FORCE_DECODERS and not (
        decoder == "energy" and options.get("pair_term", "force") != "force")
    for key, value, what, example in (
            ("tabulate", points, "tabulates learned functions of one distance", "1024; 0: none"),
            ("learned_tables", learned, "learns functions of one distance as tables",
             "256; 0: learn MLPs")):
        if value and not tables_fit:
            conflicts.append(f"model.options.{key} = {value} {what}: use decoder pair_force, "
                             f"or energy with pair_term force, or set {key} to 0")
        if 0 < value < 16:
            conflicts.append(f"model.options.{key} = {value}: a table needs at least 16 points "
                             f"(e.g. {example})")
    smoothness = float(options.get("table_smoothness") or 0.0)
    if smoothness and not learned:
        conflicts.append(f"model.options.table_smoothness = {smoothness:g} smooths learned "
                         "tables: set model.options.learned_tables (e.g. 256), or set "
                         "table_smoothness to 0")
    if learned and points:
        conflicts.append(f"model.options.learned_tables = {learned} and tabulate = {points}: a "
                         "model learned as tables is tables already; set tabulate to 0")
    if options.get("force_cutoff") is not None and decoder not in LEARNED_FORCE_DECODERS:
        conflicts.append(f"model.options.force_cutoff ends a learned force; the {decoder} "
                         "decoder has none: use decoder pair_force or energy, or set "
                         "force_cutoff to null")
    if options.get("embedding") and decoder != "pair_force":
        conflicts.append(f"model.options.embedding adds a learned embedded-atom term to the "
                         f"pair force; the {decoder} decoder has none: use decoder pair_force, "
                         "or set embedding to false")
    decay = float(options.get("embedding_decay") or 0.0)
    if decay and not options.get("embedding"):
        conflicts.append(f"model.options.embedding_decay = {decay:g} shapes the learned "
                         "embedding's density, which is off: set embedding to true, or set "
                         "embedding_decay to 0")
    if not 0.0 <= core < 1.5:
        conflicts.append(f"model.options.repulsive_core = {core:g} is the fraction of each "
                         "species pair's shortest training distance below which the core "
                         "repels: use a value in [0, 1.5) (e.g. 0.95, or above 1 where the "
                         "closest training pairs are too few to learn from; 0: no core)")
    return conflicts


def architecture_label(model_config: dict) -> str:
    """What a config block ``model`` trains, in a few words (figure footers, logs)."""
    options = extended_options(model_config)
    if options is None:
        return "paper OGN"
    parts = []
    if options.get("radial_basis"):
        parts.append(f"radial basis {options['radial_basis']}")
    decoder = options.get("decoder", "node")
    learned_force = decoder in LEARNED_FORCE_DECODERS  # no message passing read
    if options.get("aggregation", "sum") != "sum" and not learned_force:
        parts.append(f"{options['aggregation']} aggregation")
    substep = f"velocity-Verlet substeps of at most {float(options.get('pair_force_substep', 2.0)):g} dt"
    if decoder == "pair_force":
        parts.append(f"pair-force decoder (learned central pair force, {substep})")
    elif decoder == "energy":
        cutoff = options.get("three_body_cutoff")
        pair = ("pair energy" if options.get("pair_term", "force") == "energy"
                else "pair force")
        parts.append(f"energy decoder (learned {pair} and three-body energy"
                     + (f" within {float(cutoff):g}" if cutoff is not None else "")
                     + f", {substep})")
    elif options.get("decoder", "node") != "node":
        parts.append(f"{options['decoder']} decoder")
    if decoder == "pair_force" and options.get("embedding"):
        parts.append("learned embedding (embedded-atom many-body term)")
    if learned_force and float(options.get("repulsive_core") or 0.0) > 0:
        parts.append(f"repulsive core below {float(options['repulsive_core']):g} of the "
                     "shortest training distance")
    if learned_force and options.get("force_cutoff") is not None:
        parts.append(f"force cutoff {float(options['force_cutoff']):g}")
    if learned_force and int(options.get("tabulate") or 0) > 0:
        parts.append(f"tabulated on {int(options['tabulate'])} points")
    if learned_force and int(options.get("learned_tables") or 0) > 0:
        parts.append(f"learned as tables of {int(options['learned_tables'])} points"
                     + (f", smoothness {float(options['table_smoothness']):g}"
                        if float(options.get("table_smoothness") or 0.0) else ""))
    if options.get("relative_velocity_vectors"):
        parts.append("relative-velocity vectors")
    if options.get("time_reversal"):
        parts.append("time reversal")
    weights = options.get("loss_weights") or {}
    if float(weights.get("dr", 1.0)) != float(weights.get("dv", 1.0)):
        parts.append(f"loss weights dr {weights['dr']:g} dv {weights['dv']:g}")
    if options.get("learning_rate") is not None:
        parts.append(f"learning rate {float(options['learning_rate']):g}")
    if options.get("lr_decay_steps") is not None or options.get("lr_decay_rate") is not None:
        parts.append("learning-rate decay")
    if float(options.get("curriculum_k1_fraction") or 0.0) > 0:
        parts.append(f"k=1 curriculum {float(options['curriculum_k1_fraction']):g}")
    return "extended OGN (" + ", ".join(parts) + ")" if parts else "paper OGN"


# ----------------------------------------------------------------------------- recipe

TRAINING_OPTIONS = ("time_reversal", "loss_weights", "curriculum_k1_fraction", "learning_rate",
                    "lr_decay_rate", "lr_decay_steps", "table_smoothness")


def training_recipe(model_config: dict, training_config: dict) -> dict:
    """The training config a run uses: ``training`` plus, with ``model.architecture:
    extended``, the training options of ``model.options`` (time reversal, loss weights,
    stride curriculum, learning rate and its decay) that are set. The paper's architecture
    trains with the paper's recipe."""
    recipe = dict(training_config)
    options = extended_options(model_config)
    if options is not None:
        recipe.update({key: options[key] for key in TRAINING_OPTIONS
                       if options.get(key) is not None})
    return recipe


def uses_curriculum(model_config: dict, k: int) -> bool:
    """Whether a model of this config at stride ``k`` trains with the stride curriculum."""
    recipe = training_recipe(model_config, {})
    return int(k) != 1 and float(recipe.get("curriculum_k1_fraction") or 0.0) > 0.0
