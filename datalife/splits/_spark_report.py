"""The split report of a Spark split, from what Spark aggregates: rows per (split, stratum),
the splits of each group, and the splits of each content hash shared by several rows.

Only these counts come to the driver. The report has the DuckDB engine's fields and
meanings; what differs is that Spark has no stable row numbers, so the examples of rows
shared across splits list their splits and keys, not row numbers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from datalife.splits._spark_write import SPLIT_COLUMN
from datalife.splits.params import SPLITS, SplitParams
from datalife.splits.report import (
    MAX_EXAMPLES,
    ClassDistribution,
    Deviation,
    DuplicateStats,
    GroupStats,
    SplitReport,
    SplitSize,
    class_table_of_counts,
    report_warnings,
)

if TYPE_CHECKING:
    import numpy.typing as npt
    import pyarrow as pa
    from pyspark.sql import DataFrame

__all__ = [
    "Check",
    "Strata",
    "build_report",
    "duplicate_stats",
    "group_stats",
    "run_checks",
]

K = len(SPLITS)


class Strata:
    """The strata found in a table of distinct stratum values (one row per distinct joint
    value), coded as the DuckDB engine codes them: each column's values sorted (null last),
    joint labels ``"a | b"``."""

    def __init__(self, table: pa.Table, columns: Sequence[str]) -> None:
        from datalife.splits._plan import _combine, encode

        self.columns = list(columns)
        #: the counts' table in Spark's own types (its rows have these codes)
        self.raw: pa.Table = table
        if not columns:
            self.codes = np.zeros(table.num_rows, dtype=np.int64)
            self.labels: list[str] = []
            return
        parts = [encode(table.column(c)) for c in columns]
        self.codes, self.labels = _combine(parts)

    @property
    def count(self) -> int:
        return max(len(self.labels), 1)


def _sizes(
    counts: npt.NDArray[np.int64], params: SplitParams, unit_sq: float | None
) -> list[SplitSize]:
    n = int(counts.sum())
    out = []
    for j, name in enumerate(SPLITS):
        p = params.ratios[j]
        sd = None if unit_sq is None else math.sqrt(unit_sq * p * (1 - p))
        out.append(SplitSize(split=name, rows=int(counts[j]), target=n * p, noise_sd=sd))
    return out


#: one aggregate of the rows (a one-row DataFrame), and what its row (as JSON) means
Check = tuple["DataFrame", Callable[[dict[str, Any]], Any]]


def run_checks(checks: Mapping[str, Check]) -> dict[str, Any]:
    """Every check's one-row aggregate in ONE Spark job (their union, each row as JSON),
    then each row read by its check. Spark runs a few large jobs well and many small ones
    badly: each costs a scheduling round trip."""
    from functools import reduce

    from pyspark.sql import functions as F  # noqa: N812

    if not checks:
        return {}
    frames = [
        df.select(F.lit(name).alias("kind"), F.to_json(F.struct(*df.columns)).alias("v"))
        for name, (df, _) in checks.items()
    ]
    rows = reduce(lambda a, b: a.unionByName(b), frames).collect()
    got = {str(r["kind"]): json.loads(r["v"]) for r in rows}
    return {name: parse(got.get(name, {})) for name, (_, parse) in checks.items()}


def group_stats(assigned: DataFrame, group_cols: Sequence[str], column: str) -> Check:
    """Groups per split and groups in two splits (must be none), and the sum of the squared
    group sizes (key mode's noise)."""
    from pyspark.sql import functions as F  # noqa: N812

    from datalife.engines.spark.reading import col

    per = assigned.groupBy(*[col(c) for c in group_cols]).agg(
        F.collect_set(F.col(SPLIT_COLUMN)).alias("s"), F.count(F.lit(1)).alias("n")
    )
    shown = F.coalesce(col(group_cols[0]).cast("string"), F.lit("<null>"))
    agg = per.agg(
        F.count(F.lit(1)).alias("groups"),
        *[F.sum(F.array_contains("s", j).cast("long")).alias(f"g{j}") for j in range(K)],
        F.sum((F.size("s") > 1).cast("long")).alias("overlap"),
        F.sum(F.col("n").cast("double") * F.col("n")).alias("sq"),
        F.slice(
            F.array_sort(F.collect_list(F.when(F.size("s") > 1, shown))), 1, MAX_EXAMPLES
        ).alias("examples"),
    )

    def parse(row: dict[str, Any]) -> tuple[GroupStats, float]:
        stats = GroupStats(
            column=column,
            count=int(row.get("groups") or 0),
            per_split={s: int(row.get(f"g{j}") or 0) for j, s in enumerate(SPLITS)},
            overlap=int(row.get("overlap") or 0),
            overlapping=[str(v) for v in (row.get("examples") or [])],
        )
        return stats, float(row.get("sq") or 0.0)

    return agg, parse


def duplicate_stats(
    assigned: DataFrame, columns: Sequence[str], excluded: Sequence[str], key: str | None
) -> Check | None:
    """Rows equal in every column but the key (by a 64-bit content hash) that are in more
    than one split (None: no column to compare)."""
    from pyspark.sql import functions as F  # noqa: N812

    from datalife.engines.spark.reading import col

    cols = [c for c in columns if c not in excluded]
    if not cols:
        return None
    h = F.xxhash64(*[col(c) for c in cols])
    aggs = [F.count(F.lit(1)).alias("n"), F.collect_set(F.col(SPLIT_COLUMN)).alias("s")]
    if key is not None:
        aggs.append(F.slice(F.collect_list(col(key).cast("string")), 1, 10).alias("keys"))
    dup = assigned.groupBy(h.alias("h")).agg(*aggs).filter(F.col("n") > 1)
    shared = F.size("s") > 1
    pair_sums = [
        F.sum((shared & F.array_contains("s", a) & F.array_contains("s", b)).cast("long")).alias(
            f"p{a}{b}"
        )
        for a in range(K)
        for b in range(a + 1, K)
    ]
    example = F.struct(
        F.array_sort(F.col("s")).alias("s"), *([F.col("keys")] if key is not None else [])
    )
    agg = dup.agg(
        F.sum("n").alias("dup"),
        F.sum(F.when(shared, F.col("n"))).alias("shared_rows"),
        F.sum(shared.cast("long")).alias("shared_contents"),
        *pair_sums,
        F.slice(F.collect_list(F.when(shared, example)), 1, MAX_EXAMPLES).alias("examples"),
    )

    def parse(row: dict[str, Any]) -> DuplicateStats:
        pairs = {f"{a}/{b}": 0 for i, a in enumerate(SPLITS) for b in SPLITS[i + 1 :]}
        for a in range(K):
            for b in range(a + 1, K):
                pairs[f"{SPLITS[a]}/{SPLITS[b]}"] = int(row.get(f"p{a}{b}") or 0)
        examples: list[dict[str, Any]] = []
        for ex in row.get("examples") or []:
            item: dict[str, Any] = {"rows": [], "splits": [SPLITS[int(j)] for j in ex["s"]]}
            if key is not None:
                item["keys"] = list(ex.get("keys") or [])
            examples.append(item)
        return DuplicateStats(
            checked=True,
            excluded_columns=list(excluded),
            duplicated_rows=int(row.get("dup") or 0),
            shared_rows=int(row.get("shared_rows") or 0),
            shared_contents=int(row.get("shared_contents") or 0),
            pairs=pairs,
            examples=examples,
        )

    return agg, parse


def build_report(
    params: SplitParams,
    mat: npt.NDArray[np.int64],
    labels: Sequence[str],
    groups: GroupStats | None,
    dup: DuplicateStats,
    columns: Sequence[str],
    warnings: list[str],
    unit_sq: float | None = None,
) -> SplitReport:
    """The report (as :func:`datalife.splits._plan._report` makes it) from the counts:
    ``mat`` is rows per (stratum, split)."""
    counts = mat.sum(axis=0)
    sizes = _sizes(counts, params, unit_sq if params.mode == "key" else None)
    classes: list[ClassDistribution] = []
    largest: Deviation | None = None
    max_rows: float | None = None
    missing: list[dict[str, Any]] = []
    if params.stratify:
        classes, largest, max_rows, missing = class_table_of_counts(mat, labels, params)
    warnings.extend(report_warnings(params, sizes, missing, dup, groups))
    return SplitReport(
        params=params,
        total_rows=int(counts.sum()),
        sizes=sizes,
        classes=classes,
        largest_deviation=largest,
        max_row_deviation=max_rows,
        missing_classes=missing,
        groups=groups,
        duplicates=dup,
        rebalance=None,
        drift=dict.fromkeys(columns),
        warnings=warnings,
    )
