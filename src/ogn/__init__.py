"""OGN: ground-truth MD, graph-network simulators and their evaluation.

One subpackage per stage and one module per concern (docs/architecture.md): ``md``, ``data``,
``net``, ``learn``, ``evaluate``, ``runtime``, ``report``, ``workflow``, ``simulate``. Every
function is pure and takes its state explicitly; nothing is configured through globals except
JAX's float64 switch, which scripts set once through :func:`ogn.md.precision.enable_float64`.

A trained model from Python::

    import ogn
    model = ogn.load("results/models/lj/L2_k5/model.npz")   # an ogn.LearnedSimulator
    start = ogn.read_start("lj.data", units=model.units, types=["A", "B"])
    result = model.run(start, 1000)                          # result.trajectory: H5MD-ready

``ogn.LearnedSimulator``, ``ogn.load``, ``ogn.read_start``, ``ogn.RunOptions`` and
``ogn.Csvr`` are loaded on first use, so that importing ``ogn`` (as the workflow's planning
does) loads no numerical library.
"""

__version__ = "0.1.0"

_LAZY = {
    "LearnedSimulator": ("ogn.net.trained", "TrainedModel"),
    "load": ("ogn.net.trained", "load"),
    "read_start": ("ogn.simulate.readers", "read_start"),
    "RunOptions": ("ogn.simulate.run", "RunOptions"),
    "Csvr": ("ogn.simulate.thermostat", "Csvr"),
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'ogn' has no attribute {name!r}")
