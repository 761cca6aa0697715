"""OGN: ground-truth MD, graph-network simulators and their evaluation.

One module per concern (see README, "Library layout"). Every function is pure and takes its
state explicitly; nothing is configured through globals except JAX's float64 switch, which
scripts set once through :func:`ogn.precision.enable_float64`.
"""

__version__ = "0.1.0"
