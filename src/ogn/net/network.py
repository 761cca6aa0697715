"""The OGN graph network (Haiku): encoder, L message-passing layers, decoder.

The network knows nothing of physics or units: it maps a padded directed graph of standardized
node and edge features to ``output_size`` standardized numbers per node. The physics-to-graph
mapping (one-hot species and velocity per atom, r_j - r_i per edge, standardization, the
meaning of the 6 outputs) lives in :mod:`ogn.net.simulator`.

Architecture (Liu et al. 2023, Methods; SPEC section 2):

* encoder: node MLP ``n0 = f_node(nodes)``, edge MLP ``e0 = f_edge(edges)``;
* L message-passing layers, each on the encoder-augmented features ``n = [n_l, n0]``,
  ``e = [e_l, e0]``: edge update ``e_{l+1} = f_e([e, n_i, n_j])`` for the edge i -> j
  (i = sender, j = receiver), then node update
  ``n_{l+1} = f_n([n, sum of outgoing e_{l+1}, sum of incoming e_{l+1}])``;
* decoder: node MLP on ``n_L`` with a linear ``output_size``-wide output and no LayerNorm.

Every MLP except the decoder: ``mlp_hidden_layers`` hidden layers of ``hidden_size`` (ReLU), an
output layer of ``latent_size`` (ReLU), then LayerNorm. Weights are drawn from a truncated
normal of zero mean and standard deviation 1/sqrt(fan_in) (Haiku's default, the LeCun scaling
the paper's "1/n" refers to); biases start at zero.

Padding: ``senders``/``receivers`` hold the out-of-range index N for padding edges. Gathers
clip that index (reading a real node, harmlessly), and the segment sums with
``num_segments=N`` drop it, so padding edges contribute nothing to any real node, whatever
their features; padding edge rows of the output are never read.

Speed (``split_edge_projection=True``, the default; :func:`_split_forward`). Per-edge work
dominates (about 36,000 edges for 265 LJ atoms), so it is trimmed without changing the
function or its parameters:

* the first layer of the edge-update MLP is a matrix W applied to ``[e_l, e0, n_i, n_j]``;
  split by rows into ``W_e, W_0, W_i, W_j`` it is ``W_e e_l + W_0 e0 + (W_i n)[i] + (W_j n)[j]``:
  node projections are computed once per node and gathered per edge (per edge, 128 x 64
  instead of 384 x 64 multiply-adds in that layer), and in layer 0, where ``e_l = e0``,
  ``W_e + W_0`` is one 64 x 64 product; that layer's bias is added to the sender projection
  (per node), so its derivative is a sum over nodes rather than over edges;
* an edge LayerNorm's scale and offset are folded into the next matrix product and the
  segment sums instead of being applied to every edge (:class:`Affine`);
* LayerNorm and ReLU have hand-written derivatives that make fewer passes over the edges;
* the weight gradients of the dense layers (``x.T @ g``, contracting over the rows: the
  edges) run in a C++ kernel on CPUs (:func:`dense`, :mod:`ogn.net.kernels`), about twice the rate
  of XLA's own kernel for these shapes here; XLA's product elsewhere.

``split_edge_projection=False`` (:func:`_reference_forward`) is the straightforward form:
concatenate per edge, then a plain MLP with ``jax.nn.relu`` and an autodiff LayerNorm. It is
the readable specification, the tests' reference and the benchmark baseline
(benchmarks/bench_model.py); both forms take the same parameters.
"""

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np

from ogn.net.decoders import pair_force_increments, vector_decoder
from ogn.net.energy import energy_increments
from ogn.net.layers import (
    MLP,
    _affine_matmul,
    _affine_segment_sum,
    _gather,
    dense,
    inverse_mean_degree,
)
from ogn.net.structures import Graph, NetworkConfig


def aggregation_scale(graph: Graph, config: NetworkConfig):
    """Factor on the edge sums of a node update: 1 (``sum``, the paper) or 1 / (mean number of
    edges per atom of this graph) (``mean``)."""
    return 1.0 if config.aggregation == "sum" else inverse_mean_degree(graph)


def _reference_forward(graph: Graph, config: NetworkConfig, mlp):
    """Straightforward form: concatenate sender, receiver and edge features per edge (the
    readable specification, and the baseline of benchmarks/bench_model.py)."""
    n_nodes = graph.nodes.shape[0]
    scale = aggregation_scale(graph, config)
    n0 = mlp("node_encoder")(graph.nodes)
    e0 = mlp("edge_encoder")(graph.edges)
    nodes, edges = n0, e0
    for layer in range(config.n_layers):
        node_cat = jnp.concatenate([nodes, n0], axis=-1)
        per_edge = jnp.concatenate([edges, e0, _gather(node_cat, graph.senders),
                                    _gather(node_cat, graph.receivers)], axis=-1)
        edges = mlp(f"edge_update_{layer}")(per_edge)
        # num_segments = N drops the padding index N: padding edges add nothing.
        outgoing = jax.ops.segment_sum(edges, graph.senders, num_segments=n_nodes) * scale
        incoming = jax.ops.segment_sum(edges, graph.receivers, num_segments=n_nodes) * scale
        nodes = mlp(f"node_update_{layer}")(
            jnp.concatenate([node_cat, outgoing, incoming], axis=-1))
    return nodes


def _split_forward(graph: Graph, config: NetworkConfig, mlp):
    """Same function as :func:`_reference_forward`, organised for speed on CPU.

    * The edge-update MLP's first layer is split by input blocks: node projections are
      computed per node and gathered per edge.
    * Edge LayerNorm scale/offset are folded into the consumers (:class:`Affine`).
    * In layer 0 the current edge features are e0 itself: the two weight blocks acting on
      ``[e_0, e0]`` are summed before one product.

    Padding edges are dropped by the segment sums and by the degree counts.
    """
    n_nodes = graph.nodes.shape[0]
    dtype = graph.nodes.dtype
    ones = jnp.ones(graph.senders.shape, dtype)
    out_degree = jax.ops.segment_sum(ones, graph.senders, num_segments=n_nodes)
    in_degree = jax.ops.segment_sum(ones, graph.receivers, num_segments=n_nodes)
    scale = aggregation_scale(graph, config)

    n0 = mlp("node_encoder")(graph.nodes)
    e0 = mlp("edge_encoder")(graph.edges, fold_affine=True)

    latent = config.latent_size
    node_width = 2 * latent  # [n_l, n0]
    nodes, edges = n0, e0
    for layer in range(config.n_layers):
        edge_mlp = mlp(f"edge_update_{layer}")
        w, b = edge_mlp.first_layer(2 * latent + 2 * node_width, dtype)
        width = w.shape[1]
        # rows of w: [e_l | e0 | n_sender (n_l, n0) | n_receiver (n_l, n0)]
        w_edge, w_e0 = w[:latent], w[latent:2 * latent]
        w_sender = w[2 * latent:2 * latent + node_width]
        w_receiver = w[2 * latent + node_width:]
        if layer == 0:  # e_0 = e0: one product with the summed blocks
            edge_part, edge_bias = _affine_matmul(e0, w_edge + w_e0)
        else:
            edge_part, edge_bias = _affine_matmul(edges, w_edge)
            e0_part, e0_bias = _affine_matmul(e0, w_e0)
            edge_part, edge_bias = edge_part + e0_part, edge_bias + e0_bias
        node_cat = jnp.concatenate([nodes, n0], axis=-1)
        projection = dense(node_cat, jnp.concatenate([w_sender, w_receiver], axis=1))
        # the first layer's bias rides on the sender projection (every real edge has one
        # sender), so its derivative is a sum over nodes, not over edges
        sender_part = projection[:, :width] + (b + edge_bias)
        pre = (edge_part + _gather(sender_part, graph.senders)
               + _gather(projection[:, width:], graph.receivers))
        edges = edge_mlp.finish(pre, fold_affine=True)
        outgoing = _affine_segment_sum(edges, graph.senders, out_degree, n_nodes) * scale
        incoming = _affine_segment_sum(edges, graph.receivers, in_degree, n_nodes) * scale
        nodes = mlp(f"node_update_{layer}")(
            jnp.concatenate([node_cat, outgoing, incoming], axis=-1))
    return nodes


def ogn_forward(graph: Graph, config: NetworkConfig):
    """The network's output (N, output_size) for one padded graph (call inside hk.transform)."""
    if config.decoder == "energy":
        return energy_increments(graph, config)
    if config.learned_force:
        return pair_force_increments(graph, config)

    def mlp(name, activate_output=True, layer_norm=True, output_size=None):
        return MLP(config.hidden_size, config.mlp_hidden_layers,
                   output_size or config.latent_size, activate_output=activate_output,
                   layer_norm=layer_norm, plain=not config.split_edge_projection, name=name)

    forward = _split_forward if config.split_edge_projection else _reference_forward
    nodes = forward(graph, config, mlp)
    if config.decoder == "vector":
        return vector_decoder(graph, nodes, mlp, config.relative_velocity_vectors)
    return mlp("decoder", activate_output=False, layer_norm=False,
               output_size=config.output_size)(nodes)


def make_network(config: NetworkConfig) -> hk.Transformed:
    """``init(rng, graph) -> params`` and ``apply(params, graph) -> (N, output_size)``."""
    return hk.without_apply_rng(hk.transform(lambda graph: ogn_forward(graph, config)))


def parameter_count(params) -> int:
    return int(sum(np.prod(leaf.shape) for leaf in jax.tree_util.tree_leaves(params)))
