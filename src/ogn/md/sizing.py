"""Species per atom and box sizes from a ``systems.<name>`` config block (numpy only: the
workflow sizes its runs while it plans)."""

import numpy as np


def species_vector(counts) -> np.ndarray:
    """Species index per atom, species grouped in config order: [0]*n0 + [1]*n1 + ..."""
    return np.concatenate([np.full(int(n), i, dtype=np.int32) for i, n in enumerate(counts)])


def scaled_counts_and_box(block: dict, n_atoms: int):
    """Counts and cubic box side for about ``n_atoms`` atoms at the configured density and
    composition (used for runs at other sizes)."""
    counts = np.asarray(block["counts"], dtype=np.float64)
    fractions = counts / counts.sum()
    new_counts = np.maximum(1, np.round(fractions * n_atoms)).astype(int)
    density = counts.sum() / float(block["box"]) ** 3
    side = (new_counts.sum() / density) ** (1.0 / 3.0)
    return new_counts.tolist(), side
