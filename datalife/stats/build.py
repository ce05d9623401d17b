"""Building column profiles from their summaries (shared by the engine and by merging).

Each builder takes a column's mergeable state and computes the numbers people read from it
(quantiles, histogram, std, top values, distinct), so a profile computed from data and one
merged from partitions derive them the same way.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any, Literal

import numpy as np

from datalife.stats.profile import (
    QUANTILES,
    CategoricalColumn,
    CategoricalState,
    Histogram,
    LogState,
    NumericColumn,
    NumericState,
    OtherColumn,
    TimeGridState,
    TimestampColumn,
    TimestampState,
    TopValue,
    ValuesState,
)
from datalife.stats.sketch import HyperLogLog, LogSketch, TimeGrid, ValueTable

__all__ = [
    "HISTOGRAM_BINS",
    "categorical_column",
    "exact_moments",
    "iso_from_us",
    "numeric_column",
    "other_column",
    "timestamp_column",
]

#: Bins of the display histogram.
HISTOGRAM_BINS = 20
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _equal_width_histogram(
    points: np.ndarray[Any, Any], weights: np.ndarray[Any, Any], lo: float, hi: float
) -> tuple[list[float], list[int]]:
    if not math.isfinite(hi - lo):
        lo, hi = lo / 2, hi / 2  # keep the bin width finite for values near +-max float
        points = points / 2
        scale = 2.0
    else:
        scale = 1.0
    if hi <= lo:
        return [lo * scale, hi * scale], [int(weights.sum())]
    counts, edges = np.histogram(points, bins=HISTOGRAM_BINS, range=(lo, hi), weights=weights)
    return [float(e) * scale for e in edges], [round(float(c)) for c in counts]


def numeric_column(
    *,
    name: str,
    dtype: str,
    rows: int,
    missing: int,
    nan: int,
    infinite: int,
    zeros: int,
    finite: int,
    mean: float | None,
    m2: float | None,
    lo: float | None,
    hi: float | None,
    sketch: LogSketch,
    hll: HyperLogLog,
) -> NumericColumn:
    """A :class:`NumericColumn` with its derived numbers computed from the state."""
    count = rows - missing
    quantiles: dict[str, float] = {}
    histogram = None
    if finite and lo is not None and hi is not None:
        quantiles = {k: sketch.quantile(q, lo, hi) for k, q in QUANTILES.items()}
        edges, counts = _equal_width_histogram(sketch.points(lo, hi), sketch.counts, lo, hi)
        histogram = Histogram(edges=edges, counts=counts)
    m2 = _finite(m2)
    std = math.sqrt(max(m2, 0.0) / (finite - 1)) if finite > 1 and m2 is not None else None
    mean = _finite(mean)
    distinct = min(hll.estimate(), count) if count else 0
    return NumericColumn(
        name=name,
        dtype=dtype,
        rows=rows,
        missing=missing,
        count=count,
        missing_share=_share(missing, rows),
        distinct=distinct,
        distinct_method="hll",
        min=_finite(lo) if finite else None,
        max=_finite(hi) if finite else None,
        mean=_finite(mean) if finite else None,
        std=_finite(std),
        zeros=zeros,
        nan=nan,
        infinite=infinite,
        quantiles=quantiles,
        quantile_relative_error=sketch.relative_error() if finite else None,
        histogram=histogram,
        state=NumericState(
            finite=finite,
            m2=max(m2, 0.0) if m2 is not None and mean is not None else None,
            sketch=LogState.of(sketch),
            hll=hll.encode(),
        ),
    )


def categorical_column(
    *,
    name: str,
    dtype: str,
    kind: Literal["string", "boolean"],
    rows: int,
    missing: int,
    table: ValueTable,
    distinct_exact: int | None,
    length_sum: int,
    length_min: int | None,
    length_max: int | None,
    hll: HyperLogLog,
    top_k: int,
) -> CategoricalColumn:
    count = rows - missing
    top = [
        TopValue(value=v, count=n, share=n / count if count else 0.0)
        for v, n in table.items[:top_k]
    ]
    method: Literal["exact", "hll"]
    if distinct_exact is not None:
        distinct, method = distinct_exact, "exact"
    elif table.complete:
        distinct, method = len(table.items), "exact"
    else:
        distinct, method = min(max(hll.estimate(), len(table.items)), count), "hll"
    strings = kind == "string"
    return CategoricalColumn(
        name=name,
        dtype=dtype,
        kind=kind,
        rows=rows,
        missing=missing,
        count=count,
        missing_share=_share(missing, rows),
        distinct=distinct,
        distinct_method=method,
        top=top,
        top_count_error=table.count_error,
        length_min=length_min if strings and count else None,
        length_max=length_max if strings and count else None,
        length_mean=length_sum / count if strings and count else None,
        state=CategoricalState(
            values=ValuesState.of(table), length_sum=length_sum, hll=hll.encode()
        ),
    )


def iso_from_us(us: int) -> str:
    """ISO 8601 (UTC) text of a count of microseconds since the epoch.

    Examples:
        >>> iso_from_us(0)
        '1970-01-01T00:00:00'
    """
    return (_EPOCH + timedelta(microseconds=us)).replace(tzinfo=None).isoformat()


def timestamp_column(
    *,
    name: str,
    dtype: str,
    rows: int,
    missing: int,
    min_us: int | None,
    max_us: int | None,
    grid: TimeGrid,
    hll: HyperLogLog,
) -> TimestampColumn:
    count = rows - missing
    histogram = None
    if count and min_us is not None and max_us is not None:
        pts = np.clip(grid.keys.astype(np.float64) * float(1 << grid.shift), min_us, max_us)
        edges, counts = _equal_width_histogram(pts, grid.counts, float(min_us), float(max_us))
        histogram = Histogram(edges=[iso_from_us(round(e)) for e in edges], counts=counts)
    return TimestampColumn(
        name=name,
        dtype=dtype,
        rows=rows,
        missing=missing,
        count=count,
        missing_share=_share(missing, rows),
        distinct=min(hll.estimate(), count) if count else 0,
        distinct_method="hll",
        min=iso_from_us(min_us) if min_us is not None else None,
        max=iso_from_us(max_us) if max_us is not None else None,
        histogram=histogram,
        state=TimestampState(
            min_us=min_us, max_us=max_us, grid=TimeGridState.of(grid), hll=hll.encode()
        ),
    )


def other_column(*, name: str, dtype: str, rows: int, missing: int) -> OtherColumn:
    return OtherColumn(
        name=name,
        dtype=dtype,
        rows=rows,
        missing=missing,
        count=rows - missing,
        missing_share=_share(missing, rows),
        distinct=None,
        distinct_method="none",
    )


def exact_moments(n: int, s1: int, s2: int) -> tuple[float, float]:
    """Mean and sum of squared deviations of integers from their exact sums (deterministic).

    Examples:
        >>> exact_moments(3, 6, 14)
        (2.0, 2.0)
    """
    return float(Fraction(s1, n)), float(Fraction(s2 * n - s1 * s1, n))
