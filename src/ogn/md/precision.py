"""Floating-point precision switch for JAX (a process-wide JAX setting)."""

import jax


def enable_float64() -> None:
    """Make JAX use float64 by default. Call once, before any array is created."""
    jax.config.update("jax_enable_x64", True)


def set_precision(name: str) -> None:
    """``float64`` enables x64; ``float32`` keeps JAX's default."""
    if name == "float64":
        enable_float64()
    elif name != "float32":
        raise ValueError(f"md.precision = {name!r}; use float64 or float32")
