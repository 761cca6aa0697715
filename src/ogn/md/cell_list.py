"""The pair search behind the neighbor lists, compiled by numba: the atoms binned into cells of
side at least radius / CELLS_PER_RADIUS, each unordered pair of cells within reach visited
once, every pair's distance computed once and written into both atoms' rows
(:func:`cell_list_rows`; :mod:`ogn.md.neighbors` packs the rows into lists).
"""

import numba
import numpy as np

# cells of side >= radius / 2: the 5^3 cells in reach span 15.6 radius^3 around an atom, against
# 27 radius^3 for cells of side radius
CELLS_PER_RADIUS = 2
CELLS_PER_ATOM = 4  # at most this many cells per atom (dilute systems get larger cells)


@numba.njit(cache=True)
def _cell_grid(box, radius, cells_per_radius, max_cells):
    """Cells per side and reach (cells searched each way) for each axis.

    Cells are at least radius / ``cells_per_radius`` wide, and wider if that would make more
    than ``max_cells`` cells. An axis gets ``reach`` = the number of cells that span the radius
    when at least 2 * reach + 1 cells fit (so the cells in reach are distinct after the periodic
    wrap); otherwise one cell spans the box along it and distances use the minimum image.
    """
    volume = box[0] * box[1] * box[2]
    side = max(radius / cells_per_radius, (volume / max(max_cells, 1)) ** (1.0 / 3.0))
    n_cells = np.ones(3, np.int64)
    reach = np.zeros(3, np.int64)
    for axis in range(3):
        count = int(np.floor(box[axis] / side))
        if count >= 3:
            span = int(np.ceil(radius * (1.0 + 1e-9) / (box[axis] / count)))
            if count >= 2 * span + 1:
                n_cells[axis] = count
                reach[axis] = span
    return n_cells, reach


@numba.njit(cache=True, inline="always")
def _periodic_cell(index, n_cells, length):
    """A cell index one reach outside 0..n_cells-1 folded back, and the shift (0 or +-length)
    that carries a position into that neighbour cell's periodic image."""
    if index < 0:
        return index + n_cells, -length
    if index >= n_cells:
        return index - n_cells, length
    return index, 0.0


@numba.njit(cache=True, inline="always")
def _minimum_image(delta, length):
    return delta - length * np.round(delta / length)


@numba.njit(cache=True)
def cell_list_rows(wrapped, box, radius, capacity, cells_per_radius, cells_per_atom):
    """Dense rows of every pair closer than ``radius`` (minimum image), by a cell list.

    ``wrapped`` (N, 3) float64 positions in [0, box). Returns ``(idx, counts)``: idx (N,
    capacity) int32 padded with N, and the (N,) true neighbor counts. A row whose count exceeds
    ``capacity`` holds only its first ``capacity`` neighbors; the caller must check ``counts``.
    Rows list neighbors in the order found (deterministic, not sorted).
    """
    n_atoms = wrapped.shape[0]
    n_cells, reach = _cell_grid(box, radius, cells_per_radius,
                                cells_per_atom * n_atoms + 64)
    total_cells = n_cells[0] * n_cells[1] * n_cells[2]
    first, order, sorted_position = _sorted_by_cell(wrapped, box, n_cells)

    # rows in the sorted numbering, one spare column so a full row's writes stay in bounds
    rows = np.empty((n_atoms, capacity + 1), np.int32)
    counts = np.zeros(n_atoms, np.int64)
    hit = np.empty(n_atoms, np.bool_)
    radius_sq = radius * radius
    lx, ly, lz = box[0], box[1], box[2]
    whole_x, whole_y, whole_z = reach[0] == 0, reach[1] == 0, reach[2] == 0
    for cell in range(total_cells):
        if first[cell] == first[cell + 1]:
            continue  # empty
        cz = cell % n_cells[2]
        cy = (cell // n_cells[2]) % n_cells[1]
        cx = cell // (n_cells[1] * n_cells[2])
        for ox in range(-reach[0], reach[0] + 1):
            tx, shift_x = _periodic_cell(cx + ox, n_cells[0], lx)
            for oy in range(-reach[1], reach[1] + 1):
                ty, shift_y = _periodic_cell(cy + oy, n_cells[1], ly)
                for oz in range(-reach[2], reach[2] + 1):
                    tz, shift_z = _periodic_cell(cz + oz, n_cells[2], lz)
                    other = (tx * n_cells[1] + ty) * n_cells[2] + tz
                    if other < cell:
                        continue  # this pair of cells is visited from the other one
                    for a in range(first[cell], first[cell + 1]):
                        # the image of a seen from the other cell: r_b - r_a needs no wrap
                        xa = sorted_position[a, 0] - shift_x
                        ya = sorted_position[a, 1] - shift_y
                        za = sorted_position[a, 2] - shift_z
                        b_first = a + 1 if other == cell else first[other]
                        b_end = first[other + 1]
                        for b in range(b_first, b_end):  # branch-free: vectorises
                            dx = sorted_position[b, 0] - xa
                            dy = sorted_position[b, 1] - ya
                            dz = sorted_position[b, 2] - za
                            if whole_x:
                                dx = _minimum_image(dx, lx)
                            if whole_y:
                                dy = _minimum_image(dy, ly)
                            if whole_z:
                                dz = _minimum_image(dz, lz)
                            hit[b - b_first] = dx * dx + dy * dy + dz * dz < radius_sq
                        count_a = counts[a]
                        for b in range(b_first, b_end):
                            if hit[b - b_first]:
                                rows[a, min(count_a, capacity)] = b
                                count_a += 1
                                count_b = counts[b]
                                rows[b, min(count_b, capacity)] = a
                                counts[b] = count_b + 1
                        counts[a] = count_a

    return _in_atom_order(rows, counts, order, capacity)


@numba.njit(cache=True)
def _sorted_by_cell(wrapped, box, n_cells):
    """Counting sort of the atoms by cell: (first atom of each cell (cells + 1,), the atom at
    each sorted place, the positions in that order)."""
    n_atoms = wrapped.shape[0]
    total_cells = n_cells[0] * n_cells[1] * n_cells[2]
    cell_of = np.empty(n_atoms, np.int64)
    for i in range(n_atoms):
        cell = 0
        for axis in range(3):
            c = int(wrapped[i, axis] / box[axis] * n_cells[axis])
            cell = cell * n_cells[axis] + min(max(c, 0), n_cells[axis] - 1)
        cell_of[i] = cell
    first = np.zeros(total_cells + 1, np.int64)
    for i in range(n_atoms):
        first[cell_of[i] + 1] += 1
    for c in range(total_cells):
        first[c + 1] += first[c]
    slot = first[:-1].copy()
    order = np.empty(n_atoms, np.int64)
    for i in range(n_atoms):
        order[slot[cell_of[i]]] = i
        slot[cell_of[i]] += 1
    sorted_position = np.empty((n_atoms, 3))
    for s in range(n_atoms):
        sorted_position[s] = wrapped[order[s]]
    return first, order, sorted_position


@numba.njit(cache=True)
def _in_atom_order(rows, counts, order, capacity):
    """(idx, counts) of rows found in the sorted numbering, back in the atoms' numbering."""
    n_atoms = order.shape[0]
    idx = np.full((n_atoms, capacity), n_atoms, np.int32)
    atom_counts = np.empty(n_atoms, np.int64)
    for s in range(n_atoms):
        i = order[s]
        atom_counts[i] = counts[s]
        for k in range(min(counts[s], capacity)):
            idx[i, k] = order[rows[s, k]]
    return idx, atom_counts
