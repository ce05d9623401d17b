"""The drift report: per-column metrics, thresholds, verdicts, and their JSON form."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from datalife.errors import DataError

if TYPE_CHECKING:
    from datalife.schemas.model import ComparatorConfig

__all__ = [
    "DEFAULT_SIGNIFICANCE",
    "DEFAULT_THRESHOLDS",
    "METRICS",
    "THRESHOLD_METRICS",
    "ColumnDrift",
    "DriftDetected",
    "DriftReport",
    "Side",
    "iso_seconds",
    "thresholds_for",
]

#: Every metric, always present in a column's JSON (``null`` when not computed, with a note).
METRICS = (
    "linf",
    "jsd_log2",
    "psi",
    "wasserstein_norm",
    "ks_stat",
    "ks_pvalue",
    "chi2_pvalue",
)
#: Metrics a threshold can be set on (effect sizes; p-values are reported, never thresholded).
THRESHOLD_METRICS = ("linf", "jsd_log2", "psi", "wasserstein_norm", "ks_stat")
#: datalife's default thresholds, by column family; a schema's ``drift``/``skew`` settings
#: override them per metric and column.
DEFAULT_THRESHOLDS: dict[str, dict[str, float]] = {
    "numeric": {"wasserstein_norm": 0.1, "psi": 0.2},
    "categorical": {"linf": 0.1},
    # on the shares of hours, weekdays and months (the times themselves move on)
    "timestamp": {"linf": 0.1},
}

#: A breach counts only when the column's test rejects "same distribution" at this level.
DEFAULT_SIGNIFICANCE = 0.05

Status = Literal["ok", "drift", "not_computable", "not_compared", "skipped", "added", "removed"]


def thresholds_for(
    column: str, family: str, comparator: ComparatorConfig | None
) -> dict[str, float]:
    """The thresholds that apply to ``column``: the defaults, overridden by the schema's.

    Examples:
        >>> thresholds_for("x", "numeric", None)
        {'wasserstein_norm': 0.1, 'psi': 0.2}
    """
    out = dict(DEFAULT_THRESHOLDS.get(family, {}))
    if comparator is not None:
        own = comparator.for_column(column)
        for metric in THRESHOLD_METRICS:
            value = getattr(own, metric)
            if value is not None:
                out[metric] = float(value)
    return out


@dataclass
class Side:
    """One side of the comparison."""

    label: str
    rows: int
    from_profile: bool
    dataset: str | None = None
    dataset_version: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "rows": self.rows,
            "from_profile": self.from_profile,
            "dataset": self.dataset,
            "dataset_version": self.dataset_version,
        }


def iso_seconds(us: int | None) -> str | None:
    """An epoch time in microseconds as ISO 8601 (UTC, seconds).

    Examples:
        >>> iso_seconds(86_400_000_000)
        '1970-01-02T00:00:00Z'
    """
    if us is None:
        return None
    from datetime import UTC, datetime, timedelta

    t = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _num(x: float | None) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return float(x)


@dataclass
class ColumnDrift:
    """The comparison of one column.

    Attributes:
        status: ``ok``, ``drift``, ``not_computable`` (with ``reason``), ``not_compared``
            (timestamps and other kinds), ``skipped`` (absent in the environment), ``added`` or
            ``removed``.
        metrics: every name of :data:`METRICS`, ``None`` when not computed (see ``notes``).
        thresholds: the thresholds that applied.
        breaches: the metrics over their threshold (and significant, see :meth:`decide`).
        within_noise: metrics over their threshold but not significant at small samples.
        method: the metric that decided: the breach furthest over its threshold, or, for a column
            that did not drift, the metric closest to its threshold.
        worst: what moved most: a category with both shares, or a baseline-decile bin.
        histogram: both sides' counts on common bins, for plotting them overlaid: numbers on
            the 20 equal-width bins of ``jsd_log2`` (``edges``, ``baseline``, ``current``);
            categories per value (``values``, ``baseline``, ``current``; at most 50 values, the
            rest pooled).
        bins: numbers only: the PSI bins (baseline deciles ``psi_edges``) with both sides' counts.
        exact: computed from raw data on both sides (False: from bucketed profiles).
        resolution: for numbers compared from profiles, the relative width of the buckets.
    """

    column: str
    family: str
    status: Status
    metrics: dict[str, float | None] = field(default_factory=lambda: dict.fromkeys(METRICS))
    thresholds: dict[str, float] = field(default_factory=dict)
    breaches: list[str] = field(default_factory=list)
    within_noise: list[str] = field(default_factory=list)
    method: str | None = None
    value: float | None = None
    threshold: float | None = None
    n_baseline: int = 0
    n_current: int = 0
    missing_share_baseline: float | None = None
    missing_share_current: float | None = None
    dtype_baseline: str | None = None
    dtype_current: str | None = None
    worst: dict[str, Any] | None = None
    histogram: dict[str, Any] | None = None
    bins: dict[str, Any] | None = None
    exact: bool = True
    resolution: float | None = None
    notes: dict[str, str] = field(default_factory=dict)
    reason: str | None = None
    #: timestamps: the newest value of each side, the reference time, and the lags (seconds)
    freshness: dict[str, Any] | None = None

    @property
    def drifted(self) -> bool:
        return self.status == "drift"

    def decide(self, significance: float | None = DEFAULT_SIGNIFICANCE) -> None:
        """Apply the thresholds: set ``breaches``, ``status``, ``method`` and ``value``.

        With ``significance`` set, a breach counts only if the column's test (KS for numbers,
        chi-square for categories) also rejects "same distribution" at that level; otherwise it
        is listed in ``within_noise``. At large samples every real shift is significant, so the
        effect size decides; at small samples this keeps sampling noise from raising alarms.
        """
        ratios: list[tuple[float, str]] = []
        over: list[str] = []
        for metric, limit in self.thresholds.items():
            value = self.metrics.get(metric)
            if value is None:
                if metric in self.metrics and metric not in self.notes:
                    self.notes[metric] = "not computed for this column"
                continue
            ratio = value / limit if limit > 0 else (math.inf if value > 0 else 0.0)
            ratios.append((ratio, metric))
            if value > limit:
                over.append(metric)
        test = "ks_pvalue" if self.family == "numeric" else "chi2_pvalue"
        p = self.metrics.get(test)
        if over and significance is not None and p is not None and p >= significance:
            self.within_noise = over
            self.notes["verdict"] = (
                f"{', '.join(over)} over threshold, but {test} = {p:.3g} >= {significance:g}: "
                "the difference is within sampling noise"
            )
        else:
            self.breaches = over
        self.status = "drift" if self.breaches else "ok"
        if ratios:
            pool = [r for r in ratios if r[1] in self.breaches] or ratios
            _, best = max(pool, key=lambda r: (r[0], r[1]))
            self.method = best
            self.value = self.metrics[best]
            self.threshold = self.thresholds[best]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "column": self.column,
            "kind": self.family,
            "status": self.status,
            "drifted": self.drifted,
            "method": self.method,
            "value": _num(self.value),
            "threshold": self.threshold,
        }
        out.update({m: _num(self.metrics.get(m)) for m in METRICS})
        out.update(
            {
                "n_baseline": self.n_baseline,
                "n_current": self.n_current,
                "missing_share_baseline": _num(self.missing_share_baseline),
                "missing_share_current": _num(self.missing_share_current),
                "dtype_baseline": self.dtype_baseline,
                "dtype_current": self.dtype_current,
                "thresholds": self.thresholds,
                "breaches": self.breaches,
                "within_noise": self.within_noise,
                "worst": self.worst,
                "histogram": self.histogram,
                "bins": self.bins,
                "exact": self.exact,
                "resolution": self.resolution,
                "notes": self.notes,
                "reason": self.reason,
                "freshness": self.freshness,
            }
        )
        return out


@dataclass
class DriftReport:
    """Drift (or training/serving skew) between a baseline and a current dataset.

    ``drifted`` is True when any column's metric is over its threshold; ``to_dict()`` is the JSON
    of ``datalife drift --format json``.
    """

    comparison: Literal["drift", "skew"]
    baseline: Side
    current: Side
    columns: list[ColumnDrift]
    schema: str | None = None
    environment: str | None = None
    notes: list[str] = field(default_factory=list)
    significance: float | None = DEFAULT_SIGNIFICANCE
    #: the two profiles compared (not in ``to_dict()``; the report can render them)
    profiles: tuple[Any, Any] | None = field(default=None, repr=False)

    @property
    def drifted(self) -> bool:
        return any(c.drifted for c in self.columns)

    @property
    def drifted_columns(self) -> list[str]:
        return [c.column for c in self.columns if c.drifted]

    def _with(self, status: str) -> list[str]:
        return [c.column for c in self.columns if c.status == status]

    def column(self, name: str) -> ColumnDrift:
        for c in self.columns:
            if c.column == name:
                return c
        raise KeyError(f"no column {name!r} in the drift report")

    def __getitem__(self, name: str) -> ColumnDrift:
        return self.column(name)

    def summary(self) -> str:
        """One line: how many columns drifted, and which."""
        compared = [c for c in self.columns if c.status in ("ok", "drift")]
        word = "skew" if self.comparison == "skew" else "drift"
        if self.drifted:
            names = ", ".join(self.drifted_columns)
            return f"{word} in {len(self.drifted_columns)} of {len(compared)} compared columns: {names}"
        return f"no {word} in {len(compared)} compared columns"

    def raise_for_drift(self) -> None:
        """Raise :class:`DriftDetected` (exit code 1) if any column drifted."""
        if self.drifted:
            raise DriftDetected(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "comparison": self.comparison,
            "drifted": self.drifted,
            "summary": self.summary(),
            "schema": self.schema,
            "environment": self.environment,
            "baseline": self.baseline.to_dict(),
            "current": self.current.to_dict(),
            "defaults": DEFAULT_THRESHOLDS,
            "significance": self.significance,
            "columns": [c.to_dict() for c in self.columns],
            "drifted_columns": self.drifted_columns,
            "columns_added": self._with("added"),
            "columns_removed": self._with("removed"),
            "columns_skipped": self._with("skipped"),
            "columns_not_computable": self._with("not_computable"),
            "notes": self.notes,
        }

    def __repr__(self) -> str:
        return (
            f"DriftReport({self.comparison}, drifted={self.drifted}, columns={len(self.columns)})"
        )


class DriftDetected(DataError):
    """Raised by :meth:`DriftReport.raise_for_drift` when a threshold is exceeded."""

    def __init__(self, report: DriftReport) -> None:
        details = []
        for c in report.columns:
            if c.drifted and c.method is not None and c.value is not None:
                details.append(f"column {c.column!r}: {c.method} {c.value:.4g} > {c.threshold:g}")
        super().__init__(
            report.summary(),
            details=details,
            hint="look at what moved (`datalife drift ... --format json`); if it is expected, "
            "raise the thresholds in the schema's drift/skew settings.",
        )
        self.report = report
