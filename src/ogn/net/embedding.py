"""The learned embedding term of the pair-force decoder (``model.options.embedding``): the
many-body part of an embedded-atom energy, learned.

A pair force cannot hold a metal's cohesion: in the embedded-atom method (EAM, Finnis-Sinclair
form) the energy of atom i is ``F_{s_i}(rho_i)`` of its local density
``rho_i = sum_j g_{s_i s_j}(|r_ij|)``, and F is about -sqrt(rho) (its slope shrinks as rho
grows), so one bond more gains less where there are many. Cu-Zr's learned pair tables drift by 1.2 % of <KE> over
1000 MD steps while their own learned energy is kept to 1e-4, which points there. This term
adds

    E_emb = sum_i F_{s_i}(x_i),   x_i = rho_i - mu / sigma,   rho_i = sum_{j within the force cutoff} g_{s_i s_j}(r_ij)

to the learned pair force's potential: ``g`` a learned function of distance per ordered
species pair and, per species,

    F_s(x) = c1 x + c2 x^2 / 2 + c3 ln cosh x,

a quadratic (second-moment) embedding about the data's mean density (x = 0) with a bend of
bounded slope beside it; the coefficients are learned from 0 (a fresh model is the pair force
alone). ``g`` begins as a starting shape divided by ``sigma``: the cosine envelope of the
force cutoff (a smooth count of neighbours), times exp(-(r - r_c / 2) /
``model.options.embedding_decay``) where that is set (:func:`starting_density`); a learned
part is added (an MLP of the radial features times that start, or with
``model.options.learned_tables`` a table of the whole g, like the pair force's). ``mu`` and
``sigma`` are the mean and standard deviation over atoms of the starting shape's sum in the
training data, measured when training starts (``NetworkConfig.embedding_density``), so x
starts with mean 0 and standard deviation 1 over the data, and g is in units in which one
atom's density differs from another's by about 1: a table step of the learning rate then moves
x by that rate times the neighbour count whatever the shape (with exp(-r / 0.7 A) on Cu-Zr,
sigma is 7 of the shape's units, and a table in those units learned its shape 7 times slower,
too slow to leave the pair force's plateau in 5 minutes). The many-body part of an
embedding lies in how F bends over the few per cent by which one atom's density differs from
another's (Cu-Zr: 4 %). The quadratic term is what carries it: as g learns its shape, the
densities leave the statistics measured at the start (on Cu-Zr, x ended at -5 +- 1), where
bounded forms such as ln cosh x or x - tanh x have gone straight, so F' is a constant and the
term is pair-additive (it learned nothing, docs/extended.md); a quadratic bends the same
wherever x lies, its shift taken up by c1. Being linear in its coefficients, F learns from the
first step.

The force ``-dE_emb/dr_i`` is central, pair by pair (``F'(rho_i) g'_{ij} + F'(rho_j)
g'_{ji}`` along u_ij, F' per unit of rho), so total momentum is exact, rotations commute
with it, and the motion conserves ``E_emb`` with the pair potential.

Energies here are in units of the decoder's force unit times length, so ``-grad E_emb`` adds
to the pair force in its units (:func:`ogn.net.decoders.learned_pair_forces`).
"""

import haiku as hk
import jax
import jax.numpy as jnp

from ogn.net.core import edge_core_radii
from ogn.net.layers import _gather
from ogn.net.structures import Graph, NetworkConfig

DENSITY_TABLE = "embedding_density_table"
DENSITY_MLP = "embedding_density"
COEFFICIENTS = "embedding_coefficients"
EMBEDDING_ORDER = 3  # F's terms: x, x^2 / 2, ln cosh x


def density_function(graph: Graph, config: NetworkConfig):
    """``density(distance)`` (E,): g of each graph edge's ordered species pair at the edge
    lengths ``distance`` (call inside ``hk.transform``): the table ``embedding_density_table``
    with ``config.tabulated``, else the MLP ``embedding_density`` of the radial features and
    both one-hot species (sender first: g_ij is not g_ji) times the cosine envelope. Closer
    than a pair's core radius it is held at its value there, as the pair force is."""
    from ogn.net.decoders import radial_features

    sender_species = _gather(graph.nodes, graph.senders)
    receiver_species = _gather(graph.nodes, graph.receivers)
    radius = (edge_core_radii(config.core_radii, sender_species, receiver_species)
              if config.core_radii else None)
    if config.tabulated:  # the table holds the whole g
        from ogn.net.tables import hermite, radial_table_in_use, species_pair_index, table_parameter

        table = radial_table_in_use(table_parameter(DENSITY_TABLE, graph.nodes.shape[-1],
                                                    config.tabulated, 1, graph.edges.dtype),
                                    config.radial_cutoff, config.table_slopes_from_values)
        pair = species_pair_index(sender_species, receiver_species)

        def learned(distance):
            return hermite(table, pair, distance, config.radial_cutoff)[:, 0]
    else:
        sizes = [config.hidden_size] * (config.mlp_hidden_layers + 1) + [1]
        mlp = hk.nets.MLP(sizes, activation=jax.nn.silu, name=DENSITY_MLP)
        # the learned part's share starts at 0: g begins as the starting shape (a table sampled
        # from a fresh model is that shape itself)
        share = hk.get_parameter("embedding_density_share", (), graph.edges.dtype,
                                 init=jnp.zeros)

        def learned(distance):
            features = jnp.concatenate(
                [radial_features(distance, config.radial_cutoff, config.radial_basis),
                 sender_species, receiver_species], axis=-1)
            return ((1.0 + share * mlp(features)[:, 0])
                    * starting_density(distance, config.radial_cutoff, config.embedding_decay)
                    / config.embedding_density[1])

    if radius is None:
        return learned
    return lambda distance: learned(jnp.maximum(distance, radius))


def embedding_energy(graph: Graph, config: NetworkConfig):
    """``energy(displacement)``: E_emb (a scalar) of the graph's atoms moved by
    ``displacement`` (N, 3) from where the graph was built, its edges kept (call inside
    ``hk.transform``). Padding edges add nothing; so do padding atoms' rows."""
    n_nodes = graph.nodes.shape[0]
    real = graph.senders < n_nodes
    density = density_function(graph, config)
    coefficients = hk.get_parameter(COEFFICIENTS, (graph.nodes.shape[-1], EMBEDDING_ORDER),
                                    graph.edges.dtype, init=jnp.zeros)
    mean, std = config.embedding_density

    def energy(displacement):
        vectors = (graph.edges + _gather(displacement, graph.receivers)
                   - _gather(displacement, graph.senders))
        squared = jnp.sum(vectors * vectors, axis=-1)
        distance = jnp.sqrt(jnp.where(real, squared, 1.0))
        per_edge = jnp.where(real, density(distance), 0.0)
        rho = jax.ops.segment_sum(per_edge, graph.senders, num_segments=n_nodes)
        return jnp.sum(embedding_function(graph.nodes @ coefficients, rho - mean / std))

    return energy


def embedding_function(coefficients, x):
    """(N,) F(x) = c1 x + c2 x^2 / 2 + c3 ln cosh x of each atom's standardised density
    ``x`` (N,) with its own species' coefficients ``coefficients`` (N, EMBEDDING_ORDER)."""
    log_cosh = jnp.logaddexp(x, -x) - jnp.log(2.0).astype(x.dtype)  # no overflow
    terms = jnp.stack([x, 0.5 * x * x, log_cosh], axis=-1)
    return jnp.sum(coefficients * terms, axis=-1)


def embedding_forces(graph: Graph, config: NetworkConfig):
    """``forces(displacement)`` (N, 3): ``-dE_emb/dr`` of :func:`embedding_energy`, in the
    pair force's units."""
    gradient = hk.grad(embedding_energy(graph, config))
    return lambda displacement: -gradient(displacement)


def starting_density(distance, cutoff: float, decay: float = 0.0):
    """The density g a fresh model starts from, at ``distance``: the cosine envelope of
    ``cutoff``, times exp(-(r - cutoff / 2) / ``decay``) where ``decay`` > 0 (1 at half the
    cutoff; a model reads it divided by the spread of its per-atom sum over the data, so the
    scale does not matter). A short decay starts g near a metal's electron density, which
    falls off within the first shells: the envelope alone counts every neighbour out to the
    cutoff almost alike, and the term then needs thousands of steps to find a shape that
    bends F at all."""
    from ogn.net.decoders import cosine_envelope

    envelope = cosine_envelope(distance / cutoff)
    if decay <= 0:
        return envelope
    return envelope * jnp.exp(-(distance - 0.5 * cutoff) / decay)


def density_statistics(positions, box, cutoff: float, decay: float = 0.0,
                       frames: int = 16) -> tuple:
    """(mu, sigma): the mean and standard deviation over atoms and up to ``frames``
    configurations of ``positions`` (M, N, 3) of each atom's starting density within
    ``cutoff``, :func:`starting_density` summed over its neighbours (a smooth neighbour count
    without ``decay``): :func:`embedding_energy` standardises densities by them
    (``NetworkConfig.embedding_density``), fixed when training starts."""
    import numpy as np

    from ogn.net.graph import build_edges, edge_vectors_numpy, spread_frames

    counts = []
    for frame in spread_frames(positions, frames):
        edges = build_edges(frame, box, cutoff)
        n = edges.n_edges
        distance = np.linalg.norm(edge_vectors_numpy(frame, box, edges)[:n], axis=1)
        weight = np.asarray(starting_density(distance, cutoff, decay))
        counts.append(np.bincount(edges.senders[:n], weights=weight, minlength=len(frame)))
    counts = np.concatenate(counts)
    return float(np.mean(counts)), max(float(np.std(counts)), 1e-6)
