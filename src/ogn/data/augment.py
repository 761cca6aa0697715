"""Data augmentation by the 48 symmetries of the cube.

The network is translation invariant by construction (it sees only r_j - r_i) but not
rotation invariant, so every training configuration is shown in a random one of the 48
symmetries of a cubic periodic box (rotations and reflections): the signed permutation
matrices. Every vector quantity of a pair transforms the same way, ``v -> M v``: positions
(then wrapped), edge vectors, velocities, and the targets dr and dv. A signed permutation maps
the periodic lattice of a cubic box onto itself, so the rotated configuration has exactly the
rotated pair list; for an orthorhombic box the side lengths are permuted (:func:`transform_box`).
"""

import itertools

import numpy as np

N_CUBE_SYMMETRIES = 48


def cube_symmetries() -> np.ndarray:
    """The 48 signed permutation matrices (48, 3, 3), float64; index 0 is the identity."""
    matrices = []
    for permutation in itertools.permutations(range(3)):
        for signs in itertools.product((1.0, -1.0), repeat=3):
            matrix = np.zeros((3, 3))
            matrix[np.arange(3), permutation] = signs
            matrices.append(matrix)
    return np.stack(matrices)


def apply_symmetry(matrix, vectors):
    """``M v`` for every vector in ``vectors`` (..., 3)."""
    return vectors @ np.asarray(matrix).T


def transform_box(matrix, box):
    """Side lengths of the transformed box (a permutation of ``box``)."""
    return np.abs(np.asarray(matrix)) @ np.asarray(box, dtype=np.float64)


def transform_position(matrix, position, box):
    """Positions (N, 3) of the transformed configuration, wrapped into the transformed box."""
    new_box = transform_box(matrix, box)
    return np.mod(apply_symmetry(matrix, np.asarray(position, dtype=np.float64)), new_box)


def random_symmetry_indices(rng: np.random.Generator, size: int) -> np.ndarray:
    """``size`` independent uniform draws from the 48 symmetries (indices into cube_symmetries)."""
    return rng.integers(0, N_CUBE_SYMMETRIES, size=size)
