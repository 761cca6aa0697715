"""The network's building blocks: ReLU and LayerNorm with hand-written derivatives, the
dense product whose weight gradient runs in :mod:`ogn.net.kernels`, the folded affine map of
a LayerNorm, and the MLP that the network is made of."""

from typing import NamedTuple

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np

from ogn.net.kernels import weight_gradient
from ogn.net.structures import Graph

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
    over the rows in :func:`ogn.net.kernels.weight_gradient` (a C++ kernel on a CPU: for the
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
