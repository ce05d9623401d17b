"""Validation on Spark, in phases (as the DuckDB engine's), with nothing collected to the
driver but results:

1. :func:`typed_union` — every source read as :mod:`datalife.reading` decided and converted to
   the schema's types (:mod:`datalife.engines.spark.reading`), with ``__file`` (the source's
   index) and ``__mid`` (``monotonically_increasing_id``: the scan partition in the high bits,
   the row within it in the low 33); :func:`conditions` gives each check's failure condition.
2. :func:`count_failures` — one query, one row: the rows of each file, the failing rows of
   every check, the last scan partition of each file, and each unique check's repeated rows
   and keys (grouped counts, :func:`repeat_checks`).
3. :func:`find_examples` — only when something fails: the first few failing rows of every
   failing check in file order (one query: a union of top-k's, never a sort of the whole),
   their row numbers from the per-partition row counts of their file (one more grouped count,
   only when a failing file was read as several partitions).

Spark runs few, large jobs well and many small ones badly (each costs a scheduling round
trip), so a validation is two queries, three at most.

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
from datalife.reading import FLOAT_TYPES, Source, type_family, typed_columns

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
    sources: Sequence[Source] = ()  # the files, when the input is files

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


def spark_action(
    names: Sequence[str], what: Callable[[], _T], sources: Sequence[Source] = ()
) -> _T:
    """``what()``, with a Spark failure (an unreadable file, an executor lost) turned into a
    datalife error carrying Spark's message (the file named where Spark names it). Spark does
    not say which line of a file it could not parse; for files on this machine the reference
    reader (DuckDB) reads them again to say which file and line, and why."""
    try:
        return what()
    except DatalifeError:
        raise
    except Exception as exc:
        if not _is_spark_error(exc):
            raise
        diagnosed = diagnose(sources)
        if diagnosed is not None:
            raise diagnosed from None
        text = " ".join(str(exc).split())
        short = text[:600] + ("..." if len(text) > 600 else "")
        named = next((n for n in names if n and n in text), None)
        raise InputError(
            f"{named or ', '.join(names)}: Spark could not read the data: {short}",
            path=named,
            hint="check the file (a ragged or malformed row, a broken Parquet footer); "
            "Spark's message is above.",
        ) from None


def diagnose(sources: Sequence[Source]) -> InputError | None:
    """The reading error DuckDB's reader gives for the first unreadable source on this
    machine (None: it reads them all)."""
    import duckdb

    from datalife.io import connect, input_error_from_duckdb

    local = [s for s in sources if s.on_disk and "://" not in str(s.path) and s.path.exists()]
    if not local:
        return None
    con = connect()
    try:
        for src in local:
            try:
                # every column, so that every value is decoded
                con.execute(f"SELECT count(COLUMNS(*)) FROM {src.scan_sql()}").fetchall()
            except duckdb.Error as exc:
                return input_error_from_duckdb(exc, [src])
    finally:
        con.close()
    return None


def _is_spark_error(exc: BaseException) -> bool:
    module = type(exc).__module__
    return module.startswith(("pyspark", "py4j", "grpc"))


def run_validation(plan: CheckPlan, inputs: Inputs, mismatched: set[str]) -> SparkResult:
    """Count and describe every failing value check of ``plan`` on ``inputs``: one query
    counts everything (repeated keys included), one more finds the examples of what fails."""
    run = typed_union(plan, inputs)
    run.conds = conditions(run, mismatched)
    repeats = repeat_checks(run)
    counts = count_failures(run, repeats)
    # Spark reads bytes that are not UTF-8 as U+FFFD, silently: a file with one is read again
    # by the reference reader, which says where the bytes are (or reads the character as data)
    replaced = [s for i, s in enumerate(inputs.sources) if counts.get(f"__r{i}")]
    if replaced:
        found = diagnose(replaced)
        if found is not None:
            raise found
    total = int(counts["__n"] or 0)
    per_source = [int(counts[f"__n{i}"] or 0) for i in range(len(inputs.frames))]
    run.last_part = [
        None if counts[f"__p{i}"] is None else int(counts[f"__p{i}"])
        for i in range(len(inputs.frames))
    ]
    failing = [(c, int(counts[f"f{k}"] or 0)) for k, c in enumerate(run.conds)]
    failing = [(c, n) for c, n in failing if n]
    repeated = [
        (r, int(counts[f"u{k}_rows"] or 0), int(counts[f"u{k}_keys"] or 0))
        for k, r in enumerate(repeats)
    ]
    repeated = [item for item in repeated if item[1]]
    return SparkResult(total, per_source, find_examples(run, failing, repeated))


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
        # the schema's columns of a text source, as one string (one flat call, however many
        # columns: a chain of ORs over thousands overflows the JVM's stack)
        text = [col(c) for c in present if c in stored]
        replaced = (
            F.concat_ws("\u0000", *text).contains("\ufffd")
            if text and inputs.formats[i] in ("csv", "jsonl")
            else F.lit(False)
        )
        items += [
            F.lit(i).alias("__file"),
            F.monotonically_increasing_id().alias("__mid"),
            F.coalesce(replaced, F.lit(False)).alias("__fffd"),
        ]
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


@dataclass
class _Repeat:
    check: PlannedCheck
    keys: list[str]
    dups: DataFrame  # the repeated keys (``__k0``...) and how often each occurs (``__c``)


def repeat_checks(run: _Run) -> list[_Repeat]:
    """Each unique check's repeated non-null keys, as a (lazy) grouped count."""
    from pyspark.sql import functions as F  # noqa: N812

    out: list[_Repeat] = []
    for p in run.plan.checks:
        if p.check != "unique" or p.column is None:
            continue
        keys = p.column.split(",")
        if not all(k in run.cols for k in keys):
            continue
        notnull = functools.reduce(lambda a, b: a & b, [col(k).isNotNull() for k in keys])
        dups = (
            run.union.where(notnull)
            .groupBy(*[col(k).alias(f"__k{j}") for j, k in enumerate(keys)])
            .agg(F.count(F.lit(1)).alias("__c"))
            .where(F.col("__c") > 1)
        )
        out.append(_Repeat(p, keys, dups))
    return out


def count_failures(run: _Run, repeats: Sequence[_Repeat]) -> dict[str, Any]:
    """One query, one row: the rows (of each file), the failing rows of each check, each
    file's last scan partition, and each unique check's repeated rows and keys."""
    from pyspark.sql import functions as F  # noqa: N812

    file, part = F.col("__file"), F.shiftright(F.col("__mid"), _PART_BITS)
    aggs = [F.count(F.lit(1)).alias("__n")]
    for i in range(len(run.inputs.frames)):
        aggs.append(F.count_if(file == i).alias(f"__n{i}"))
        aggs.append(F.max(F.when(file == i, part)).alias(f"__p{i}"))
        aggs.append(F.count_if((file == i) & F.col("__fffd")).alias(f"__r{i}"))
    aggs += [F.count_if(c.cond).alias(f"f{k}") for k, c in enumerate(run.conds)]
    query = run.union.agg(*aggs)
    for k, r in enumerate(repeats):
        summed = r.dups.agg(
            F.coalesce(F.sum("__c"), F.lit(0)).alias(f"u{k}_rows"),
            F.count(F.lit(1)).alias(f"u{k}_keys"),
        )
        query = query.crossJoin(summed)  # one row each: still one row
    rows = spark_action(run.inputs.names, query.collect, run.inputs.sources)
    return rows[0].asDict()


# -- phase 4 -----------------------------------------------------------------------------


def find_examples(
    run: _Run,
    failing: Sequence[tuple[_Cond, int]],
    repeated: Sequence[tuple[_Repeat, int, int]],
) -> list[Failure]:
    """The failures of the failing checks, each with its first failing rows in file order:
    one query, a union of one top-k per check (each check's shown values in a column of
    their own, so they keep their type)."""
    from pyspark.sql import functions as F  # noqa: N812

    if not failing and not repeated:
        return []
    parts = []
    for k, (c, _) in enumerate(failing):
        parts.append(_top(run.union.where(c.cond), k, [col(c.shown)]))
    for j, (r, _, _) in enumerate(repeated):
        on = functools.reduce(
            lambda a, b: a & b, [col(key) == F.col(f"__k{i}") for i, key in enumerate(r.keys)]
        )
        hits = run.union.join(r.dups, on=on, how="left_semi")
        parts.append(_top(hits, len(failing) + j, [col(key) for key in r.keys]))
    query = functools.reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), parts)
    found: dict[int, list[tuple[int, int, Any]]] = {}
    for row in spark_action(run.inputs.names, query.collect, run.inputs.sources):
        k = int(row["__q"])
        vals = [row[f"__v{k}_{i}"] for i in range(len(_shown(failing, repeated, k)))]
        found.setdefault(k, []).append((int(row["__file"]), int(row["__mid"]), vals))
    out = []
    for k, (c, n) in enumerate(failing):
        p = c.check
        exs = _examples(run, found.get(k, []))
        message = describe_failure(p.check, p.detail, p.column, p.obj)
        out.append(Failure(p.column, p.check, p.detail, n, exs, message))
    for j, (r, n, keys) in enumerate(repeated):
        exs = _examples(run, found.get(len(failing) + j, []))
        out.append(
            Failure(
                r.check.column,
                "unique",
                r.check.detail,
                n,
                exs,
                f"duplicate values where values must be unique ({keys} values repeated)",
            )
        )
    return out


def _shown(
    failing: Sequence[tuple[_Cond, int]], repeated: Sequence[tuple[_Repeat, int, int]], k: int
) -> list[str]:
    return [failing[k][0].shown] if k < len(failing) else repeated[k - len(failing)][0].keys


def _top(df: DataFrame, k: int, shown: Sequence[Column]) -> DataFrame:
    """The first :data:`MAX_EXAMPLES` rows of ``df`` in file order (a top-k: no sort of
    the whole), tagged ``__q = k``, with the values shown as ``__v{k}_{i}``."""
    from pyspark.sql import functions as F  # noqa: N812

    values = [v.alias(f"__v{k}_{i}") for i, v in enumerate(shown)]
    return (
        df.select(F.lit(k).alias("__q"), F.col("__file"), F.col("__mid"), *values)
        .orderBy("__file", "__mid")
        .limit(MAX_EXAMPLES)
    )


def _examples(run: _Run, rows: list[tuple[int, int, list[Any]]]) -> tuple[Example, ...]:
    rows = sorted(rows, key=lambda t: (t[0], t[1]))
    return tuple(
        _example(run, f, m, vals[0] if len(vals) == 1 else tuple(vals)) for f, m, vals in rows
    )


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
        counted = spark_action(run.inputs.names, grouped.collect, run.inputs.sources)
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
