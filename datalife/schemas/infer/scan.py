"""The scans: per-column statistics from a few batched DuckDB aggregate queries.

Stage 1 counts what every column needs (values, distinct estimate, numbers' range and
quartiles); stage 2 only what stage 1 says a text column needs; pass 2 counts distinct values
exactly where that decides something and lists the values of small sets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from datalife.io import sql_ident
from datalife.schemas.infer.source import Data

__all__ = [
    "AGGREGATES_PER_QUERY",
    "FLOAT_STORED",
    "INT_STORED",
    "Facts",
    "Progress",
    "pass1",
    "pass2",
]

#: ``progress(phase, done, total)``: called as inference goes (phase: ``scan``, ``values``,
#: ``keys``); ``done == total`` ends a phase.
Progress = Callable[[str, int, int], None]
#: Aggregates per query: the columns are batched so that no statement grows with the width.
AGGREGATES_PER_QUERY = 480
#: Columns whose distinct values are counted by one statement (in long form).
DISTINCT_PER_QUERY = 100
INT_STORED = {
    "BIGINT": "int64",
    "INTEGER": "int32",
    "SMALLINT": "int16",
    "TINYINT": "int8",
    "UBIGINT": "uint64",
    "UINTEGER": "uint32",
    "USMALLINT": "uint16",
    "UTINYINT": "uint8",
    "HUGEINT": "int64",
}
FLOAT_STORED = {"DOUBLE": "float64", "FLOAT": "float32", "REAL": "float32"}


@dataclass
class Facts:
    """What the scans found about one column."""

    name: str
    stored: str
    nonnull: int = 0
    approx_distinct: int = 0
    as_int: int = 0
    as_float: int = 0
    as_bool: int = 0
    as_ts: int = 0
    lo: float | None = None
    hi: float | None = None
    q25: float | None = None
    q75: float | None = None
    t_lo: Any = None
    t_hi: Any = None
    avg_len: float | None = None
    spaced: int = 0
    max_len: int | None = None
    #: numbers written with a decimal point
    dotted: int = 0
    #: the values were text (CSV), typed as numbers when read
    text: bool = False
    distinct: int | None = None
    values: list[Any] | None = None
    #: values seen exactly once (Good-Turing: their share estimates the chance of a new value)
    singletons: int = 0
    kind: str = "string"
    dtype: str = "str"


_NUMERIC_STORED = frozenset({*INT_STORED, *FLOAT_STORED})


def _is_numeric_stored(stored: str) -> bool:
    return stored in _NUMERIC_STORED or stored.startswith("DECIMAL")


# Each stage gives, per column, projections (named by the column's index) and aggregates
# with a reader of their values. Stage 1 counts what every column needs; stage 2 only what
# stage 1 says the column needs (text that is all numbers is never tried as a timestamp, a
# boolean or free text), so that the costly casts run on few columns.
Plan = tuple[list[str], list[str], Callable[[Facts, Sequence[Any]], None]]


def _count_where(condition: str) -> str:
    """Rows where ``condition`` holds, without a FILTER clause: DuckDB applies each FILTER to
    every column of the statement's input, so many filtered aggregates in one statement cost
    the square of its width (1,000 columns: seconds instead of a tenth of one)."""
    return f"count(CASE WHEN {condition} THEN 1 END)"


def _finite_sql(d: str) -> str:
    """``d`` where it is finite, else NULL (what a ``FILTER (isfinite(d))`` lets through)."""
    return f"CASE WHEN isfinite({d}) THEN {d} END"


def _stage1(i: int, f: Facts, text: bool) -> Plan:
    q = sql_ident(f.name)
    v = f"v{i}"
    stored = f.stored.upper()
    if stored == "VARCHAR" and not text:
        # a typed source's strings are strings: only what tells a category from free text

        def read_string(f: Facts, row: Sequence[Any]) -> None:
            f.nonnull, f.approx_distinct = int(row[0]), int(row[1] or 0)
            f.avg_len = None if row[2] is None else float(row[2])
            f.spaced = int(row[3])
            f.max_len = None if row[4] is None else int(row[4])

        return (
            [f"{q} AS {v}"],
            [
                f"count({v})",
                f"approx_count_distinct({v})",
                f"avg(length({v}))",
                _count_where(f"contains({v}, ' ')"),
                f"max(length({v}))",
            ],
            read_string,
        )
    if stored == "VARCHAR":

        def read_text(f: Facts, row: Sequence[Any]) -> None:
            f.nonnull, f.approx_distinct, f.as_float = int(row[0]), int(row[1] or 0), int(row[2])

        return (
            [f"{q} AS {v}"],
            [f"count({v})", f"approx_count_distinct({v})", f"count(TRY_CAST({v} AS DOUBLE))"],
            read_text,
        )
    if _is_numeric_stored(stored):

        def read_number(f: Facts, row: Sequence[Any]) -> None:
            f.nonnull, f.approx_distinct = int(row[0]), int(row[1] or 0)
            f.lo, f.hi = row[2], row[3]
            if row[4] is not None:
                f.q25, f.q75 = float(row[4][0]), float(row[4][1])
            f.as_int = int(row[5])
            f.text = text

        if stored in INT_STORED:  # no NaN nor infinity: no filter, no cast
            return (
                [f"{q} AS {v}"],
                [
                    f"count({v})",
                    f"approx_count_distinct({v})",
                    f"min({v})::DOUBLE",
                    f"max({v})::DOUBLE",
                    f"approx_quantile({v}, [0.25, 0.75])::DOUBLE[]",
                    "0",
                ],
                read_number,
            )
        e = f"e{i}"
        return (
            [f"{q} AS {v}", f"{_finite_sql(f'{q}::DOUBLE')} AS {e}"],
            [
                f"count({v})",
                f"approx_count_distinct({v})",
                f"min({e})",
                f"max({e})",
                f"approx_quantile({e}, [0.25, 0.75])",
                # text numbers: a float column whose values are all whole may be integers a
                # writer turned into floats to hold missing values ("181.0")
                _count_where(f"{e} = trunc({e})") if text and stored in FLOAT_STORED else "0",
            ],
            read_number,
        )
    if stored.startswith(("TIMESTAMP", "DATE")):

        def read_time(f: Facts, row: Sequence[Any]) -> None:
            f.nonnull, f.approx_distinct = int(row[0]), int(row[1] or 0)
            f.t_lo, f.t_hi = row[2], row[3]

        return (
            [f"{q} AS {v}"],
            [
                f"count({v})",
                f"approx_count_distinct({v})",
                f"min({v})::TIMESTAMP",
                f"max({v})::TIMESTAMP",
            ],
            read_time,
        )

    def read_other(f: Facts, row: Sequence[Any]) -> None:
        f.nonnull, f.approx_distinct = int(row[0]), int(row[1] or 0)

    distinct = f"approx_count_distinct({v})" if stored == "BOOLEAN" else "0"
    return [f"{q} AS {v}"], [f"count({v})", distinct], read_other


def _stage2(i: int, f: Facts, text: bool) -> Plan | None:
    """Stage 2 of a text column: numbers' range and integrality, or text's other readings."""
    if f.stored.upper() != "VARCHAR" or not f.nonnull or not text:
        return None
    q = sql_ident(f.name)
    v, t = f"v{i}", f"t{i}"
    if f.as_float == f.nonnull:

        def read_numbers(f: Facts, row: Sequence[Any]) -> None:
            f.as_int, f.dotted = int(row[0]), int(row[1])
            f.lo, f.hi = row[2], row[3]
            if row[4] is not None:
                f.q25, f.q75 = float(row[4][0]), float(row[4][1])

        e = f"e{i}"
        return (
            [f"{q} AS {v}", f"{_finite_sql(f'TRY_CAST({q} AS DOUBLE)')} AS {e}"],
            [
                _count_where(f"{e} = trunc({e}) AND abs({e}) < 9.2e18"),
                _count_where(f"contains({v}, '.')"),
                f"min({e})",
                f"max({e})",
                f"approx_quantile({e}, [0.25, 0.75])",
            ],
            read_numbers,
        )
    # two spellings at most (HyperLogLog errs by a few percent): maybe true/false
    boolish = f.approx_distinct <= 3

    def read_text(f: Facts, row: Sequence[Any]) -> None:
        f.avg_len = None if row[0] is None else float(row[0])
        f.spaced = int(row[1])
        f.max_len = None if row[2] is None else int(row[2])
        f.as_bool = int(row[3])
        if len(row) > 4:
            f.as_ts = int(row[4])
            f.t_lo, f.t_hi = row[5], row[6]

    # values that repeat are tried as timestamps once each (:func:`_timestamps_by_value`)
    times = [] if _by_value(f) else [f"count({t})", f"min({t})", f"max({t})"]
    return (
        [f"{q} AS {v}", *([f"TRY_CAST({q} AS TIMESTAMP) AS {t}"] if times else [])],
        [
            f"avg(length({v}))",
            _count_where(f"contains({v}, ' ')"),
            f"max(length({v}))",
            _count_where(f"lower(trim({v})) IN ('true', 'false')") if boolish else "0",
            *times,
        ],
        read_text,
    )


def _by_value(f: Facts) -> bool:
    """Whether a text column's timestamp reading is counted per distinct value: when its values
    repeat (a cast that fails is slow: ~250 ns a value, most of stage 2 on wide text)."""
    return f.approx_distinct * 4 <= f.nonnull


def _timestamps_by_value(
    data: Data, facts: Sequence[Facts], step: Callable[[int, int], None]
) -> None:
    """``as_ts``, ``t_lo`` and ``t_hi`` of text columns from their distinct values: the rows
    that parse are the counts of the values that do, the extremes those of the values."""
    groups = [facts[s : s + DISTINCT_PER_QUERY] for s in range(0, len(facts), DISTINCT_PER_QUERY)]
    statements = []
    for group in groups:
        idx = ", ".join(str(k) for k in range(len(group)))
        vals = ", ".join(sql_ident(f.name) for f in group)
        statements.append(
            "SELECT i, sum(CASE WHEN t IS NOT NULL THEN n END), min(t), max(t) FROM "
            "(SELECT i, n, TRY_CAST(v AS TIMESTAMP) AS t FROM (SELECT i, v, count(*) AS n FROM "
            f"(SELECT UNNEST([{idx}]) AS i, UNNEST([{vals}]) AS v FROM src) "
            "WHERE v IS NOT NULL GROUP BY i, v)) GROUP BY i"
        )
    for group, found in zip(groups, data.run(statements, step), strict=True):
        got = {int(r[0]): r[1:] for r in found}
        for k, f in enumerate(group):
            parsed, lo, hi = got.get(k, (None, None, None))
            f.as_ts = int(parsed or 0)
            f.t_lo, f.t_hi = lo, hi


def _batches(sizes: Sequence[int], limit: int) -> list[list[int]]:
    """Indexes grouped so that each group's sizes add up to at most ``limit`` (at least one).

    Examples:
        >>> _batches([5, 5, 5, 2], 10)
        [[0, 1], [2, 3]]
    """
    out: list[list[int]] = []
    current: list[int] = []
    used = 0
    for i, n in enumerate(sizes):
        if current and used + n > limit:
            out.append(current)
            current, used = [], 0
        current.append(i)
        used += n
    if current:
        out.append(current)
    return out


def _run_plans(
    data: Data,
    facts: list[Facts],
    plans: list[Plan | None],
    step: Callable[[int, int], None],
) -> int | None:
    """Run the plans in batched queries; the row count (None if there was nothing to run)."""
    todo = [i for i, p in enumerate(plans) if p is not None]
    sizes = [len(plans[i][1]) for i in todo]  # type: ignore[index]
    groups = _batches(sizes, AGGREGATES_PER_QUERY)
    chosen = [[todo[g] for g in group] for group in groups]
    statements = []
    for group in chosen:
        proj = [p for i in group for p in plans[i][0]]  # type: ignore[index]
        aggs = ["count(*)", *(a for i in group for a in plans[i][1])]  # type: ignore[index]
        statements.append(f"SELECT {', '.join(aggs)} FROM (SELECT {', '.join(proj)} FROM src)")
    rows = None
    for group, (row,) in zip(chosen, data.run(statements, step), strict=True):
        rows = int(row[0])
        at = 1
        for i in group:
            plan = plans[i]
            assert plan is not None
            n = len(plan[1])
            plan[2](facts[i], row[at : at + n])
            at += n
    return rows


def pass1(data: Data, facts: list[Facts], progress: Progress | None) -> int:
    first = [_stage1(i, f, data.text) for i, f in enumerate(facts)]

    def step1(done: int, total: int) -> None:
        if progress is not None:
            progress("scan", done, total)

    rows = _run_plans(data, facts, list(first), step1)
    if rows is None:
        (row,) = data.execute("SELECT count(*) FROM src")
        rows = int(row[0])
    second = [_stage2(i, f, data.text) for i, f in enumerate(facts)]

    def step2(done: int, total: int) -> None:
        if progress is not None:
            progress("types", done, total)

    _run_plans(data, facts, second, step2)
    # the text columns whose stage 2 left their timestamp reading to the distinct values
    by_value = [
        f
        for f, plan in zip(facts, second, strict=True)
        if plan is not None and f.as_float != f.nonnull and _by_value(f)
    ]
    if by_value:
        _timestamps_by_value(data, by_value, step2)
    return rows


def _typed_sql(f: Facts) -> str:
    """The column's values in its decided type (for counting distinct values)."""
    q = sql_ident(f.name)
    if f.stored.upper() != "VARCHAR" or f.kind == "string":
        return q
    if f.kind in ("int", "float"):
        return f"TRY_CAST(trim({q}) AS DOUBLE)"
    if f.kind == "timestamp":
        return f"TRY_CAST(trim({q}) AS TIMESTAMP)"
    return f"lower(trim({q}))"


def _typed_type(f: Facts) -> str:
    """The DuckDB type of :func:`_typed_sql` (columns of one type share a long form)."""
    if f.stored.upper() != "VARCHAR" or f.kind == "string":
        return f.stored.upper()
    return {"int": "DOUBLE", "float": "DOUBLE", "timestamp": "TIMESTAMP"}.get(f.kind, "VARCHAR")


def _pair(p: Any) -> tuple[Any, int]:
    """A ``(value, count)`` struct as DuckDB returns it (a dict or a tuple)."""
    if isinstance(p, dict):
        v, n = p.values()
    else:
        v, n = p
    return v, int(n)


def pass2(data: Data, facts: list[Facts], max_categories: int, progress: Progress | None) -> None:
    """Exact distinct counts where they decide something, and the values of small sets."""
    jobs: list[tuple[Facts, bool, bool]] = []
    for f in facts:
        if not f.nonnull:
            continue
        small = f.kind == "string" and f.approx_distinct <= 2 * max_categories + 8
        unique_candidate = (
            f.kind in ("int", "string", "timestamp") and f.approx_distinct >= 0.8 * f.nonnull
        )
        if small or unique_candidate:
            jobs.append((f, small, unique_candidate))
    # in long form: one row per (column, value) of a group of columns, grouped; a column's
    # distinct count is its number of groups and a small set's counts are read from them.
    # (count(DISTINCT) over many columns builds a hash table per column at once: slower, and
    # a memory limit's worth for a few hundred columns)
    by_type: dict[str, list[int]] = {}
    for j, (f, _, _) in enumerate(jobs):
        by_type.setdefault(_typed_type(f), []).append(j)
    groups = [
        ids[start : start + DISTINCT_PER_QUERY]
        for ids in by_type.values()
        for start in range(0, len(ids), DISTINCT_PER_QUERY)
    ]
    statements = []
    for group in groups:
        idx = ", ".join(str(k) for k in range(len(group)))
        typed = ", ".join(_typed_sql(jobs[j][0]) for j in group)
        statements.append(
            f"SELECT i, count(*), CASE WHEN count(*) <= {max_categories} THEN list((v, n)) END "
            f"FROM (SELECT i, v, count(*) AS n FROM (SELECT UNNEST([{idx}]) AS i, "
            f"UNNEST([{typed}]) AS v FROM src) WHERE v IS NOT NULL GROUP BY i, v) GROUP BY i"
        )

    def step(done: int, total: int) -> None:
        if progress is not None:
            progress("values", done, total)

    for group, found in zip(groups, data.run(statements, step), strict=True):
        got = {int(r[0]): r[1:] for r in found}
        for k, j in enumerate(group):
            f, small, _ = jobs[j]
            distinct, pairs = got.get(k, (0, None))
            f.distinct = int(distinct)
            if small and pairs is not None:
                counts = {_pair(p)[0]: _pair(p)[1] for p in pairs}
                f.values = sorted(counts)
                f.singletons = sum(1 for n in counts.values() if n == 1)
