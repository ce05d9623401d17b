"""The split report: what went where, how close to target, and what leaks.

A :class:`SplitReport` is built from the per-row split assignment and a few per-row codes;
it never holds the data. ``to_dict()`` is the JSON the CLI prints and ``write_splits``
stores beside the Parquet files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from datalife.splits.params import SPLITS, SplitParams

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy.typing as npt

__all__ = [
    "ClassDistribution",
    "Deviation",
    "DuplicateStats",
    "GroupStats",
    "RebalanceStats",
    "SplitReport",
    "SplitSize",
    "TimeOrderStats",
    "class_table_of_counts",
    "report_warnings",
]

#: How many examples (rows, groups, classes) a report lists at most.
MAX_EXAMPLES = 5


def _r(x: float, digits: int = 6) -> float:
    return round(float(x), digits)


@dataclass(frozen=True)
class SplitSize:
    """One split's row count against its target."""

    split: str
    rows: int
    target: float
    #: key mode: the standard deviation of the row count expected from hashing (None otherwise)
    noise_sd: float | None = None

    @property
    def deviation(self) -> float:
        return self.rows - self.target

    def to_dict(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "rows": self.rows,
            "target_rows": _r(self.target, 3),
            "deviation_rows": _r(self.deviation, 3),
            "noise_sd_rows": None if self.noise_sd is None else _r(self.noise_sd, 3),
        }


@dataclass(frozen=True)
class ClassDistribution:
    """One class (stratum): its rows overall and in each split."""

    label: str
    rows: int
    share: float
    split_rows: dict[str, int]
    split_shares: dict[str, float]
    targets: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "class": self.label,
            "rows": self.rows,
            "share": _r(self.share),
            "splits": {
                s: {
                    "rows": self.split_rows[s],
                    "share": _r(self.split_shares[s]),
                    "target_rows": _r(self.targets[s], 3),
                    "deviation_rows": _r(self.split_rows[s] - self.targets[s], 3),
                }
                for s in self.split_rows
            },
        }


@dataclass(frozen=True)
class Deviation:
    """The class whose share in a split is furthest from its share in the whole."""

    split: str
    label: str
    share: float
    expected_share: float
    rows: int
    target_rows: float

    @property
    def share_deviation(self) -> float:
        return self.share - self.expected_share

    def to_dict(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "class": self.label,
            "share": _r(self.share),
            "expected_share": _r(self.expected_share),
            "share_deviation": _r(self.share_deviation),
            "rows": self.rows,
            "target_rows": _r(self.target_rows, 3),
            "deviation_rows": _r(self.rows - self.target_rows, 3),
        }


@dataclass(frozen=True)
class GroupStats:
    """How the groups were spread: overlap must be 0."""

    column: str
    count: int
    per_split: dict[str, int]
    overlap: int
    overlapping: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "count": self.count,
            "per_split": dict(self.per_split),
            "overlap": self.overlap,
            "overlapping": list(self.overlapping),
        }


@dataclass(frozen=True)
class DuplicateStats:
    """Exact-duplicate rows (equal in every column but the key) found in more than one split.

    Attributes:
        checked: False if the check was skipped (``check_duplicates=False``, or cells that
            cannot be hashed).
        excluded_columns: columns left out of the comparison (the key).
        duplicated_rows: rows that have an identical twin anywhere (same split or not).
        shared_rows: rows whose identical twin is in another split (leakage).
        shared_contents: distinct row contents found in more than one split.
        pairs: ``"train/dev"`` etc. -> distinct contents shared by that pair.
        examples: a few shared contents: their row numbers and splits.
    """

    checked: bool
    excluded_columns: list[str] = field(default_factory=list)
    duplicated_rows: int = 0
    shared_rows: int = 0
    shared_contents: int = 0
    pairs: dict[str, int] = field(default_factory=dict)
    examples: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "excluded_columns": list(self.excluded_columns),
            "duplicated_rows": self.duplicated_rows,
            "shared_rows": self.shared_rows,
            "shared_contents": self.shared_contents,
            "pairs": dict(self.pairs),
            "examples": list(self.examples),
        }


@dataclass(frozen=True)
class RebalanceStats:
    """What rebalancing did to train (dev and test are never touched)."""

    method: str
    rows_before: int
    rows_after: int
    classes: dict[str, dict[str, float]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "train_rows_before": self.rows_before,
            "train_rows_after": self.rows_after,
            "classes": {k: dict(v) for k, v in self.classes.items()},
        }


@dataclass(frozen=True)
class TimeOrderStats:
    """Time mode's leakage check: no training row later than the first evaluation row.

    Attributes:
        column: the ``order_by`` column.
        train_max: the latest value in train; ``eval_min``: the earliest in dev or test.
        late_train_rows: train rows later than ``eval_min`` (0 unless whole groups spanning
            the cut were kept together in train).
        gap_rows: rows left out between the periods (``gap``).
        periods: per split, its first and last value.
    """

    column: str
    train_max: str | None
    eval_min: str | None
    late_train_rows: int
    gap_rows: int
    periods: dict[str, list[str | None]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.late_train_rows == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "ok": self.ok,
            "train_max": self.train_max,
            "eval_min": self.eval_min,
            "late_train_rows": self.late_train_rows,
            "gap_rows": self.gap_rows,
            "periods": self.periods,
        }


@dataclass(frozen=True)
class SplitReport:
    """Everything a person needs to trust a split.

    Attributes:
        params: the split parameters (mode, ratios, columns, seed, rebalance).
        total_rows: rows in the input.
        sizes: rows per split against target (before any rebalancing of train).
        classes: per stratum, rows and share overall and in each split.
        largest_deviation: the class share furthest from its share in the whole.
        max_row_deviation: the largest |rows - exact target| over classes and splits.
        missing_classes: classes absent from some split (only possible for classes with
            fewer rows than splits, or in group and key modes).
        groups: group spread and overlap (with ``group``).
        duplicates: exact-duplicate rows shared across splits.
        rebalance: what rebalancing did to train.
        drift: per column, a drift figure between splits (filled by a later drift module;
            ``None`` until then).
        warnings: things a person should look at.
        time_order: time mode: the check that training ends before evaluation begins.
    """

    params: SplitParams
    total_rows: int
    sizes: list[SplitSize]
    classes: list[ClassDistribution]
    largest_deviation: Deviation | None
    max_row_deviation: float | None
    missing_classes: list[dict[str, Any]]
    groups: GroupStats | None
    duplicates: DuplicateStats
    rebalance: RebalanceStats | None
    drift: dict[str, Any]
    warnings: list[str]
    time_order: TimeOrderStats | None = None

    @property
    def mode(self) -> str:
        return self.params.mode

    @property
    def rows(self) -> dict[str, int]:
        """Rows per split (before any rebalancing of train)."""
        return {s.split: s.rows for s in self.sizes}

    @property
    def ok(self) -> bool:
        """No group overlap, no duplicate rows shared across splits, and (time mode) no
        training row later than the first evaluation row."""
        overlap = self.groups.overlap if self.groups else 0
        late = self.time_order.late_train_rows if self.time_order else 0
        return overlap == 0 and self.duplicates.shared_rows == 0 and late == 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (stable key order; ``time_order`` in time mode only)."""
        out: dict[str, Any] = {
            "mode": self.mode,
            "parameters": self.params.to_dict(),
            "rows": {"total": self.total_rows, **self.rows},
            "sizes": [s.to_dict() for s in self.sizes],
            "classes": [c.to_dict() for c in self.classes],
            "largest_deviation": self.largest_deviation.to_dict()
            if self.largest_deviation
            else None,
            "max_row_deviation": None
            if self.max_row_deviation is None
            else _r(self.max_row_deviation, 3),
            "missing_classes": list(self.missing_classes),
            "groups": self.groups.to_dict() if self.groups else None,
            "duplicates": self.duplicates.to_dict(),
            "rebalance": self.rebalance.to_dict() if self.rebalance else None,
            "drift": dict(self.drift),
            "warnings": list(self.warnings),
        }
        if self.time_order is not None:
            out["time_order"] = self.time_order.to_dict()
        return out

    def summary(self) -> str:
        """One line: rows per split and mode."""
        parts = ", ".join(f"{s.split} {s.rows:,}" for s in self.sizes)
        strat = f", stratified by {', '.join(self.params.stratify)}" if self.params.stratify else ""
        grp = f", grouped by {self.params.group}" if self.params.group else ""
        if self.params.order_by:
            grp += f", ordered by {self.params.order_by}"
        return f"split {self.total_rows:,} rows ({self.mode} mode{strat}{grp}): {parts}"

    def __repr__(self) -> str:
        return f"<SplitReport {self.summary()}>"


def split_sizes(
    assign: npt.NDArray[np.int8], params: SplitParams, unit_sq_sum: float | None = None
) -> list[SplitSize]:
    """Rows per split against target.

    Args:
        assign: the split of every row.
        params: the split parameters.
        unit_sq_sum: key mode: the sum of squared sizes of the hashed units (rows, or
            groups), from which the expected noise follows; None for exact and group modes.
    """
    counts = [int(np.count_nonzero(assign == j)) for j in range(len(SPLITS))]
    n = sum(counts)  # without time mode's gap rows
    out = []
    for j, name in enumerate(SPLITS):
        p = params.ratios[j]
        out.append(
            SplitSize(
                split=name,
                rows=int(counts[j]),
                target=n * p,
                noise_sd=None if unit_sq_sum is None else math.sqrt(unit_sq_sum * p * (1 - p)),
            )
        )
    return out


def class_table(
    assign: npt.NDArray[np.int8],
    codes: npt.NDArray[np.int64],
    labels: Sequence[str],
    params: SplitParams,
) -> tuple[list[ClassDistribution], Deviation | None, float | None, list[dict[str, Any]]]:
    """Per-class counts per split, the largest deviation, and the missing classes."""
    c = len(labels)
    k = len(SPLITS)
    joint = codes * k
    joint += assign
    mat = np.bincount(joint, minlength=c * k).reshape(c, k)
    del joint
    return class_table_of_counts(mat, labels, params)


def class_table_of_counts(
    mat: npt.NDArray[np.int64], labels: Sequence[str], params: SplitParams
) -> tuple[list[ClassDistribution], Deviation | None, float | None, list[dict[str, Any]]]:
    """:func:`class_table` from the (class x split) row counts ``mat`` (an engine that counts
    them where the rows are, such as Spark, hands them over)."""
    n = int(mat.sum())
    totals = mat.sum(axis=1)
    split_totals = mat.sum(axis=0)
    classes: list[ClassDistribution] = []
    best: Deviation | None = None
    max_rows = 0.0
    missing: list[dict[str, Any]] = []
    for i, label in enumerate(labels):
        n_c = int(totals[i])
        whole = n_c / n if n else 0.0
        split_rows = {s: int(mat[i, j]) for j, s in enumerate(SPLITS)}
        shares = {
            s: (mat[i, j] / split_totals[j] if split_totals[j] else 0.0)
            for j, s in enumerate(SPLITS)
        }
        targets = {s: n_c * params.ratios[j] for j, s in enumerate(SPLITS)}
        classes.append(
            ClassDistribution(
                label=label,
                rows=n_c,
                share=whole,
                split_rows=split_rows,
                split_shares={s: float(v) for s, v in shares.items()},
                targets=targets,
            )
        )
        absent = [s for s in SPLITS if split_rows[s] == 0]
        if absent:
            missing.append({"class": label, "rows": n_c, "splits": absent})
        for s in SPLITS:
            max_rows = max(max_rows, abs(split_rows[s] - targets[s]))
            dev = Deviation(
                split=s,
                label=label,
                share=float(shares[s]),
                expected_share=whole,
                rows=split_rows[s],
                target_rows=targets[s],
            )
            if best is None or abs(dev.share_deviation) > abs(best.share_deviation):
                best = dev
    return classes, best, max_rows, missing


def group_stats(
    assign: npt.NDArray[np.int8],
    group_codes: npt.NDArray[np.int64],
    group_labels: Sequence[str],
    column: str,
) -> GroupStats:
    """Groups per split and groups found in more than one split."""
    k = len(SPLITS)
    n_groups = len(group_labels)
    present = np.zeros((n_groups, k), dtype=bool)
    kept = assign < k  # time mode's gap rows are in no split
    present[group_codes[kept], assign[kept]] = True
    per_split = {s: int(present[:, j].sum()) for j, s in enumerate(SPLITS)}
    multi = np.flatnonzero(present.sum(axis=1) > 1)
    return GroupStats(
        column=column,
        count=n_groups,
        per_split=per_split,
        overlap=len(multi),
        overlapping=[group_labels[int(g)] for g in multi[:MAX_EXAMPLES]],
    )


def duplicate_stats(
    assign: npt.NDArray[np.int8],
    row_hash: npt.NDArray[np.uint64] | None,
    excluded: Sequence[str],
) -> DuplicateStats:
    """Rows equal (by a 64-bit content hash) to a row in another split."""
    pairs = {f"{a}/{b}": 0 for i, a in enumerate(SPLITS) for b in SPLITS[i + 1 :]}
    if row_hash is None:
        return DuplicateStats(checked=False, excluded_columns=list(excluded), pairs=pairs)
    hs = np.sort(row_hash)
    same = hs[1:] == hs[:-1]
    if not same.any():
        return DuplicateStats(checked=True, excluded_columns=list(excluded), pairs=pairs)
    dup_values = np.unique(hs[1:][same])
    rows = np.flatnonzero(np.isin(row_hash, dup_values))
    sub_h = row_hash[rows]
    sub_a = assign[rows].astype(np.int64)
    order = np.lexsort((rows, sub_h))
    sub_h, sub_a, rows = sub_h[order], sub_a[order], rows[order]
    starts = np.flatnonzero(np.r_[True, sub_h[1:] != sub_h[:-1]])
    ends = np.r_[starts[1:], len(sub_h)]
    shared_rows = 0
    shared_contents = 0
    examples: list[dict[str, Any]] = []
    for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
        splits_here = sorted(set(sub_a[lo:hi].tolist()))
        if len(splits_here) < 2:
            continue
        shared_contents += 1
        shared_rows += hi - lo
        for i, a in enumerate(splits_here):
            for b in splits_here[i + 1 :]:
                pairs[f"{SPLITS[a]}/{SPLITS[b]}"] += 1
        if len(examples) < MAX_EXAMPLES:
            examples.append(
                {
                    "rows": [int(r) for r in rows[lo:hi][:10]],
                    "splits": [SPLITS[int(a)] for a in sub_a[lo:hi][:10]],
                }
            )
    return DuplicateStats(
        checked=True,
        excluded_columns=list(excluded),
        duplicated_rows=len(rows),
        shared_rows=shared_rows,
        shared_contents=shared_contents,
        pairs=pairs,
        examples=examples,
    )


def report_warnings(
    params: SplitParams,
    sizes: Sequence[SplitSize],
    missing: Sequence[dict[str, Any]],
    dup: DuplicateStats,
    groups: GroupStats | None,
) -> list[str]:
    """The report's warnings about the split itself (whichever engine made it): classes
    missing from a split, rows duplicated across splits, group-mode sizes far from their
    targets, key-mode sizes further from them than hashing noise explains."""
    out: list[str] = []
    for m in missing[:MAX_EXAMPLES]:
        out.append(f"class {m['class']!r} ({m['rows']} rows) is not in {', '.join(m['splits'])}")
    if len(missing) > MAX_EXAMPLES:
        out.append(f"... and {len(missing) - MAX_EXAMPLES} more classes missing from a split")
    if dup.shared_rows:
        out.append(
            f"{dup.shared_rows:,} rows have an exact duplicate in another split "
            f"({dup.shared_contents:,} distinct rows): the model can see test rows in training"
        )
    if params.mode == "group" and groups is not None:
        far = [s for s in sizes if abs(s.deviation) > max(1.0, 0.1 * s.target)]
        if far:
            worst = max(far, key=lambda s: abs(s.deviation) / s.target)
            out.append(
                f"{worst.split} has {worst.rows:,} rows for a target of {worst.target:,.0f}: "
                f"{groups.count:,} groups cannot be split closer to the ratios"
            )
    if params.mode == "key":
        for s in sizes:
            if s.noise_sd and abs(s.deviation) > 4 * s.noise_sd:
                out.append(
                    f"{s.split} has {s.rows:,} rows, {s.deviation / s.noise_sd:+.1f} standard "
                    "deviations from its target: check the key column is not skewed"
                )
    return out
