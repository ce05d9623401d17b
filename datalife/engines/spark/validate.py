"""Validation on Spark, in phases (as the DuckDB engine's), with nothing collected to the
driver but results:

1. :func:`typed_union` — every source read as :mod:`datalife.reading` decided and converted to
   the schema's types (:mod:`datalife.engines.spark.reading`), with ``__file`` (the source's
   index) and ``__mid`` (``monotonically_increasing_id``: the scan partition in the high bits,
   the row within it in the low 33), and each check's failure condition.
2. :func:`count_failures` — one aggregate counts the rows of each file, the failing rows of
   every check, and the last scan partition of each file.
3. :func:`count_repeats` — uniqueness: each unique check's repeated keys, by a grouped count.
4. :func:`find_examples` — only for failing checks: the first few failing rows in file order
   (a top-k, not a sort), their row numbers from the per-partition row counts of their file
   (one more grouped count, only when a failing file was read as several partitions).

Each source is its own scan, so a partition never mixes files; Spark lists one file's
splits in file order, so partition order within a file is row order.
"""

from __future__ import annotations

import decimal
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from datalife.engines.report import MAX_EXAMPLES, Example, Failure
from datalife.engines.spark import checks as rendering
from datalife.engines.spark.reading import col, missing, spark_type, strict_cast
from datalife.errors import DatalifeError, InputError
from datalife.plan.compile import STRUCTURAL, CheckPlan, PlannedCheck, describe_failure
from datalife.reading import FLOAT_TYPES, type_family, typed_columns

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

__all__ = ["Inputs", "SparkResult", "run_validation"]

_PART_BITS = 33
_LOW = (1 << _PART_BITS) - 1
_T = TypeVar("_T")


@dataclass
class Inputs:
    """What is validated: one DataFrame per source (as stored), with what is known of it."""

    frames: list[DataFrame]
    stored: list[dict[str, str]]  # each column's stored type, as DuckDB names it
    names: list[str]  # how each source is named in reports
    formats: list[str]  # csv, jsonl, parquet, frame

    @property
    def columns(self) -> list[list[str]]:
        return [list(s) for s in self.stored]


@dataclass
class SparkResult:
    rows: int
    per_source: list[int]
    failures: list[Failure]


@dataclass
class _Col:
    name: str
    typed: Column
    raw: Column
    bad: Column | None
    is_float: bool
    family: str | None


@dataclass
class _Cond:
    check: PlannedCheck
    cond: Column
    shown: str  # the union's column whose value an example shows


@dataclass
class _Run:
    plan: CheckPlan
    inputs: Inputs
    union: DataFrame
    cols: dict[str, _Col]
    conds: list[_Cond] = field(default_factory=list)
    last_part: list[int | None] = field(default_factory=list)
    offsets: dict[tuple[int, int], int] | None = None


def spark_action(names: Sequence[str], what: Callable[[], _T]) -> _T:
    """``what()``, with a Spark failure (an unreadable file, an executor lost) turned into a
    datalife error carrying Spark's message (the file named where Spark names it)."""
    try:
        return what()
    except DatalifeError:
        raise
    except Exception as exc:
        if not _is_spark_error(exc):
            raise
        text = " ".join(str(exc).split())
        short = text[:600] + ("..." if len(text) > 600 else "")
        named = next((n for n in names if n and n in text), None)
        raise InputError(
            f"{named or ', '.join(names)}: Spark could not read the data: {short}",
            path=named,
            hint="check the file (a ragged or malformed row, a broken Parquet footer); "
            "Spark's message is above.",
        ) from None


def _is_spark_error(exc: BaseException) -> bool:
    module = type(exc).__module__
    return module.startswith(("pyspark", "py4j", "grpc"))


def run_validation(plan: CheckPlan, inputs: Inputs, mismatched: set[str]) -> SparkResult:
    """Count and describe every failing value check of ``plan`` on ``inputs``."""
    run = typed_union(plan, inputs)
    run.conds = conditions(run, mismatched)
    counts = count_failures(run)
    total = int(counts["__n"] or 0)
    per_source = [int(counts[f"__n{i}"] or 0) for i in range(len(inputs.frames))]
    run.last_part = [
        None if counts[f"__p{i}"] is None else int(counts[f"__p{i}"])
        for i in range(len(inputs.frames))
    ]
    failing = [(c, int(counts[f"f{k}"] or 0)) for k, c in enumerate(run.conds)]
    failing = [(c, n) for c, n in failing if n]
    failures = find_examples(run, failing)
    failures += count_repeats(run)
    return SparkResult(total, per_source, failures)


# -- phase 1 -----------------------------------------------------------------------------


def _bad(c: str) -> str:
    return f"__bad:{c}"


def _raw(c: str) -> str:
    return f"__raw:{c}"


def typed_union(plan: CheckPlan, inputs: Inputs) -> _Run:
    """Every source converted to the schema's types, in one DataFrame."""
    from pyspark.sql import functions as F  # noqa: N812

    typing = typed_columns(plan.spec)
    present = [c for c in plan.columns if any(c in s for s in inputs.stored)]
    casts = {
        c
        for s in inputs.stored
        for c, (target, _, _) in typing.items()
        if c in s and type_family(s[c]) != type_family(target)
    }
    # an untyped column stored as different types in different sources is compared as text
    as_text = {
        c
        for c in present
        if c not in typing and len({type_family(s[c]) for s in inputs.stored if c in s}) > 1
    }
    parts = []
    for i, (df, stored) in enumerate(zip(inputs.frames, inputs.stored, strict=True)):
        items: list[Column] = []
        for c in present:
            target = typing.get(c)
            if c not in stored:
                want = spark_type(target[0]) if target else "string"
                items.append(F.lit(None).cast(want).alias(c))
                if c in casts:
                    items += [
                        F.lit(False).alias(_bad(c)),
                        F.lit(None).cast("string").alias(_raw(c)),
                    ]
                continue
            if target is None:
                items.append((col(c).cast("string") if c in as_text else col(c)).alias(c))
                continue
            expr = strict_cast(
                col(c), stored[c], target[0], true_values=target[1], false_values=target[2]
            )
            items.append((col(c) if expr is None else expr).alias(c))
            if c in casts:
                if expr is None:
                    items += [
                        F.lit(False).alias(_bad(c)),
                        F.lit(None).cast("string").alias(_raw(c)),
                    ]
                else:
                    present_value = ~missing(col(c), stored[c])
                    items += [
                        (present_value & expr.isNull()).alias(_bad(c)),
                        col(c).cast("string").alias(_raw(c)),
                    ]
        items += [F.lit(i).alias("__file"), F.monotonically_increasing_id().alias("__mid")]
        parts.append(df.select(*items))
    union = functools.reduce(lambda a, b: a.unionByName(b), parts)
    cols: dict[str, _Col] = {}
    for c in present:
        target = typing.get(c)
        families = {type_family(s[c]) for s in inputs.stored if c in s}
        family = (
            type_family(target[0])
            if target
            else ("VARCHAR" if c in as_text else next(iter(families)))
        )
        cols[c] = _Col(
            c,
            col(c),
            col(_raw(c)) if c in casts else col(c),
            col(_bad(c)) if c in casts else None,
            family in FLOAT_TYPES,
            family,
        )
    return _Run(plan, inputs, union, cols)


def conditions(run: _Run, mismatched: set[str]) -> list[_Cond]:
    """Each value check's failure condition over the typed union."""
    from pyspark.sql import functions as F  # noqa: N812

    out: list[_Cond] = []
    for p in run.plan.checks:
        if p.check in STRUCTURAL or p.check in ("min_rows", "unique"):
            continue
        if p.column is None or p.column not in run.cols:
            continue
        c = run.cols[p.column]
        if p.check in ("dtype", "coerce_dtype"):
            if c.bad is None or p.column in mismatched:
                continue
            out.append(_Cond(p, c.bad, _raw(c.name)))
            continue
        if p.check == "not_nullable":
            cond = c.typed.isNull()
            if c.is_float:
                cond = cond | F.isnan(c.typed)
            if c.bad is not None:
                cond = cond & ~c.bad
            out.append(_Cond(p, cond, c.name))
            continue
        out.append(_Cond(p, rendering.fails(p, c.typed, c.is_float, c.family), c.name))
    return out


# -- phase 2 -----------------------------------------------------------------------------


def count_failures(run: _Run) -> dict[str, Any]:
    """One aggregate: rows (of each file), failing rows of each check, and each file's last
    scan partition."""
    from pyspark.sql import functions as F  # noqa: N812

    file, part = F.col("__file"), F.shiftright(F.col("__mid"), _PART_BITS)
    aggs = [F.count(F.lit(1)).alias("__n")]
    for i in range(len(run.inputs.frames)):
        aggs.append(F.count_if(file == i).alias(f"__n{i}"))
        aggs.append(F.max(F.when(file == i, part)).alias(f"__p{i}"))
    aggs += [F.count_if(c.cond).alias(f"f{k}") for k, c in enumerate(run.conds)]
    rows = spark_action(run.inputs.names, lambda: run.union.agg(*aggs).collect())
    return rows[0].asDict()


# -- phase 3 -----------------------------------------------------------------------------


def count_repeats(run: _Run) -> list[Failure]:
    """The failure of each unique check whose non-null keys repeat, with its first rows."""
    from pyspark.sql import functions as F  # noqa: N812

    out: list[Failure] = []
    for p in run.plan.checks:
        if p.check != "unique" or p.column is None:
            continue
        keys = p.column.split(",")
        if not all(k in run.cols for k in keys):
            continue
        aliases = [f"__k{j}" for j in range(len(keys))]
        notnull = functools.reduce(lambda a, b: a & b, [col(k).isNotNull() for k in keys])
        dups = (
            run.union.where(notnull)
            .groupBy(*[col(k).alias(a) for k, a in zip(keys, aliases, strict=True)])
            .agg(F.count(F.lit(1)).alias("__c"))
            .where(F.col("__c") > 1)
        )
        summed = dups.agg(F.sum("__c").alias("rows"), F.count(F.lit(1)).alias("keys"))
        row = spark_action(run.inputs.names, summed.collect)[0].asDict()
        if not row["rows"]:
            continue
        on = functools.reduce(
            lambda a, b: a & b,
            [col(k) == F.col(a) for k, a in zip(keys, aliases, strict=True)],
        )
        hits = run.union.join(dups, on=on, how="left_semi")
        found = _first_rows(run, hits, [col(k) for k in keys])
        exs = tuple(
            _example(run, f, m, vals[0] if len(vals) == 1 else tuple(vals)) for f, m, vals in found
        )
        out.append(
            Failure(
                p.column,
                "unique",
                p.detail,
                int(row["rows"]),
                exs,
                f"duplicate values where values must be unique ({int(row['keys'])} values repeated)",
            )
        )
    return out


# -- phase 4 -----------------------------------------------------------------------------


def _first_rows(
    run: _Run, df: DataFrame, shown: Sequence[Column]
) -> list[tuple[int, int, list[Any]]]:
    """``(file, __mid, values)`` of ``df``'s first :data:`MAX_EXAMPLES` rows in file order."""
    from pyspark.sql import functions as F  # noqa: N812

    picked = (
        df.select(
            F.col("__file"), F.col("__mid"), *[s.alias(f"__v{j}") for j, s in enumerate(shown)]
        )
        .orderBy("__file", "__mid")
        .limit(MAX_EXAMPLES)
    )
    rows = spark_action(run.inputs.names, picked.collect)
    return [(int(r[0]), int(r[1]), list(r[2:])) for r in rows]


def find_examples(run: _Run, failing: Sequence[tuple[_Cond, int]]) -> list[Failure]:
    """The failures of the failing value checks, with their first failing rows: one query
    for the checks whose shown values have the same Spark type (a union of top-k's)."""
    from pyspark.sql import functions as F  # noqa: N812

    if not failing:
        return []
    types = dict(run.union.dtypes)
    groups: dict[str, list[int]] = {}
    for k, (c, _) in enumerate(failing):
        groups.setdefault(types[c.shown], []).append(k)
    found: dict[int, list[tuple[int, int, Any]]] = {k: [] for k in range(len(failing))}
    for members in groups.values():
        parts = [
            run.union.where(failing[k][0].cond)
            .select(
                F.lit(k).alias("__k"),
                F.col("__file"),
                F.col("__mid"),
                col(failing[k][0].shown).alias("__v"),
            )
            .orderBy("__file", "__mid")
            .limit(MAX_EXAMPLES)
            for k in members
        ]
        query = functools.reduce(lambda a, b: a.unionByName(b), parts)
        for r in spark_action(run.inputs.names, query.collect):
            found[int(r[0])].append((int(r[1]), int(r[2]), r[3]))
    out = []
    for k, (c, n) in enumerate(failing):
        rows = sorted(found[k], key=lambda t: (t[0], t[1]))
        exs = tuple(_example(run, f, m, v) for f, m, v in rows)
        p = c.check
        out.append(
            Failure(
                p.column,
                p.check,
                p.detail,
                n,
                exs,
                describe_failure(p.check, p.detail, p.column, p.obj),
            )
        )
    return out


def _row_of(run: _Run, file: int, mid: int) -> int:
    """The 0-based row in its file of the row with ``__mid`` ``mid``."""
    part, local = mid >> _PART_BITS, mid & _LOW
    if not run.last_part[file]:  # read as one partition
        return local
    if run.offsets is None:
        from pyspark.sql import functions as F  # noqa: N812

        grouped = run.union.groupBy(
            F.col("__file"), F.shiftright(F.col("__mid"), _PART_BITS).alias("__part")
        ).count()
        counted = spark_action(run.inputs.names, grouped.collect)
        sizes = {(int(r[0]), int(r[1])): int(r[2]) for r in counted}
        offsets: dict[tuple[int, int], int] = {}
        for f in range(len(run.inputs.frames)):
            before = 0
            for q in sorted(q for g, q in sizes if g == f):
                offsets[(f, q)] = before
                before += sizes[(f, q)]
        run.offsets = offsets
    return run.offsets.get((file, part), 0) + local


def _example(run: _Run, file: int, mid: int, value: Any) -> Example:
    row = _row_of(run, file, mid)
    fmt = run.inputs.formats[file]
    line = row + 2 if fmt == "csv" else (row + 1 if fmt == "jsonl" else None)
    name = run.inputs.names[file]
    return Example(_plain(value), row, None if fmt == "frame" else name, line)


def _plain(value: Any) -> Any:
    if isinstance(value, decimal.Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value
