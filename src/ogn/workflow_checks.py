"""Checks run when the workflow starts, before any job: things a schema cannot see."""

import numpy as np


def startup_problems(config: dict) -> list[str]:
    """Messages (empty when fine) naming the config key and the fix."""
    problems = []
    model = config.get("model", {})
    options = model.get("options") or {}
    decoder = options.get("decoder")
    if model.get("architecture") == "extended" and decoder in ("vector", "pair_force"):
        if not options.get("radial_basis"):
            problems.append(f"model.options.decoder = {decoder} sees distances only through the "
                            "radial basis: set model.options.radial_basis to at least 1 (e.g. 16)")
        if decoder == "pair_force" and float(options.get("curriculum_k1_fraction") or 0) > 0:
            problems.append("model.options.curriculum_k1_fraction > 0 would train the pair_force "
                            "decoder at k = 1, whose stride is part of the model: set it to 0")
        if decoder == "pair_force" and options.get("relative_velocity_vectors"):
            problems.append("model.options.relative_velocity_vectors shapes the vector decoder: "
                            "turn it off for decoder = pair_force")
    for name, block in config["systems"].items():
        pot = block["potential"]
        half_box = 0.5 * float(block["box"])
        if pot["kind"] == "eam_fs":
            from .potentials.eam import resolve_potential_file
            try:
                resolve_potential_file(pot["file"], key=f"systems.{name}.potential.file")
            except ValueError as error:
                problems.append(str(error))
        if block["graph_cutoff"] > half_box:
            problems.append(f"systems.{name}.graph_cutoff = {block['graph_cutoff']} exceeds half "
                            f"the box ({half_box}); lower it or enlarge the box")
        cutoff = potential_range(block)
        if cutoff is not None and cutoff + block["skin"] > half_box:
            problems.append(f"systems.{name}: potential cutoff {cutoff:g} + skin {block['skin']} "
                            f"exceeds half the box ({half_box}); lower systems.{name}.skin")
        quench = block.get("quench")
        if quench:
            source = config["systems"][quench["from_system"]]
            for key in ("species", "counts", "box", "units"):
                if source[key] != block[key]:
                    problems.append(f"systems.{name}.quench.from_system = "
                                    f"{quench['from_system']!r} differs in `{key}`; a quench "
                                    "keeps the atoms and the box")
    return problems


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
