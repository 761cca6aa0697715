"""A trained learned simulator as one value: network, parameters, standardisation, and what
the model file says about the data it was trained on (graph cutoff, k, species, units, dt).

:func:`load` is the one way to open a model file for use; every stage of the workflow
(rollout, long rollout, runtime, ablation, transfer losses) goes through it.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ogn.net.modelfile import load_compatible_model
from ogn.net.normalizer import Normalizer, Standardization, standardization, standardize
from ogn.net.simulator import Simulator, make_simulator
from ogn.net.structures import NetworkConfig


class TrainedModel(NamedTuple):
    """A model file, loaded: ``simulator`` (the network's pure functions), ``params`` and
    ``standard`` (device arrays), ``normalizer`` (the running statistics as saved), the file's
    ``metadata``, and from it the graph cutoff (length unit of the data), k (MD steps per
    model step) and the species, in the order of the one-hot inputs."""

    simulator: Simulator
    params: dict
    standard: Standardization
    normalizer: Normalizer
    metadata: dict
    graph_cutoff: float
    k: int
    species_names: tuple

    @property
    def network_config(self) -> NetworkConfig:
        return self.simulator.network_config

    @property
    def n_species(self) -> int:
        return len(self.species_names)

    @property
    def training_steps(self):
        return self.metadata.get("steps")

    @property
    def step_label(self) -> str:
        """The step family (:attr:`NetworkConfig.step_family`), and the other systems whose
        pairs it also learned from (``systems.<name>.train_also_on``), for a figure's footer:
        ``learned pair force, 1 substeps; also learned from lj's pairs``."""
        others = [name for name in self.metadata.get("train_systems") or []
                  if name != self.system_name]
        also = f"; also learned from {', '.join(others)}'s pairs" if others else ""
        return self.network_config.step_family + also

    @property
    def network_dtype(self):
        """The dtype the network is fed: that of its trained parameters."""
        return jnp.float32

    @property
    def system_name(self) -> str:
        return str(self.metadata.get("system", ""))

    @property
    def units(self) -> str:
        """``"lj"`` or ``"metal"``: the unit system of the data it was trained on."""
        return str(self.metadata.get("units") or "")

    @property
    def dt(self) -> float | None:
        """The MD time step of its data (file time unit: tau or fs)."""
        dt = self.metadata.get("dt")
        return None if dt is None else float(dt)

    @property
    def system_config(self) -> dict | None:
        """The ``systems.<name>`` config block it was trained under (potential, masses,
        temperature), if the file records it."""
        return self.metadata.get("system_config")

    @property
    def species_masses(self) -> tuple | None:
        """One mass per species (mass unit), from the file's system block or network."""
        block = self.system_config
        if block and "masses" in block:
            return tuple(float(m) for m in block["masses"])
        masses = tuple(self.network_config.species_masses)
        return masses or None

    def run(self, configuration, md_steps: int, **options):
        """The model rolled out from ``configuration`` (:class:`ogn.simulate.configuration.
        Configuration`) for ``md_steps`` MD steps: :func:`ogn.simulate.run.run`."""
        from ogn.simulate.run import run

        return run(self, configuration, md_steps, **options)


def load(path, *, species_names=None, graph_cutoff: float | None = None,
         k: int | None = None, n_species: int | None = None, dt: float | None = None,
         units: str | None = None, potential: dict | None = None) -> TrainedModel:
    """The model file at ``path``, refused (IncompatibleModelError naming every mismatch) if
    its species, graph cutoff, k, MD time step (file time unit), units or potential (config
    block) differ from those given."""
    expected = {key: value for key, value in (
        ("species_names", None if species_names is None else list(species_names)),
        ("graph_cutoff", None if graph_cutoff is None else float(graph_cutoff)),
        ("k", None if k is None else int(k)), ("n_species", n_species),
        ("dt", None if dt is None else float(dt)), ("units", units),
        ("potential", potential)) if value is not None}
    saved = load_compatible_model(path, **expected)
    simulator = make_simulator(saved.network_config, int(saved.metadata["n_species"]))
    return TrainedModel(simulator=simulator,
                        params=jax.tree_util.tree_map(jnp.asarray, saved.params),
                        standard=jax.tree_util.tree_map(jnp.asarray,
                                                        standardization(saved.normalizer)),
                        normalizer=saved.normalizer, metadata=saved.metadata,
                        graph_cutoff=float(saved.metadata["graph_cutoff"]),
                        k=int(saved.metadata["k"]),
                        species_names=tuple(saved.metadata["species_names"]))


def with_network_precision(model: TrainedModel, precision: str) -> TrainedModel:
    """The same model file with its network's products in ``precision`` (``float32`` or
    ``bfloat16``: :func:`ogn.net.simulator.make_simulator`); its parameters are kept as
    trained, in float32, and cast on entry."""
    simulator = make_simulator(model.network_config, model.n_species, precision)
    return model._replace(simulator=simulator,
                          metadata={**model.metadata, "network_precision": precision})


def load_for_system(path, system_block: dict, k: int | None = None) -> TrainedModel:
    """:func:`load`, checked against a ``systems.<name>`` config block (species, graph
    cutoff, time step, units, potential) and, if given, the stride ``k``."""
    return load(path, species_names=system_block["species"],
                graph_cutoff=system_block["graph_cutoff"], k=k, dt=system_block["dt"],
                units=system_block["units"], potential=system_block.get("potential"))


def one_step_losses(model: TrainedModel, test_set) -> tuple[float, float]:
    """Mean squared standardized error of dr and of dv, separately, over a test set
    (:func:`ogn.learn.steps.prepare_test_set`): the two halves of the training loss."""
    simulator, params, standard = model.simulator, model.params, model.standard

    @jax.jit
    def errors(nodes, edges, senders, receivers, targets):
        predicted = simulator.standardized_output(params, standard, nodes, edges, senders,
                                                  receivers)
        error = predicted - standardize(targets, standard.target_mean, standard.target_std)
        return jnp.mean(error[:, :3] ** 2), jnp.mean(error[:, 3:] ** 2)

    totals = np.zeros(2)
    for parts in zip(*test_set, strict=True):
        totals += np.asarray(errors(*parts), np.float64)
    return tuple(float(t) for t in totals / len(test_set.nodes))


def pairs_loss(model: TrainedModel, pairs) -> float:
    """Mean standardized one-step loss on ``pairs`` (:class:`ogn.data.pairs.Pairs`) with the
    model's own normalizer: the measure of its training curve, on other data."""
    from ogn.learn.steps import make_eval_loss, mean_test_loss, prepare_test_set

    test_set = prepare_test_set(pairs, model.graph_cutoff, model.n_species)
    return mean_test_loss(make_eval_loss(model.simulator), model.params, model.standard,
                          test_set)
