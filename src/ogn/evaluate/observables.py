"""Structural and dynamical observables computed from trajectories (numpy, host side)."""

import numpy as np

from ogn.md.neighbors import ordered_pairs
from ogn.md.space import box_volume


def radial_distribution(positions, box, species, pair: tuple[int, int], r_max: float,
                        n_bins: int = 200):
    """Partial g_ab(r) averaged over frames. ``positions`` (T, N, 3) or (N, 3).

    Normalised so that g -> 1 for an ideal gas of the same composition and density:
    g_ab(r) = V / (N_a N_b) * <n_ab(r)> / (4 pi r^2 dr), counting ordered pairs a -> b.
    Returns (bin centres, g).
    """
    positions = np.asarray(positions)
    if positions.ndim == 2:
        positions = positions[None]
    species = np.asarray(species)
    a, b = pair
    n_a = int(np.sum(species == a))
    n_b = int(np.sum(species == b)) - (1 if a == b else 0)
    edges = np.linspace(0.0, r_max, n_bins + 1)
    counts = np.zeros(n_bins)
    for frame in positions:
        senders, receivers = ordered_pairs(frame, box, r_max)
        keep = (species[senders] == a) & (species[receivers] == b)
        d = frame[receivers[keep]] - frame[senders[keep]]
        d -= box * np.round(d / box)
        counts += np.histogram(np.linalg.norm(d, axis=1), bins=edges)[0]
    shell = 4.0 / 3.0 * np.pi * (edges[1:] ** 3 - edges[:-1] ** 3)
    density_b = n_b / box_volume(box)
    g = counts / (len(positions) * n_a * density_b * shell)
    return 0.5 * (edges[1:] + edges[:-1]), g


def first_peak_position(r, g, r_min: float = 0.0, smoothing_bins: float = 2.0) -> float:
    """Position of the highest maximum of g(r) beyond ``r_min`` (the first coordination peak).

    The histogram is smoothed with a Gaussian of ``smoothing_bins`` bins and the maximum refined
    by a parabola through the three highest points, so bin noise does not pick a shoulder.
    """
    r = np.asarray(r)
    offsets = np.arange(-4 * int(np.ceil(smoothing_bins)), 4 * int(np.ceil(smoothing_bins)) + 1)
    kernel = np.exp(-0.5 * (offsets / smoothing_bins) ** 2)
    smooth = np.convolve(np.asarray(g), kernel / kernel.sum(), mode="same")
    candidates = np.nonzero(r > r_min)[0]
    best = candidates[np.argmax(smooth[candidates])]
    if 0 < best < len(r) - 1:
        y0, y1, y2 = smooth[best - 1: best + 2]
        denominator = y0 - 2 * y1 + y2
        if denominator < 0:
            shift = 0.5 * (y0 - y2) / denominator
            return float(r[best] + shift * (r[1] - r[0]))
    return float(r[best])


def energy_drift_and_fluctuation(total_energy, kinetic_energy, window: int = 100):
    """NVE quality: (mean E of last ``window`` records - mean E of first ``window``) and the
    standard deviation of E, both divided by the mean kinetic energy."""
    total_energy = np.asarray(total_energy)
    mean_ke = float(np.mean(kinetic_energy))
    drift = (total_energy[-window:].mean() - total_energy[:window].mean()) / mean_ke
    return float(drift), float(np.std(total_energy) / mean_ke)
