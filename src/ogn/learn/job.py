"""One training job from files to a model file: the pairs checked against the system, the
network built from the ``model`` config block, training (with the stride curriculum where the
options ask for it), and the model file with its metadata."""

from collections.abc import Callable
from pathlib import Path

from ogn.data.pairs import joined_pairs, read_pairs, species_masses, stride_time
from ogn.evaluate.metrics import shortest_pair_distances
from ogn.learn.checkpoint import TrainState
from ogn.learn.curriculum import train_with_curriculum
from ogn.learn.loop import model_metadata, train
from ogn.net.core import CORE_FRAMES, core_radii
from ogn.net.energy import mean_neighbours, three_body_edge_fraction
from ogn.net.graph import spread_frames
from ogn.net.modelfile import save_model
from ogn.net.options import (
    architecture_label,
    extended_options,
    network_config,
    three_body_shape,
    training_recipe,
)
from ogn.net.simulator import make_simulator


def checked_pairs(train_path, test_path, species: list, also: list | None = None):
    """The train and test pairs, refused with a message if their species differ from the
    system's or the two were made at different k; with ``also`` (paths of other systems' train
    pairs: :func:`ogn.data.pairs.joined_pairs`), the train pairs are joined by theirs."""
    train_pairs, test_pairs = read_pairs(train_path), read_pairs(test_path)
    if also:
        train_pairs = joined_pairs([train_pairs] + [read_pairs(path) for path in also])
    for pairs in (train_pairs, test_pairs):
        if pairs.attrs["species_names"] != species:
            raise ValueError(f"pairs species {pairs.attrs['species_names']} differ from the "
                             f"system's {species}")
    if test_pairs.attrs["k"] != train_pairs.attrs["k"]:
        raise ValueError("train and test pairs were made at different k")
    return train_pairs, test_pairs


def default_checkpoint(model_path) -> str:
    """Where a model's resumable checkpoint lives: beside the model file."""
    model_path = Path(model_path)
    return str(model_path.with_name(model_path.stem + ".checkpoint.npz"))


def train_model_file(train_path, test_path, system_block: dict, model_block: dict,
                     training: dict, layers: int, model_path, curve_path, *,
                     curriculum: list | None = None, also: list | None = None,
                     checkpoint: str | None = None, log: Callable = print) -> TrainState:
    """Train one network on one system's pairs and write ``model_path`` and ``curve_path``.

    ``curriculum``: [k = 1 train pairs, k = 1 test pairs] of the stride curriculum (empty or
    None without one); ``also``: train pairs files of other systems of the same atoms and box
    that join the system's own (``systems.<name>.train_also_on``; the test pairs stay the
    system's own); ``checkpoint``: the resumable checkpoint (default beside the model).
    """
    species = list(system_block["species"])
    if also and curriculum:
        raise ValueError("a stride curriculum trains on the system's own k = 1 pairs only: "
                         "drop systems.<name>.train_also_on, or the curriculum option")
    train_pairs, test_pairs = checked_pairs(train_path, test_path, species, also)
    if also:
        log("training pairs: " + ", ".join(
            f"{count} of {name}" for name, count in zip(train_pairs.attrs["systems"],
                                                      train_pairs.attrs["pair_counts"],
                                                      strict=True))
            + f"; test pairs: {test_pairs.n_pairs} of {test_pairs.attrs['system']}")
    checkpoint = checkpoint or default_checkpoint(model_path)
    graph_cutoff = float(system_block["graph_cutoff"])
    recipe = training_recipe(model_block, training)
    options = extended_options(model_block) or {}
    neighbours = edge_fraction = None
    if options.get("decoder") == "energy":
        cutoff = three_body_shape(options, graph_cutoff)["three_body_cutoff"]
        neighbours = mean_neighbours(train_pairs.position, train_pairs.box, cutoff)
        edge_fraction = three_body_edge_fraction(train_pairs.position, train_pairs.box, cutoff,
                                                 graph_cutoff)
        log(f"energy decoder: {neighbours:.2f} neighbours per atom within the three-body "
            f"cutoff {cutoff:g} (the moments' normalisation); its edge list holds "
            f"{edge_fraction:.3g} of the graph's edge slots")
    density = None
    if options.get("embedding"):
        from ogn.net.embedding import density_statistics
        from ogn.net.options import force_cutoff_of

        reach = force_cutoff_of(options, graph_cutoff)
        decay = float(options.get("embedding_decay") or 0.0)
        density = density_statistics(train_pairs.position, train_pairs.box, reach, decay)
        log(f"learned embedding: starting density (envelope"
            f"{f' x exp(-r / {decay:g})' if decay else ''}) within the force cutoff {reach:g} "
            f"{density[0]:.4g} +- {density[1]:.4g} per atom (the densities' standardisation)")
    radii = None
    fraction = float(options.get("repulsive_core") or 0.0)
    if fraction > 0:
        shortest = shortest_pair_distances(spread_frames(train_pairs.position, CORE_FRAMES),
                                           train_pairs.box, train_pairs.species,
                                           len(species), graph_cutoff)
        radii = core_radii(shortest, fraction)
        log("repulsive core radii (shortest training distance x "
            f"{fraction:g}): " + ", ".join(
                f"{a}-{b} {radii[i][j]:.3f}" for i, a in enumerate(species)
                for j, b in enumerate(species) if j >= i))
    network = network_config(model_block, int(layers), graph_cutoff=graph_cutoff,
                             species_masses=species_masses(train_pairs),
                             stride_steps=int(train_pairs.attrs["k"]),
                             stride_time=stride_time(train_pairs),
                             three_body_neighbours=neighbours,
                             three_body_edge_fraction=edge_fraction, core_radii=radii,
                             embedding_density=density)
    simulator = make_simulator(network, len(species))
    log(f"model: {architecture_label(model_block)}, {layers} layers")
    paths = {"graph_cutoff": graph_cutoff, "checkpoint_path": checkpoint,
             "curve_path": curve_path, "log": log}
    learned_tables = int(options.get("learned_tables") or 0)
    if learned_tables:
        simulator, start = table_start(simulator, train_pairs, graph_cutoff, learned_tables,
                                       recipe)
        log(f"learning the functions of distance as tables of {learned_tables} points, "
            "begun from the untrained MLPs sampled")
        state = train(simulator, train_pairs, test_pairs, recipe, start=start, **paths)
    elif curriculum:
        k1_train, k1_test = (read_pairs(path) for path in curriculum)
        state = train_with_curriculum(simulator, train_pairs, test_pairs, k1_train, k1_test,
                                      recipe, **paths)
    else:
        state = train(simulator, train_pairs, test_pairs, recipe, **paths)
    params, written = state.params, simulator
    points = int(options.get("tabulate") or 0)
    if learned_tables:  # the tables as trained, in the form every reader of a file takes
        from ogn.net.tables import tables_in_use

        params = tables_in_use(simulator.network_config, state.params)
        written = make_simulator(simulator.network_config._replace(
            table_slopes_from_values=False), simulator.n_species)
    elif points:
        params, written = tabulated(simulator, state, test_pairs, graph_cutoff, points, log)
    metadata = model_metadata(written, state, train_pairs, test_pairs, model_block, recipe,
                              graph_cutoff, system_config=system_block)
    save_model(model_path, params, state.normalizer, metadata)
    log(f"model written to {model_path} after {state.step} steps "
        f"({state.seconds / 3600:.2f} h of training)")
    return state


def table_start(simulator, train_pairs, graph_cutoff: float, points: int, recipe: dict):
    """(simulator, Start) of a learned force trained as tables of ``points`` samples: the
    same model with ``NetworkConfig.tabulated`` and ``table_slopes_from_values`` set (only
    the values are trained), and its first parameters, the untrained MLPs (seeded by
    ``recipe["seed"]``) sampled into tables."""
    import jax

    from ogn.learn.batches import training_capacity
    from ogn.learn.checkpoint import Start
    from ogn.net.normalizer import init_normalizer
    from ogn.net.simulator import node_feature_size
    from ogn.net.tables import tabulated_model

    params = simulator.init(jax.random.PRNGKey(int(recipe.get("seed", 0))),
                            train_pairs.n_atoms, training_capacity(train_pairs, graph_cutoff))
    config, table_params = tabulated_model(simulator.network_config, params,
                                           simulator.n_species, points)
    config = config._replace(table_slopes_from_values=True)
    start = Start(params=table_params,
                  normalizer=init_normalizer(node_feature_size(simulator.n_species)))
    return make_simulator(config, simulator.n_species), start


def tabulated(simulator, state: TrainState, test_pairs, graph_cutoff: float, points: int,
              log: Callable):
    """(params, simulator) of the trained model with its learned functions of distance as
    tables of ``points`` samples (:mod:`ogn.net.tables`), the test loss of both forms logged."""
    from ogn.learn.steps import make_eval_loss, mean_test_loss, prepare_test_set
    from ogn.net.normalizer import standardization
    from ogn.net.tables import tabulated_model

    config, params = tabulated_model(simulator.network_config, state.params,
                                     simulator.n_species, points)
    table_simulator = make_simulator(config, simulator.n_species)
    test_set = prepare_test_set(test_pairs, graph_cutoff, simulator.n_species)
    standard = standardization(state.normalizer)
    losses = [mean_test_loss(make_eval_loss(s), p, standard, test_set)
              for s, p in ((simulator, state.params), (table_simulator, params))]
    log(f"learned functions tabulated on {points} points: test loss {losses[1]:.5g} "
        f"(the MLPs: {losses[0]:.5g}); the model file holds the tables")
    return params, table_simulator
