"""Starting configurations: random non-overlapping placement and overlap removal (FIRE)."""

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax_md import minimize

from ogn.md.neighbors import build_neighbor_list
from ogn.md.space import minimum_image


def random_non_overlapping(rng: np.random.Generator, n_atoms: int, box, min_distance: float,
                           max_attempts_per_atom: int = 10000) -> np.ndarray:
    """Random sequential addition: uniform positions, none closer than ``min_distance``
    (minimum image). Raises ValueError, naming the fix, if the box is too crowded."""
    box = np.asarray(box, dtype=np.float64)
    cells = np.maximum(1, np.floor(box / min_distance).astype(int))
    cell_size = box / cells
    grid: dict = {}
    positions = np.empty((n_atoms, 3))
    offsets = np.array([(a, b, c) for a in (-1, 0, 1) for b in (-1, 0, 1) for c in (-1, 0, 1)])
    for atom in range(n_atoms):
        for _ in range(max_attempts_per_atom):
            trial = rng.uniform(0.0, 1.0, 3) * box
            cell = np.floor(trial / cell_size).astype(int) % cells
            neighbours = [j for off in offsets
                          for j in grid.get(tuple((cell + off) % cells), ())]
            if neighbours:
                d = minimum_image(positions[neighbours] - trial, box)
                if np.min(np.sum(np.asarray(d) ** 2, axis=1)) < min_distance**2:
                    continue
            positions[atom] = trial
            grid.setdefault(tuple(cell), []).append(atom)
            break
        else:
            raise ValueError(
                f"could not place atom {atom + 1} of {n_atoms} at least {min_distance:g} from "
                f"the others in a box of {box.tolist()}; lower `min_distance` in the config")
    return positions


def minimize_fire(position, energy_and_forces: Callable, box, cutoff: float, skin: float,
                  steps: int, dt_start: float = 0.001, dt_max: float = 0.01,
                  log: Callable | None = None):
    """FIRE descent for ``steps`` steps (neighbor list rebuilt whenever atoms move more than
    skin/2). Returns (position, potential energy). ``dt_*`` are in internal time units.

    Each step moves an atom by at most skin/4 (a maximum step, as in ASE's FIRE): on
    overlapping starts the forces are huge, and an unlimited step could move an atom past
    skin/2 right after a rebuild, so that the run would never advance."""
    box = np.asarray(box)
    max_step = 0.25 * float(skin)

    def force_fn(r, idx):
        return energy_and_forces(r, idx)[1]

    def limited_shift(r, dr, **kwargs):
        length = jnp.sqrt(jnp.sum(dr * dr, axis=-1, keepdims=True))
        return r + dr * jnp.minimum(1.0, max_step / jnp.maximum(length, 1e-30))

    init_fn, apply_fn = minimize.fire_descent(
        force_fn, limited_shift, dt_start=dt_start, dt_max=dt_max)
    neighbors = build_neighbor_list(position, box, cutoff, skin)

    @jax.jit
    def chunk(state, idx, reference, n):
        def cond(carry):
            i, _, ok = carry
            return (i < n) & ok

        def body(carry):
            i, s, _ = carry
            new = apply_fn(s, idx=idx)
            moved = new.position - reference
            ok = jnp.max(jnp.sum(moved * moved, axis=-1)) <= (0.5 * skin) ** 2
            s = jax.tree_util.tree_map(lambda a, b: jnp.where(ok, a, b), new, s)
            return i + ok.astype(i.dtype), s, ok

        i, s, _ = jax.lax.while_loop(cond, body, (jnp.zeros((), jnp.int32), state, True))
        return s, i

    state = init_fn(jnp.asarray(position), idx=neighbors.idx)
    done = 0
    while done < steps:
        state, advanced = chunk(state, neighbors.idx, neighbors.reference_position, steps - done)
        if int(advanced) == 0:  # a fresh list and still no step: cannot happen with skin > 0
            raise RuntimeError(f"FIRE cannot advance at step {done}: a step of at most skin/4 "
                               f"(skin = {skin:g}) left the neighbor list's validity")
        done += int(advanced)
        if done < steps:
            neighbors = build_neighbor_list(state.position, box, cutoff, skin,
                                            capacity=neighbors.idx.shape[1], log=log)
    energy, _ = energy_and_forces(state.position, neighbors.idx)
    return state.position, float(energy)
