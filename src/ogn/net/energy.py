"""A learned conservative energy with pair and three-body (angular) terms: the ``energy``
decoder. Its negative gradient is the force that velocity-Verlet substeps integrate over the
stride, as with the learned pair force, so momentum is exact and the motion conserves the
learned energy; unlike a pair force it holds bond angles (Stillinger-Weber's tetrahedra).

The energy of a configuration, over the directed edges i -> j within the graph cutoff::

    E = sum_{i->j} phi(r_ij; s_i, s_j)
      + sum_i sum_c sum_l w_{s_i, c, l} S_{i c l},
    S_{i c l} = sum_{j, k} R_c(r_ij; s_i, s_j) R_c(r_ik; s_i, s_k) (u_ij . u_ik)^l

for l = 0 .. ``order`` and C radial channels R_c that vanish smoothly at the three-body
cutoff. ``S`` is a sum over the angles jik at atom i of a polynomial in cos(theta_jik), and it
is computed without listing triplets: with the moment tensors ``M_{i c l} = sum_j R_c u_ij^(l)``
(the l-fold outer product), ``S_{i c l} = |M_{i c l}|^2``, so the cost is O(edges x C x 3^l),
not O(edges x neighbours). The j = k terms of S are two-body; phi absorbs them. Both phi and
R are MLPs (SiLU) of the radial features and the species; w is a learned array.

Two choices keep it cheap (``NetworkConfig.pair_term`` and ``three_body_edge_fraction``):
phi may be replaced by a learned central pair force (``pair_term = "force"``, the default of
``model.options``), so that training differentiates the network once, not twice; and S reads
its own edge list, the graph's edges within the three-body cutoff (:func:`three_body_edges`).

Stillinger-Weber is in this family exactly (one channel, order 2, R = exp(gamma sigma /
(r - a sigma)), since (cos theta + 1/3)^2 = cos^2 + (2/3) cos + 1/9): the tests put it in
place of the learned terms and reproduce our SW energy and forces.
"""

from typing import NamedTuple

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np

from ogn.net.core import core_energy, edge_core_radii
from ogn.net.decoders import (
    cosine_envelope,
    learned_pair_forces,
    radial_features,
    velocity_verlet_increments,
)
from ogn.net.graph import count_edges, spread_frames
from ogn.net.layers import _gather
from ogn.net.structures import Graph, NetworkConfig


def angular_invariants(radial, unit, senders, n_nodes: int, order: int):
    """``S`` (N, C, order + 1): per atom i and channel c, ``sum_{j,k} R_j R_k (u_j . u_k)^l``
    for l = 0 .. order, from ``radial`` (E, C) values R and ``unit`` (E, 3) unit vectors of
    the edges i -> j (rows of padding edges must be 0 in ``radial``)."""
    n_edges, channels = radial.shape
    tensor = radial[:, :, None]  # (E, C, 3^l): R u^(l), flattened
    invariants = []
    for degree in range(order + 1):
        if degree:
            tensor = (tensor[:, :, :, None] * unit[:, None, None, :]).reshape(
                n_edges, channels, -1)
        moment = jax.ops.segment_sum(tensor, senders, num_segments=n_nodes)
        invariants.append(jnp.sum(moment * moment, axis=-1))
    return jnp.stack(invariants, axis=-1)


def moment_energy(vectors, senders, n_nodes: int, centre_species, pair_energy, radial,
                  weights, order: int):
    """E (scalar) of the edge vectors ``vectors`` (E, 3) = r_j - r_i for the edges
    ``senders`` (E,) i -> j (padding: the index ``n_nodes``).

    ``pair_energy(distance)`` (E,) and ``radial(distance)`` (E, C) are the per-edge terms (any
    functions; they may read per-edge species bound beforehand); ``weights`` (n_species, C,
    order + 1) are the angular coefficients of the centre atom's species, ``centre_species``
    (N, n_species) one-hot. Padding edges add nothing, and their gradients are zero.
    """
    distance, _ = _edge_geometry(vectors, senders, n_nodes)
    pair = jnp.sum(jnp.where(senders < n_nodes, pair_energy(distance), 0.0))
    return pair + angular_energy(vectors, senders, n_nodes, centre_species, radial, weights,
                                 order)


def angular_energy(vectors, senders, n_nodes: int, centre_species, radial, weights,
                   order: int):
    """The three-body part of :func:`moment_energy`: ``sum_i sum_c sum_l w S`` (scalar)."""
    distance, unit = _edge_geometry(vectors, senders, n_nodes)
    channels = jnp.where((senders < n_nodes)[:, None], radial(distance), 0.0)
    invariants = angular_invariants(channels, unit, senders, n_nodes, order)
    per_atom = jnp.einsum("ns,scl->ncl", centre_species, weights)
    return jnp.sum(per_atom * invariants)


def _edge_geometry(vectors, senders, n_nodes: int):
    """(distance (E,), unit vector (E, 3)) per edge; padding rows: distance 1, unit 0."""
    real = senders < n_nodes
    squared = jnp.sum(vectors * vectors, axis=-1)
    distance = jnp.sqrt(jnp.where(real, squared, 1.0))  # padding rows: a harmless 1
    unit = jnp.where(real[:, None], vectors / distance[:, None], 0.0)
    return distance, unit


# the three-body list holds the edges within (1 + this) x the three-body cutoff at the
# stride's start, so that a pair moving inside the cutoff during the stride is kept (at
# 5 A: 0.25 A, several times what a pair's distance changes over a stride of 10 fs at
# 1500 K)
THREE_BODY_MARGIN = 0.05


class ThreeBodyEdges(NamedTuple):
    """The edges the angular terms read: those of the graph within the three-body cutoff
    and its margin at the stride's start (padded with the index N), and whether more were
    there than fit."""

    senders: jnp.ndarray
    receivers: jnp.ndarray
    vectors: jnp.ndarray
    overflow: jnp.ndarray  # () bool


def three_body_capacity(n_edges: int, fraction: float) -> int:
    """Slots of the three-body edge list for a graph of ``n_edges`` slots: ``fraction`` of
    them, rounded up to a multiple of 8 (all of them at a fraction of 1)."""
    return min(int(n_edges), 8 * int(np.ceil(float(fraction) * int(n_edges) / 8)))


def three_body_edges(graph: Graph, config: NetworkConfig) -> ThreeBodyEdges:
    """The graph's edges within ``config.three_body_cutoff`` x (1 +
    :data:`THREE_BODY_MARGIN`), gathered into a list of :func:`three_body_capacity` slots
    (``config.three_body_edge_fraction`` of the graph's), so that the angular terms cost what
    their own neighbours cost and not what the graph's do (at 5 A in an 8 A graph, a
    third). At a fraction of 1 the list is the graph's own, the
    angular terms then masked by their envelope. Like the graph's, the list is that of the
    stride's start: a pair moving from beyond the margin to inside the cutoff during the
    stride is missed, at the envelope's zero. ``overflow`` is set when more edges lie within
    the cutoff than the list holds; :func:`energy_increments` then returns NaN, which stops a
    rollout and a training run."""
    n_nodes = graph.nodes.shape[0]
    n_edges = graph.senders.shape[0]
    capacity = three_body_capacity(n_edges, config.three_body_edge_fraction)
    if capacity >= n_edges:
        return ThreeBodyEdges(graph.senders, graph.receivers, graph.edges, jnp.asarray(False))
    cutoff = config.three_body_cutoff * (1.0 + THREE_BODY_MARGIN)
    squared = jnp.sum(graph.edges * graph.edges, axis=-1)
    within = (graph.senders < n_nodes) & (squared < cutoff * cutoff)
    (chosen,) = jnp.nonzero(within, size=capacity, fill_value=n_edges)
    return ThreeBodyEdges(
        senders=jnp.take(graph.senders, chosen, mode="fill", fill_value=n_nodes),
        receivers=jnp.take(graph.receivers, chosen, mode="fill", fill_value=n_nodes),
        vectors=jnp.take(graph.edges, chosen, axis=0, mode="fill", fill_value=0.0),
        overflow=jnp.sum(within) > capacity)


def learned_energy(graph: Graph, config: NetworkConfig):
    """``energy(displacement)``: the learned energy (dimensionless) of the graph's atoms moved
    by ``displacement`` (N, 3, the data's length unit) from where the graph was built, its
    edges kept (call inside ``hk.transform``). The potential energy in the data's units is
    ``graph.force_scale x config.radial_cutoff x energy`` per mean atomic mass: see
    :func:`energy_increments`. With ``config.pair_term = "force"`` the pair term is a learned
    force (:func:`ogn.net.decoders.learned_pair_forces`), not part of this energy.

    Per edge, phi reads the radial features of the distance (graph cutoff) and the pair's
    species counts (symmetric in i and j) times the cosine envelope of the graph cutoff; R_c
    reads the radial features at the three-body cutoff and the ordered species [s_i, s_j]
    (centre first) times that cutoff's envelope, divided by ``config.three_body_neighbours``
    (the data's mean number of neighbours within it, so that the moments are means and S is
    of order one whatever the density), on the edges of :func:`three_body_edges`. With
    ``config.core_radii``, phi gains the fixed repulsive core of :mod:`ogn.net.core` below
    each species pair's core radius.
    """
    return _energy_parts(graph, config)[0]


def three_body_radial(config: NetworkConfig, ordered_species):
    """``radial(distance)`` (E, C): the three-body radial channels R_c per edge at the edge
    lengths ``distance`` (E,), for the edges' ordered species ``ordered_species`` (E, 2 S),
    centre first (call inside ``hk.transform``): the MLP ``three_body_radial`` (SiLU) of the
    radial features at the three-body cutoff and the species, times that cutoff's envelope,
    over ``config.three_body_neighbours``; with ``config.tabulated``, the table of
    :mod:`ogn.net.tables`."""
    cutoff3 = config.three_body_cutoff
    if config.tabulated:
        from ogn.net.tables import (
            RADIAL_TABLE,
            hermite,
            radial_table_in_use,
            species_pair_index,
            table_parameter,
        )

        n_species = ordered_species.shape[-1] // 2
        table = radial_table_in_use(table_parameter(RADIAL_TABLE, n_species, config.tabulated,
                                                    config.three_body_channels,
                                                    ordered_species.dtype),
                                    cutoff3, config.table_slopes_from_values)
        pair = species_pair_index(ordered_species[:, :n_species],
                                  ordered_species[:, n_species:])
        return lambda distance: hermite(table, pair, distance, cutoff3)
    hidden = [config.hidden_size] * (config.mlp_hidden_layers + 1)
    radial_mlp = hk.nets.MLP(hidden + [config.three_body_channels], activation=jax.nn.silu,
                             name="three_body_radial")

    def radial(distance):
        features = jnp.concatenate(
            [radial_features(distance, cutoff3, config.radial_basis), ordered_species],
            axis=-1)
        envelope = cosine_envelope(distance / cutoff3) / config.three_body_neighbours
        return radial_mlp(features) * envelope[:, None]

    return radial


def _energy_parts(graph: Graph, config: NetworkConfig):
    """(energy(displacement), the three-body list's overflow flag) of :func:`learned_energy`."""
    n_nodes, n_species = graph.nodes.shape
    species = graph.nodes
    triplets = three_body_edges(graph, config)
    ordered_species = jnp.concatenate([_gather(species, triplets.senders),
                                       _gather(species, triplets.receivers)], axis=-1)
    hidden = [config.hidden_size] * (config.mlp_hidden_layers + 1)
    radial = three_body_radial(config, ordered_species)
    order = config.three_body_order
    weights = hk.get_parameter(
        "three_body_weights", (n_species, config.three_body_channels, order + 1),
        graph.edges.dtype,
        init=hk.initializers.TruncatedNormal(1.0 / config.three_body_channels))
    cutoff = config.radial_cutoff

    def angular(displacement):
        vectors = (triplets.vectors + _gather(displacement, triplets.receivers)
                   - _gather(displacement, triplets.senders))
        return angular_energy(vectors, triplets.senders, n_nodes, species, radial, weights,
                              order)

    if config.pair_term == "force":
        return angular, triplets.overflow
    sender_species = _gather(species, graph.senders)
    receiver_species = _gather(species, graph.receivers)
    pair_species = sender_species + receiver_species
    pair_mlp = hk.nets.MLP(hidden + [1], activation=jax.nn.silu, name="pair_energy")
    radius = (edge_core_radii(config.core_radii, sender_species, receiver_species)
              if config.core_radii else None)
    real = graph.senders < n_nodes

    def pair(displacement):
        vectors = (graph.edges + _gather(displacement, graph.receivers)
                   - _gather(displacement, graph.senders))
        distance, _ = _edge_geometry(vectors, graph.senders, n_nodes)
        features = jnp.concatenate(
            [radial_features(distance, cutoff, config.radial_basis), pair_species], axis=-1)
        energy = pair_mlp(features)[:, 0] * cosine_envelope(distance / cutoff)
        if radius is not None:
            energy = energy + core_energy(distance, radius, cutoff)
        return jnp.sum(jnp.where(real, energy, 0.0))

    return (lambda displacement: pair(displacement) + angular(displacement)), triplets.overflow


def energy_increments(graph: Graph, config: NetworkConfig):
    """``[dr, dv]`` (N, 6) of the learned energy's motion over the stride.

    The acceleration of atom i is ``graph.force_scale x (m_mean / m_i) x F_i``, with
    ``F_i = -rc dE/dr_i`` (rc the graph cutoff) for the learned energy E, plus, with
    ``config.pair_term = "force"``, the learned central pair force of
    :func:`ogn.net.decoders.learned_pair_forces`. The gradient by lengths in units of rc makes
    the force the velocity change's scale over the stride times a number of order one at
    initialisation, and ``sum_i (m_i / m_mean) v_i^2 / 2 + force_scale (rc E + V)`` is the
    conserved energy of the motion (V the pair force's potential, zero at the cutoff). A
    pair force is a gradient too, so the motion conserves energy either way; as a force, its
    training differentiates the network once less, which costs about half as much. Graph
    fields read as by :func:`ogn.net.decoders.pair_force_increments`; the motion is
    :func:`ogn.net.decoders.velocity_verlet_increments` with ``config.substeps`` steps, the
    edges those of the stride's start. NaN when the three-body list overflows
    (:func:`three_body_edges`).
    """
    energy, overflow = _energy_parts(graph, config)
    gradient = hk.grad(energy)
    pair_forces = (learned_pair_forces(graph, config) if config.pair_term == "force"
                   else None)

    def acceleration(displacement):
        force = -config.radial_cutoff * gradient(displacement)
        if pair_forces is not None:
            force = force + pair_forces(displacement)
        return graph.force_scale * graph.inverse_mass[:, None] * force

    dr, dv = velocity_verlet_increments(acceleration, graph.velocity, config.stride_time,
                                        config.substeps)
    return jnp.where(overflow, jnp.nan, jnp.concatenate([dr, dv], axis=-1))


def mean_neighbours(positions, box, cutoff: float, frames: int = 16) -> float:
    """Mean number of neighbours per atom within ``cutoff`` over up to ``frames``
    configurations of ``positions`` (M, N, 3), evenly spaced: the energy decoder's moment
    normalisation (``NetworkConfig.three_body_neighbours``), fixed when training starts."""
    sample = spread_frames(positions, frames)
    counts = [count_edges(frame, box, cutoff) / sample.shape[1] for frame in sample]
    return max(float(np.mean(counts)), 1.0)


def three_body_edge_fraction(positions, box, three_body_cutoff: float, graph_cutoff: float,
                             frames: int = 16, head_room: float = 1.25) -> float:
    """The share of the graph's edges that the three-body list holds
    (``NetworkConfig.three_body_edge_fraction``): the largest ratio of pairs within
    ``three_body_cutoff`` to pairs within ``graph_cutoff`` over up to ``frames``
    configurations of ``positions`` (M, N, 3), times ``head_room`` for configurations denser
    at short range than any of them; 1 (the graph's own list) when that reaches 0.8, where a
    separate list saves little. Fixed when training starts, recorded in the model file."""
    if three_body_cutoff >= graph_cutoff:
        return 1.0
    sample = spread_frames(positions, frames)
    reach = three_body_cutoff * (1.0 + THREE_BODY_MARGIN)
    ratio = max(count_edges(frame, box, reach) / max(count_edges(frame, box, graph_cutoff), 1)
                for frame in sample)
    fraction = head_room * ratio
    return 1.0 if fraction >= 0.8 else round(float(fraction), 4)
