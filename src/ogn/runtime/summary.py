"""Runtime tables read back: medians per size, scaling exponents and the ratios between
engines at the largest size."""

from ogn.runtime.timing import ENGINES, fitted_exponent

# --------------------------------------------------------------------------------------------
# summaries of the runtime tables


def median_seconds(table, engine: str):
    """Median seconds by N of one engine (a pandas Series indexed by N; empty if absent)."""
    rows = table[table["engine"] == engine]
    return rows.groupby("N")["median_s"].median()


def scaling_summary(table, n_min: float | None = None) -> dict:
    """Per engine of a runtime table (one system): the fitted exponent of time vs N over the
    sizes >= ``n_min`` (NaN with fewer than two sizes)."""
    exponents = {}
    for engine in ENGINES:
        times = median_seconds(table, engine)
        try:
            exponents[engine] = fitted_exponent(times.index, times.values, n_min=n_min)
        except ValueError:
            exponents[engine] = float("nan")
    return exponents


def ratio_summary(table, n_min: float | None = None) -> dict:
    """The headline ratios of one system's runtime table, at the largest N timed:
    Fast-OGN / MD, the paper's network (timing reference) / MD and MD / LAMMPS there (NaN
    where an engine was not timed); all-pairs MD / Fast-OGN at the largest N where the
    baseline ran; plus the scaling exponents (:func:`scaling_summary`)."""
    md, fast, lammps, all_pairs = (median_seconds(table, e)
                                   for e in ("md", "fast_ogn", "lammps", "md_all_pairs"))
    largest = int(table["N"].max())

    def ratio(a, b, n):
        return float(a[n] / b[n]) if n in a.index and n in b.index else float("nan")

    baseline_n = int(all_pairs.index.max()) if len(all_pairs) else None
    summary = {"system": str(table["system"].iloc[0]), "N": largest,
               "fast_ogn_over_md": ratio(fast, md, largest),
               "paper_ogn_over_md": ratio(median_seconds(table, "paper_ogn"), md, largest),
               "md_over_lammps": ratio(md, lammps, largest),
               "all_pairs_N": baseline_n,
               "all_pairs_over_fast_ogn": (ratio(all_pairs, fast, baseline_n)
                                           if baseline_n is not None else float("nan"))}
    summary.update({f"exponent_{e}": v for e, v in scaling_summary(table, n_min).items()})
    return summary
