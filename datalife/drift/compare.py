"""Comparing one column of a baseline with the same column of the current data.

Numbers (numeric family): ``wasserstein_norm`` (W1 / population std of the baseline), ``psi`` on
the baseline's decile bins, ``ks_stat`` and ``ks_pvalue``, ``jsd_log2`` on 20 equal-width bins
over the range of both sides. From raw data on both sides every number is exact; otherwise each
value is moved to its bucket's representative first (``exact: false``, ``resolution`` = relative
bucket width).

Categories (strings, categories, booleans): ``linf``, ``jsd_log2``, ``psi`` and ``chi2_pvalue`` on
the shares of each value (each side normalised by its own non-missing count). When a value table
was cut at ``max_values`` values, the values it does not list are pooled into one
``(other values)`` category on that side (``exact: false``).

The two p-values (SciPy's, imported on the first one) are computed for every column unless
``pvalues=False``: then only where the noise guard needs one (a metric over its threshold).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from datalife.drift import metrics as m
from datalife.drift.report import DEFAULT_SIGNIFICANCE, ColumnDrift
from datalife.stats.profile import CategoricalColumn, NumericColumn, TimestampColumn

__all__ = ["OTHER", "compare_column", "family_of", "numeric_points_from_profiles"]

#: The pooled category of values a cut value table does not list.
OTHER = "(other values)"
#: Values shown in a categorical column's comparison histogram (the rest pooled).
HISTOGRAM_VALUES = 50


def family_of(kind: str) -> str:
    return "categorical" if kind in ("string", "boolean") else kind


def numeric_points_from_profiles(
    b: NumericColumn, c: NumericColumn
) -> tuple[m.Points, m.Points, float]:
    """Both columns' bucket representatives on a common bucket grid, and its resolution."""
    sb = b.state.sketch.sketch(len(b.state.sketch.keys) + 1)
    sc = c.state.sketch.sketch(len(c.state.sketch.keys) + 1)
    s = min(sb.sub_buckets, sc.sub_buckets)
    sb, sc = sb.at(s), sc.at(s)
    pb = m.Points.of(sb.points(b.min, b.max), sb.counts)
    pc = m.Points.of(sc.points(c.min, c.max), sc.counts)
    return pb, pc, 1.0 / s


def _base(name: str, b: Any, c: Any) -> ColumnDrift:
    return ColumnDrift(
        column=name,
        family=family_of(b.kind) if b is not None else family_of(c.kind),
        status="ok",
        n_baseline=b.count if b is not None else 0,
        n_current=c.count if c is not None else 0,
        missing_share_baseline=b.missing_share if b is not None else None,
        missing_share_current=c.missing_share if c is not None else None,
        dtype_baseline=b.dtype if b is not None else None,
        dtype_current=c.dtype if c is not None else None,
    )


def _not(col: ColumnDrift, status: str, reason: str) -> ColumnDrift:
    col.status = status  # type: ignore[assignment]
    col.reason = reason
    for metric in col.metrics:
        col.notes.setdefault(metric, reason)
    return col


def compare_column(
    name: str,
    b: Any,
    c: Any,
    thresholds: dict[str, float],
    raw: tuple[m.Points, m.Points] | None = None,
    significance: float | None = DEFAULT_SIGNIFICANCE,
    pvalues: bool = True,
) -> ColumnDrift:
    """Compare column ``name`` (profiles ``b`` and ``c``); ``raw`` = exact points of both sides.

    ``pvalues=False`` computes a p-value only if the noise guard reads it (see ``_pvalues``).
    """
    col = _base(name, b, c)
    col.thresholds = dict(thresholds)
    if b is None:
        return _not(col, "added", "column only in the current data")
    if c is None:
        return _not(col, "removed", "column only in the baseline")
    fb, fc = family_of(b.kind), family_of(c.kind)
    if fb != fc:
        col.family = "mixed"
        return _not(
            col,
            "not_computable",
            f"type changed: baseline is {b.kind} ({b.dtype}), current is {c.kind} ({c.dtype})",
        )
    if isinstance(b, TimestampColumn):
        return _not(
            col,
            "not_compared",
            "timestamps are not compared (they move with time); compare derived features "
            "such as hour or weekday instead",
        )
    if fb == "other":
        return _not(col, "not_compared", f"values of type {b.dtype} are not compared")
    pending: dict[str, Callable[[], float]] = {}
    if isinstance(b, NumericColumn):
        _numeric(col, b, c, raw, pending)
    else:
        _categorical(col, b, c, pending)
    _pvalues(col, pending, pvalues, significance)
    if col.status == "ok":
        col.decide(significance)
    return col


def _pvalues(
    col: ColumnDrift,
    pending: dict[str, Callable[[], float]],
    asked: bool,
    significance: float | None,
) -> None:
    """Compute the p-values asked for, or the one :meth:`ColumnDrift.decide` reads: with a
    significance level, for a metric over its threshold. Otherwise a note says why it is null."""
    needed = (
        significance is not None
        and col.status == "ok"
        and any(
            (value := col.metrics.get(metric)) is not None and value > limit
            for metric, limit in col.thresholds.items()
        )
    )
    for metric, compute in pending.items():
        if asked or needed:
            col.metrics[metric] = compute()
        else:
            col.notes[metric] = "not computed: p-values not asked for (pvalues=False)"


def _empty_reason(nb: int, nc: int, what: str) -> str | None:
    sides = [s for s, n in (("baseline", nb), ("current data", nc)) if n == 0]
    if not sides:
        return None
    return f"no {what} in the {' or the '.join(sides)} (all missing)"


def _numeric(
    col: ColumnDrift,
    b: NumericColumn,
    c: NumericColumn,
    raw: tuple[m.Points, m.Points] | None,
    pending: dict[str, Callable[[], float]],
) -> None:
    col.n_baseline, col.n_current = b.state.finite, c.state.finite
    for metric in ("linf", "chi2_pvalue"):
        col.notes[metric] = "categorical columns only"
    reason = _empty_reason(b.state.finite, c.state.finite, "finite values")
    if reason:
        _not(col, "not_computable", reason)
        return
    if raw is not None:
        pb, pc = raw
        col.exact = True
    else:
        pb, pc, col.resolution = numeric_points_from_profiles(b, c)
        col.exact = False
    d = m.ks_statistic(pb, pc)
    col.metrics["ks_stat"] = d
    nb, nc = b.state.finite, c.state.finite
    pending["ks_pvalue"] = lambda: m.ks_pvalue(d, nb, nc)
    w1 = m.wasserstein_distance(pb, pc)
    std = math.sqrt(b.state.m2 / b.state.finite) if b.state.m2 is not None else None
    if std is None:
        col.notes["wasserstein_norm"] = "the baseline's standard deviation overflowed"
    elif std > 0 and math.isfinite(w1 / std):
        col.metrics["wasserstein_norm"] = w1 / std
    else:
        col.notes["wasserstein_norm"] = (
            f"the baseline is constant (std 0), so W1 = {w1:.6g} cannot be normalised"
        )
    edges = m.decile_edges(pb)
    sb, sc = m.shares_in_bins(pb, edges), m.shares_in_bins(pc, edges)
    col.metrics["psi"] = m.population_stability_index(sb, sc)
    diff = np.abs(sb / sb.sum() - sc / sc.sum())
    i = int(np.argmax(diff))
    col.worst = {
        "bin": [
            float(edges[i - 1]) if i > 0 else None,
            float(edges[i]) if i < edges.size else None,
        ],
        "baseline_share": float(sb[i] / sb.sum()),
        "current_share": float(sc[i] / sc.sum()),
    }
    lo = min(pb.min, pc.min)
    hi = max(pb.max, pc.max)
    hb, hc = m.equal_width_shares(pb, lo, hi), m.equal_width_shares(pc, lo, hi)
    col.metrics["jsd_log2"] = m.js_divergence_log2(hb, hc)
    bins = hb.size
    edges_jsd = np.linspace(lo, hi, bins + 1) if bins > 1 else np.array([lo, hi])
    col.histogram = {
        "edges": [float(e) for e in edges_jsd],
        "baseline": [round(float(v)) for v in hb],
        "current": [round(float(v)) for v in hc],
    }
    col.bins = {
        "psi_edges": [float(e) for e in edges],
        "psi_baseline": [round(float(v)) for v in sb],
        "psi_current": [round(float(v)) for v in sc],
    }
    if math.isfinite(w1):
        col.notes.setdefault("wasserstein", f"W1 = {w1:.6g} in the column's units")


def _categorical(
    col: ColumnDrift,
    b: CategoricalColumn,
    c: CategoricalColumn,
    pending: dict[str, Callable[[], float]],
) -> None:
    for metric in ("wasserstein_norm", "ks_stat", "ks_pvalue"):
        col.notes[metric] = "numeric columns only"
    reason = _empty_reason(b.count, c.count, "values")
    if reason:
        _not(col, "not_computable", reason)
        return
    tb, tc = b.state.values, c.state.values
    counts_b = dict(tb.items)
    counts_c = dict(tc.items)
    values = sorted(set(counts_b) | set(counts_c))
    vb = [counts_b.get(v, 0) for v in values]
    vc = [counts_c.get(v, 0) for v in values]
    other_b = b.count - sum(vb)
    other_c = c.count - sum(vc)
    if other_b > 0 or other_c > 0:
        values.append(OTHER)
        vb.append(max(other_b, 0))
        vc.append(max(other_c, 0))
    col.exact = tb.complete and tc.complete
    distance, i = m.linf_distance(vb, vc)
    col.metrics["linf"] = distance
    col.worst = {
        "value": values[i],
        "baseline_share": vb[i] / b.count,
        "current_share": vc[i] / c.count,
    }
    col.metrics["jsd_log2"] = m.js_divergence_log2(vb, vc)
    order = sorted(range(len(values)), key=lambda j: (-(vb[j] + vc[j]), values[j]))
    shown = order[:HISTOGRAM_VALUES]
    hist_values = [values[j] for j in shown]
    hist_b = [vb[j] for j in shown]
    hist_c = [vc[j] for j in shown]
    if len(order) > HISTOGRAM_VALUES:
        hist_values.append(OTHER if OTHER not in hist_values else f"{OTHER} (more)")
        hist_b.append(sum(vb[j] for j in order[HISTOGRAM_VALUES:]))
        hist_c.append(sum(vc[j] for j in order[HISTOGRAM_VALUES:]))
    col.histogram = {"values": hist_values, "baseline": hist_b, "current": hist_c}
    col.metrics["psi"] = m.population_stability_index(vb, vc)
    if len(values) >= 2:
        pending["chi2_pvalue"] = lambda: m.chi2_homogeneity(vb, vc)[2]
    else:
        col.notes["chi2_pvalue"] = "one value on both sides: nothing to test"
