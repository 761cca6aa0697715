"""OGN: ground-truth MD, graph-network simulators and their evaluation.

One subpackage per stage and one module per concern (docs/architecture.md): ``md``, ``data``,
``net``, ``learn``, ``evaluate``, ``runtime``, ``report``, ``workflow``. Every function is pure and takes its
state explicitly; nothing is configured through globals except JAX's float64 switch, which
scripts set once through :func:`ogn.md.precision.enable_float64`.
"""

__version__ = "0.1.0"
