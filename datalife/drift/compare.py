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
from datalife.drift.report import DEFAULT_SIGNIFICANCE, ColumnDrift, iso_seconds
from datalife.stats.profile import CategoricalColumn, NumericColumn, TimestampColumn

__all__ = [
    "OTHER",
    "SKIPPED_ROLES",
    "compare_column",
    "family_of",
    "numeric_points_from_profiles",
    "role_from_profile",
]

#: The pooled category of values a cut value table does not list.
OTHER = "(other values)"
#: Values shown in a categorical column's comparison histogram (the rest pooled).
HISTOGRAM_VALUES = 50
#: Roles whose drift means nothing (every batch has new names and new sentences).
SKIPPED_ROLES = {
    "identifier": "an identifier: every batch brings new values, so its distribution is not "
    "compared",
    "free_text": "free text: nearly every value is new, so its distribution is not compared",
}
#: A column is taken for an identifier or free text when this share of its values is distinct.
DISTINCT_SHARE = 0.9
#: Free text: values this long on average (shorter all-distinct strings are identifiers).
FREE_TEXT_LENGTH = 30
_US_PER_HOUR = 3_600_000_000
_US_PER_DAY = 24 * _US_PER_HOUR


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
    *,
    role: str | None = None,
    now_us: int | None = None,
) -> ColumnDrift:
    """Compare column ``name`` (profiles ``b`` and ``c``); ``raw`` = exact points of both sides.

    ``pvalues=False`` computes a p-value only if the noise guard reads it (see ``_pvalues``).
    ``role``: the column's declared role (``identifier`` and ``free_text`` are skipped); None
    infers it from the profiles (:func:`role_from_profile`). ``now_us``: the reference time of
    a timestamp's freshness (default: now).
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
    skip = _skipped_role(role, b, c)
    if skip is not None:
        return _not(col, "skipped", skip)
    pending: dict[str, Callable[[], float]] = {}
    if isinstance(b, TimestampColumn):
        _timestamp(col, b, c, now_us, pending)
    elif fb == "other":
        return _not(col, "not_compared", f"values of type {b.dtype} are not compared")
    elif isinstance(b, NumericColumn):
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


# -- roles ------------------------------------------------------------------------------------


def role_from_profile(p: Any) -> str | None:
    """``identifier`` or ``free_text`` when a column's profile says so, else None.

    Nearly every value distinct (:data:`DISTINCT_SHARE`): strings averaging
    :data:`FREE_TEXT_LENGTH` characters or more are free text, shorter ones identifiers;
    integers are identifiers when they are dense like a sequence (a unique measurement such as
    an amount is compared as usual).
    """
    if p is None or not p.count or p.distinct is None or p.count < 20:
        return None
    if p.distinct < DISTINCT_SHARE * p.count:
        return None
    if isinstance(p, CategoricalColumn) and p.kind == "string":
        return "free_text" if (p.length_mean or 0) >= FREE_TEXT_LENGTH else "identifier"
    if (
        isinstance(p, NumericColumn)
        and "INT" in p.dtype.upper()
        and p.min is not None
        and p.max is not None
        and p.max - p.min + 1 <= 4 * p.count
    ):
        return "identifier"
    return None


def _skipped_role(role: str | None, b: Any, c: Any) -> str | None:
    """Why the column is skipped, or None."""
    if role is not None:
        reason = SKIPPED_ROLES.get(role)
        return None if reason is None else f"{reason} (declared role)"
    found = role_from_profile(b)
    if found is None or role_from_profile(c) != found:
        return None
    return f"{SKIPPED_ROLES[found]} (inferred: {b.distinct} distinct in {b.count} values)"


# -- timestamps -------------------------------------------------------------------------------

# part: (the bucket width it needs at most, the span both sides must cover: its cycle)
_PARTS = {
    "hour": (_US_PER_HOUR, _US_PER_DAY),
    "weekday": (_US_PER_DAY, 7 * _US_PER_DAY),
    "month": (_US_PER_DAY, 365 * _US_PER_DAY),
}
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _part_counts(
    keys: np.ndarray[Any, Any], counts: np.ndarray[Any, Any], shift: int, part: str
) -> np.ndarray[Any, Any]:
    """Counts per calendar part (hour of day, weekday, month) of a time grid's buckets."""
    mid = (keys.astype(np.int64) << shift) + ((1 << shift) >> 1)
    if part == "hour":
        idx = (mid // _US_PER_HOUR) % 24
        size = 24
    elif part == "weekday":
        idx = (mid // _US_PER_DAY + 3) % 7  # 1970-01-01 was a Thursday
        size = 7
    else:
        days = (mid // _US_PER_DAY).astype("datetime64[D]")
        idx = days.astype("datetime64[M]").astype(np.int64) % 12
        size = 12
    return np.bincount(idx.astype(np.int64), weights=counts, minlength=size)


def _timestamp(
    col: ColumnDrift,
    b: Any,
    c: Any,
    now_us: int | None,
    pending: dict[str, Callable[[], float]],
) -> None:
    """Drift of a timestamp on its calendar parts (and on the time itself), and freshness."""
    import time

    col.family = "timestamp"
    col.n_baseline, col.n_current = b.count, c.count
    for metric in ("psi", "jsd_log2"):
        col.notes[metric] = "timestamps: linf on calendar parts, ks and W1 on the time"
    reason = _empty_reason(b.count, c.count, "timestamps")
    if reason:
        _not(col, "not_computable", reason)
        return
    sb, sc = b.state.grid, c.state.grid
    shift = max(sb.shift, sc.shift)
    gb = sb.grid(len(sb.keys) + 1).at(shift)
    gc = sc.grid(len(sc.keys) + 1).at(shift)
    width = 1 << shift
    # the time itself: reported (time moves on, so no threshold by default)
    pb = m.Points.of((gb.keys.astype(np.float64) + 0.5) * width, gb.counts)
    pc = m.Points.of((gc.keys.astype(np.float64) + 0.5) * width, gc.counts)
    col.metrics["ks_stat"] = m.ks_statistic(pb, pc)
    values = (gb.keys.astype(np.float64) + 0.5) * width
    mean = float(np.average(values, weights=gb.counts))
    std = math.sqrt(float(np.average((values - mean) ** 2, weights=gb.counts)))
    if std > 0:
        col.metrics["wasserstein_norm"] = m.wasserstein_distance(pb, pc) / std
    col.notes["time"] = (
        "ks_stat and wasserstein_norm compare the times themselves; they move with time, so "
        "they have no default threshold (set one in the schema's drift settings to use them)"
    )
    # calendar parts: the largest linf over the parts the buckets are fine enough for
    best: tuple[float, str, int, np.ndarray[Any, Any], np.ndarray[Any, Any]] | None = None
    parts = {}
    span = min(
        b.state.max_us - b.state.min_us if b.state.max_us is not None else 0,
        c.state.max_us - c.state.min_us if c.state.max_us is not None else 0,
    )
    for part, (unit, cycle) in _PARTS.items():
        if width > unit:
            col.notes[f"part_{part}"] = (
                f"{part}: the buckets ({width / 1e6:.3g} s) are wider than a {part} unit"
            )
            continue
        if span < cycle:
            col.notes[f"part_{part}"] = (
                f"{part}: not compared, a side covers less than its cycle "
                f"({cycle / _US_PER_DAY:g} days)"
            )
            continue
        cb = _part_counts(gb.keys, gb.counts, shift, part)
        cc = _part_counts(gc.keys, gc.counts, shift, part)
        d, i = m.linf_distance(cb, cc)
        parts[part] = {
            "baseline": [round(float(x)) for x in cb],
            "current": [round(float(x)) for x in cc],
        }
        if best is None or d > best[0]:
            best = (d, part, i, cb, cc)
    col.histogram = {"parts": parts} if parts else None
    if best is not None:
        d, part, i, cb, cc = best
        col.metrics["linf"] = d
        label: Any = _WEEKDAYS[i] if part == "weekday" else (i + 1 if part == "month" else i)
        col.worst = {
            "part": part,
            "value": label,
            "baseline_share": float(cb[i] / cb.sum()),
            "current_share": float(cc[i] / cc.sum()),
        }
        keep_b, keep_c = cb > 0, cc > 0
        both = keep_b | keep_c
        if int(both.sum()) >= 2:
            tb, tc = cb[both], cc[both]
            pending["chi2_pvalue"] = lambda: m.chi2_homogeneity(tb, tc)[2]
    else:
        col.notes["linf"] = "no calendar part: the time buckets are wider than a day"
    # freshness: how far the newest value lags the reference (now) and the baseline's newest
    now = now_us if now_us is not None else int(time.time() * 1_000_000)
    newest_b, newest_c = b.state.max_us, c.state.max_us
    col.freshness = {
        "reference": iso_seconds(now),
        "newest_baseline": iso_seconds(newest_b),
        "newest_current": iso_seconds(newest_c),
        "lag_s": (now - newest_c) / 1e6 if newest_c is not None else None,
        "behind_baseline_s": (newest_b - newest_c) / 1e6
        if newest_b is not None and newest_c is not None
        else None,
    }
    if newest_b is not None and newest_c is not None and newest_c < newest_b:
        col.notes["freshness"] = (
            f"stale: the current data's newest value ({iso_seconds(newest_c)}) is older than the "
            f"baseline's ({iso_seconds(newest_b)})"
        )
