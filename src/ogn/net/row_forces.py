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

The energy decoder with tables (:mod:`ogn.net.energy`, its pair term a learned force) has
this path too: its pair force as above, and its angular energy ``sum_i sum_c sum_l w S_icl``
from the moments ``M_icl = sum_j R_c(r_ij) u_ij^(l)`` as row sums over a second, shorter list
of rows within the three-body cutoff (the way our Stillinger-Weber regroups its triplets,
:mod:`ogn.md.potentials.sw`), with the second moment's six independent components instead
of nine. Its force, ``-rc dE/dr``, is derived explicitly, as SW's is (the reaction on each
neighbour one segment sum). Unlike the edge list, whose angular terms read the
edges within the three-body cutoff and a margin at the stride's start, the rows read every
pair within the cutoff at each substep: the same energy, continuous where a pair crosses the
cutoff (the tables' zero).

:func:`row_layout_problem` says why another model has no row path: the MLPs need the graph.
"""

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ogn.md.neighbors import map_row_blocks
from ogn.md.potentials.lj import row_displacement_components
from ogn.net.core import core_force
from ogn.net.simulator import rms_std
from ogn.net.tables import PAIR_TABLE, pair_table_in_use

ROWS_PER_BLOCK = 64  # 10,000 atoms, 190 neighbours, one core: 32, 64 and 256 rows within 6 %
ROW_ANGULAR_ORDERS = (0, 1, 2)  # powers of cos(theta) the rows' angular energy holds


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
    # the energy decoder's angular terms (ogn.net.energy), or None: the radial channels'
    # table (values and slopes, (S^2 M3, C)), its points M3 and cutoff, the weights
    # (S, C, order + 1) and the factor of the force, -energy_scale dE/dr
    radial_values: jnp.ndarray | None = None
    radial_slopes: jnp.ndarray | None = None
    radial_points: int = 0
    three_body_cutoff: float = 0.0
    angular_weights: jnp.ndarray | None = None
    three_body_order: int = 0
    energy_scale: float = 1.0


def row_layout_problem(config) -> str | None:
    """Why a model of ``config`` (NetworkConfig) has no dense-row path, or None if it has."""
    if config.decoder not in ("pair_force", "energy"):
        return (f"the {config.decoder} decoder is evaluated on the graph (only the learned "
                "forces are potentials)")
    if config.decoder == "energy" and config.pair_term != "force":
        return ("its pair term is an energy MLP (pair_term: force makes it a force that "
                "tables hold)")
    if config.decoder == "energy" and config.three_body_order not in ROW_ANGULAR_ORDERS:
        return (f"its angular terms reach cos(theta)^{config.three_body_order}; the rows "
                f"hold powers up to {max(ROW_ANGULAR_ORDERS)}")
    if not config.tabulated:
        if config.decoder == "pair_force":
            return ("its pair force is an MLP (tabulate it: model.options.tabulate or "
                    "ogn tabulate)")
        return ("its learned functions are MLPs (tabulate them: model.options.tabulate or "
                "ogn tabulate)")
    return None


def has_angular_terms(field: "RowForceField") -> bool:
    """Whether the field holds the energy decoder's angular terms (and so reads a second
    list of rows, within its three-body cutoff)."""
    return field.radial_values is not None


def row_force_field(config, params, standard, n_species: int) -> RowForceField:
    """The :class:`RowForceField` of a tabulated learned-force model (its NetworkConfig,
    trained parameters and Standardization; the last two may be traced)."""
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
    angular = {}
    if config.decoder == "energy":
        from ogn.net.tables import RADIAL_TABLE, radial_table_in_use

        radial = radial_table_in_use(params["~"][RADIAL_TABLE], config.three_body_cutoff,
                                     config.table_slopes_from_values)  # (S^2, M3, C, 2)
        channels = int(radial.shape[2])
        angular = dict(
            radial_values=radial[..., 0].reshape(-1, channels),
            radial_slopes=radial[..., 1].reshape(-1, channels),
            radial_points=int(radial.shape[1]),
            three_body_cutoff=float(config.three_body_cutoff),
            angular_weights=params["~"]["three_body_weights"],
            three_body_order=int(config.three_body_order),
            energy_scale=float(config.radial_cutoff))
    return RowForceField(
        values=table[:, :, 0, 0].reshape(-1), slopes=table[:, :, 0, 1].reshape(-1),
        points=int(table.shape[1]), cutoff=float(config.radial_cutoff), core_radii=radii,
        force_scale=rms_std(standard.target_std[3:]) / config.stride_time,
        inverse_mass=(masses.mean() / masses).astype(np.float32),
        stride_time=float(config.stride_time), substeps=int(config.substeps),
        n_species=int(n_species), **embedding, **angular)


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


def make_row_angular_forces(field: RowForceField, species, box,
                            rows_per_block: int = ROWS_PER_BLOCK) -> Callable:
    """``forces(position, three_body_idx) -> (N, 3)``: the force of the energy decoder's
    angular energy (:func:`ogn.net.energy.angular_energy`, ``sum_i sum_c sum_l w S_icl``,
    its moments as row sums over ``three_body_idx``), ``-field.energy_scale dE/dr``, in units
    of ``field.force_scale``. Jit-traceable; computes in the dtype of ``position``.

    The derivatives are explicit, as in our Stillinger-Weber (autodiff of the row energy
    cost about twice as much at 10,000 silicon atoms, most of it in the gathers'
    transposes). Per row entry j of
    atom i, with the moments M of atom i, ``dE_i/dR_c(r_ij) = 2 (w0 M0 + w1 M1.u + w2 u.M2 u)``
    and ``dE_i/du = sum_c R_c (2 w1 M1 + 4 w2 M2 u)``; their sum along and across u gives
    G_ij = dE_i/d(r_j - r_i). Atom i is pushed by the sum of its G_ij, and each neighbour j by
    -G_ij (one segment sum over the rows)."""
    step = _angular_row_terms(field, species, box)

    def forces(position, three_body_idx):
        dtype = position.dtype
        n_atoms = position.shape[0]

        def row_gradients(rows, idx):
            return step(position, rows, idx)

        pushes = map_row_blocks(row_gradients, three_body_idx, rows_per_block)  # (N, K3, 3)
        segments = three_body_idx.reshape(-1)
        own = jnp.sum(pushes, axis=1)
        reaction = jnp.stack([jax.ops.segment_sum(pushes[..., axis].reshape(-1), segments,
                                                  num_segments=n_atoms + 1)[:n_atoms]
                              for axis in range(3)], axis=-1)
        return jnp.asarray(field.energy_scale, dtype) * (own - reaction)

    return forces


def _angular_row_terms(field: RowForceField, species, box) -> Callable:
    """``terms(position, rows, idx) -> G (B, K3, 3)``: dE_i/d(r_j - r_i) per row entry of
    the atoms ``rows``, E_i their angular energy from their rows ``idx``."""
    n_species = field.n_species
    order = int(field.three_body_order)
    if order not in ROW_ANGULAR_ORDERS:
        raise ValueError(f"three_body_order {order}: the rows hold powers of cos(theta) up to "
                         f"{max(ROW_ANGULAR_ORDERS)}")
    cutoff = float(field.three_body_cutoff)
    spacing = cutoff / (field.radial_points - 1)
    last = field.radial_points - 1.0
    species_row = jnp.asarray(species, jnp.int32)
    species_padded = jnp.concatenate([species_row, jnp.zeros((1,), jnp.int32)])
    pairs_of_axes = ((0, 1), (0, 2), (1, 2))

    def terms(position, rows, idx):
        dtype = position.dtype
        box_ = jnp.asarray(box, dtype) * jnp.ones(3, dtype)
        values = jnp.asarray(field.radial_values, dtype)
        slopes = jnp.asarray(field.radial_slopes, dtype)
        weights = jnp.asarray(field.angular_weights, dtype)[species_row[rows]]  # (B, C, L+1)
        (dx, dy, dz), r, mask = row_displacement_components(position, rows, idx, box_)
        within = mask & (r < cutoff)
        pair = species_row[rows][:, None] * n_species + species_padded[idx]
        grid = jnp.clip(r / spacing, 0.0, last)
        left = jnp.minimum(jnp.floor(grid).astype(jnp.int32), field.radial_points - 2)
        radial, radial_slope = hermite_rows(values, slopes, pair * field.radial_points + left,
                                            (grid - left)[..., None], spacing,
                                            slope=True)
        keep = within[..., None]
        radial = jnp.where(keep, radial, 0.0)  # (B, K3, C)
        inverse = jnp.where(within, 1.0 / r, 0.0)
        u = (dx * inverse, dy * inverse, dz * inverse)  # 3 x (B, K3)
        zeroth = jnp.sum(radial, axis=1)  # (B, C)
        if order >= 1:
            first = [jnp.sum(radial * c[..., None], axis=1) for c in u]
        if order >= 2:  # the moment sum_j R u u^T from its six independent components
            diagonal = [jnp.sum(radial * (c * c)[..., None], axis=1) for c in u]
            off = [jnp.sum(radial * (u[a] * u[b])[..., None], axis=1) for a, b in pairs_of_axes]
        # dE_i / dR_c(r_ij), (B, K3, C), and dE_i / du_ij at fixed R, 3 x (B, K3)
        by_radial = 2.0 * weights[:, None, :, 0] * zeroth[:, None, :]
        by_direction = [jnp.zeros_like(dx) for _ in range(3)]
        if order >= 1:
            by_radial = by_radial + 2.0 * weights[:, None, :, 1] * sum(
                m[:, None, :] * c[..., None] for m, c in zip(first, u, strict=True))
            weighted = radial * (2.0 * weights[:, None, :, 1])
            by_direction = [g + jnp.sum(weighted * m[:, None, :], axis=-1)
                            for g, m in zip(by_direction, first, strict=True)]
        if order >= 2:
            full = {(a, a): diagonal[a] for a in range(3)}
            full.update({pair_ab: off[n] for n, pair_ab in enumerate(pairs_of_axes)})
            full.update({(b, a): off[n] for n, (a, b) in enumerate(pairs_of_axes)})
            # (M2 u)_a per channel, (B, K3, C)
            moment_u = [sum(full[(a, b)][:, None, :] * u[b][..., None] for b in range(3))
                        for a in range(3)]
            by_radial = by_radial + 2.0 * weights[:, None, :, 2] * sum(
                mu * c[..., None] for mu, c in zip(moment_u, u, strict=True))
            weighted = radial * (4.0 * weights[:, None, :, 2])
            by_direction = [g + jnp.sum(weighted * mu, axis=-1)
                            for g, mu in zip(by_direction, moment_u, strict=True)]
        along = jnp.sum(jnp.where(keep, by_radial * radial_slope, 0.0), axis=-1)  # dE/dr
        radial_part = sum(g * c for g, c in zip(by_direction, u, strict=True))
        push = [along * c + (g - radial_part * c) * inverse
                for g, c in zip(by_direction, u, strict=True)]
        return jnp.stack(push, axis=-1)

    return terms


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


class StrideEnd(NamedTuple):
    """The force state at a stride's end, which is the next stride's start: its
    acceleration (N, 3), whether some pair within the cutoff is closer than its limit, and
    how many row entries the force read within its reach (:func:`make_row_pair_count`)."""

    acceleration: jnp.ndarray
    close: jnp.ndarray  # () bool
    pairs: jnp.ndarray  # () int32


def make_row_pair_count(field: RowForceField, box,
                        rows_per_block: int = ROWS_PER_BLOCK) -> Callable:
    """``count(position, neighbor_idx, three_body_idx=None) -> () int32``: the row entries
    within the learned force's cutoff (plus, for an energy decoder, the entries of
    ``three_body_idx`` within its three-body cutoff) at ``position``. The rows list each pair
    once per direction, so two row tables that both hold every pair within reach give the
    same count, and one that misses such a pair gives less: a force found on old rows is
    that of new rows at the same positions when the counts agree."""
    reaches = [(field.cutoff, False)]
    if has_angular_terms(field):
        reaches.append((field.three_body_cutoff, True))

    def count(position, neighbor_idx, three_body_idx=None):
        box_ = jnp.asarray(box, position.dtype) * jnp.ones(3, position.dtype)
        total = jnp.zeros((), jnp.int32)
        for reach, angular in reaches:
            rows_in = three_body_idx if angular else neighbor_idx

            def row_count(rows, idx, reach=reach):
                _, r, mask = row_displacement_components(position, rows, idx, box_)
                return jnp.sum(mask & (r < reach), axis=1, dtype=jnp.int32)

            total = total + jnp.sum(map_row_blocks(row_count, rows_in, rows_per_block),
                                    dtype=jnp.int32)
        return total

    return count


def make_row_acceleration(field: RowForceField, species, box,
                          rows_per_block: int = ROWS_PER_BLOCK) -> Callable:
    """``acceleration(position, neighbor_idx, limit_sq=None, three_body_idx=None,
    counted=False) -> StrideEnd``: the model's acceleration ``s (m_mean / m_i) F_i`` (data
    units) at ``position`` from the rows ``neighbor_idx`` (and for an energy decoder's angular
    terms the rows ``three_body_idx`` within its three-body cutoff), the close-pair flag of
    :func:`make_row_forces` and, with ``counted``, the count of :func:`make_row_pair_count`
    (else 0)."""
    forces = make_row_forces(field, species, box, rows_per_block)
    angular = (make_row_angular_forces(field, species, box, rows_per_block)
               if has_angular_terms(field) else None)
    count = make_row_pair_count(field, box, rows_per_block)
    inverse_mass = jnp.asarray(field.inverse_mass)[jnp.asarray(species, jnp.int32)]

    def acceleration(position, neighbor_idx, limit_sq=None, three_body_idx=None,
                     counted=False):
        dtype = position.dtype
        if angular is not None and three_body_idx is None:
            raise ValueError("this model's angular terms read the rows within its three-body "
                             "cutoff: pass three_body_idx")
        force, close = forces(position, neighbor_idx, limit_sq)
        if angular is not None:
            force = force + angular(position, three_body_idx)
        scale = (jnp.asarray(field.force_scale, dtype)
                 * jnp.asarray(inverse_mass, dtype)[:, None])
        pairs = (count(position, neighbor_idx, three_body_idx) if counted
                 else jnp.zeros((), jnp.int32))
        return StrideEnd(scale * force, close, pairs)

    return acceleration


def make_row_stride(field: RowForceField, species, box,
                    rows_per_block: int = ROWS_PER_BLOCK) -> Callable:
    """``stride(position, velocity, neighbor_idx, limit_sq=None, three_body_idx=None,
    start=None) -> (dr, dv, close, end)``: the model's increments over one stride from
    ``position`` (wrapped) and ``velocity`` (data units), as
    :func:`ogn.net.decoders.velocity_verlet_increments`, with the forces of
    :func:`make_row_acceleration`; ``close``: some pair within the cutoff closer than its
    limit at the stride's start; ``end`` (:class:`StrideEnd`) the acceleration and close-pair
    flag at the stride's end.

    ``start``, the previous stride's ``end`` at this ``position``, saves the first force
    evaluation, as MD keeps the force of its last step: ``substeps`` evaluations per stride
    instead of ``substeps + 1`` (None: the stride evaluates its start)."""
    acceleration = make_row_acceleration(field, species, box, rows_per_block)

    def stride(position, velocity, neighbor_idx, limit_sq=None, three_body_idx=None,
               start=None):
        if start is None:
            start = acceleration(position, neighbor_idx, limit_sq, three_body_idx, True)
        steps = int(field.substeps)
        h = field.stride_time / steps
        displacement = jnp.zeros_like(velocity)
        v, a = velocity, start.acceleration
        for step in range(steps):
            v = v + 0.5 * h * a
            displacement = displacement + h * v
            last = step == steps - 1
            end = acceleration(position + displacement, neighbor_idx,
                               limit_sq if last else None, three_body_idx, last)
            a = end.acceleration
            v = v + 0.5 * h * a
        return displacement, v - velocity, start.close, end

    return stride
