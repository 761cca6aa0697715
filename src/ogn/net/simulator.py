"""The learned simulator: physical state -> graph inputs -> network -> physical increments.

This is the one place where physics meets the network (like learning_to_simulate's
``learned_simulator.py``):

* node inputs: ``[one-hot species (n_species), velocity (3)]`` per atom (velocity in the file
  unit of the data, sigma/tau or A/fs);
* edge inputs: ``r_j - r_i`` (minimum image) per directed edge i -> j within rc (length unit);
* targets: ``[dr (3), dv (3)]`` per atom, the unwrapped change of position and the change of
  velocity over k MD steps (same units);
* every stream is standardized by the :class:`ogn.net.normalizer.Standardization` given (means and
  standard deviations of everything seen in training); the network predicts standardized
  targets, which :func:`make_simulator`'s ``predict_increments`` maps back to physical units.

The network (:mod:`ogn.net.network`) never sees a unit.

Options of :class:`ogn.net.network.NetworkConfig` change what the network is fed:

* ``radial_basis`` > 0 (node decoder): the standardized edge vector is followed by |r|/rc
  and the radial basis of :func:`ogn.net.decoders.radial_features`;
* ``decoder = "vector"``: inputs are rotation invariants only. Nodes: standardized one-hot
  species and the speed |v| / s_v; edges: the radial features, the relative radial speed
  (v_j - v_i) . u_ij / s_v and the relative transverse speed, all symmetric in i and j;
  s_v is the root-mean-square of the velocity components' standard deviations. The network's
  output is ``[dr / s_dr, dv / s_dv]`` (s = root-mean-square target standard deviations of
  dr and of dv), so ``predict_increments`` scales it without adding a mean: a mean would
  break the exact conservation of momentum, and equilibrium data have none;
* ``decoder = "pair_force"``: the raw edge vectors, one-hot species, velocities in the data's
  units and mean mass / mass go to :func:`ogn.net.decoders.pair_force_increments`, which returns
  ``[dr, dv]`` in the data's units; its force unit is s_dv / (k dt), the velocity change's
  scale over the stride (s_dv as above).

``network_precision`` (:data:`NETWORK_PRECISIONS`) is the floating point the network's
products run in: ``float32`` (training's), or ``bfloat16``, where the parameters and the
network's input features are cast to bfloat16 on entry and its output back to float32 (the
geometry, the standardisation and the decoders' physics stay in float32). A direct
predictor's message passing is what it speeds up where the hardware has bfloat16 units; a
learned force's tables are not networks and stay in float32.
"""

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ogn.net.decoders import radial_features
from ogn.net.graph import edge_vectors
from ogn.net.network import Graph, NetworkConfig, make_network
from ogn.net.normalizer import Standardization, standardize, unstandardize

N_TARGETS = 6  # [dr_x, dr_y, dr_z, dv_x, dv_y, dv_z]
NETWORK_PRECISIONS = {"float32": jnp.float32, "bfloat16": jnp.bfloat16}


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
    * ``loss(params, standard, nodes, edges, senders, receivers, targets, weights=None)``:
      mean squared error of the standardized targets over atoms and the 6 outputs, each
      output weighted by ``weights`` (6,) if given (normalized to a mean of 1);
    * ``predict_increments(params, standard, position, velocity, species, box, senders,
      receivers) -> (dr, dv)`` in physical (file) units.
    """

    network_config: NetworkConfig
    n_species: int
    init: Callable
    standardized_output: Callable
    loss: Callable
    predict_increments: Callable


def _safe_norm(vectors, floor: float = 0.0):
    """|v| per row, with a finite derivative at v = 0 (padding rows)."""
    squared = jnp.sum(vectors * vectors, axis=-1)
    safe = jnp.where(squared > 0, squared, 1.0)
    return jnp.where(squared > 0, jnp.sqrt(safe + floor), jnp.sqrt(floor))


def rms_std(std):
    """One isotropic scale from per-axis standard deviations (3,)."""
    return jnp.sqrt(jnp.mean(std * std))


def target_scales(standard: Standardization):
    """(6,) the vector decoder's output units: [s_dr] * 3 + [s_dv] * 3."""
    s_dr = rms_std(standard.target_std[:3])
    s_dv = rms_std(standard.target_std[3:])
    return jnp.concatenate([jnp.full((3,), s_dr), jnp.full((3,), s_dv)])


def network_graph(config: NetworkConfig, n_species: int, standard: Standardization, nodes,
                  edges, senders, receivers) -> Graph:
    """The network's input graph from raw node inputs ``[one-hot, v]`` and raw edge vectors
    (see the module docstring for what each option adds); padding edge rows are 0."""
    if not config.equivariant and not config.radial_basis:
        return standardized_graph(standard, nodes, edges, senders, receivers)
    masses = jnp.asarray(config.species_masses, nodes.dtype)
    if config.learned_force:
        one_hot = nodes[:, :n_species]
        return Graph(nodes=one_hot, edges=edges, senders=senders, receivers=receivers,
                     velocity=nodes[:, n_species:],
                     inverse_mass=one_hot @ (jnp.mean(masses) / masses),
                     force_scale=rms_std(standard.target_std[3:]) / config.stride_time)
    n_atoms = nodes.shape[0]
    real = (senders < n_atoms)[:, None]
    distance = _safe_norm(edges)
    unit = jnp.where(real, edges / jnp.where(distance > 0, distance, 1.0)[:, None], 0.0)
    radial = jnp.where(real, radial_features(distance, config.radial_cutoff,
                                             config.radial_basis), 0.0)
    if config.decoder != "vector":
        graph = standardized_graph(standard, nodes, edges, senders, receivers)
        return graph._replace(edges=jnp.concatenate([graph.edges, radial], axis=-1))
    velocity = nodes[:, n_species:] / rms_std(standard.node_std[n_species:])
    species_part = standardize(nodes[:, :n_species], standard.node_mean[:n_species],
                               standard.node_std[:n_species])
    node_in = jnp.concatenate([species_part, _safe_norm(velocity)[:, None]], axis=-1)
    relative = (jnp.take(velocity, receivers, axis=0, mode="clip")
                - jnp.take(velocity, senders, axis=0, mode="clip"))
    radial_speed = jnp.sum(relative * unit, axis=-1)
    transverse = _safe_norm(relative - radial_speed[:, None] * unit, floor=1e-12)
    edge_in = jnp.where(real, jnp.concatenate(
        [radial, radial_speed[:, None], transverse[:, None]], axis=-1), 0.0)
    inverse_mass = nodes[:, :n_species] @ (jnp.mean(masses) / masses)
    return Graph(nodes=node_in, edges=edge_in, senders=senders, receivers=receivers,
                 unit_vectors=unit, velocity=velocity, inverse_mass=inverse_mass)


def make_simulator(network_config: NetworkConfig, n_species: int,
                   network_precision: str = "float32") -> Simulator:
    """The :class:`Simulator` of a network shape (module docstring), its products in
    ``network_precision`` (a direct predictor's network only: a learned force's decoders run
    in the precision they are fed)."""
    network = make_network(network_config)
    vector = network_config.decoder == "vector"
    pair_force = network_config.learned_force
    if (vector or pair_force) and len(network_config.species_masses) != n_species:
        raise ValueError(f"the {network_config.decoder} decoder has "
                         f"{len(network_config.species_masses)} species masses for {n_species} "
                         "species")
    if network_precision not in NETWORK_PRECISIONS:
        raise ValueError(f"network precision {network_precision!r}: use one of "
                         f"{', '.join(NETWORK_PRECISIONS)}")
    if network_precision != "float32" and pair_force:
        raise ValueError(f"the {network_config.decoder} decoder is a learned force, not a "
                         f"network: it has no {network_precision} form (float32 only)")
    compute = NETWORK_PRECISIONS[network_precision]

    def graph_of(standard, nodes, edges, senders, receivers):
        graph = network_graph(network_config, n_species, standard, nodes, edges, senders,
                              receivers)
        if compute == jnp.float32:
            return graph
        return graph._replace(nodes=graph.nodes.astype(compute),
                              edges=graph.edges.astype(compute))

    def apply(params, graph):
        if compute == jnp.float32:
            return network.apply(params, graph)
        cast = jax.tree_util.tree_map(lambda leaf: leaf.astype(compute), params)
        return network.apply(cast, graph).astype(jnp.float32)

    def init(rng, n_atoms: int, capacity: int, dtype=jnp.float32):
        nodes = jnp.zeros((n_atoms, node_feature_size(n_species)), dtype)
        edges = jnp.zeros((capacity, 3), dtype)
        senders = jnp.full((capacity,), n_atoms, jnp.int32)
        identity = Standardization(
            *(jnp.asarray(f(d), dtype) for d in (node_feature_size(n_species), 3, N_TARGETS)
              for f in (jnp.zeros, jnp.ones)))
        # float32 parameters whatever the precision: they are what training updates
        return network.init(rng, network_graph(network_config, n_species, identity, nodes,
                                               edges, senders, senders))

    def physical_output(params, standard, nodes, edges, senders, receivers):
        output = apply(params, graph_of(standard, nodes, edges, senders, receivers))
        if pair_force:
            return output
        if vector:
            return output * target_scales(standard)
        return unstandardize(output, standard.target_mean, standard.target_std)

    def standardized_output(params, standard, nodes, edges, senders, receivers):
        if vector or pair_force:
            physical = physical_output(params, standard, nodes, edges, senders, receivers)
            return standardize(physical, standard.target_mean, standard.target_std)
        return apply(params, graph_of(standard, nodes, edges, senders, receivers))

    def loss(params, standard, nodes, edges, senders, receivers, targets, weights=None):
        predicted = standardized_output(params, standard, nodes, edges, senders, receivers)
        error = predicted - standardize(targets, standard.target_mean, standard.target_std)
        if weights is None:
            return jnp.mean(error * error)
        weights = jnp.asarray(weights, error.dtype)
        return jnp.mean(error * error * (weights / jnp.mean(weights)))

    def predict_increments(params, standard, position, velocity, species, box, senders,
                           receivers):
        """(dr, dv) over k MD steps for one configuration, in the data's units."""
        nodes = node_inputs(jnp.asarray(velocity), jnp.asarray(species), n_species)
        edges = edge_vectors(jnp.asarray(position), jnp.asarray(box), senders, receivers)
        physical = physical_output(params, standard, nodes, edges, senders, receivers)
        return physical[:, :3], physical[:, 3:]

    return Simulator(network_config, n_species, init, standardized_output, loss,
                     predict_increments)


def batched_loss(simulator: Simulator, weights=None) -> Callable:
    """Mean of ``simulator.loss`` (with output ``weights``, optional) over a leading batch axis
    of nodes/edges/indices/targets."""

    def one(params, standard, nodes, edges, senders, receivers, targets):
        return simulator.loss(params, standard, nodes, edges, senders, receivers, targets,
                              weights)

    per_config = jax.vmap(one, in_axes=(None, None, 0, 0, 0, 0, 0))

    def loss(params, standard, nodes, edges, senders, receivers, targets):
        if nodes.shape[0] == 1:  # the usual batch of one: skip vmap's batched products
            return one(params, standard, nodes[0], edges[0], senders[0], receivers[0],
                       targets[0])
        return jnp.mean(per_config(params, standard, nodes, edges, senders, receivers, targets))

    return loss
