"""A tabulated learned pair force evaluated on the dense neighbour-list layout, as MD evaluates
its potentials: the same model, several times cheaper per force evaluation than on the graph's
edge list.

The graph network's edge layout (one row per directed edge, sums by ``segment_sum``) serves
every decoder, but once a learned pair force is tabulated (:mod:`ogn.net.tables`) the model
is a pair potential in all but name, and the layout that MD's potentials use fits it better:
row i of an (N, K) table lists atom i's neighbours (padded with N), the per-atom sums are row
reductions (no scatter), the coordinates are handled one axis at a time, and the rows are
evaluated block by block (:func:`ogn.md.neighbors.map_row_blocks`) so that the temporaries stay
in cache. At 10,000 atoms at silica's density (190 neighbours within 8.8 A) one evaluation
costs 2.6-2.8x less than on the edge list, on one core of a 2-core AMD EPYC.

The physics is that of :func:`ogn.net.decoders.pair_force_increments` term by term: the
force on atom i is ``s sum_j f(|r_ij|; s_i, s_j) u_ij`` (f the cubic Hermite table of the
ordered species pair, plus the fixed core of :mod:`ogn.net.core` where the model has one),
the acceleration ``s (m_mean / m_i) F_i``, and the stride ``substeps`` velocity-Verlet steps
of ``stride_time / substeps``, all in the data's units and in the network's float32. The
forces are those of the neighbour rows handed in: with rows within the graph cutoff at the
stride's start (skin 0, as the edge layout), a pair entering the cutoff during the stride is
missed, at the table's zero, exactly as on the edge list.

Only the pair-force decoder with tables has this path (:func:`row_layout_problem` says why
another model has not): the energy decoder's angular terms and the MLPs need the graph.
"""

from collections.abc import Callable
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from ogn.md.neighbors import map_row_blocks
from ogn.md.potentials.lj import row_displacement_components
from ogn.net.core import core_force
from ogn.net.decoders import velocity_verlet_increments
from ogn.net.simulator import rms_std
from ogn.net.tables import PAIR_TABLE, pair_table_in_use

ROWS_PER_BLOCK = 64  # 10,000 atoms, 190 neighbours, one core: 32, 64 and 256 rows within 6 %


class RowForceField(NamedTuple):
    """The constants of one model's learned pair force: arrays from its parameters (jax,
    traced inside jit) and numbers from its NetworkConfig."""

    values: jnp.ndarray  # (S^2 M,) f at the M grid points of each ordered species pair
    slopes: jnp.ndarray  # (S^2 M,) df/dr there
    points: int  # M
    cutoff: float  # the table's last point (the graph cutoff), length unit
    core_radii: np.ndarray | None  # (S^2,) core radius per ordered species pair, or None
    force_scale: jnp.ndarray  # the force unit: the velocity change's scale over the stride
    inverse_mass: np.ndarray  # (S,) mean mass / mass
    stride_time: float  # k dt, the data's time unit
    substeps: int
    n_species: int
    # the learned embedding (ogn.net.embedding), or None: the density table g (values and
    # slopes, (S^2 M,) like the pair force's), the embedding's coefficients (S, order) and
    # the densities' standardisation (mean, standard deviation)
    density_values: jnp.ndarray | None = None
    density_slopes: jnp.ndarray | None = None
    embedding_coefficients: jnp.ndarray | None = None
    embedding_density: tuple = (0.0, 1.0)


def row_layout_problem(config) -> str | None:
    """Why a model of ``config`` (NetworkConfig) has no dense-row path, or None if it has."""
    if config.decoder != "pair_force":
        return (f"the {config.decoder} decoder is evaluated on the graph (only the pair-force "
                "decoder is a pair potential)")
    if not config.tabulated:
        return "its pair force is an MLP (tabulate it: model.options.tabulate or ogn tabulate)"
    return None


def row_force_field(config, params, standard, n_species: int) -> RowForceField:
    """The :class:`RowForceField` of a tabulated pair-force model (its NetworkConfig, trained
    parameters and Standardization; the last two may be traced)."""
    problem = row_layout_problem(config)
    if problem is not None:
        raise ValueError(f"no dense-row evaluation for this model: {problem}")
    table = pair_table_in_use(params["~"][PAIR_TABLE], config.radial_cutoff,
                              config.table_slopes_from_values,
                              config.core_radii)  # (S^2, M, 1, 2)
    masses = np.asarray(config.species_masses, np.float64)
    radii = (np.asarray(config.core_radii, np.float32).reshape(-1) if config.core_radii
             else None)
    embedding = {}
    if config.embedding:
        from ogn.net.embedding import COEFFICIENTS, DENSITY_TABLE
        from ogn.net.tables import radial_table_in_use

        density = radial_table_in_use(params["~"][DENSITY_TABLE], config.radial_cutoff,
                                      config.table_slopes_from_values)
        embedding = dict(
            density_values=density[:, :, 0, 0].reshape(-1),
            density_slopes=density[:, :, 0, 1].reshape(-1),
            embedding_coefficients=params["~"][COEFFICIENTS],
            embedding_density=tuple(config.embedding_density))
    return RowForceField(
        values=table[:, :, 0, 0].reshape(-1), slopes=table[:, :, 0, 1].reshape(-1),
        points=int(table.shape[1]), cutoff=float(config.radial_cutoff), core_radii=radii,
        force_scale=rms_std(standard.target_std[3:]) / config.stride_time,
        inverse_mass=(masses.mean() / masses).astype(np.float32),
        stride_time=float(config.stride_time), substeps=int(config.substeps),
        n_species=int(n_species), **embedding)


def make_row_forces(field: RowForceField, species, box,
                    rows_per_block: int = ROWS_PER_BLOCK) -> Callable:
    """``forces(position, neighbor_idx, limit_sq=None) -> (F, close)``: the learned pair
    forces (N, 3) in units of ``field.force_scale`` on the atoms of ``species`` (N,) int at
    ``position`` (N, 3) from
    the pairs of ``neighbor_idx`` (N, K) (padding N), and whether some pair within the cutoff
    is closer than its squared limit ``limit_sq`` ((S^2,) per ordered species pair; None:
    False). Jit-traceable; computes in the dtype of ``position``."""
    n_species = field.n_species
    spacing = field.cutoff / (field.points - 1)
    last = field.points - 1.0
    embedded = field.density_values is not None
    if embedded:
        embedding_slope = embedding_derivative(field, species)

    def locate(r):
        """The table interval and the position t in it of each distance."""
        grid = jnp.clip(r / spacing, 0.0, last)
        left = jnp.minimum(jnp.floor(grid).astype(jnp.int32), field.points - 2)
        return left, grid - left

    def forces(position, neighbor_idx, limit_sq=None):
        dtype = position.dtype
        box_ = jnp.asarray(box, dtype) * jnp.ones(3, dtype)
        values = jnp.asarray(field.values, dtype)
        slopes = jnp.asarray(field.slopes, dtype)
        species_row = jnp.asarray(species, jnp.int32)
        species_padded = jnp.concatenate([species_row, jnp.zeros((1,), jnp.int32)])
        radii = None if field.core_radii is None else jnp.asarray(field.core_radii, dtype)
        if embedded:  # first pass: every atom's density, then F'(rho) (ogn.net.embedding)
            g_values = jnp.asarray(field.density_values, dtype)
            g_slopes = jnp.asarray(field.density_slopes, dtype)

            def held(r, pair):  # closer than the core radius, g is held at its value there
                return r if radii is None else jnp.maximum(r, radii[pair])

            def density_rows(rows, idx):
                _, r, mask = row_displacement_components(position, rows, idx, box_)
                pair = species_row[rows][:, None] * n_species + species_padded[idx]
                left, t = locate(held(r, pair))
                g, _ = hermite_rows(g_values, g_slopes, pair * field.points + left, t,
                                    spacing)
                return jnp.sum(jnp.where(mask & (r < field.cutoff), g, 0.0), axis=1)

            rho = map_row_blocks(density_rows, neighbor_idx, rows_per_block)
            slope_of_f = jnp.concatenate([embedding_slope(rho).astype(dtype),
                                          jnp.zeros((1,), dtype)])

        def row_terms(rows, idx):
            (dx, dy, dz), r, mask = row_displacement_components(position, rows, idx, box_)
            pair = species_row[rows][:, None] * n_species + species_padded[idx]
            # the cubic Hermite table of ogn.net.tables.hermite, one axis at a time
            left, t = locate(r)
            f, _ = hermite_rows(values, slopes, pair * field.points + left, t, spacing,
                                slope=False)
            if embedded:  # F'(rho_i) g'_ij + F'(rho_j) g'_ji along u_ij
                reverse = species_padded[idx] * n_species + species_row[rows][:, None]
                reach = held(r, pair)
                left_g, t_g = locate(reach)
                _, g_ij = hermite_rows(g_values, g_slopes, pair * field.points + left_g, t_g,
                                       spacing)
                _, g_ji = hermite_rows(g_values, g_slopes, reverse * field.points + left_g,
                                       t_g, spacing)
                moving = reach == r  # below the core radius g is constant
                f = f + jnp.where(moving, slope_of_f[rows][:, None] * g_ij
                                  + slope_of_f[idx] * g_ji, 0.0)
            within = mask & (r < field.cutoff)
            f = jnp.where(within, f, 0.0)
            if radii is not None:
                f = f + jnp.where(mask, core_force(r, radii[pair]), 0.0)
            g = f / r
            force = jnp.stack([jnp.sum(g * dx, axis=1), jnp.sum(g * dy, axis=1),
                               jnp.sum(g * dz, axis=1)], axis=-1)
            if limit_sq is None:
                close = jnp.zeros(rows.shape, bool)
            else:
                close = jnp.any(within & (r * r < jnp.asarray(limit_sq, dtype)[pair]), axis=1)
            return force, close

        force, close = map_row_blocks(row_terms, neighbor_idx, rows_per_block)
        return force, jnp.any(close)

    return forces


def hermite_rows(values, slopes, base, t, spacing: float, slope: bool = True):
    """The cubic Hermite interpolant of ``values`` and ``slopes`` (flat tables) between the
    samples ``base`` and ``base + 1`` at the fraction ``t`` of the interval, and its
    derivative by distance (None without ``slope``)."""
    t2 = t * t
    t3 = t2 * t
    v0, v1 = values[base], values[base + 1]
    s0, s1 = spacing * slopes[base], spacing * slopes[base + 1]
    value = ((2 * t3 - 3 * t2 + 1) * v0 + (t3 - 2 * t2 + t) * s0
             + (-2 * t3 + 3 * t2) * v1 + (t3 - t2) * s1)
    if not slope:
        return value, None
    derivative = ((6 * t2 - 6 * t) * v0 + (3 * t2 - 4 * t + 1) * s0
                  + (6 * t - 6 * t2) * v1 + (3 * t2 - 2 * t) * s1) / spacing
    return value, derivative


def embedding_derivative(field: RowForceField, species) -> Callable:
    """``slope(rho)`` (N,): dE_emb / d rho_i of every atom for the densities ``rho`` (N,) of
    the learned embedding :mod:`ogn.net.embedding` (its standardisation included)."""
    import jax

    from ogn.net.embedding import embedding_function

    species = jnp.asarray(species, jnp.int32)

    def total(rho):
        mean, std = field.embedding_density
        coefficients = jnp.asarray(field.embedding_coefficients, rho.dtype)[species]
        return jnp.sum(embedding_function(coefficients, rho - mean / std))

    return jax.grad(total)


def make_row_stride(field: RowForceField, species, box,
                    rows_per_block: int = ROWS_PER_BLOCK) -> Callable:
    """``stride(position, velocity, neighbor_idx, limit_sq=None) -> (dr, dv, close)``: the
    model's increments over one stride from ``position`` (wrapped) and ``velocity`` (data
    units), ``substeps + 1`` force evaluations, as
    :func:`ogn.net.decoders.velocity_verlet_increments`; ``close``: some pair within the cutoff
    closer than its limit at the stride's start (see :func:`make_row_forces`)."""
    forces = make_row_forces(field, species, box, rows_per_block)
    inverse_mass = jnp.asarray(field.inverse_mass)[jnp.asarray(species, jnp.int32)]

    def stride(position, velocity, neighbor_idx, limit_sq=None):
        dtype = position.dtype
        scale = (jnp.asarray(field.force_scale, dtype)
                 * jnp.asarray(inverse_mass, dtype)[:, None])
        closes = []  # the close-pair flag of the first evaluation: the stride's start

        def acceleration(displacement):
            force, close = forces(position + displacement, neighbor_idx,
                                  None if closes else limit_sq)
            closes.append(close)
            return scale * force

        dr, dv = velocity_verlet_increments(acceleration, velocity, field.stride_time,
                                            field.substeps)
        return dr, dv, closes[0]

    return stride
