"""Configuration: loading, overlaying, and validation against config/schema.yaml.

Validation is the schema, then :func:`ogn.workflow.checks.cross_key_problems` (what a schema
cannot express); it runs when the workflow starts (workflow/rules/common.smk), before any job,
and every error names the offending key by its dotted path.
"""

import copy
from pathlib import Path

import jsonschema
import yaml

from ogn.workflow.checks import cross_key_problems

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_SCHEMA = REPO_ROOT / "config" / "schema.yaml"


class ConfigError(ValueError):
    pass


def invalid_configuration(messages: list[str]) -> ConfigError:
    """One error listing every problem, one per line."""
    return ConfigError("invalid configuration:\n  - " + "\n  - ".join(messages))


def deep_update(base: dict, overlay: dict) -> dict:
    """Recursive dict merge (what Snakemake does with several --configfile)."""
    merged = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_update(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def load_config(*paths) -> dict:
    """The files overlaid in order, with systems given ``like:`` another resolved
    (:func:`with_like_systems`)."""
    config: dict = {}
    for path in paths:
        with open(path) as handle:
            config = deep_update(config, yaml.safe_load(handle) or {})
    return with_like_systems(config)


LIKE = "like"
NOT_INHERITED = ("train_also_on",)  # which pairs a system's models learn from stays its own


def with_like_systems(config: dict) -> dict:
    """``config`` with every system block that says ``like: <other>`` replaced by the other
    system's block (less its NOT_INHERITED keys) overlaid with its own keys, ``like``
    dropped: ``{like: sio2, temperature: 5000.0}`` is silica at 5000 K, whatever potential,
    box and options ``sio2`` has in the files given. The other system must be defined in
    full. Raises :class:`ConfigError` naming the key otherwise."""
    systems = config.get("systems")
    if not isinstance(systems, dict) or not any(
            isinstance(block, dict) and LIKE in block for block in systems.values()):
        return config
    resolved, problems = {}, []
    for name, block in systems.items():
        if not isinstance(block, dict) or LIKE not in block:
            resolved[name] = block
            continue
        other = block[LIKE]
        base = systems.get(other) if isinstance(other, str) else None
        if not isinstance(base, dict) or other == name:
            problems.append(f"systems.{name}.like: {other!r} is not another system in "
                            f"systems ({', '.join(n for n in systems if n != name)}); name one")
        elif LIKE in base:
            problems.append(f"systems.{name}.like: {other!r} is itself given `like: "
                            f"{base[LIKE]}`; name a system defined in full")
        else:
            inherited = {k: v for k, v in base.items() if k not in NOT_INHERITED}
            resolved[name] = deep_update(inherited,
                                         {k: v for k, v in block.items() if k != LIKE})
    if problems:
        raise invalid_configuration(problems)
    return {**config, "systems": resolved}


def dotted(path) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def describe_error(error: jsonschema.ValidationError, prefix: tuple = ()) -> str:
    location = list(prefix) + list(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed] if isinstance(
            error.instance, dict) else []
        keys = ", ".join(dotted(location + [k]) for k in extra)
        hint = f" (allowed here: {', '.join(allowed)})" if allowed else ""
        return f"unknown config key {keys}{hint}"
    if error.validator == "required":
        return f"config key {dotted(location)}: {error.message}"
    return f"config key {dotted(location)} = {error.instance!r}: {error.message}"


def deepest_errors(error: jsonschema.ValidationError):
    """Walk into if/then/allOf/oneOf contexts to the error that names the real key."""
    if error.context:
        best = jsonschema.exceptions.best_match(error.context)
        if best is not None and len(best.absolute_path) >= len(error.absolute_path):
            return deepest_errors(best)
    return error


def sweep_block_problems(config: dict, validator) -> list[str]:
    """``sweeps.model`` and ``sweeps.training`` checked as the blocks they are merged over:
    each problem named under its sweeps key."""
    sweeps = config.get("sweeps") or {}
    return overlay_problems(config, validator, "sweeps",
                            {name: sweeps.get(name) or {} for name in ("model", "training")})


def frontier_training_problems(config: dict, validator) -> list[str]:
    """``frontier.training`` checked as the ``training`` block it is merged over."""
    frontier = config.get("frontier") or {}
    return overlay_problems(config, validator, "frontier",
                            {"training": frontier.get("training") or {}})


def overlay_problems(config: dict, validator, owner: str, overlays: dict) -> list[str]:
    """Top-level blocks ``overlays`` (name -> overlay) merged over the config and validated;
    each problem in them named under the key ``owner`` that holds the overlays."""
    if not any(overlays.values()):
        return []
    merged = deep_update(config, overlays)
    messages = []
    for error in sorted(validator.iter_errors(merged), key=lambda e: list(e.absolute_path)):
        error = deepest_errors(error)
        if error.absolute_path and error.absolute_path[0] in overlays:
            message = describe_error(error, prefix=(owner,))
            if message not in messages:
                messages.append(message)
    return messages


def system_training_problems(config: dict, validator) -> list[str]:
    """Each ``systems.<s>.training`` checked as the ``training`` block it is merged over,
    each problem named under its system's key."""
    messages = []
    for name, block in (config.get("systems") or {}).items():
        overlay = block.get("training") if isinstance(block, dict) else None
        if not overlay:
            continue
        merged = deep_update(config, {"training": overlay})
        for error in sorted(validator.iter_errors(merged), key=lambda e: list(e.absolute_path)):
            error = deepest_errors(error)
            if error.absolute_path and error.absolute_path[0] == "training":
                message = describe_error(error, prefix=("systems", name))
                if message not in messages:
                    messages.append(message)
    return messages


def validate_config(config: dict, schema_path=DEFAULT_SCHEMA) -> None:
    """Raise :class:`ConfigError` with one message per problem, each naming its key."""
    with open(schema_path) as handle:
        schema = yaml.safe_load(handle)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    messages = []
    for error in errors:
        message = describe_error(deepest_errors(error))
        if message not in messages:
            messages.append(message)
    if not messages:
        messages.extend(sweep_block_problems(config, validator))
        messages.extend(frontier_training_problems(config, validator))
        messages.extend(system_training_problems(config, validator))
    messages.extend(cross_key_problems(config) if not messages else [])
    if messages:
        raise invalid_configuration(messages)
