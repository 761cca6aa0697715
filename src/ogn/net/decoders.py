"""Decoders that turn the network's node features (or the graph itself) into ``[dr, dv]``
per atom beyond the paper's node MLP: the equivariant vector decoder and the learned pair
force integrated over the stride, with the radial features they read."""

import haiku as hk
import jax
import jax.numpy as jnp

from ogn.net.core import core_force, edge_core_radii
from ogn.net.layers import _gather, inverse_mean_degree
from ogn.net.structures import Graph, NetworkConfig


def cosine_envelope(x):
    """``(1 + cos(pi x)) / 2`` for x < 1, 0 beyond: 1 at 0, value and slope 0 at x = 1."""
    return jnp.where(x < 1.0, 0.5 * (1.0 + jnp.cos(jnp.pi * jnp.minimum(x, 1.0))), 0.0)


def radial_features(distance, cutoff: float, n_basis: int):
    """``[x, g_1(x) f(x), ..., g_n(x) f(x)]`` (E, n + 1) of ``x = distance / cutoff``.

    ``g_m`` are Gaussians centred on an even grid over [0, 1] with the grid spacing as width;
    ``f(x) = (1 + cos(pi x)) / 2`` for x < 1 and 0 beyond, so every Gaussian goes to zero
    smoothly (value and slope) at the cutoff; ``x`` itself gives the network the distance
    with no basis resolution limit.
    """
    x = distance / cutoff
    centers = jnp.linspace(0.0, 1.0, n_basis, dtype=x.dtype)
    width = 1.0 / max(n_basis - 1, 1)
    envelope = cosine_envelope(x)
    gaussians = jnp.exp(-0.5 * ((x[:, None] - centers) / width) ** 2) * envelope[:, None]
    return jnp.concatenate([x[:, None], gaussians], axis=-1)


def vector_decoder(graph: Graph, nodes, mlp, relative_velocity_vectors: bool = False):
    """``[dr, dv]`` (N, 6) as vectors built from the graph's own vectors (EGNN-like).

    For the edge i -> j with unit vector u_ij = (r_j - r_i) / |r_j - r_i|:

    * ``dv_i = (m_mean / m_i) sum_j phi_ij u_ij`` and ``dr_i = a_i v_i + sum_j psi_ij u_ij``;
    * with ``relative_velocity_vectors``, also ``+ (m_mean / m_i) sum_j chi_ij w_ij`` in dv_i
      and ``+ sum_j omega_ij w_ij`` in dr_i, for the relative velocity w_ij = v_j - v_i (in
      units of the velocity scale, divided by the mean number of edges per atom): over a
      stride of k MD steps the pair turns, and its force with it, in the plane of u_ij and
      w_ij, so a push along u_ij alone misses the turn. w_ij changes sign with i <-> j like
      u_ij, so the laws below still hold;
    * ``(phi_ij, psi_ij[, chi_ij, omega_ij])`` = MLP(h_i + h_j, h_i * h_j, edge inputs):
      symmetric in i and j when the edge inputs are (the simulator feeds invariants that
      are), so the edges i -> j and j -> i push with equal and opposite vectors and
      ``sum_i m_i dv_i = 0`` exactly (Newton's third law as structure; both directions of
      every pair are edges);
    * ``a_i`` = MLP(h_i), a scalar per atom.

    With rotation-invariant node and edge inputs, h, phi, psi and a are invariant, so dr and
    dv rotate with the input without augmentation. The outputs are in units of the targets'
    standard deviations (the simulator scales them); padding edges add nothing.
    """
    n_nodes = nodes.shape[0]
    h_sender = _gather(nodes, graph.senders)
    h_receiver = _gather(nodes, graph.receivers)
    pair_inputs = jnp.concatenate([h_sender + h_receiver, h_sender * h_receiver, graph.edges],
                                  axis=-1)
    pair = mlp("pair_decoder", activate_output=False, layer_norm=False,
               output_size=4 if relative_velocity_vectors else 2)(pair_inputs)
    real = (graph.senders < n_nodes)[:, None]
    push = pair[:, 0:1] * graph.unit_vectors
    shift = pair[:, 1:2] * graph.unit_vectors
    if relative_velocity_vectors:
        # sum_j chi_ij w_ij holds -v_i sum_j chi_ij, a sum over all neighbours that does not
        # cancel the way unit vectors do: divided by the mean number of edges per atom, it
        # starts at the size of the targets instead of a hundred times that
        relative = inverse_mean_degree(graph) * (_gather(graph.velocity, graph.receivers)
                                                 - _gather(graph.velocity, graph.senders))
        push = push + pair[:, 2:3] * relative
        shift = shift + pair[:, 3:4] * relative
    push = jnp.where(real, push, 0.0)
    shift = jnp.where(real, shift, 0.0)
    dv = graph.inverse_mass[:, None] * jax.ops.segment_sum(push, graph.senders,
                                                           num_segments=n_nodes)
    a = mlp("velocity_decoder", activate_output=False, layer_norm=False, output_size=1)(nodes)
    dr = a * graph.velocity + jax.ops.segment_sum(shift, graph.senders, num_segments=n_nodes)
    return jnp.concatenate([dr, dv], axis=-1)


def velocity_verlet_increments(acceleration, velocity, stride_time: float, substeps: int):
    """``(dr, dv)`` over ``stride_time`` from ``substeps`` velocity-Verlet (kick-drift-kick)
    steps of ``stride_time / substeps``; ``acceleration(displacement)`` gives (N, 3) for the
    atoms displaced by (N, 3) from where they started. ``substeps + 1`` force evaluations.
    """
    h = stride_time / substeps
    displacement = jnp.zeros_like(velocity)
    v = velocity
    a = acceleration(displacement)
    for _ in range(substeps):
        v = v + 0.5 * h * a
        displacement = displacement + h * v
        a = acceleration(displacement)
        v = v + 0.5 * h * a
    return displacement, v - velocity


def pair_force_increments(graph: Graph, config: NetworkConfig):
    """``[dr, dv]`` (N, 6) of a learned central pair force integrated over the stride.

    The force on atom i from its neighbour j is ``s * f(|r_ij|, species pair) u_ij`` along the
    unit vector u_ij from i to j: f is an MLP (SiLU) of the radial features of the distance
    and the pair's species counts (one-hot of i plus one-hot of j, so the same for i -> j and
    j -> i), times the cosine envelope, so it vanishes smoothly at the graph cutoff; ``s`` is
    ``graph.force_scale`` (the velocity change's scale over the stride time, so that f starts
    at the size of one). Being central and a function of the distance alone, the force is
    conservative (the derivative of a learned pair energy) and obeys Newton's third law: total
    momentum is exact, and with a good force the energy is conserved as in MD. The motion over
    the stride is :func:`velocity_verlet_increments` (``config.substeps`` steps of
    ``config.stride_time / config.substeps``); the graph's edges are those at the start of the
    stride, their vectors follow the atoms (a pair entering the cutoff during the stride is
    missed, at the envelope's zero). With ``config.core_radii``, the fixed repulsion of
    :mod:`ogn.net.core` is added below each species pair's core radius. With
    ``config.embedding``, the force of the learned embedded-atom energy of
    :mod:`ogn.net.embedding` is added to the pair force.

    Graph fields read: ``edges`` (E, 3) raw edge vectors r_j - r_i, ``nodes`` (N, n_species)
    one-hot species, ``velocity`` (N, 3) in the data's units, ``inverse_mass`` (N,) mean mass
    / mass, ``force_scale`` (scalar). Inputs are rotation invariants: the output rotates with
    the input.
    """
    forces = learned_pair_forces(graph, config)
    if config.embedding:  # the learned embedded-atom term (ogn.net.embedding)
        from ogn.net.embedding import embedding_forces

        pair_forces, many_body = forces, embedding_forces(graph, config)

        def forces(displacement):
            return pair_forces(displacement) + many_body(displacement)

    def acceleration(displacement):
        return graph.force_scale * graph.inverse_mass[:, None] * forces(displacement)

    dr, dv = velocity_verlet_increments(acceleration, graph.velocity, config.stride_time,
                                        config.substeps)
    return jnp.concatenate([dr, dv], axis=-1)


def learned_pair_forces(graph: Graph, config: NetworkConfig):
    """``forces(displacement)`` (N, 3): the learned central pair forces on the graph's atoms
    moved by ``displacement`` (N, 3) from where the graph was built, its edges kept (call
    inside ``hk.transform``), in units of ``graph.force_scale``: on atom i, the sum over its
    edges i -> j of ``f(|r_ij|) u_ij``, f of :func:`pair_force_magnitude`. Padding edges add
    nothing."""
    n_nodes = graph.nodes.shape[0]
    real = graph.senders < n_nodes
    magnitude = pair_force_magnitude(graph, config)

    def forces(displacement):
        vectors = (graph.edges + _gather(displacement, graph.receivers)
                   - _gather(displacement, graph.senders))
        squared = jnp.sum(vectors * vectors, axis=-1)
        distance = jnp.sqrt(jnp.where(real, squared, 1.0))  # padding rows: a harmless 1
        push = jnp.where(real, magnitude(distance) / distance, 0.0)[:, None] * vectors
        return jax.ops.segment_sum(push, graph.senders, num_segments=n_nodes)

    return forces


def pair_force_magnitude(graph: Graph, config: NetworkConfig):
    """``magnitude(distance)`` (E,): the learned pair force f per graph edge at the edge
    lengths ``distance`` (E,) (call inside ``hk.transform``; positive f pulls the edge's
    sender towards its receiver): the MLP ``pair_force`` (SiLU) of the radial features of the
    distance at the graph cutoff and the pair's species counts (one-hot of i plus one-hot of
    j, the same for i -> j and j -> i), times the cosine envelope, plus the fixed core of
    :mod:`ogn.net.core` where ``config.core_radii`` are set (closer than a pair's core radius,
    the MLP is held at its value at that radius, and a table continues it as an exponential
    wall: :func:`ogn.net.tables.wall_continued`). With ``config.tabulated``, f is
    the table of :mod:`ogn.net.tables` instead of the MLP."""
    sender_species = _gather(graph.nodes, graph.senders)
    receiver_species = _gather(graph.nodes, graph.receivers)
    pair_species = sender_species + receiver_species
    radius = (edge_core_radii(config.core_radii, sender_species, receiver_species)
              if config.core_radii else None)
    if config.tabulated:  # the trained function as a table (ogn.net.tables)
        from ogn.net.tables import (
            PAIR_TABLE,
            hermite,
            pair_table_in_use,
            species_pair_index,
            table_parameter,
        )

        table = pair_table_in_use(table_parameter(PAIR_TABLE, graph.nodes.shape[-1],
                                                  config.tabulated, 1, graph.edges.dtype),
                                  config.radial_cutoff, config.table_slopes_from_values,
                                  config.core_radii)
        pair = species_pair_index(sender_species, receiver_species)

        def learned(distance):
            return hermite(table, pair, distance, config.radial_cutoff)[:, 0]
    else:
        sizes = [config.hidden_size] * (config.mlp_hidden_layers + 1) + [1]
        force_mlp = hk.nets.MLP(sizes, activation=jax.nn.silu, name="pair_force")

        def learned(distance):
            features = jnp.concatenate(
                [radial_features(distance, config.radial_cutoff, config.radial_basis),
                 pair_species], axis=-1)
            return force_mlp(features)[:, 0] * cosine_envelope(distance / config.radial_cutoff)

    def magnitude(distance):
        if radius is None:
            return learned(distance)
        if config.tabulated:  # below its core radius the table holds its wall continuation
            return learned(distance) + core_force(distance, radius)
        # below its core radius a pair is closer than (almost) every training pair: the
        # MLP is held at its value there (its tables continue it as a wall)
        return learned(jnp.maximum(distance, radius)) + core_force(distance, radius)

    return magnitude
