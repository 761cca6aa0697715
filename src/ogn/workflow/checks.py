"""The config checks a schema cannot express (lengths that must agree, names that must exist,
sizes that must fit), run when the workflow starts, before any job. Numpy only."""

import numpy as np

from ogn.md.sizing import scaled_counts_and_box
from ogn.net.options import option_conflicts


def startup_problems(config: dict) -> list[str]:
    """Messages (empty when fine) naming the config key and the fix."""
    problems = []
    model = config.get("model", {})
    options = model.get("options") or {}
    if model.get("architecture") == "extended":
        problems.extend(option_conflicts(options))
        for name, block in config["systems"].items():
            own = block.get("model_options") or {}
            if own:
                problems.extend(f"systems.{name}.model_options over model.options: {problem}"
                                for problem in option_conflicts({**options, **own}))
            merged = {**options, **own}
            for key, applies, what in (
                    ("three_body_cutoff", merged.get("decoder") == "energy", "the angular terms"),
                    ("force_cutoff", True, "a learned force")):
                cutoff = merged.get(key)
                if applies and cutoff is not None and float(cutoff) > float(block["graph_cutoff"]):
                    problems.append(f"systems.{name}: model.options.{key} = {cutoff:g} exceeds "
                                    f"the graph cutoff {block['graph_cutoff']:g} ({what} see "
                                    "graph edges only): lower it in "
                                    f"systems.{name}.model_options")
    for name, block in config["systems"].items():
        pot = block["potential"]
        half_box = 0.5 * float(block["box"])
        cutoff = potential_range(block)
        if pot["kind"] == "eam_fs":
            from ogn.md.potential_files import eam_file_cutoff, resolve_potential_file
            try:
                cutoff = eam_file_cutoff(
                    resolve_potential_file(pot["file"], key=f"systems.{name}.potential.file"))
            except ValueError as error:
                problems.append(str(error))
        if block["graph_cutoff"] > half_box:
            problems.append(f"systems.{name}.graph_cutoff = {block['graph_cutoff']} exceeds half "
                            f"the box ({half_box}); lower it or enlarge the box")
        if cutoff is not None and cutoff + block["skin"] > half_box:
            problems.append(f"systems.{name}: potential cutoff {cutoff:g} + skin {block['skin']} "
                            f"exceeds half the box ({half_box}); lower systems.{name}.skin or "
                            "enlarge the box")
        quench = block.get("quench")
        if quench:
            source = config["systems"][quench["from_system"]]
            problems += [f"systems.{name}.quench.from_system = {quench['from_system']!r} "
                         f"differs in `{key}`; a quench keeps the atoms and the box"
                         for key in differing_keys(source, block, ("species", "counts", "box",
                                                                   "units"))]
        for other in block.get("train_also_on") or []:
            source = config["systems"][other]
            problems += [f"systems.{name}.train_also_on names {other!r}, which differs in "
                         f"`{key}`; pairs join only those of the same atoms in the same box at "
                         "the same dt: remove it"
                         for key in differing_keys(source, block, ("species", "counts", "masses",
                                                                   "box", "units", "dt"))]
    return problems


def differing_keys(first: dict, second: dict, keys) -> list[str]:
    """The ``keys`` whose values differ between two ``systems.<name>`` blocks."""
    return [key for key in keys if first[key] != second[key]]


def potential_range(block: dict) -> float | None:
    """Interaction range from the config alone (None where it needs the potential file)."""
    pot = block["potential"]
    if pot["kind"] == "kob_andersen":
        return pot["cutoff_sigma"] * float(np.max(pot["sigma"]))
    if pot["kind"] == "bks":
        return max(pot["short_range_cutoff"], pot["coulomb_cutoff"])
    if pot["kind"] == "stillinger_weber":
        return pot["a"] * pot["sigma"]
    return None


def consistency_problems(config: dict) -> list[str]:
    """Checks that JSON Schema cannot express (lengths that must agree, references)."""
    problems = []
    systems = config.get("systems", {})
    for name, block in systems.items():
        n = len(block["species"])
        for key in ("counts", "masses"):
            if len(block[key]) != n:
                problems.append(f"config key systems.{name}.{key} has {len(block[key])} entries "
                                f"but systems.{name}.species has {n}")
        pot = block["potential"]
        for key in ("epsilon", "sigma", "A", "rho", "C", "D"):
            if isinstance(pot.get(key), list) and (
                    len(pot[key]) != n or any(len(row) != n for row in pot[key])):
                problems.append(f"config key systems.{name}.potential.{key} must be a "
                                f"{n}x{n} matrix ordered as systems.{name}.species")
        if "charges" in pot and len(pot["charges"]) != n:
            problems.append(f"config key systems.{name}.potential.charges needs {n} entries")
        quench = block.get("quench")
        if quench and quench["from_system"] not in systems:
            problems.append(f"config key systems.{name}.quench.from_system = "
                            f"{quench['from_system']!r} is not a configured system")
        for other in block.get("train_also_on") or []:
            if other not in systems or other == name:
                problems.append(f"config key systems.{name}.train_also_on names {other!r}, "
                                + ("the system itself" if other == name
                                   else "which is not a configured system") + ": remove it")
    for name in config.get("models", {}).get("systems", []):
        if name not in systems:
            problems.append(f"config key models.systems lists {name!r}, which is not in systems")
    return problems


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
    from ogn.workflow.sweeps import own_sweep_models  # here: sweeps imports config, config this

    if not own_sweep_models(config):
        for name in dict.fromkeys(name for key, name in named if key != "sweeps.transfer.systems"):
            if (systems.get(name) or {}).get("train_also_on"):
                problems.append(
                    f"systems.{name}.train_also_on: the sweeps reuse the figures' models "
                    "(sweeps.model and sweeps.training are empty), and a sweep compares what "
                    "each system learns from its own pairs; give the sweeps their own models "
                    "(e.g. sweeps.training: {max_steps: N, max_minutes: null}) or remove "
                    "train_also_on")
    steps = int(config["md"]["production"]["steps"])
    too_long = sorted({int(k) for k in list(sweeps["k"]) + [sweeps["curve_k"]] if int(k) > steps})
    if too_long:
        problems.append(f"sweeps.k / sweeps.curve_k ask for k = {too_long} MD steps, longer than "
                        f"the trajectories (md.production.steps = {steps}); drop those k")
    return problems


def runtime_problems(config: dict) -> list[str]:
    """Config mistakes of the ``runtime`` block: unknown systems, sizes too small for the
    interaction range, no LJ to scale the complexity index by."""
    runtime = config["runtime"]
    problems = []
    for name in runtime["systems"]:
        if name not in config["systems"]:
            problems.append(f"runtime.systems names {name!r}, which is not in `systems` "
                            f"({', '.join(config['systems'])})")
            continue
        block = config["systems"][name]
        reach = max(block["graph_cutoff"] + runtime["graph_skin"],
                    (potential_range(block) or 0.0) + block["skin"])
        for n_atoms in runtime["sizes"]:
            _, side = scaled_counts_and_box(block, n_atoms)
            if reach > 0.5 * side:
                problems.append(f"runtime.sizes: {n_atoms} atoms of {name} fill a box of "
                                f"{side:.3g}, less than twice its interaction range {reach:g}; "
                                "use more atoms")
    if "lj" not in runtime["systems"]:
        problems.append("runtime.systems must include lj (the complexity index is relative "
                        "to LJ)")
    return problems


def ablation_problems(config: dict) -> list[str]:
    """Cases and variants of the ``ablation`` block that name nothing defined."""
    ablation = config["ablation"]
    problems = [f"ablation.cases names {system!r}, which is not under systems:; use one of "
                f"{', '.join(config['systems'])}"
                for system, _ in ablation["cases"] if system not in config["systems"]]
    problems += [f"ablation.variants names {name!r}, which ablation.definitions does not "
                 "define; add it there (the options it switches on)"
                 for name in ablation["variants"] if name not in ablation["definitions"]]
    return problems


def frontier_problems(config: dict) -> list[str]:
    """Systems of the ``frontier`` block that are not defined, and a grid with no point."""
    frontier = config["frontier"]
    problems = [f"frontier.systems names {system!r}, which is not under systems:; use one of "
                f"{', '.join(config['systems'])}"
                for system in frontier["systems"] if system not in config["systems"]]
    if all(int(n) > int(k) for n in frontier["substeps"] for k in frontier["k"]):
        problems.append("frontier: every point of the grid has more substeps than its k has MD "
                        "steps; give frontier.substeps a 0 (direct) or a value <= k")
    return problems


def rollout_problems(config: dict) -> list[str]:
    """Names in the ``rollout`` block that point at nothing: a test trajectory the production
    does not make, figure steps of unknown systems, long rollouts of systems without models."""
    rollout, systems = config["rollout"], config["systems"]
    problems = []
    n_test = int(config["md"]["production"]["n_test"])
    if int(rollout["test_trajectory"]) >= n_test:
        problems.append(f"rollout.test_trajectory = {rollout['test_trajectory']} names test "
                        f"trajectory {rollout['test_trajectory']}, but md.production.n_test = "
                        f"{n_test} makes test_0 to test_{n_test - 1}: lower it or raise n_test")
    problems += [f"rollout.figure_steps names {name!r}, which is not under systems: "
                 f"({', '.join(systems)}); fix the name" for name in rollout["figure_steps"]
                 if name not in systems]
    problems += [f"rollout.long_origins_per_system names {name!r}, which is not under "
                 f"systems: ({', '.join(systems)}); fix the name"
                 for name in rollout["long_origins_per_system"] if name not in systems]
    modelled = config["models"]["systems"]
    problems += [f"rollout.long_systems names {name!r}, which models.systems does not train "
                 f"({', '.join(modelled)}): add it there or remove it"
                 for name in rollout["long_systems"] if name not in modelled]
    return problems


def cross_key_problems(config: dict) -> list[str]:
    """Every check that the schema cannot express, one message per problem naming the key and
    the fix (empty when fine). :func:`ogn.workflow.config.validate_config` runs it after the
    schema."""
    problems = consistency_problems(config)
    if problems:  # the later checks index lists whose lengths these found wrong
        return problems
    return (startup_problems(config) + rollout_problems(config) + runtime_problems(config)
            + ablation_problems(config) + frontier_problems(config) + sweep_problems(config))
