"""Out-of-core validation: the check plan rendered to SQL and run by DuckDB over the files.

The work runs in four phases, each a function of its own:

1. :func:`plan_columns` — each column's typed expression over the typed union of the sources
   (:func:`datalife.reading.typed_union_sql`: every source converted to the schema's types as
   :mod:`datalife.reading` decides), and each check's failure condition; what the Parquet
   footers already settle needs no scan.
2. :func:`count_failures` — one aggregate query counts the failing rows of every check (a
   filtered scan per column on Parquet), so memory stays bounded whatever the file size.
3. :func:`find_repeats` — uniqueness: each unique check's repeated keys, in a table of its own.
4. :func:`find_examples` — the first failing rows of each failing check, by short queries
   that stop early; only failing checks get here.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from datalife._threads import Background
from datalife.engines.duckdb import keys as dupkeys
from datalife.engines.duckdb.examples import first_rows, in_pool, python_check
from datalife.engines.duckdb.footers import NUMERIC, RANGE_CHECKS, footer_facts, nested
from datalife.engines.duckdb.sql import check_sql, fails_sql
from datalife.engines.outcome import conclude
from datalife.engines.report import CheckResult, Example, Failure
from datalife.engines.structure import dtype_mismatches, merge_structural, structure_failures
from datalife.errors import UnsupportedCheck
from datalife.io import input_error_from_duckdb, sql_ident
from datalife.plan.compile import STRUCTURAL, CheckPlan, PlannedCheck, describe_failure
from datalife.reading import (
    FLOAT_TYPES,
    Source,
    TypedColumns,
    bad_name,
    cast_columns,
    raw_name,
    type_family,
    typed_columns,
    typed_union_sql,
)

if TYPE_CHECKING:
    import duckdb

__all__ = ["SqlResult", "run_sql_validation"]

_EXAMPLE_QUERIES = 4  # example queries run at the same time
_MAX_SCANS = 256  # file scans the per-column counting query may hold


@dataclass
class SqlResult:
    """What the DuckDB engine found: rows, failures, checks, per-source facts and notes."""

    rows: int
    failures: list[Failure]
    checks: list[CheckResult]
    sources: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)


@dataclass
class _Col:
    name: str
    typed: str  # the column as the schema's type, in the typed union
    raw: str  # the value as read (text for a converted column)
    bad: str | None  # TRUE where the value did not convert (None: nothing is converted)
    is_float: bool
    present: bool
    family: str | None = None  # the type family of ``typed`` (VARCHAR, BIGINT, ...), if known


@dataclass
class _Counting:
    """Phase 1's output: the failure condition of every check that needs a scan."""

    aggs: list[str]
    counted: dict[str, list[tuple[str, str]]]  # column -> (result name, failure condition)
    keyed: list[tuple[PlannedCheck, str, str, str]]  # (check, key, condition, shown value)
    settled: dict[str, int]  # failure counts the footers gave, by result column
    python_checks: list[PlannedCheck]
    key_ranges: dict[str, int]
    footer_rows: int | None


class _Run:
    """One validation's shared state: the sources, the plan, the connection."""

    def __init__(
        self,
        plan: CheckPlan,
        sources: Sequence[Source],
        con: duckdb.DuckDBPyConnection,
        names: Sequence[str],
    ) -> None:
        import duckdb

        self.plan = plan
        self.spec = plan.spec
        self.sources = sources
        self.con = con
        self.names = names
        self.typing: TypedColumns = typed_columns(plan.spec)
        self.casts = cast_columns(sources, self.typing)
        self.present = [c for c in plan.columns if any(c in s.columns for s in sources)]
        self.sorting: dict[str, Background] = {}  # integer keys being sorted
        # what a damaged or unreadable file raises (the rest is a bug, reported as one)
        self.reader_errors = (
            duckdb.InvalidInputException,
            duckdb.IOException,
            duckdb.ConversionException,
        )

    def union(self, *, rows: bool = False) -> str:
        return typed_union_sql(self.sources, self.present, self.typing, rows=rows, casts=self.casts)

    def scan_of(self, i: int) -> str:
        return typed_union_sql(
            [self.sources[i]], self.present, self.typing, first=i, casts=self.casts
        )

    def input_error(self, exc: Exception) -> Exception:
        return input_error_from_duckdb(exc, self.sources)


def run_sql_validation(
    plan: CheckPlan,
    sources: Sequence[Source],
    con: duckdb.DuckDBPyConnection,
    *,
    display_paths: Sequence[str] | None = None,
) -> SqlResult:
    """Validate ``sources`` (one dataset) against ``plan``.

    ``con`` is a connection of this validation's own: it holds the repeated keys in tables
    ``__dups<N>`` while the examples are found (dropped afterwards, and on a DuckDB error).
    """
    run = _Run(plan, sources, con, display_paths or [str(s.path) for s in sources])
    failures = merge_structural(
        structure_failures(plan.spec, [s.columns for s in sources], run.names), len(sources)
    )
    cols = plan_columns(run)
    mismatched = dtype_mismatches(plan, [s.stored_types() for s in sources], run.names)
    failures += mismatched
    counting = _conditions(run, cols, {str(f.column) for f in mismatched})
    result = count_failures(run, cols, counting)
    total = int(result["__n"] or 0)
    repeats = find_repeats(run, cols, counting, total)
    failures += find_examples(run, counting, result, repeats)
    for p in counting.python_checks:
        assert p.column is not None
        with_rows = run.union(rows=True)
        fail = python_check(con, p, cols[p.column].typed, with_rows, sources, run.names)
        if fail is not None:
            failures.append(fail)
    per_source = [int(result[f"__n{i}"] or 0) for i in range(len(sources))]
    failures, checks, info, notes = conclude(plan, failures, sources, run.names, per_source)
    return SqlResult(total, failures, checks, info, notes)


# -- phase 1: columns and conditions ------------------------------------------------------


def plan_columns(run: _Run) -> dict[str, _Col]:
    """Each schema column's expressions over the typed union."""
    spec = run.spec
    cols: dict[str, _Col] = {}
    stored_all = [s.stored_types() for s in run.sources]
    for c in spec.columns:
        want = run.typing.get(c)
        stored = {t[c] for t in stored_all if c in t}
        families = {type_family(t) for t in stored}
        target = want[0] if want else None
        is_float = type_family(target) in FLOAT_TYPES if target else bool(families & FLOAT_TYPES)
        q = sql_ident(c)
        cast = c in run.casts
        family = (
            type_family(target)
            if target
            else (next(iter(families)) if len(families) == 1 else None)
        )
        cols[c] = _Col(
            c,
            q,
            raw_name(c) if cast else q,
            bad_name(c) if cast else None,
            is_float,
            c in run.present,
            family,
        )
    return cols


def _conditions(run: _Run, cols: dict[str, _Col], mismatched: set[str]) -> _Counting:
    """Each check's failure condition; Parquet footers settle null counts and ranges (and
    give the bounds of integer keys) without a scan."""
    plan = run.plan.checks
    stored = [s.stored_types() for s in run.sources]
    plain = {c for c, col in cols.items() if col.present and col.bad is None}
    sortable = [
        str(p.column)
        for p in plan
        if p.check == "unique"
        and p.column in plain
        and cols[str(p.column)].family in dupkeys.SORTABLE
    ]
    footer_nulls, proven, footer_rows, key_ranges = footer_facts(
        run.con,
        run.sources,
        [
            str(p.column)
            for p in plan
            if p.check == "not_nullable"
            and p.column in plain
            and not cols[str(p.column)].is_float
            and not any(nested(t.get(str(p.column), "")) for t in stored)
        ],
        {
            i: (p, str(p.column), stored[0][str(p.column)])
            for i, p in enumerate(plan)
            if p.check in RANGE_CHECKS
            and p.column in plain
            and len({t.get(str(p.column)) for t in stored}) == 1
            and type_family(stored[0].get(str(p.column)) or "") in NUMERIC
        },
        sortable,
    )
    aggs: list[str] = ["count(*) AS __n"]
    if len(run.sources) > 1:
        aggs.extend(f"count_if(__file = {i}) AS __n{i}" for i in range(len(run.sources)))
    out = _Counting(aggs, {}, [], {}, [], key_ranges, footer_rows)
    for i, p in enumerate(plan):
        if p.check in STRUCTURAL or p.check == "min_rows":
            continue
        if p.column is None or p.column not in cols or not cols[p.column].present:
            if p.column is None and p.check != "unique":
                raise UnsupportedCheck(
                    f"dataframe-level check {p.detail} cannot run out of core",
                    hint="validate the data in memory (datalife.validate(DataFrame), "
                    "--engine pandas), or move the check to a column.",
                )
            continue
        col = cols[p.column]
        if p.check in ("dtype", "coerce_dtype"):
            if col.bad is None or p.column in mismatched:
                continue
            cond = col.bad
        elif p.check == "not_nullable":
            cond = f"({col.typed} IS NULL" + (f" OR isnan({col.typed})" if col.is_float else "")
            cond += f") AND NOT {col.bad}" if col.bad else ")"
            cond = f"({cond})"
            if p.column in footer_nulls:  # counted by the footers: no aggregate
                out.settled[f"f{i}"] = footer_nulls[p.column]
                out.keyed.append((p, f"{i}", cond, col.typed))
                continue
        elif p.check == "unique" or i in proven:
            continue
        else:
            passes = check_sql(p, col.typed, col.family)
            if passes is None:
                out.python_checks.append(p)
                continue
            cond2 = fails_sql(p, col.typed, col.is_float, col.family)
            if cond2 is None:
                notnull = f"{col.typed} IS NOT NULL" + (
                    f" AND NOT isnan({col.typed})" if col.is_float else ""
                )
                cond2 = f"({notnull} AND NOT COALESCE({passes}, FALSE))"
            cond = cond2
        shown = col.raw if p.check in ("dtype", "coerce_dtype") else col.typed
        out.counted.setdefault(col.name, []).append((f"f{i}", cond))
        out.keyed.append((p, f"{i}", cond, shown))
    return out


# -- phase 2: counting ---------------------------------------------------------------------


def count_failures(run: _Run, cols: dict[str, _Col], counting: _Counting) -> dict[str, Any]:
    """The failing rows of every check (and the rows of each file), in one query."""
    import duckdb

    union = run.union()
    # a large integer key is fetched first, then sorted in a thread while the main pass runs
    # (numpy's sort is single-threaded); fetching it on a second cursor during the main pass
    # was slower than one query after the other (the two compete for DuckDB's threads)
    rows = counting.footer_rows
    if rows is not None and dupkeys.SORT_MIN_ROWS <= rows <= dupkeys.SORT_MAX_ROWS:
        for p in run.plan.checks:
            column = cols.get(str(p.column))
            if (
                p.check == "unique"
                and column
                and column.present
                and column.bad is None
                and column.family in dupkeys.SORTABLE
            ):
                low = counting.key_ranges.get(column.name)
                try:
                    fetched = dupkeys.fetch_keys(run.con, union, column.typed, low)
                except duckdb.Error as exc:
                    raise run.input_error(exc) from None
                run.sorting[column.name] = Background(
                    functools.partial(dupkeys.duplicates_of, fetched, low or 0)
                )
    sql = _counting_sql(run.sources, union, counting.aggs, counting.counted)
    try:
        cur = run.con.execute(sql)
        row = cur.fetchall()[0]
        desc = [d[0] for d in cur.description or []]
    except run.reader_errors as exc:
        raise run.input_error(exc) from None
    result = dict(zip(desc, row, strict=True))
    result.update(counting.settled)
    result.setdefault("__n0", result["__n"])
    return result


def _counting_sql(
    sources: Sequence[Source],
    union: str,
    totals: Sequence[str],
    counted: dict[str, list[tuple[str, str]]],
) -> str:
    """The query that counts the failing rows of every check, in one row.

    A row-oriented input (CSV, JSON lines, a frame) is read once, every check counted in the
    same pass. Parquet files on disk are columnar, so each column's checks get a scan of their
    own, filtered by the failure conditions: DuckDB then reads only that column and applies
    the filter inside its Parquet reader, which takes a quarter less CPU than one pass
    evaluating every condition on every row (no column is read twice: a column's checks
    share its scan). Past :data:`_MAX_SCANS` file scans (many files, many checked columns),
    the single pass again: one plan holding thousands of scans costs more than it saves.
    """
    per_column = all(s.format == "parquet" and s.on_disk for s in sources)
    if not per_column or len(sources) * len(counted) > _MAX_SCANS:
        aggs = [*totals, *(f"count_if({c}) AS {n}" for conds in counted.values() for n, c in conds)]
        return f"SELECT {', '.join(aggs)} FROM ({union})"
    parts = [f"(SELECT {', '.join(totals)} FROM ({union}))"]
    for conds in counted.values():
        if len(conds) == 1:
            ((name, cond),) = conds
            parts.append(f"(SELECT count(*) AS {name} FROM ({union}) WHERE {cond})")
        else:
            counts = ", ".join(f"count_if({c}) AS {n}" for n, c in conds)
            where = " OR ".join(c for _, c in conds)
            parts.append(f"(SELECT {counts} FROM ({union}) WHERE {where})")
    return "SELECT * FROM " + " CROSS JOIN ".join(parts)


# -- phase 3: repeated keys ----------------------------------------------------------------


@dataclass
class _Repeat:
    check: PlannedCheck
    rows: int
    keys: int
    cond: str
    exprs: list[str]
    table: str


def find_repeats(
    run: _Run, cols: dict[str, _Col], counting: _Counting, total: int
) -> list[_Repeat]:
    """Each unique check's repeated keys, in a table ``__dups<N>`` of their own."""
    import duckdb

    union = run.union()
    repeats: list[_Repeat] = []
    sorting = run.sorting
    for j, p in enumerate(run.plan.checks):
        if p.check != "unique" or p.column is None:
            continue
        key_cols = p.column.split(",")
        if not all(c in cols and cols[c].present for c in key_cols):
            continue
        keys = ", ".join(cols[c].typed for c in key_cols)
        aliased = ", ".join(f"{cols[c].typed} AS __k{k}" for k, c in enumerate(key_cols))
        alias = ", ".join(f"__k{k}" for k in range(len(key_cols)))
        notnull = " AND ".join(f"{cols[c].typed} IS NOT NULL" for c in key_cols)
        # a plain table, not a temporary one: the example queries read it on other cursors
        table = f"__dups{j}"
        try:
            first = cols[key_cols[0]]
            sortable = len(key_cols) == 1 and first.bad is None and first.family in dupkeys.SORTABLE
            if p.column in sorting or (
                sortable and dupkeys.SORT_MIN_ROWS <= total <= dupkeys.SORT_MAX_ROWS
            ):
                job = sorting.pop(p.column, None)
                found = job.result() if job else dupkeys.sorted_duplicates(run.con, union, keys)
                n, repeated = dupkeys.dups_table(run.con, table, *found)
            else:
                run.con.execute(
                    f"CREATE OR REPLACE TABLE {table} AS SELECT {aliased}, count(*) AS __c "
                    f"FROM ({union}) WHERE {notnull} GROUP BY ALL HAVING count(*) > 1"
                )
                n, repeated = run.con.execute(
                    f"SELECT coalesce(sum(__c), 0)::BIGINT, count(*) FROM {table}"
                ).fetchall()[0]
        except duckdb.Error as exc:
            dupkeys.drop_tables(run.con, [table, *(r.table for r in repeats)])
            raise run.input_error(exc) from None
        if n:
            cond = f"({keys}) IN (SELECT ({alias}) FROM {table})"
            exprs = [cols[c].typed for c in key_cols]
            repeats.append(_Repeat(p, int(n), int(repeated), cond, exprs, table))
        else:
            run.con.execute(f"DROP TABLE IF EXISTS {table}")
    return repeats


# -- phase 4: examples ---------------------------------------------------------------------


def find_examples(
    run: _Run,
    counting: _Counting,
    result: dict[str, Any],
    repeats: list[_Repeat],
) -> list[Failure]:
    """The failures of every failing check, with their first failing rows.

    Short queries that each stop early (the repeated keys' read their column through), run a
    few at a time on cursors of their own, the next starting as soon as one ends (one alone
    leaves a core idle); an in-memory frame is registered on this connection only, so its
    queries run here, one after the other.
    """
    sources, names = run.sources, run.names

    def examples_of(
        cur: duckdb.DuckDBPyConnection, job: tuple[str, list[str], bool]
    ) -> tuple[Example, ...]:
        cond, exprs, ordered = job
        out = []
        found = first_rows(cur, sources, run.scan_of, cond, exprs, ordered=ordered)
        for f_idx, r, *vals in found:
            src = sources[f_idx]
            line = (r + 2) if src.format == "csv" else (r + 1 if src.format == "jsonl" else None)
            value = vals[0] if len(vals) == 1 else tuple(vals)
            out.append(Example(value=value, row=int(r), file=names[f_idx], line=line))
        return tuple(out)

    failing = [
        (p, int(result[f"f{key}"] or 0), cond, shown) for p, key, cond, shown in counting.keyed
    ]
    failing = [item for item in failing if item[1]]
    lookups: list[tuple[str, list[str], bool]] = [
        (cond, [shown], False) for _, _, cond, shown in failing
    ] + [(r.cond, r.exprs, True) for r in repeats]
    workers = _EXAMPLE_QUERIES if all(src.on_disk for src in sources) else 1
    try:
        found_examples = in_pool(lookups, workers, examples_of, run.con)
    except run.reader_errors as exc:
        raise run.input_error(exc) from None
    finally:
        dupkeys.drop_tables(run.con, [r.table for r in repeats])
    failures: list[Failure] = []
    for (p, n, _, _), exs in zip(failing, found_examples[: len(failing)], strict=True):
        message = describe_failure(p.check, p.detail, p.column, p.obj)
        failures.append(Failure(p.column, p.check, p.detail, n, exs, message))
    for r, exs in zip(repeats, found_examples[len(failing) :], strict=True):
        failures.append(
            Failure(
                r.check.column,
                "unique",
                r.check.detail,
                r.rows,
                exs,
                f"duplicate values where values must be unique ({r.keys} values repeated)",
            )
        )
    return failures
