"""Online standardization: running mean and variance of everything seen so far.

Each stream (node inputs, edge inputs, targets) keeps a :class:`RunningStats`: the number of
samples, their mean and the sum of squared deviations from the mean (``m2``), per feature.
A new batch is merged with Chan et al.'s parallel update (Welford's algorithm generalised to
batches), which stays accurate over billions of samples where naive sums of squares do not.

State is a NamedTuple of arrays (a pytree) and every function is pure. On the host the
arrays are float64 numpy (the training loop updates there); the same functions also run on
jax arrays inside jit (at JAX's default precision). The variance is the population variance
``m2 / count`` (numpy's ``var`` with ``ddof=0``). Before any sample is seen, ``mean = 0`` and
``std = 1`` (standardization is the identity).
"""

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

# Features that never vary (e.g. the one-hot species of a one-species system) have zero
# variance; their standardized value is 0 whatever this floor is.
MIN_STD = 1e-8


class RunningStats(NamedTuple):
    count: np.ndarray  # () samples seen
    mean: np.ndarray  # (D,)
    m2: np.ndarray  # (D,) sum of squared deviations from the mean


class Normalizer(NamedTuple):
    """Running statistics of the three streams the simulator standardizes."""

    nodes: RunningStats
    edges: RunningStats
    targets: RunningStats


def init_stats(dim: int) -> RunningStats:
    return RunningStats(count=np.zeros((), np.float64), mean=np.zeros(dim, np.float64),
                        m2=np.zeros(dim, np.float64))


def init_normalizer(node_dim: int, edge_dim: int = 3, target_dim: int = 6) -> Normalizer:
    return Normalizer(init_stats(node_dim), init_stats(edge_dim), init_stats(target_dim))


def _xp(*arrays):
    return np if all(isinstance(a, np.ndarray | np.generic | float | int) for a in arrays) else jnp


def update_stats(stats: RunningStats, values, weights=None) -> RunningStats:
    """Merge the samples ``values`` (..., D) into ``stats``.

    ``weights`` (...,) of 0/1 (optional) selects samples (e.g. real edges, not padding).
    Host numpy inputs are processed in float64.
    """
    xp = _xp(stats.mean, values)
    dim = stats.mean.shape[-1]
    if xp is np:
        values = np.asarray(values, dtype=np.float64)
    values = values.reshape(-1, dim)
    if weights is None:
        w = xp.ones(values.shape[0], dtype=values.dtype)
    else:
        w = weights.reshape(-1).astype(values.dtype)
    n_b = w.sum()
    safe_n_b = xp.maximum(n_b, 1)
    mean_b = (w[:, None] * values).sum(axis=0) / safe_n_b
    centered = (values - mean_b) * w[:, None]
    m2_b = (centered * (values - mean_b)).sum(axis=0)
    n_a = stats.count
    n = n_a + n_b
    safe_n = xp.maximum(n, 1)
    delta = mean_b - stats.mean
    mean = stats.mean + delta * (n_b / safe_n)
    m2 = stats.m2 + m2_b + delta * delta * (n_a * n_b / safe_n)
    return RunningStats(count=n, mean=mean, m2=m2)


def update_normalizer(normalizer: Normalizer, nodes, edges, targets,
                      edge_weights=None) -> Normalizer:
    """Merge one batch of node inputs, edge inputs (real edges only) and targets."""
    return Normalizer(update_stats(normalizer.nodes, nodes),
                      update_stats(normalizer.edges, edges, edge_weights),
                      update_stats(normalizer.targets, targets))


def mean_and_std(stats: RunningStats, min_std: float = MIN_STD):
    """Current mean and standard deviation (population), each (D,)."""
    xp = _xp(stats.mean)
    variance = stats.m2 / xp.maximum(stats.count, 1)
    std = xp.sqrt(xp.maximum(variance, 0.0))
    std = xp.where(stats.count > 0, xp.maximum(std, min_std), 1.0)
    return stats.mean, std


def variance(stats: RunningStats):
    xp = _xp(stats.mean)
    return stats.m2 / xp.maximum(stats.count, 1)


class Standardization(NamedTuple):
    """Means and standard deviations frozen for one use (a pytree to pass into jit)."""

    node_mean: jnp.ndarray
    node_std: jnp.ndarray
    edge_mean: jnp.ndarray
    edge_std: jnp.ndarray
    target_mean: jnp.ndarray
    target_std: jnp.ndarray


def standardization(normalizer: Normalizer, dtype=np.float32) -> Standardization:
    """Mean/std of every stream, computed in float64 and cast to ``dtype``."""
    node_mean, node_std = mean_and_std(normalizer.nodes)
    edge_mean, edge_std = mean_and_std(normalizer.edges)
    target_mean, target_std = mean_and_std(normalizer.targets)
    cast = (lambda a: np.asarray(a, dtype=dtype)) if dtype is not None else (lambda a: a)
    return Standardization(cast(node_mean), cast(node_std), cast(edge_mean), cast(edge_std),
                           cast(target_mean), cast(target_std))


def standardize(values, mean, std):
    return (values - mean) / std


def unstandardize(values, mean, std):
    return values * std + mean
