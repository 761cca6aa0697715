"""Memory of the no-list baseline: its N^2 growth, and when a size is skipped."""



def quadratic_memory_mb(n_atoms: int, measured_n: int, measured_peak_mb: float,
                        base_mb: float) -> float:
    """Peak memory (MB) predicted at ``n_atoms`` for a run whose memory above ``base_mb`` grows
    as N^2 (the no-list baseline), from the peak ``measured_peak_mb`` of a run at
    ``measured_n`` atoms that started with ``base_mb`` in use."""
    extra = max(0.0, float(measured_peak_mb) - float(base_mb))
    return float(base_mb) + extra * (float(n_atoms) / float(measured_n)) ** 2


def all_pairs_skip_reason(n_atoms: int, max_atoms: int, mem_mb: float,
                          measured: tuple | None) -> str | None:
    """Why the no-list baseline is not run at ``n_atoms`` (None: run it): above
    ``runtime.all_pairs_max_atoms``, or a memory need, extrapolated as N^2 by
    :func:`quadratic_memory_mb` from ``measured`` = (N, peak MB, MB in use before) of its
    last run (None: none yet), above ``runtime.mem_mb``."""
    if n_atoms > max_atoms:
        return f"runtime.all_pairs_max_atoms = {max_atoms}"
    if measured is not None:
        needed = quadratic_memory_mb(n_atoms, *measured)
        if needed > mem_mb:
            return (f"it would need about {needed:.0f} MB (N^2 from {measured[1]:.0f} MB at "
                    f"N = {measured[0]}), more than runtime.mem_mb = {mem_mb}; raise "
                    "runtime.mem_mb or lower runtime.all_pairs_max_atoms")
    return None
