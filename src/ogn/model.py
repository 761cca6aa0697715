"""The OGN graph network (Haiku): encoder, L message-passing layers, decoder.

The network knows nothing of physics or units: it maps a padded directed graph of standardized
node and edge features to ``output_size`` standardized numbers per node. The physics-to-graph
mapping (one-hot species and velocity per atom, r_j - r_i per edge, standardization, the
meaning of the 6 outputs) lives in :mod:`ogn.simulator`.

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
  edges) run in a C++ kernel on CPUs (:func:`dense`, :mod:`ogn.kernels`), about twice the rate
  of XLA's own kernel for these shapes here; XLA's product elsewhere.

``split_edge_projection=False`` (:func:`_reference_forward`) is the straightforward form:
concatenate per edge, then a plain MLP with ``jax.nn.relu`` and an autodiff LayerNorm. It is
the readable specification, the tests' reference and the benchmark baseline
(benchmarks/bench_model.py); both forms take the same parameters.
"""

from typing import NamedTuple

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np

from .kernels import weight_gradient


class Graph(NamedTuple):
    """A padded directed graph (a pytree; fixed shapes for jit).

    ``nodes`` (N, node_features) and ``edges`` (E, edge_features) are the (standardized)
    inputs; ``senders`` and ``receivers`` (E,) int32 give edge k as senders[k] -> receivers[k],
    padded with N.
    """

    nodes: jnp.ndarray
    edges: jnp.ndarray
    senders: jnp.ndarray
    receivers: jnp.ndarray
    # vector decoder only (None otherwise): unit edge vectors (E, 3), node velocities in units
    # of their standard deviation (N, 3), mean mass / mass per node (N,); the pair-force
    # decoder reads velocity (in the data's units) and inverse_mass too
    unit_vectors: jnp.ndarray | None = None
    velocity: jnp.ndarray | None = None
    inverse_mass: jnp.ndarray | None = None
    # pair-force decoder only: force units per velocity-change scale over the stride (scalar)
    force_scale: jnp.ndarray | None = None


class NetworkConfig(NamedTuple):
    """Shape of the network (all static: changing one means a new network).

    The defaults are the paper's OGN. Options (``model.options`` with
    ``model.architecture: extended``; see :func:`network_config`):

    * ``radial_basis`` n > 0: edge inputs gain |r|/rc and n Gaussians of |r|/rc times a
      smooth cosine envelope that vanishes at the graph cutoff ``radial_cutoff``;
    * ``aggregation`` ``"mean"``: the sums over outgoing and incoming edges are divided by the
      graph's mean number of edges per atom;
    * ``decoder`` ``"vector"``: :func:`vector_decoder` (equivariant, momentum-conserving);
      the inputs are then rotation invariants only (see :mod:`ogn.simulator`);
    * ``relative_velocity_vectors`` (vector decoder only): each pair also pushes along its
      relative velocity v_j - v_i, the direction a pair turns in over a stride of k steps;
    * ``decoder`` ``"pair_force"``: :func:`pair_force_increments`, a learned central pair force
      integrated over the stride (``stride_time``) in ``substeps`` velocity-Verlet steps. It
      reads the radial basis and the species of each pair, not the message-passing layers.
    """

    n_layers: int
    latent_size: int = 64
    hidden_size: int = 64
    mlp_hidden_layers: int = 1
    output_size: int = 6
    split_edge_projection: bool = True
    radial_basis: int = 0
    radial_cutoff: float = 0.0
    aggregation: str = "sum"
    decoder: str = "node"
    species_masses: tuple = ()  # per species (vector decoder: dv_i carries 1 / m_i)
    relative_velocity_vectors: bool = False
    stride_time: float = 0.0  # pair-force decoder: k dt, in the data's time unit
    substeps: int = 0  # pair-force decoder: velocity-Verlet steps per stride


ARCHITECTURES = ("paper", "extended")
# every key of model.options at the value that reproduces the paper (an ablation variant
# starts from these and switches its own options on)
PAPER_OPTIONS = {"radial_basis": 0, "aggregation": "sum", "decoder": "node",
                 "relative_velocity_vectors": False, "time_reversal": False,
                 "loss_weights": {"dr": 1.0, "dv": 1.0}, "curriculum_k1_fraction": 0.0,
                 "learning_rate": None, "lr_decay_rate": None, "lr_decay_steps": None,
                 "pair_force_substep": 2.0}
AGGREGATIONS = ("sum", "mean")
DECODERS = ("node", "vector", "pair_force")
EQUIVARIANT_DECODERS = ("vector", "pair_force")  # rotation-invariant inputs, masses needed


def network_config(model_config: dict, n_layers: int, output_size: int = 6,
                   split_edge_projection: bool = True,
                   graph_cutoff: float | None = None,
                   species_masses=None, stride_steps: int | None = None,
                   stride_time: float | None = None) -> NetworkConfig:
    """NetworkConfig from the config block ``model`` and a layer count (``models.*_layers``).

    ``model.architecture: paper`` is the paper's OGN whatever ``model.options`` say;
    ``extended`` applies the options (``graph_cutoff`` is then needed by a radial basis; the
    pair-force decoder also needs the stride, ``stride_steps`` = k MD steps lasting
    ``stride_time``, and takes ceil(k / ``pair_force_substep``) velocity-Verlet substeps).
    """
    architecture = model_config.get("architecture", "paper")
    if architecture not in ARCHITECTURES:
        raise ValueError(f"model.architecture = {architecture!r} is not known; use one of "
                         f"{', '.join(ARCHITECTURES)}")
    if int(n_layers) < 1:
        raise ValueError(f"the network needs at least one message-passing layer, got {n_layers}")
    options = dict(model_config.get("options") or {}) if architecture == "extended" else {}
    radial_basis = int(options.get("radial_basis", 0))
    aggregation = str(options.get("aggregation", "sum"))
    decoder = str(options.get("decoder", "node"))
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"model.options.aggregation = {aggregation!r}; use one of "
                         f"{', '.join(AGGREGATIONS)}")
    if decoder not in DECODERS:
        raise ValueError(f"model.options.decoder = {decoder!r}; use one of {', '.join(DECODERS)}")
    conflicts = option_conflicts(options)
    if conflicts:
        raise ValueError(conflicts[0])
    if radial_basis and not graph_cutoff:
        raise ValueError("a radial basis (model.options.radial_basis > 0) needs the system's "
                         "graph_cutoff")
    if decoder in EQUIVARIANT_DECODERS and species_masses is None:
        raise ValueError(f"the {decoder} decoder needs the mass of every species")
    substeps = 0
    if decoder == "pair_force":
        if not stride_steps or not stride_time or stride_time <= 0:
            raise ValueError("the pair_force decoder integrates over the stride: it needs the "
                             "pairs' k (stride_steps) and k dt (stride_time)")
        substep = float(options.get("pair_force_substep", 2.0))
        if not substep > 0:
            raise ValueError(f"model.options.pair_force_substep = {substep}: the largest "
                             "substep, in MD time steps, must be positive (e.g. 2)")
        substeps = int(np.ceil(int(stride_steps) / substep - 1e-9))
    relative_velocity_vectors = bool(options.get("relative_velocity_vectors", False))
    return NetworkConfig(n_layers=int(n_layers), latent_size=int(model_config["latent_size"]),
                         hidden_size=int(model_config["hidden_size"]),
                         mlp_hidden_layers=int(model_config["mlp_hidden_layers"]),
                         output_size=int(output_size),
                         split_edge_projection=bool(split_edge_projection),
                         radial_basis=radial_basis,
                         radial_cutoff=float(graph_cutoff) if radial_basis else 0.0,
                         aggregation=aggregation, decoder=decoder,
                         species_masses=(tuple(float(m) for m in species_masses)
                                         if decoder in EQUIVARIANT_DECODERS else ()),
                         relative_velocity_vectors=relative_velocity_vectors,
                         stride_time=float(stride_time) if substeps else 0.0,
                         substeps=substeps)


def option_conflicts(options: dict) -> list[str]:
    """Combinations of ``model.options`` that do not make a model, one message each naming the
    keys and the fix (empty when fine). :func:`network_config` raises the first; the workflow
    reports all of them at start-up (:func:`ogn.workflow_checks.startup_problems`)."""
    decoder = options.get("decoder", "node")
    conflicts = []
    if decoder in EQUIVARIANT_DECODERS and int(options.get("radial_basis") or 0) < 1:
        conflicts.append(f"model.options.decoder = {decoder} sees distances only through the "
                         "radial basis: set model.options.radial_basis to at least 1 (e.g. 16)")
    if options.get("relative_velocity_vectors") and decoder != "vector":
        conflicts.append("model.options.relative_velocity_vectors shapes the vector decoder: "
                         "set model.options.decoder = vector, or turn it off")
    if decoder == "pair_force" and float(options.get("curriculum_k1_fraction") or 0.0) > 0:
        conflicts.append("model.options.curriculum_k1_fraction > 0 would train the pair_force "
                         "decoder at k = 1, whose stride is part of the model: set "
                         "curriculum_k1_fraction to 0 for it")
    return conflicts


def architecture_label(model_config: dict) -> str:
    """What a config block ``model`` trains, in a few words (figure footers, logs)."""
    if model_config.get("architecture", "paper") != "extended":
        return "paper OGN"
    options = model_config.get("options") or {}
    parts = []
    if options.get("radial_basis"):
        parts.append(f"radial basis {options['radial_basis']}")
    pair_force = options.get("decoder", "node") == "pair_force"  # no message passing read
    if options.get("aggregation", "sum") != "sum" and not pair_force:
        parts.append(f"{options['aggregation']} aggregation")
    if pair_force:
        parts.append("pair-force decoder (learned central pair force, velocity-Verlet "
                     f"substeps of at most {float(options.get('pair_force_substep', 2.0)):g} dt)")
    elif options.get("decoder", "node") != "node":
        parts.append(f"{options['decoder']} decoder")
    if options.get("relative_velocity_vectors"):
        parts.append("relative-velocity vectors")
    if options.get("time_reversal"):
        parts.append("time reversal")
    weights = options.get("loss_weights") or {}
    if float(weights.get("dr", 1.0)) != float(weights.get("dv", 1.0)):
        parts.append(f"loss weights dr {weights['dr']:g} dv {weights['dv']:g}")
    if options.get("learning_rate") is not None:
        parts.append(f"learning rate {float(options['learning_rate']):g}")
    if options.get("lr_decay_steps") is not None or options.get("lr_decay_rate") is not None:
        parts.append("learning-rate decay")
    if float(options.get("curriculum_k1_fraction") or 0.0) > 0:
        parts.append(f"k=1 curriculum {float(options['curriculum_k1_fraction']):g}")
    return "extended OGN (" + ", ".join(parts) + ")" if parts else "paper OGN"


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


LAYER_NORM_EPSILON = 1e-5


@jax.custom_jvp
def relu(x):
    """max(x, 0); its derivative is applied as ``tangent * (x > 0)`` (no zero-filled
    array is materialised, unlike ``jax.nn.relu``'s select)."""
    return jnp.maximum(x, 0)


@relu.defjvp
def _relu_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return relu(x), t * (x > 0).astype(t.dtype)


@jax.custom_vjp
def dense(x, w):
    """``x @ w`` for a (rows, m) ``x``; in the gradient, ``w``'s part ``x.T @ g`` contracts
    over the rows in :func:`ogn.kernels.weight_gradient` (a C++ kernel on a CPU: for the
    per-edge products of LJ-265 about twice the rate of XLA's own kernel, which YNNPACK does
    not relieve), ``x``'s part ``g @ w.T`` stays with XLA."""
    return x @ w


def _dense_fwd(x, w):
    return x @ w, (x, w)


def _dense_bwd(residuals, g):
    x, w = residuals
    return g @ w.T, weight_gradient(x, g)


dense.defvjp(_dense_fwd, _dense_bwd)


def _normalize_forward(x):
    mean = jnp.mean(x, axis=-1, keepdims=True)
    centered = x - mean
    variance = jnp.mean(centered * centered, axis=-1, keepdims=True)
    inverse_std = jax.lax.rsqrt(variance + LAYER_NORM_EPSILON)
    return centered * inverse_std, inverse_std


@jax.custom_vjp
def _normalize(x):
    """LayerNorm without its affine part: (x - mean) / sqrt(var + eps) over the last axis.

    The gradient is the closed form ``(g - mean(g) - y mean(g y)) / std``, two row means and
    one pass, cheaper than differentiating through the mean and variance.
    """
    return _normalize_forward(x)[0]


def _normalize_fwd(x):
    normalized, inverse_std = _normalize_forward(x)
    return normalized, (normalized, inverse_std)


def _normalize_bwd(residuals, g):
    normalized, inverse_std = residuals
    g_mean = jnp.mean(g, axis=-1, keepdims=True)
    gy_mean = jnp.mean(g * normalized, axis=-1, keepdims=True)
    return (inverse_std * (g - g_mean - normalized * gy_mean),)


_normalize.defvjp(_normalize_fwd, _normalize_bwd)


class Affine(NamedTuple):
    """Features held as ``normalized * scale + offset`` without forming the product.

    A LayerNorm's scale and offset act per column, so they fold into whatever consumes the
    features: ``(x s + o) @ W = x @ (s W) + o @ W`` and
    ``segment_sum(x s + o) = segment_sum(x) s + count o``. For per-edge features this saves
    two full passes over the (E, width) array forward and more backward.
    """

    normalized: jnp.ndarray  # (M, width)
    scale: jnp.ndarray  # (width,)
    offset: jnp.ndarray  # (width,)

    def value(self):
        return self.normalized * self.scale + self.offset


def _affine_matmul(features: Affine, w):
    """``features.value() @ w`` as ``normalized @ (scale w)`` plus a bias row."""
    return dense(features.normalized, features.scale[:, None] * w), features.offset @ w


def _affine_segment_sum(features: Affine, segment_ids, counts, n_segments: int):
    """``segment_sum(features.value())``; ``counts`` (n_segments,) = items per segment."""
    summed = jax.ops.segment_sum(features.normalized, segment_ids, num_segments=n_segments)
    return summed * features.scale + counts[:, None] * features.offset


class MLP(hk.Module):
    """Dense ReLU network; its first layer can be applied to row blocks of its input.

    Layers: ``hidden_layers`` x ``hidden_size`` (ReLU), then ``output_size`` (ReLU if
    ``activate_output``), then LayerNorm (scale and offset per feature) if ``layer_norm``.
    ``plain`` uses the textbook forms (``jax.nn.relu``, LayerNorm differentiated through
    its mean and variance) instead of the custom-derivative ones: same function, slower.
    """

    def __init__(self, hidden_size: int, hidden_layers: int, output_size: int,
                 activate_output: bool = True, layer_norm: bool = True, plain: bool = False,
                 name: str | None = None):
        super().__init__(name=name)
        self.sizes = [hidden_size] * hidden_layers + [output_size]
        self.activate_output = activate_output
        self.layer_norm = layer_norm
        self.plain = plain

    def _linear_params(self, index: int, in_size: int, dtype):
        out_size = self.sizes[index]
        w_init = hk.initializers.TruncatedNormal(stddev=1.0 / np.sqrt(in_size))
        w = hk.get_parameter(f"w_{index}", [in_size, out_size], dtype, init=w_init)
        b = hk.get_parameter(f"b_{index}", [out_size], dtype, init=jnp.zeros)
        return w, b

    def first_layer(self, in_size: int, dtype):
        """The first layer's weight (in_size, width) and bias, for a split application."""
        return self._linear_params(0, in_size, dtype)

    def _activate(self, index: int, x):
        last = index == len(self.sizes) - 1
        if last and not self.activate_output:
            return x
        return jax.nn.relu(x) if self.plain else relu(x)

    def finish(self, first_pre_activation, fold_affine: bool = False):
        """The rest of the MLP, given ``x @ w_0 + b_0`` of the first layer.

        With ``fold_affine`` (and ``layer_norm``) the result is an :class:`Affine` whose
        scale and offset are the LayerNorm's; otherwise a plain array.
        """
        h = self._activate(0, first_pre_activation)
        for index in range(1, len(self.sizes)):
            w, b = self._linear_params(index, h.shape[-1], h.dtype)
            h = self._activate(index, self._matmul(h, w) + b)
        if not self.layer_norm:
            return h
        width = h.shape[-1]
        scale = hk.get_parameter("ln_scale", [width], h.dtype, init=jnp.ones)
        offset = hk.get_parameter("ln_offset", [width], h.dtype, init=jnp.zeros)
        features = Affine(_normalize_forward(h)[0] if self.plain else _normalize(h), scale,
                          offset)
        return features if fold_affine else features.value()

    def __call__(self, x, fold_affine: bool = False):
        w, b = self.first_layer(x.shape[-1], x.dtype)
        return self.finish(self._matmul(x, w) + b, fold_affine)

    def _matmul(self, x, w):
        return x @ w if self.plain else dense(x, w)


def _gather(values, index):
    """values[index] with out-of-range (padding) indices clipped to the last row."""
    return jnp.take(values, index, axis=0, mode="clip")


def inverse_mean_degree(graph: Graph):
    """1 / (mean number of real edges per atom of this padded graph)."""
    n_nodes = graph.nodes.shape[0]
    n_real = jnp.sum((graph.senders < n_nodes).astype(graph.nodes.dtype))
    return n_nodes / jnp.maximum(n_real, 1.0)


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
    if config.decoder == "pair_force":
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
    missed, at the envelope's zero).

    Graph fields read: ``edges`` (E, 3) raw edge vectors r_j - r_i, ``nodes`` (N, n_species)
    one-hot species, ``velocity`` (N, 3) in the data's units, ``inverse_mass`` (N,) mean mass
    / mass, ``force_scale`` (scalar). Inputs are rotation invariants: the output rotates with
    the input.
    """
    n_nodes = graph.nodes.shape[0]
    real = graph.senders < n_nodes
    pair_species = (_gather(graph.nodes, graph.senders) + _gather(graph.nodes, graph.receivers))
    sizes = [config.hidden_size] * (config.mlp_hidden_layers + 1) + [1]
    force_mlp = hk.nets.MLP(sizes, activation=jax.nn.silu, name="pair_force")

    def acceleration(displacement):
        vectors = (graph.edges + _gather(displacement, graph.receivers)
                   - _gather(displacement, graph.senders))
        squared = jnp.sum(vectors * vectors, axis=-1)
        distance = jnp.sqrt(jnp.where(real, squared, 1.0))  # padding rows: a harmless 1
        features = jnp.concatenate(
            [radial_features(distance, config.radial_cutoff, config.radial_basis),
             pair_species], axis=-1)
        magnitude = (force_mlp(features)[:, 0]
                     * cosine_envelope(distance / config.radial_cutoff))
        push = jnp.where(real, magnitude / distance, 0.0)[:, None] * vectors
        force = jax.ops.segment_sum(push, graph.senders, num_segments=n_nodes)
        return graph.force_scale * graph.inverse_mass[:, None] * force

    dr, dv = velocity_verlet_increments(acceleration, graph.velocity, config.stride_time,
                                        config.substeps)
    return jnp.concatenate([dr, dv], axis=-1)


def make_network(config: NetworkConfig) -> hk.Transformed:
    """``init(rng, graph) -> params`` and ``apply(params, graph) -> (N, output_size)``."""
    return hk.without_apply_rng(hk.transform(lambda graph: ogn_forward(graph, config)))


def parameter_count(params) -> int:
    return int(sum(np.prod(leaf.shape) for leaf in jax.tree_util.tree_leaves(params)))
