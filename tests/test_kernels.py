"""The C++ weight-gradient kernel (ogn.net.kernels) against numpy, and the model with and without it."""

import shutil

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ogn.net import kernels
from ogn.net.layers import dense

needs_compiler = pytest.mark.skipif(
    not (shutil.which("g++") or shutil.which("c++")),
    reason="no C++ compiler: ogn.net.kernels falls back to XLA's product")


@needs_compiler
def test_kernel_builds_and_registers():
    assert kernels.cpu_kernel_available()


@needs_compiler
@pytest.mark.parametrize("rows, m, n", [(37_704, 64, 64), (4097, 64, 64), (100, 128, 64),
                                        (7, 8, 32), (0, 64, 64)])
def test_kernel_equals_float64_product(rows, m, n):
    rng = np.random.default_rng(rows + m)
    x = rng.normal(size=(rows, m)).astype(np.float32)
    g = rng.normal(size=(rows, n)).astype(np.float32)
    assert kernels.kernel_applies(jnp.asarray(x), jnp.asarray(g))
    result = np.asarray(jax.jit(kernels.weight_gradient)(x, g))
    exact = x.astype(np.float64).T @ g.astype(np.float64)
    scale = max(float(np.abs(exact).max()), 1.0)
    # float32 sums of up to 37,704 products of unit normals: 2e-6 of the largest entry
    assert result.shape == (m, n)
    assert np.abs(result - exact).max() <= 2e-6 * scale


@needs_compiler
def test_kernel_is_deterministic_and_batches():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 9000, 64)).astype(np.float32)
    g = rng.normal(size=(3, 9000, 64)).astype(np.float32)
    batched = jax.jit(jax.vmap(kernels.weight_gradient))
    first, second = np.asarray(batched(x, g)), np.asarray(batched(x, g))
    assert np.array_equal(first, second)
    exact = np.einsum("bki,bkj->bij", x.astype(np.float64), g.astype(np.float64))
    assert np.abs(first - exact).max() <= 2e-6 * np.abs(exact).max()


def test_widths_the_kernel_does_not_take_use_xlas_product():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(500, 3)).astype(np.float32)  # the edge encoder's 3 inputs
    g = rng.normal(size=(500, 64)).astype(np.float32)
    assert not kernels.kernel_applies(jnp.asarray(x), jnp.asarray(g))
    result = np.asarray(jax.jit(kernels.weight_gradient)(x, g))
    np.testing.assert_allclose(result, x.T @ g, rtol=1e-5, atol=1e-4)


def test_dense_gradients_equal_autodiff_of_the_product():
    rng = np.random.default_rng(3)
    x = jnp.asarray(rng.normal(size=(5000, 64)), jnp.float32)
    w = jnp.asarray(rng.normal(size=(64, 64)) / 8, jnp.float32)

    def loss(function):
        return lambda x, w: jnp.sum(jnp.tanh(function(x, w)) ** 2)

    ours = jax.jit(jax.grad(loss(dense), argnums=(0, 1)))(x, w)
    plain = jax.jit(jax.grad(loss(jnp.matmul), argnums=(0, 1)))(x, w)
    for a, b in zip(ours, plain, strict=True):
        assert np.abs(np.asarray(a) - np.asarray(b)).max() <= 2e-6 * np.abs(np.asarray(b)).max()
