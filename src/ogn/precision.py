"""Floating-point precision switch for JAX (a process-wide JAX setting)."""

import jax


def enable_float64() -> None:
    """Make JAX use float64 by default. Call once, before any array is created."""
    jax.config.update("jax_enable_x64", True)
