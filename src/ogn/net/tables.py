"""The learned functions of one distance, tabulated: a trained learned-force model whose
pair force f(r; species pair) and three-body radial channels R_c(r; s_i, s_j) are cubic
Hermite tables instead of MLPs, so that one force evaluation costs what a tabulated
potential costs (tens of operations per edge, against the MLP's ten thousand).

Each function is sampled with its derivative (forward-mode through the MLP) at ``points``
evenly spaced distances from 0 to its cutoff and interpolated by the cubic Hermite polynomial
of the two nearest samples: continuous with a continuous derivative, so the tabulated force
is still the gradient of an energy (momentum and rotation as before), and its error falls as
the spacing to the fourth power down to the float32 rounding of the tables: 1024 points are
as good as more (silicon's one-step test loss: 256 and 1024 points as the MLPs' to 4
digits, 4096 0.6 % higher). Beyond the cutoff the table is 0 (the envelope's zero). The
repulsive core (:mod:`ogn.net.core`) stays analytic.

``NetworkConfig.tabulated`` > 0 selects the tables (the decoders read parameters
``pair_force_table`` (S^2, points, 1, 2) and ``three_body_radial_table`` (S^2, points, C, 2),
values and derivatives per ordered species pair s_i S + s_j); :func:`tabulated_model` turns
trained MLP parameters into them. With ``model.options.learned_tables`` the tables are the
parameters trained (begun from an untrained MLP's, :func:`tabulated_model`); the decoders
read them through :func:`pair_table_in_use` and :func:`radial_table_in_use`, which hold the
laws a free table could break: the pair force the same for both orders of a species pair
(Newton's third law) and every function 0 in value and slope at its cutoff. A table sampled
from an MLP has both already and passes through unchanged, bit for bit.
"""

import haiku as hk
import jax
import jax.numpy as jnp
import numpy as np

from ogn.net.structures import Graph, NetworkConfig

PAIR_TABLE = "pair_force_table"
RADIAL_TABLE = "three_body_radial_table"
TABULATED_DECODERS = ("pair_force", "energy")


def hermite(table, pair, distance, cutoff: float):
    """(E, C) the tabulated functions at ``distance`` (E,) for the species pairs ``pair`` (E,)
    int, from ``table`` (P, M, C, 2) of values and derivatives at M distances evenly spaced
    on [0, cutoff]; 0 at and beyond the cutoff."""
    points = table.shape[1]
    spacing = cutoff / (points - 1)
    position = jnp.clip(distance / spacing, 0.0, points - 1.0)
    left = jnp.minimum(jnp.floor(position).astype(jnp.int32), points - 2)
    t = (position - left)[:, None]
    lower, upper = table[pair, left], table[pair, left + 1]  # (E, C, 2)
    t2, t3 = t * t, t * t * t
    value = ((2 * t3 - 3 * t2 + 1) * lower[..., 0] + (t3 - 2 * t2 + t) * spacing * lower[..., 1]
             + (-2 * t3 + 3 * t2) * upper[..., 0] + (t3 - t2) * spacing * upper[..., 1])
    return jnp.where((distance < cutoff)[:, None], value, 0.0)


def pair_table_in_use(table, cutoff: float, slopes_from_values: bool = False,
                      core_radii: tuple = ()):
    """The pair-force table (S^2, M, 1, 2) as the force reads it: the mean of each species
    pair's two orders (rows s_i S + s_j and s_j S + s_i), so that the force on i from j is
    minus the force on j from i and total momentum is exact whatever the parameters; then
    :func:`radial_table_in_use`, and with ``core_radii`` (S, S) :func:`wall_continued`."""
    table = jnp.asarray(table)
    n_species = int(round(np.sqrt(table.shape[0])))
    swapped = np.array([j * n_species + i for i in range(n_species) for j in range(n_species)])
    table = radial_table_in_use(0.5 * (table + table[swapped]), cutoff, slopes_from_values)
    return wall_continued(table, cutoff, core_radii) if core_radii else table


WALL_REACH = 0.03  # the wall's log-slope is read over this fraction of the core radius
WALL_GROWTH_LIMIT = 10.0  # the continued wall grows by at most e^this


def wall_continued(table, cutoff: float, core_radii: tuple):
    """A pair-force table (S^2, M, 1, 2) whose samples closer than their species pair's core
    radius r0 (:mod:`ogn.net.core`) continue the learned force as an exponential wall.

    Closer than the closest training pair, a learned table holds what it began with (an
    untrained MLP's values, which may attract) plus the little that smoothness gives it, and
    a close pair meets no wall: Kob-Andersen's learned tables turn attractive just below the
    shortest training distance, and rollouts end in an energy jump. Below r0 each sample
    becomes ``f(r) = f0 exp(kappa (r1 - r))``, f0 the learned force at r1 (the first sample
    at or beyond r0), kappa the force's logarithmic slope read from f0 and the sample
    WALL_REACH r0 further out, ``ln(f0 / f(r1 + WALL_REACH r0)) / (WALL_REACH r0)`` where both
    repel (else 0: the force is held at f0), the growth capped at e^WALL_GROWTH_LIMIT: a
    Born-Mayer wall that meets the learned force at r1 with its value and steepness. The
    slopes follow (``-kappa f``). A table is continued from its samples at and beyond r0
    alone, so continuing it twice changes nothing (model files hold it continued), and
    being a function of distance per unordered species pair it keeps the force conservative
    and momentum exact."""
    table = jnp.asarray(table)
    pairs, points = table.shape[0], table.shape[1]
    radii = np.asarray(core_radii, np.float64).reshape(-1)
    if radii.shape[0] != pairs or not np.any(radii > 0):
        return table
    spacing = cutoff / (points - 1)
    grid = np.arange(points) * spacing
    values, slopes = table[..., 0], table[..., 1]  # (P, M, C)
    first = np.minimum(np.ceil(radii / spacing - 1e-9).astype(int), points - 2)
    reach = np.maximum(np.round(WALL_REACH * radii / spacing).astype(int), 1)
    outer = np.minimum(first + reach, points - 1)
    rows = np.arange(pairs)
    f0, f1 = values[rows, first], values[rows, outer]  # (P, C)
    repels = (f0 < f1) & (f1 < 0)
    ratio = jnp.where(repels, f0 / jnp.where(repels, f1, -1.0), 1.0)  # > 1 where it repels
    steepness = jnp.log(ratio) / ((outer - first) * spacing)[:, None]
    depth = np.maximum(grid[first][:, None] - grid[None, :], 0.0)  # (P, M): r1 - r
    below = jnp.asarray((grid[None, :] < grid[first][:, None]) & (radii[:, None] > 0))
    growth = jnp.exp(jnp.minimum(steepness[:, None, :] * depth[:, :, None], WALL_GROWTH_LIMIT))
    wall = f0[:, None, :] * growth
    values = jnp.where(below[..., None], wall, values)
    slopes = jnp.where(below[..., None], -steepness[:, None, :] * wall, slopes)
    return jnp.stack([values, slopes], axis=-1)


def radial_table_in_use(table, cutoff: float, slopes_from_values: bool = False):
    """A table (P, M, C, 2) on [0, ``cutoff``] with value and slope 0 at its last sample, the
    cutoff, so that the function it holds goes to 0 smoothly there as the MLP's envelope
    makes it; with ``slopes_from_values``, every other slope is the central difference of the
    values beside it (one-sided at 0): a Catmull-Rom spline of the values."""
    table = jnp.asarray(table)
    values = table[..., 0].at[:, -1].set(0.0)
    if not slopes_from_values:
        return jnp.stack([values, table[..., 1].at[:, -1].set(0.0)], axis=-1)
    spacing = cutoff / (table.shape[1] - 1)
    slopes = jnp.concatenate([(values[:, 1:2] - values[:, :1]) / spacing,
                              (values[:, 2:] - values[:, :-2]) / (2.0 * spacing),
                              jnp.zeros_like(values[:, :1])], axis=1)
    return jnp.stack([values, slopes], axis=-1)


def tables_in_use(config: NetworkConfig, params) -> dict:
    """``params`` with its tables replaced by what the decoders read from them
    (:func:`pair_table_in_use`, :func:`radial_table_in_use`), for a model file: learned
    tables are written with the symmetry, the zero at the cutoff and the slopes they were
    trained with, so that the file's model (``table_slopes_from_values`` False) is the one
    trained."""
    tables = dict(params["~"])
    from ogn.net.embedding import DENSITY_TABLE

    if DENSITY_TABLE in tables:
        tables[DENSITY_TABLE] = radial_table_in_use(tables[DENSITY_TABLE], config.radial_cutoff,
                                                    config.table_slopes_from_values)
    if PAIR_TABLE in tables:
        tables[PAIR_TABLE] = pair_table_in_use(tables[PAIR_TABLE], config.radial_cutoff,
                                               config.table_slopes_from_values,
                                               config.core_radii)
    if RADIAL_TABLE in tables:
        tables[RADIAL_TABLE] = radial_table_in_use(tables[RADIAL_TABLE],
                                                   config.three_body_cutoff,
                                                   config.table_slopes_from_values)
    return {**params, "~": tables}


def table_roughness(params):
    """The mean over every learned table (species pair, channel) and interior sample of the
    squared second difference of the values, v[i-1] - 2 v[i] + v[i+1], in the tables' own
    units (0 for a model without tables). A straight line scores 0; a function with the
    curvature f'' scores (f'' h^2)^2 at spacing h. Added to the training loss times
    ``model.options.table_smoothness``, it gives the values that the data barely reach (the
    few closest pairs, the far tail) a smooth continuation of their neighbours instead of
    the noise of a few gradients."""
    from ogn.net.embedding import DENSITY_TABLE

    tables = [params.get("~", {}).get(name) for name in (PAIR_TABLE, RADIAL_TABLE,
                                                          DENSITY_TABLE)]
    terms = [jnp.mean(jnp.square(t[:, :-2, :, 0] - 2.0 * t[:, 1:-1, :, 0] + t[:, 2:, :, 0]))
             for t in tables if t is not None]
    return sum(terms) if terms else jnp.zeros(())


def species_pair_index(sender_species, receiver_species):
    """(E,) s_i S + s_j of the one-hot species rows of each edge's ends."""
    n_species = sender_species.shape[-1]
    return (jnp.argmax(sender_species, axis=-1) * n_species
            + jnp.argmax(receiver_species, axis=-1)).astype(jnp.int32)


def table_parameter(name: str, n_species: int, points: int, channels: int, dtype):
    """The table parameter ``name`` (S^2, points, channels, 2) (inside ``hk.transform``)."""
    return hk.get_parameter(name, (n_species * n_species, points, channels, 2), dtype,
                            init=jnp.zeros)


def sampled_functions(config: NetworkConfig, params, n_species: int, points: int):
    """{table name: (S^2, points, C, 2) float64 array} of the learned functions of distance of
    the MLP parameters ``params`` of a model of shape ``config`` (pair force; with the energy
    decoder also the three-body radial channels), values and derivatives by distance."""
    from ogn.net.decoders import pair_force_magnitude
    from ogn.net.embedding import DENSITY_TABLE, density_function
    from ogn.net.energy import three_body_radial

    pairs = [(i, j) for i in range(n_species) for j in range(n_species)]
    identity = jnp.eye(n_species, dtype=jnp.float32)
    untabled = config._replace(core_radii=(), tabulated=0)
    tables = {}
    for name, cutoff in ((PAIR_TABLE, config.radial_cutoff),
                         (RADIAL_TABLE, config.three_body_cutoff),
                         (DENSITY_TABLE, config.radial_cutoff)):
        if ((name == RADIAL_TABLE and config.decoder != "energy")
                or (name == DENSITY_TABLE and not config.embedding)):
            continue
        grid = np.linspace(0.0, cutoff, points)
        # one edge per (species pair, grid point): the pairs' rows, each repeated per point
        senders = jnp.asarray(np.repeat([i for i, _ in pairs], points), jnp.int32)
        receivers = jnp.asarray(np.repeat([j for _, j in pairs], points), jnp.int32)

        def at(distance, name=name, senders=senders, receivers=receivers):
            if name == RADIAL_TABLE:
                return three_body_radial(untabled, jnp.concatenate(
                    [identity[senders], identity[receivers]], axis=-1))(distance)
            graph = Graph(nodes=identity, edges=jnp.zeros((senders.shape[0], 3)),
                          senders=senders, receivers=receivers)
            if name == DENSITY_TABLE:
                return density_function(graph, untabled)(distance)[:, None]
            return pair_force_magnitude(graph, untabled)(distance)[:, None]

        apply = hk.without_apply_rng(hk.transform(at)).apply
        distance = jnp.asarray(np.tile(grid, len(pairs)), jnp.float32)
        value, slope = jax.jit(lambda d, apply=apply: jax.jvp(
            lambda x: apply(params, x), (d,), (jnp.ones_like(d),)))(distance)
        table = np.stack([np.asarray(value, np.float64), np.asarray(slope, np.float64)],
                         axis=-1).reshape(len(pairs), points, -1, 2)
        table[:, -1] = 0.0  # the envelope's zero at the cutoff, value and slope
        tables[name] = table
    return tables


def tabulated_model(config: NetworkConfig, params, n_species: int, points: int):
    """(NetworkConfig, params) of the same model with its learned functions of distance as
    tables of ``points`` samples (:mod:`ogn.net.tables`); the parameters of those MLPs are
    dropped, the others (the angular weights) kept."""
    if config.decoder not in TABULATED_DECODERS or (
            config.decoder == "energy" and config.pair_term != "force"):
        raise ValueError("only learned pair forces and the energy decoder with pair_term: "
                         "force are tabulated (the others read message passing or a pair "
                         "energy's gradient)")
    if points < 16:
        raise ValueError(f"model.options.tabulate = {points}: use at least 16 points (e.g. "
                         "1024)")
    tables = sampled_functions(config, params, n_species, points)
    kept = {module: dict(leaves) for module, leaves in params.items()
            if not module.startswith(("pair_force/", "three_body_radial/",
                                      "embedding_density/"))}
    kept.setdefault("~", {}).update({name: jnp.asarray(table, jnp.float32)
                                     for name, table in tables.items()})
    return config._replace(tabulated=int(points)), kept
