"""The learned simulator: physical state -> graph inputs -> network -> physical increments.

This is the one place where physics meets the network (like learning_to_simulate's
``learned_simulator.py``):

* node inputs: ``[one-hot species (n_species), velocity (3)]`` per atom (velocity in the file
  unit of the data, sigma/tau or A/fs);
* edge inputs: ``r_j - r_i`` (minimum image) per directed edge i -> j within rc (length unit);
* targets: ``[dr (3), dv (3)]`` per atom, the unwrapped change of position and the change of
  velocity over k MD steps (same units);
* every stream is standardized by the :class:`ogn.normalizer.Standardization` given (means and
  standard deviations of everything seen in training); the network predicts standardized
  targets, which :func:`make_simulator`'s ``predict_increments`` maps back to physical units.

The network (:mod:`ogn.model`) never sees a unit.
"""

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .graph import edge_vectors
from .model import Graph, NetworkConfig, make_network
from .normalizer import Standardization, standardize, unstandardize

N_TARGETS = 6  # [dr_x, dr_y, dr_z, dv_x, dv_y, dv_z]


def node_feature_size(n_species: int) -> int:
    return n_species + 3


def node_inputs(velocity, species, n_species: int):
    """``[one-hot species, velocity]`` (N, n_species + 3) (numpy or jax, as given)."""
    xp = np if isinstance(velocity, np.ndarray) else jnp
    one_hot = xp.eye(n_species, dtype=velocity.dtype)[species]
    return xp.concatenate([one_hot, velocity], axis=-1)


def targets_of(dr, dv):
    """``[dr, dv]`` (N, 6)."""
    xp = np if isinstance(dr, np.ndarray) else jnp
    return xp.concatenate([dr, dv], axis=-1)


def standardized_graph(standard: Standardization, nodes, edges, senders, receivers) -> Graph:
    """The network's input graph from raw node and edge inputs; padding edge rows become 0."""
    n_atoms = nodes.shape[0]
    edges = standardize(edges, standard.edge_mean, standard.edge_std)
    edges = jnp.where((senders < n_atoms)[:, None], edges, 0.0)
    return Graph(nodes=standardize(nodes, standard.node_mean, standard.node_std),
                 edges=edges, senders=senders, receivers=receivers)


class Simulator(NamedTuple):
    """Functions of one network (all pure; jit them as needed).

    * ``init(rng, n_atoms, capacity) -> params``
    * ``standardized_output(params, standard, nodes, edges, senders, receivers)`` (N, 6)
    * ``loss(params, standard, nodes, edges, senders, receivers, targets)``: MSE of the
      standardized targets over atoms and the 6 outputs;
    * ``predict_increments(params, standard, position, velocity, species, box, senders,
      receivers) -> (dr, dv)`` in physical (file) units.
    """

    network_config: NetworkConfig
    n_species: int
    init: Callable
    standardized_output: Callable
    loss: Callable
    predict_increments: Callable


def make_simulator(network_config: NetworkConfig, n_species: int) -> Simulator:
    network = make_network(network_config)

    def init(rng, n_atoms: int, capacity: int, dtype=jnp.float32):
        graph = Graph(nodes=jnp.zeros((n_atoms, node_feature_size(n_species)), dtype),
                      edges=jnp.zeros((capacity, 3), dtype),
                      senders=jnp.full((capacity,), n_atoms, jnp.int32),
                      receivers=jnp.full((capacity,), n_atoms, jnp.int32))
        return network.init(rng, graph)

    def standardized_output(params, standard, nodes, edges, senders, receivers):
        return network.apply(params, standardized_graph(standard, nodes, edges, senders,
                                                        receivers))

    def loss(params, standard, nodes, edges, senders, receivers, targets):
        predicted = standardized_output(params, standard, nodes, edges, senders, receivers)
        error = predicted - standardize(targets, standard.target_mean, standard.target_std)
        return jnp.mean(error * error)

    def predict_increments(params, standard, position, velocity, species, box, senders,
                           receivers):
        """(dr, dv) over k MD steps for one configuration, in the data's units."""
        nodes = node_inputs(jnp.asarray(velocity), jnp.asarray(species), n_species)
        edges = edge_vectors(jnp.asarray(position), jnp.asarray(box), senders, receivers)
        output = standardized_output(params, standard, nodes, edges, senders, receivers)
        physical = unstandardize(output, standard.target_mean, standard.target_std)
        return physical[:, :3], physical[:, 3:]

    return Simulator(network_config, n_species, init, standardized_output, loss,
                     predict_increments)


def batched_loss(simulator: Simulator) -> Callable:
    """Mean of ``simulator.loss`` over a leading batch axis of nodes/edges/indices/targets."""
    per_config = jax.vmap(simulator.loss, in_axes=(None, None, 0, 0, 0, 0, 0))

    def loss(params, standard, nodes, edges, senders, receivers, targets):
        if nodes.shape[0] == 1:  # the usual batch of one: skip vmap's batched products
            return simulator.loss(params, standard, nodes[0], edges[0], senders[0],
                                  receivers[0], targets[0])
        return jnp.mean(per_config(params, standard, nodes, edges, senders, receivers, targets))

    return loss
