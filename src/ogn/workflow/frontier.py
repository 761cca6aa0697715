"""The accuracy/speed frontier as the workflow plans it: the grid of step choices of the config
block ``frontier`` as named points, and the system, model and training blocks each point's
model is trained with. Pure functions of the config: nothing here imports JAX.

A point is one choice of

* ``k``: the stride in MD steps (its pairs are the system's ``results/pairs/<s>/k<k>``);
* ``substeps``: 0 for a direct predictor (the vector decoder, one network pass per stride,
  momentum exact), or n >= 1 for the system's learned force (``systems.<s>.model_options``'s
  ``pair_force`` or ``energy`` decoder; ``pair_force`` where the system names none) integrated
  over the stride in n velocity-Verlet substeps of k dt / n (points with n > k are left out:
  a substep shorter than dt is MD at a finer step);
* ``layers`` and ``width`` (the network's latent and hidden size): the direct predictor's
  message passing (a learned force reads no message-passing layer, so its points take only
  the first value of ``layers``; its width is that of its pair MLP);
* ``cutoff_fraction``: the graph cutoff as a fraction of the system's ``graph_cutoff``
  (a three-body cutoff or force cutoff above it is cut to it);
* ``precision``: the direct predictor's network products in ``float32`` or ``bfloat16``
  (:func:`ogn.net.simulator.make_simulator`). Precision is a way of running a trained model,
  not of training it: a bfloat16 point judges and times the model file of its float32
  twin (:func:`trained_name`), trained once. A learned force's tables are not a network:
  its points take float32 only.
"""

import itertools

FRONTIER_FOLDER = "results/frontier"
LEARNED_FORCES = ("pair_force", "energy")
AXES = ("k", "substeps", "layers", "width", "cutoff_fraction", "precision")
PRECISION_TAGS = {"float32": "", "bfloat16": "_bf16"}  # a point name's ending


def point_name(point: dict) -> str:
    """``k10_n5_L2_w64_c1`` (``..._bf16`` in bfloat16): the folder name of a frontier
    point."""
    return (f"k{int(point['k'])}_n{int(point['substeps'])}_L{int(point['layers'])}"
            f"_w{int(point['width'])}_c{float(point['cutoff_fraction']):g}"
            f"{PRECISION_TAGS[point.get('precision', 'float32')]}")


def trained_point(point: dict) -> dict:
    """The point whose training gives ``point``'s model file: itself in float32."""
    return {**point, "precision": "float32"}


def trained_name(point: dict) -> str:
    """The folder of the model file ``point`` is judged and timed with."""
    return point_name(trained_point(point))


def frontier_points(config: dict) -> dict[str, dict]:
    """Every point of the grid ``frontier`` (the product of its axes), by name, in the
    order of the axes. Left out: points with more substeps than MD steps in the stride, and
    learned-force points at any but the first of ``layers`` (they would repeat a model);
    learned-force points are in float32 whatever ``precision`` lists."""
    block = config["frontier"]
    points = {}
    for values in itertools.product(*(block[axis] for axis in AXES)):
        point = dict(zip(AXES, values, strict=True))
        if int(point["substeps"]) > int(point["k"]):
            continue
        if int(point["substeps"]) and point["layers"] != block["layers"][0]:
            continue
        if int(point["substeps"]):
            point = trained_point(point)
        points[point_name(point)] = point
    if not points:
        raise ValueError("frontier: every point of the grid has more substeps than its k "
                         "has MD steps; give frontier.substeps a 0 (direct) or a value <= k")
    return points


def trained_points(config: dict) -> dict[str, dict]:
    """The points that are trained, by name: the float32 twin of every point of
    :func:`frontier_points`."""
    return {trained_name(point): trained_point(point)
            for point in frontier_points(config).values()}


def frontier_point(config: dict, name: str) -> dict:
    """The point named ``name`` (one of :func:`frontier_points`)."""
    points = frontier_points(config)
    if name not in points:
        raise ValueError(f"{name!r} is not a point of the frontier grid; its points: "
                         f"{', '.join(points)}")
    return points[name]


def point_system_block(config: dict, system: str, point: dict) -> dict:
    """``systems.<system>``'s physics with the point's graph cutoff."""
    block = {key: value for key, value in config["systems"][system].items()
             if key not in ("model_options", "training")}
    block["graph_cutoff"] = float(block["graph_cutoff"]) * float(point["cutoff_fraction"])
    return block


def point_model_block(config: dict, system: str, point: dict) -> dict:
    """The ``model`` block of a point: the extended architecture with ``model.options``, the
    system's ``model_options`` over them, then the point's step family, width and cutoff."""
    own = dict(config["systems"][system].get("model_options") or {})
    options = {**config["model"]["options"], **own}
    substeps = int(point["substeps"])
    if substeps == 0:
        options.update(decoder="vector", tabulate=0, learned_tables=0, repulsive_core=0.0,
                       three_body_cutoff=None, force_cutoff=None, table_smoothness=0.0)
    else:
        if options.get("decoder") not in LEARNED_FORCES:
            options["decoder"] = "pair_force"
        options["pair_force_substep"] = float(point["k"]) / substeps
        options["curriculum_k1_fraction"] = 0.0  # the stride is part of a learned force
        cutoff = float(point_system_block(config, system, point)["graph_cutoff"])
        for key in ("three_body_cutoff", "force_cutoff"):
            if options.get(key) is not None:
                options[key] = min(float(options[key]), cutoff)
    width = int(point["width"])
    return {**{key: value for key, value in config["model"].items() if key != "options"},
            "architecture": "extended", "latent_size": width, "hidden_size": width,
            "options": options}


def point_training_block(config: dict, system: str) -> dict:
    """The ``training`` block of every point of a system: the system's figure models' block,
    ``frontier.training`` over it, and the frontier's wall-clock budget ``frontier.minutes``
    (no step limit), so that the points of one front are compared at equal training cost."""
    own = dict(config["systems"][system].get("training") or {})
    frontier = config["frontier"]
    return {**config["training"], **own, **dict(frontier.get("training") or {}),
            "max_minutes": float(frontier["minutes"]), "max_steps": None}


def point_dir(system: str, name: str) -> str:
    return f"{FRONTIER_FOLDER}/{system}/{name}"


def point_model(system: str, point: dict) -> str:
    """The model file a point is judged and timed with: that of its float32 twin."""
    return f"{point_dir(system, trained_name(point))}/model.npz"


def point_rows(config: dict, system: str) -> list[str]:
    """The one-row CSV of every point of ``system``'s front."""
    return [f"{point_dir(system, name)}/point.csv" for name in frontier_points(config)]


def frontier_tables(config: dict) -> list[str]:
    """``results/frontier/<system>.csv`` of every system of ``frontier.systems``."""
    return [f"{FRONTIER_FOLDER}/{system}.csv" for system in config["frontier"]["systems"]]
