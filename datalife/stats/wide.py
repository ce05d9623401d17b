"""Profiling many columns at once: the same statistics as the per-column queries, in few queries.

:func:`datalife.stats.engine.profile_scan` asks about four queries per column; on data with
thousands of columns that is tens of thousands of statements, each scanning the data again. Here
the columns are taken in groups and each group is profiled with:

- one aggregate ``SELECT`` over all of its columns for the counts, the extremes, the exact integer
  sums and the floating-point moments (on one thread, so the moments add the rows in the same
  order as the per-column query does and come out bit-identical);
- one query in long form for the HyperLogLog registers of every column of the group, and one for
  the log buckets and time grid cells: each row is turned into one row per column
  (``UNNEST`` of a list of values, computed per column *before* the lists are built, so that
  the hashes and keys are exactly those the per-column queries compute) and grouped by column
  and register or key;
- one grouped table of (column, value, count) for the strings and booleans, from which the
  distinct counts, lengths, top values and registers are read.

The aggregates use no ``FILTER`` clauses: DuckDB applies each filter to every column of the
statement's input, so hundreds of filtered aggregates in one statement cost the square of its
width; ``CASE`` expressions hand the same values, in the same order, to the same aggregates.

Every summary is an exact function of the column's values (counts, minima, exact integer sums,
registers, bucket counts), so the profile equals the per-column one field for field; when a
group's exact integer sums overflow, its integer columns are profiled one by one, as before
(the one that overflows takes the floating-point path).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from datalife.io import sql_ident
from datalife.stats.build import (
    categorical_column,
    exact_moments,
    numeric_column,
    other_column,
    timestamp_column,
)
from datalife.stats.sketch import (
    EXP_OFFSET,
    HyperLogLog,
    LogSketch,
    TimeGrid,
    ValueTable,
    grid_shift_for,
)

if TYPE_CHECKING:
    from datalife.stats.engine import Scan
    from datalife.stats.profile import ProfileSettings

__all__ = ["AGGREGATES_PER_QUERY", "COLUMNS_PER_GROUP", "log_key_sql", "profile_group"]

#: Aggregates per statement (as in inference: no statement grows with the width).
AGGREGATES_PER_QUERY = 480
#: Columns profiled together; their long form holds ``rows x columns`` rows.
COLUMNS_PER_GROUP = 200

Kind = Literal["integer", "float", "string", "boolean", "timestamp", "other"]


@dataclass
class _Col:
    """One column of a group: its name, type, kind and the SQL of its value."""

    index: int
    name: str
    dtype: str
    kind: Kind

    @property
    def q(self) -> str:
        return sql_ident(self.name)


def _hll_registers(
    rows: dict[str, Any], count: int, settings: ProfileSettings
) -> list[HyperLogLog]:
    """Registers per column index from long-form ``(i, r, w)`` rows."""
    import numpy as np

    out = []
    i = np.asarray(rows["i"], dtype=np.int64)
    r = np.asarray(rows["r"], dtype=np.int64)
    w = np.asarray(rows["w"], dtype=np.uint64)
    order = np.argsort(i, kind="stable")
    i, r, w = i[order], r[order], w[order]
    bounds = np.searchsorted(i, np.arange(count + 1))
    for k in range(count):
        a, b = bounds[k], bounds[k + 1]
        out.append(
            HyperLogLog.from_minimums(r[a:b].tolist(), w[a:b].tolist(), settings.hll_precision)
        )
    return out


def _split(rows: dict[str, Any], count: int, key: str) -> list[tuple[Any, Any]]:
    """Long-form ``(i, key, n)`` rows as per-column ``(keys, counts)`` arrays."""
    import numpy as np

    i = np.asarray(rows["i"], dtype=np.int64)
    k = np.asarray(rows[key], dtype=np.int64)
    n = np.asarray(rows["n"], dtype=np.int64)
    order = np.argsort(i, kind="stable")
    i, k, n = i[order], k[order], n[order]
    bounds = np.searchsorted(i, np.arange(count + 1))
    return [(k[bounds[j] : bounds[j + 1]], n[bounds[j] : bounds[j + 1]]) for j in range(count)]


def _long(values: Sequence[str], where: str = "") -> str:
    """The rows of ``src`` in long form: ``(i, value)`` for the ``values`` SQL of each column,
    non-null values only."""
    idx = ", ".join(str(j) for j in range(len(values)))
    vals = ", ".join(values)
    return (
        f"(SELECT * FROM (SELECT UNNEST([{idx}])::INTEGER AS i, UNNEST([{vals}]) AS val "
        f"FROM src{where}) WHERE val IS NOT NULL)"
    )


def _numeric_x(c: _Col) -> str:
    return f"{c.q}::DOUBLE"


def _aggregates(cols: Sequence[_Col]) -> tuple[list[str], list[str]]:
    """The parallel (exact) and the one-thread (floating-point) aggregates of a group."""
    exact: list[str] = []
    floats: list[str] = []
    for c in cols:
        q = c.q
        if c.kind == "integer":
            exact += [
                f"count({q})",
                f"min({q})",
                f"max({q})",
                f"count(CASE WHEN {q} = 0 THEN 1 END)",
                f"sum({q}::HUGEINT)",
                f"sum({q}::HUGEINT * {q}::HUGEINT)",
            ]
        elif c.kind == "float":
            # no FILTER clauses: DuckDB applies each one to every column of the input, so a
            # statement of many filtered aggregates grows with the square of its width; ``f``
            # is the value where finite, else NULL (the same values, in the same order)
            r, f = f"r{c.index}", f"f{c.index}"
            floats += [
                f"count({r})",
                f"count(CASE WHEN isnan({r}) THEN 1 END)",
                f"count(CASE WHEN isinf({r}) THEN 1 END)",
                f"min({f})",
                f"max({f})",
                f"count(CASE WHEN {r} = 0 THEN 1 END)",
                f"count({f})",
                f"avg({f})",
                f"var_pop({f})",
            ]
        elif c.kind == "timestamp":
            us = _epoch_us(c)
            exact += [f"count({q})", f"min({us})", f"max({us})"]
        elif c.kind == "other":
            exact.append(f"count({q})")
    return exact, floats


def _epoch_us(c: _Col) -> str:
    return f"epoch_us({c.q}::TIMESTAMP)" if c.dtype.upper() == "DATE" else f"epoch_us({c.q})"


def log_key_sql(x: str, sub_buckets: int) -> str:
    """SQL for the bucket key of a finite DOUBLE ``x`` (see :func:`sketch.log_keys`)."""
    offset = EXP_OFFSET * sub_buckets
    k = f"(floor({sub_buckets} * log2(abs({x})))::BIGINT + {offset})"
    return f"(CASE WHEN {x} = 0 THEN 0::BIGINT WHEN {x} < 0 THEN -{k} ELSE {k} END)"


def _select(scan: Scan, aggs: list[str], projection: str, *, single_thread: bool) -> list[Any]:
    """The values of ``aggs`` over ``projection`` (a subquery of ``src``), in statements of at most
    :data:`AGGREGATES_PER_QUERY` aggregates."""
    out: list[Any] = []
    for start in range(0, len(aggs), AGGREGATES_PER_QUERY):
        part = aggs[start : start + AGGREGATES_PER_QUERY]
        (row,) = scan.execute(
            f"SELECT {', '.join(part)} FROM {projection}",
            single_thread=single_thread,
            convert_errors=False,
        )
        out += list(row)
    return out


def _take(names: Sequence[str], values: Iterator[Any]) -> dict[str, Any]:
    """The next ``len(names)`` of ``values``, by name."""
    return {n: next(values) for n in names}


def profile_group(
    scan: Scan,
    columns: Sequence[tuple[str, str, Kind]],
    rows: int,
    settings: ProfileSettings,
) -> list[Any]:
    """Profiles of ``columns`` (name, DuckDB type, kind), computed together.

    Raises :class:`duckdb.OutOfRangeException` (or a conversion error) when an exact integer
    sum overflows: the caller then profiles the group column by column.
    """
    cols = [_Col(j, n, t, k) for j, (n, t, k) in enumerate(columns)]
    exact, floats = _aggregates(cols)
    exact_values = _select(scan, exact, "src", single_thread=False) if exact else []
    float_values: list[Any] = []
    if floats:
        proj = ", ".join(
            f"{_numeric_x(c)} AS r{c.index}, "
            f"CASE WHEN isfinite({_numeric_x(c)}) THEN {_numeric_x(c)} END AS f{c.index}"
            for c in cols
            if c.kind == "float"
        )
        float_values = _select(scan, floats, f"(SELECT {proj} FROM src)", single_thread=True)
    states: dict[int, dict[str, Any]] = {}
    ex = iter(exact_values)
    fl = iter(float_values)
    for c in cols:
        if c.kind == "integer":
            states[c.index] = _take(("present", "lo", "hi", "zeros", "s1", "s2"), ex)
        elif c.kind == "float":
            states[c.index] = _take(
                ("present", "nan", "inf", "lo", "hi", "zeros", "finite", "avg", "var"), fl
            )
        elif c.kind == "timestamp":
            states[c.index] = _take(("present", "lo", "hi"), ex)
        elif c.kind == "other":
            states[c.index] = {"present": next(ex)}

    numbers = [c for c in cols if c.kind in ("integer", "float")]
    times = [c for c in cols if c.kind == "timestamp" and int(states[c.index]["present"])]
    texts = [c for c in cols if c.kind in ("string", "boolean")]
    width = 64 - settings.hll_precision
    mask = (1 << width) - 1

    # registers of numbers and times, from the rows
    hashes = [
        f"CASE WHEN {c.q} IS NOT NULL AND NOT isnan({_numeric_x(c)}) THEN hash({_numeric_x(c)}) END"
        for c in numbers
    ] + [f"CASE WHEN {c.q} IS NOT NULL THEN hash({_epoch_us(c)}) END" for c in times]
    regs: list[HyperLogLog] = []
    if hashes:
        res = scan.fetch_numpy(
            f"SELECT i, (val >> {width})::INTEGER AS r, min(val & {mask}::UBIGINT) AS w "
            f"FROM {_long(hashes)} GROUP BY i, r"
        )
        regs = _hll_registers(res, len(hashes), settings)

    # log buckets of numbers and grid cells of times
    shifts = {
        c.index: grid_shift_for(
            int(states[c.index]["lo"]), int(states[c.index]["hi"]), settings.max_buckets
        )
        for c in times
    }
    sub = settings.initial_sub_buckets
    keys = [
        f"CASE WHEN isfinite({_numeric_x(c)}) THEN {log_key_sql(_numeric_x(c), sub)} END"
        for c in numbers
    ] + [f"({_epoch_us(c)}) >> {shifts[c.index]}" for c in times]
    cells: list[tuple[Any, Any]] = []
    if keys:
        res = scan.fetch_numpy(
            f"SELECT i, val AS k, count(*) AS n FROM {_long(keys)} GROUP BY i, k"
        )
        cells = _split(res, len(keys), "k")

    texts_out = _texts(scan, texts, rows, settings) if texts else {}

    out: list[Any] = []
    num_at = {c.index: j for j, c in enumerate(numbers)}
    time_at = {c.index: len(numbers) + j for j, c in enumerate(times)}
    for c in cols:
        s = states.get(c.index, {})
        if c.kind == "integer":
            present = int(s["present"])
            finite = present
            mean, m2 = exact_moments(finite, int(s["s1"]), int(s["s2"])) if finite else (None, 0.0)
            k, n = cells[num_at[c.index]]
            out.append(
                numeric_column(
                    name=c.name,
                    dtype=c.dtype,
                    rows=rows,
                    missing=rows - present,
                    nan=0,
                    infinite=0,
                    zeros=int(s["zeros"]),
                    finite=finite,
                    mean=mean,
                    m2=m2,
                    lo=float(s["lo"]) if present else None,
                    hi=float(s["hi"]) if present else None,
                    sketch=LogSketch.from_counts(k, n, sub, settings.max_buckets),
                    hll=regs[num_at[c.index]],
                )
            )
        elif c.kind == "float":
            nan = int(s["nan"])
            present = int(s["present"]) - nan
            finite = int(s["finite"])
            k, n = cells[num_at[c.index]]
            out.append(
                numeric_column(
                    name=c.name,
                    dtype=c.dtype,
                    rows=rows,
                    missing=rows - present,
                    nan=nan,
                    infinite=int(s["inf"]),
                    zeros=int(s["zeros"]),
                    finite=finite,
                    mean=float(s["avg"]) if s["avg"] is not None else None,
                    m2=float(s["var"]) * finite if s["var"] is not None else 0.0,
                    lo=s["lo"],
                    hi=s["hi"],
                    sketch=LogSketch.from_counts(k, n, sub, settings.max_buckets),
                    hll=regs[num_at[c.index]],
                )
            )
        elif c.kind == "timestamp":
            out.append(_timestamp(c, s, rows, settings, shifts, cells, regs, time_at))
        elif c.kind in ("string", "boolean"):
            out.append(texts_out[c.index])
        else:
            out.append(
                other_column(
                    name=c.name, dtype=c.dtype, rows=rows, missing=rows - int(s["present"])
                )
            )
    return out


def _timestamp(
    c: _Col,
    s: dict[str, Any],
    rows: int,
    settings: ProfileSettings,
    shifts: dict[int, int],
    cells: list[tuple[Any, Any]],
    regs: list[HyperLogLog],
    at: dict[int, int],
) -> Any:
    present = int(s["present"])
    if present:
        k, n = cells[at[c.index]]
        grid = TimeGrid.from_counts(shifts[c.index], k, n, settings.max_buckets)
        hll = regs[at[c.index]]
    else:
        grid = TimeGrid.from_counts(0, [], [], settings.max_buckets)
        hll = HyperLogLog.from_minimums([], [], settings.hll_precision)
    return timestamp_column(
        name=c.name,
        dtype=c.dtype,
        rows=rows,
        missing=rows - present,
        min_us=int(s["lo"]) if present else None,
        max_us=int(s["hi"]) if present else None,
        grid=grid,
        hll=hll,
    )


def _texts(
    scan: Scan, cols: Sequence[_Col], rows: int, settings: ProfileSettings
) -> dict[int, Any]:
    """Strings and booleans: value counts per column in one grouped table, then read."""
    values = [f"{c.q}::VARCHAR" for c in cols]
    scan.execute(
        "CREATE OR REPLACE TEMP TABLE grouped_wide AS "
        f"SELECT i, val AS v, count(*) AS n FROM {_long(values)} GROUP BY ALL"
    )
    try:
        summary = {
            int(r[0]): r[1:]
            for r in scan.execute(
                "SELECT i, count(*), sum(n), sum(n * length(v)), min(length(v)), "
                "max(length(v)) FROM grouped_wide GROUP BY i"
            )
        }
        top: dict[int, list[tuple[str, int]]] = {}
        for i, v, n in scan.execute(
            "SELECT i, v, n FROM grouped_wide QUALIFY row_number() OVER "
            f"(PARTITION BY i ORDER BY n DESC, v) <= {settings.max_values + 1} "
            "ORDER BY i, n DESC, v"
        ):
            top.setdefault(int(i), []).append((str(v), int(n)))
        width = 64 - settings.hll_precision
        mask = (1 << width) - 1
        res = scan.fetch_numpy(
            f"SELECT i, (h >> {width})::INTEGER AS r, min(h & {mask}::UBIGINT) AS w "
            "FROM (SELECT i, hash(v) AS h FROM grouped_wide) GROUP BY i, r"
        )
    finally:
        scan.execute("DROP TABLE IF EXISTS grouped_wide")
    regs = _hll_registers(res, len(cols), settings)
    out: dict[int, Any] = {}
    for j, c in enumerate(cols):
        distinct, present, length_sum, length_min, length_max = summary.get(
            j, (0, 0, 0, None, None)
        )
        items = top.get(j, [])
        kept = items[: settings.max_values]
        complete = len(items) <= settings.max_values
        table = ValueTable(tuple(kept), complete, 0, 0 if complete else int(items[-1][1]))
        out[c.index] = categorical_column(
            name=c.name,
            dtype=c.dtype,
            kind="string" if c.kind == "string" else "boolean",
            rows=rows,
            missing=rows - int(present),
            table=table,
            distinct_exact=int(distinct),
            length_sum=int(length_sum or 0),
            length_min=int(length_min) if length_min is not None else None,
            length_max=int(length_max) if length_max is not None else None,
            hll=regs[j],
            top_k=settings.top_k,
        )
    return out
