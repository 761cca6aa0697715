"""Checks run when the workflow starts, before any job: things a schema cannot see."""

import numpy as np

from .model import option_conflicts


def startup_problems(config: dict) -> list[str]:
    """Messages (empty when fine) naming the config key and the fix."""
    problems = []
    model = config.get("model", {})
    options = model.get("options") or {}
    if model.get("architecture") == "extended":
        problems.extend(option_conflicts(options))
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
