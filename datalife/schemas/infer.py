"""Infer a first schema version from data, explaining each decision.

The inferred schema must accept the next legitimate batch and reject real defects, so every
check it writes is one the data supports. Statistics come from a few DuckDB passes over the
files (or the frame), with the columns batched into several queries, so inference is linear in
rows and columns and works on files larger than memory (text files are loaded once into an
on-disk DuckDB table with a memory limit). The rules:

- **dtype**: for CSV and JSON lines, the narrowest type every non-missing value parses as
  (integer, float, boolean, timestamp, else string); only ``true``/``false`` (any case) text is
  a boolean, so ``yes``/``no``, ``Y``/``N`` and ``t``/``f`` stay strings (a category). For
  Parquet and frames, the stored type. An integer column with missing values becomes the
  nullable ``Int64``. Columns are ``coerce: true``.
- **nullable**: only where the data has missing values.
- **role** (written to the schema's ``columns:`` metadata): *identifier* (an integer or string
  with no missing and no repeated values, whose name looks like a key, or integers dense like
  a sequence, or short strings without spaces): ``unique``, no range, no drift;
  *timestamp* (dates and times, calendar years): no upper bound (time moves on), drift on
  the time and its calendar parts, freshness; *category* (few distinct strings, booleans):
  an ``isin`` set when small enough; *free text* (many distinct strings, mostly with spaces):
  no category set, no drift; *measurement* (other numbers): a range by the policy of
  :mod:`datalife.schemas.ranges`. *label* and *prediction* are declared (``roles=``);
  inference suggests them from the name.
- **range**: see :mod:`datalife.schemas.ranges` (``ranges="tolerant"`` by default).
- **keys and duplicates**: single-column keys are the identifiers; a bounded search looks for
  minimal keys of 2 and 3 columns among the discrete columns (it says when it gave up); the
  first one found becomes the schema's dataframe-level ``unique``. Without any key, and when
  the data has no repeated rows, ``unique`` lists every column: a whole-row duplicate fails.
- **rows**: the schema's ``min_rows`` is 1, so an empty dataset (a header-only file) fails.
- **strict**: the schema rejects columns it does not list.
"""

from __future__ import annotations

import itertools
import math
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datalife.errors import DatalifeError
from datalife.io import input_error_from_duckdb, sql_ident, sql_str
from datalife.schemas.ranges import RANGE_POLICIES, RangePolicy, decide_range

if TYPE_CHECKING:
    import pandera.api.pandas.container as pac

    from datalife.schemas.model import ColumnMeta, SchemaMeta

__all__ = ["Inference", "Progress", "infer_schema"]

#: ``progress(phase, done, total)``: called as inference goes (phase: ``scan``, ``values``,
#: ``keys``); ``done == total`` ends a phase.
Progress = Callable[[str, int, int], None]

KEY_NAME = re.compile(r"(^|_)(id|key|uuid|guid|code)$|^id_|Id$|ID$|^(id|key)$", re.IGNORECASE)
LABEL_NAME = re.compile(r"^(target|label|class|y|outcome|diagnosis)$", re.IGNORECASE)
PREDICTION_NAME = re.compile(r"(^|_)(pred|prediction|predicted|yhat|y_hat|score)(_|$)", re.I)

#: Aggregates per query: the columns are batched so that no statement grows with the width.
AGGREGATES_PER_QUERY = 480
#: Key search: columns considered, and combinations tried at most.
KEY_CANDIDATES = 10
KEY_BUDGET = 120
#: A key of several columns is believed only when chance alone would have repeated a
#: combination this many times (the birthday bound rows^2 / (2 * combinations)).
KEY_EVIDENCE = 5.0
#: Rows of the sample that refutes most candidate keys before any is counted on every row.
KEY_SAMPLE_ROWS = 100_000
#: Memory DuckDB may use while inferring (it spills to disk beyond it).
MEMORY_LIMIT = "1GB"
#: Text files wider than this are loaded on one thread with :data:`WIDE_MEMORY_LIMIT`.
WIDE_COLUMNS = 2000
WIDE_MEMORY_LIMIT = "1500MB"
#: The longest line of such a wide file (DuckDB sizes its read buffers from it).
WIDE_MAX_LINE = 8 << 20

_INT_STORED = {
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
_FLOAT_STORED = {"DOUBLE": "float64", "FLOAT": "float32", "REAL": "float32"}
_BOOL_LIKE = [{"yes", "no"}, {"y", "n"}, {"t", "f"}, {"on", "off"}, {"0", "1"}]


@dataclass
class _Facts:
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


@dataclass
class Inference:
    """An inferred schema with the reason for each decision, per column.

    Attributes:
        schema: the pandera schema (the body of the schema file).
        rows: rows in the data.
        explanations: per column, the reasons for its dtype, role, checks and range.
        columns: per column, datalife's metadata (role, range rule) for the schema file.
        min_rows: the fewest rows a valid dataset has (1: an empty dataset fails).
        key: the columns of the dataframe-level ``unique`` (a key, or every column for the
            whole-row duplicate check), None if there is none.
        notes: dataframe-level decisions (keys, duplicates, row minimum).
        ranges: the range policy used.
    """

    schema: pac.DataFrameSchema
    rows: int
    explanations: dict[str, list[str]] = field(default_factory=dict)
    columns: dict[str, ColumnMeta] = field(default_factory=dict)
    min_rows: int = 1
    key: list[str] | None = None
    notes: list[str] = field(default_factory=list)
    ranges: str = "tolerant"

    def meta(self, version: int = 1, **fields: Any) -> SchemaMeta:
        """The schema file's metadata: roles, range rules and the row minimum, plus ``fields``."""
        from datalife.schemas.model import SchemaMeta

        return SchemaMeta.model_validate(
            {
                "name": self.schema.name,
                "version": version,
                "min_rows": self.min_rows,
                "columns": {
                    k: v.model_dump(exclude_defaults=True) for k, v in self.columns.items()
                },
                **fields,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "ranges": self.ranges,
            "min_rows": self.min_rows,
            "unique": self.key,
            "notes": list(self.notes),
            "roles": {
                k: (None if v.role is None else str(v.role)) for k, v in self.columns.items()
            },
            "columns": self.explanations,
        }

    def explain(self) -> str:
        lines = [f"inferred from {self.rows} rows (ranges: {self.ranges}):"]
        for col, reasons in self.explanations.items():
            lines.append(f"  {col}: " + "; ".join(reasons))
        lines.extend(f"  {note}" for note in self.notes)
        return "\n".join(lines)


def _fmt(x: Any) -> Any:
    if isinstance(x, float) and x.is_integer() and abs(x) < 2**53:
        return int(x)
    return x


def _is_paths(data: Any) -> bool:
    if isinstance(data, str | Path):
        return True
    return (
        isinstance(data, list | tuple)
        and bool(data)
        and all(isinstance(d, str | Path) for d in data)
    )


def _scan_sql(source: Any, *, whole: bool = False) -> str:
    """How inference reads a source: CSV with numbers typed by DuckDB (so that numeric text is
    not cast again by every pass), never booleans or dates (inference decides those itself, as
    the engines read them); JSON lines as text; Parquet as stored. The types are sniffed from
    the head of the file, or from all of it (``whole``) when a later value did not fit."""
    if source.format != "csv":
        return str(source.scan_sql())
    sample = ", sample_size=-1" if whole else ""
    options = source.csv_options()
    if len(source.columns) > WIDE_COLUMNS:
        # DuckDB sizes its read buffers from the longest line allowed: with thousands of
        # columns, buffers for 32 MB lines run out of memory; a wide file's lines are shorter
        options = re.sub(r"max_line_size=\d+", f"max_line_size={WIDE_MAX_LINE}", options)
    return (
        f"read_csv({sql_str(str(source.path))}, {options}, auto_detect=true"
        f"{sample}, auto_type_candidates=['BIGINT', 'DOUBLE', 'VARCHAR'])"
    )


class _Data:
    """The data as relation ``src`` on a DuckDB connection of its own (closed by :meth:`close`)."""

    def __init__(self, data: Any, memory_limit: str) -> None:
        import os

        import duckdb

        self.tmp = Path(tempfile.mkdtemp(prefix="datalife-infer-"))
        # in memory (no commit of a database file), spilling to ``tmp`` beyond the limit
        self.con = duckdb.connect()
        self.con.execute(f"SET memory_limit = {sql_str(memory_limit)}")
        self.con.execute(f"SET temp_directory = {sql_str(str(self.tmp / 'spill'))}")
        self.con.execute("SET preserve_insertion_order = false")
        self.threads = os.cpu_count() or 1
        self.memory_limit = memory_limit
        self.con.execute(f"SET threads = {self.threads}")
        self.sources: list[Any] = []
        self.columns: list[str] = []
        #: the values are text to parse (CSV, JSON lines), not typed (Parquet, frames)
        self.text = False
        try:
            self._open(data)
        except BaseException:
            self.close()
            raise

    def _open(self, data: Any) -> None:
        if _is_paths(data):
            from datalife.reading import resolve_sources

            items = [data] if isinstance(data, str | Path) else list(data)
            self.sources = resolve_sources(items)
            for s in self.sources:
                self.columns += [c for c in s.columns if c not in self.columns]
            self._need_columns()
            cols = ", ".join(sql_ident(c) for c in self.columns)

            def union(whole: bool) -> str:
                return " UNION ALL BY NAME ".join(
                    f"SELECT {', '.join(sql_ident(c) for c in s.columns)} "
                    f"FROM {_scan_sql(s, whole=whole)}"
                    for s in self.sources
                )

            self.text = any(s.format != "parquet" for s in self.sources)
            # text is parsed once, into an on-disk table the later passes read
            what = "TABLE" if self.text else "VIEW"
            import duckdb

            wide = self.text and len(self.columns) > WIDE_COLUMNS
            if wide:
                # DuckDB's CSV reader holds a buffer per thread and column: one thread, and a
                # little more room, read 10,000 columns in about 1.3 GB
                self.con.execute("SET threads = 1")
                self.con.execute(f"SET memory_limit = {sql_str(WIDE_MEMORY_LIMIT)}")
            try:
                self.con.execute(f"CREATE {what} src AS SELECT {cols} FROM ({union(False)})")
            except duckdb.ConversionException:
                # a value past the sniffed head did not fit its column's type
                self.execute(f"CREATE OR REPLACE {what} src AS SELECT {cols} FROM ({union(True)})")
            except duckdb.Error as exc:
                if isinstance(exc, duckdb.InvalidInputException | duckdb.IOException):
                    raise input_error_from_duckdb(exc, self.sources) from None
                raise
            # a wide table stays on one thread with the larger limit: its queries pin blocks
            # of many columns at once
            return
        import pyarrow as pyarrow_mod

        module = type(data).__module__.split(".")[0]
        if module == "pandas":
            table = pyarrow_mod.Table.from_pandas(data, preserve_index=False)
        elif module == "polars":
            table = (data.collect() if hasattr(data, "collect") else data).to_arrow()
        elif module == "pyarrow" and isinstance(data, pyarrow_mod.Table):
            table = data
        else:
            raise DatalifeError(
                f"cannot infer a schema from a {type(data).__name__}",
                hint="pass file paths or a pandas/polars DataFrame.",
            )
        self.columns = [str(c) for c in table.column_names]
        self._need_columns()
        self.con.register("__frame", table)
        self.execute("CREATE VIEW src AS SELECT * FROM __frame")

    def _need_columns(self) -> None:
        if self.columns:
            return
        if self.sources:
            from datalife.errors import InputError

            names = ", ".join(str(s.path) for s in self.sources)
            raise InputError(
                f"{names}: the data has no columns",
                path=self.sources[0].path,
                hint="check the input files: a header row, or JSON objects with fields.",
            )
        raise DatalifeError("the data has no columns", hint="pass a frame with columns.")

    def execute(self, sql: str) -> list[tuple[Any, ...]]:
        import duckdb

        try:
            return self.con.execute(sql).fetchall()
        except duckdb.Error as exc:
            if self.sources and isinstance(
                exc, duckdb.InvalidInputException | duckdb.IOException | duckdb.ConversionException
            ):
                raise input_error_from_duckdb(exc, self.sources) from None
            raise

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


# -- the scans ------------------------------------------------------------------------------


_NUMERIC_STORED = frozenset({*_INT_STORED, *_FLOAT_STORED})


def _is_numeric_stored(stored: str) -> bool:
    return stored in _NUMERIC_STORED or stored.startswith("DECIMAL")


# Each stage gives, per column, projections (named by the column's index) and aggregates
# with a reader of their values. Stage 1 counts what every column needs; stage 2 only what
# stage 1 says the column needs (text that is all numbers is never tried as a timestamp, a
# boolean or free text), so that the costly casts run on few columns.
Plan = tuple[list[str], list[str], Callable[[_Facts, Sequence[Any]], None]]


def _stage1(i: int, f: _Facts, text: bool) -> Plan:
    q = sql_ident(f.name)
    v, d = f"v{i}", f"d{i}"
    stored = f.stored.upper()
    if stored == "VARCHAR" and not text:
        # a typed source's strings are strings: only what tells a category from free text

        def read_string(f: _Facts, row: Sequence[Any]) -> None:
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
                f"count(*) FILTER (contains({v}, ' '))",
                f"max(length({v}))",
            ],
            read_string,
        )
    if stored == "VARCHAR":

        def read_text(f: _Facts, row: Sequence[Any]) -> None:
            f.nonnull, f.approx_distinct, f.as_float = int(row[0]), int(row[1] or 0), int(row[2])

        return (
            [f"{q} AS {v}"],
            [f"count({v})", f"approx_count_distinct({v})", f"count(TRY_CAST({v} AS DOUBLE))"],
            read_text,
        )
    if _is_numeric_stored(stored):

        def read_number(f: _Facts, row: Sequence[Any]) -> None:
            f.nonnull, f.approx_distinct = int(row[0]), int(row[1] or 0)
            f.lo, f.hi = row[2], row[3]
            if row[4] is not None:
                f.q25, f.q75 = float(row[4][0]), float(row[4][1])
            f.as_int = int(row[5])
            f.text = text

        if stored in _INT_STORED:  # no NaN nor infinity: no filter, no cast
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
        finite = f"isfinite({d})"
        return (
            [f"{q} AS {v}", f"{q}::DOUBLE AS {d}"],
            [
                f"count({v})",
                f"approx_count_distinct({v})",
                f"min({d}) FILTER ({finite})",
                f"max({d}) FILTER ({finite})",
                f"approx_quantile({d}, [0.25, 0.75]) FILTER ({finite})",
                # text numbers: a float column whose values are all whole may be integers a
                # writer turned into floats to hold missing values ("181.0")
                f"count(*) FILTER ({finite} AND {d} = trunc({d}))"
                if text and stored in _FLOAT_STORED
                else "0",
            ],
            read_number,
        )
    if stored.startswith(("TIMESTAMP", "DATE")):

        def read_time(f: _Facts, row: Sequence[Any]) -> None:
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

    def read_other(f: _Facts, row: Sequence[Any]) -> None:
        f.nonnull, f.approx_distinct = int(row[0]), int(row[1] or 0)

    distinct = f"approx_count_distinct({v})" if stored == "BOOLEAN" else "0"
    return [f"{q} AS {v}"], [f"count({v})", distinct], read_other


def _stage2(i: int, f: _Facts, text: bool) -> Plan | None:
    """Stage 2 of a text column: numbers' range and integrality, or text's other readings."""
    if f.stored.upper() != "VARCHAR" or not f.nonnull or not text:
        return None
    q = sql_ident(f.name)
    v, d, t = f"v{i}", f"d{i}", f"t{i}"
    if f.as_float == f.nonnull:

        def read_numbers(f: _Facts, row: Sequence[Any]) -> None:
            f.as_int, f.dotted = int(row[0]), int(row[1])
            f.lo, f.hi = row[2], row[3]
            if row[4] is not None:
                f.q25, f.q75 = float(row[4][0]), float(row[4][1])

        finite = f"isfinite({d})"
        return (
            [f"{q} AS {v}", f"TRY_CAST({q} AS DOUBLE) AS {d}"],
            [
                f"count(*) FILTER ({finite} AND {d} = trunc({d}) AND abs({d}) < 9.2e18)",
                f"count(*) FILTER (contains({v}, '.'))",
                f"min({d}) FILTER ({finite})",
                f"max({d}) FILTER ({finite})",
                f"approx_quantile({d}, [0.25, 0.75]) FILTER ({finite})",
            ],
            read_numbers,
        )
    # two spellings at most (HyperLogLog errs by a few percent): maybe true/false
    boolish = f.approx_distinct <= 3

    def read_text(f: _Facts, row: Sequence[Any]) -> None:
        f.as_ts = int(row[0])
        f.t_lo, f.t_hi = row[1], row[2]
        f.avg_len = None if row[3] is None else float(row[3])
        f.spaced = int(row[4])
        f.max_len = None if row[5] is None else int(row[5])
        f.as_bool = int(row[6])

    return (
        [f"{q} AS {v}", f"TRY_CAST({q} AS TIMESTAMP) AS {t}"],
        [
            f"count({t})",
            f"min({t})",
            f"max({t})",
            f"avg(length({v}))",
            f"count(*) FILTER (contains({v}, ' '))",
            f"max(length({v}))",
            f"count(*) FILTER (lower(trim({v})) IN ('true', 'false'))" if boolish else "0",
        ],
        read_text,
    )


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
    data: _Data,
    facts: list[_Facts],
    plans: list[Plan | None],
    step: Callable[[int, int], None],
) -> int | None:
    """Run the plans in batched queries; the row count (None if there was nothing to run)."""
    todo = [i for i, p in enumerate(plans) if p is not None]
    sizes = [len(plans[i][1]) for i in todo]  # type: ignore[index]
    groups = _batches(sizes, AGGREGATES_PER_QUERY)
    rows = None
    for done, group in enumerate(groups):
        chosen = [todo[g] for g in group]
        proj = [p for i in chosen for p in plans[i][0]]  # type: ignore[index]
        aggs = ["count(*)", *(a for i in chosen for a in plans[i][1])]  # type: ignore[index]
        (row,) = data.execute(f"SELECT {', '.join(aggs)} FROM (SELECT {', '.join(proj)} FROM src)")
        rows = int(row[0])
        at = 1
        for i in chosen:
            plan = plans[i]
            assert plan is not None
            n = len(plan[1])
            plan[2](facts[i], row[at : at + n])
            at += n
        step(done + 1, len(groups))
    return rows


def _pass1(data: _Data, facts: list[_Facts], progress: Progress | None) -> int:
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
    return rows


def _typed_sql(f: _Facts) -> str:
    """The column's values in its decided type (for counting distinct values)."""
    q = sql_ident(f.name)
    if f.stored.upper() != "VARCHAR" or f.kind == "string":
        return q
    if f.kind in ("int", "float"):
        return f"TRY_CAST(trim({q}) AS DOUBLE)"
    if f.kind == "timestamp":
        return f"TRY_CAST(trim({q}) AS TIMESTAMP)"
    return f"lower(trim({q}))"


def _pass2(
    data: _Data, facts: list[_Facts], max_categories: int, progress: Progress | None
) -> None:
    """Exact distinct counts where they decide something, and the values of small sets."""
    jobs: list[tuple[_Facts, bool, bool]] = []
    for f in facts:
        if not f.nonnull:
            continue
        small = f.kind == "string" and f.approx_distinct <= 2 * max_categories + 8
        unique_candidate = (
            f.kind in ("int", "string", "timestamp") and f.approx_distinct >= 0.8 * f.nonnull
        )
        if small or unique_candidate:
            jobs.append((f, small, unique_candidate))
    groups = _batches([2] * len(jobs), AGGREGATES_PER_QUERY // 2)
    for done, group in enumerate(groups):
        aggs: list[str] = []
        for j in group:
            f, small, _ = jobs[j]
            typed = _typed_sql(f)
            aggs.append(f"count(DISTINCT {typed})")
            aggs.append(
                f"CASE WHEN count(DISTINCT {typed}) <= {max_categories} THEN histogram({typed}) END"
                if small
                else "NULL"
            )
        (row,) = data.execute(f"SELECT {', '.join(aggs)} FROM src")
        for k, j in enumerate(group):
            f, small, _ = jobs[j]
            f.distinct = int(row[2 * k])
            if small and row[2 * k + 1] is not None:
                counts = {v: int(n) for v, n in dict(row[2 * k + 1]).items() if v is not None}
                f.values = sorted(counts)
                f.singletons = sum(1 for n in counts.values() if n == 1)
        if progress is not None:
            progress("values", done + 1, len(groups))


# -- decisions ------------------------------------------------------------------------------


def _decide_dtype(f: _Facts, missing: int) -> None:
    stored = f.stored.upper()
    if stored != "VARCHAR":
        if stored.startswith("TIMESTAMP") or stored == "DATE":
            f.dtype, f.kind = "datetime64[ns]", "timestamp"
        elif f.text and stored in _FLOAT_STORED and missing and f.as_int == f.nonnull:
            # "181.0" with missing values: an integer column a writer turned into floats
            f.dtype, f.kind = "Int64", "int"
        elif f.text and stored in _FLOAT_STORED:
            f.dtype, f.kind = "float64", "float"
        elif stored.startswith("DECIMAL") or stored in _FLOAT_STORED:
            f.dtype, f.kind = _FLOAT_STORED.get(stored, "float64"), "float"
        elif stored in _INT_STORED and f.text:
            f.dtype, f.kind = ("Int64" if missing else "int64"), "int"
        elif stored in _INT_STORED:
            dtype = _INT_STORED[stored]
            if missing:
                dtype = (
                    dtype.capitalize() if dtype.startswith("int") else "U" + dtype[1:].capitalize()
                )
            f.dtype, f.kind = dtype, "int"
        elif stored == "BOOLEAN":
            f.dtype, f.kind = ("boolean" if missing else "bool"), "bool"
        else:
            f.dtype, f.kind = "str", "other"
        return
    n = f.nonnull
    if n == 0:
        f.dtype, f.kind = "str", "string"
    elif f.as_int == n and (not f.dotted or missing):
        # "38.0" in a column without missing values was written from floats; with missing
        # values it may be an integer column a writer turned into floats to hold them
        f.dtype, f.kind = ("Int64" if missing else "int64"), "int"
    elif f.as_float == n:
        f.dtype, f.kind = "float64", "float"
    elif f.as_bool == n:
        f.dtype, f.kind = ("boolean" if missing else "bool"), "bool"
    elif f.as_ts == n:
        f.dtype, f.kind = "datetime64[ns]", "timestamp"
    else:
        f.dtype, f.kind = "str", "string"


def _dtype_reason(f: _Facts, missing: int) -> str:
    if f.text and f.kind in ("int", "float") and f.stored.upper() != "VARCHAR":
        number = "integers" if f.kind == "int" else "numbers"
        extra = " (nullable integer: the column has missing values)" if f.dtype == "Int64" else ""
        return f"dtype {f.dtype}: all {f.nonnull} non-missing values parse as {number}{extra}"
    if f.stored.upper() != "VARCHAR":
        return f"dtype {f.dtype}: stored as {f.stored}"
    if f.nonnull == 0:
        return "dtype str: every value is missing, nothing to infer from"
    what = {"int": "integers", "float": "numbers", "bool": "true/false", "timestamp": "timestamps"}
    if f.kind in what:
        extra = " (nullable integer: the column has missing values)" if f.dtype == "Int64" else ""
        return f"dtype {f.dtype}: all {f.nonnull} non-missing values parse as {what[f.kind]}{extra}"
    bools = ""
    if f.values and len(f.values) == 2 and {str(v).lower() for v in f.values} in _BOOL_LIKE:
        bools = " (yes/no-like spellings stay text: only true/false is read as a boolean)"
    return f"dtype str: text{bools}"


def _identifier(f: _Facts, missing: int) -> str | None:
    """Why ``f`` is an identifier, or None."""
    if f.kind not in ("int", "string") or f.nonnull < 2:
        return None
    named = bool(KEY_NAME.search(f.name))
    about = f.distinct if f.distinct is not None else f.approx_distinct
    if named and f.kind == "int" and 0.2 * f.nonnull <= about < 0.95 * f.nonnull and about >= 20:
        return f"a key-like name with about {about} distinct values in {f.nonnull} (a reference)"
    if f.distinct is None:
        return None
    unique = f.distinct == f.nonnull and missing == 0
    if named and f.distinct >= 0.95 * f.nonnull:
        return "a key-like name" + (" with no repeated values" if unique else ", nearly unique")
    if not unique or f.nonnull < 10:
        return None
    if f.kind == "int" and f.lo is not None and f.hi is not None:
        if f.hi - f.lo + 1 <= 4 * f.nonnull:
            return "integers with no repeats, dense like a sequence"
        return None
    if f.kind == "string" and f.spaced == 0 and (f.max_len or 0) <= 64:
        return "short strings without spaces, none repeated"
    return None


def _role_text(role: str) -> str:
    return role.replace("_", " ")


def infer_schema(
    data: Any,
    name: str,
    *,
    max_categories: int = 20,
    description: str = "",
    ranges: RangePolicy | str = "tolerant",
    roles: dict[str, str] | None = None,
    key_search: bool = True,
    progress: Progress | None = None,
    memory_limit: str = MEMORY_LIMIT,
) -> Inference:
    """Infer a schema named ``name`` from a DataFrame or from files (CSV, Parquet, JSON lines).

    Args:
        data: paths (one dataset), or a pandas/polars DataFrame or pyarrow Table.
        name: the schema's name.
        max_categories: a string column with at most this many distinct values is a category
            with an ``isin`` set.
        description: stored in the schema.
        ranges: the range policy: ``tolerant`` (default), ``strict`` or ``off`` (see
            :mod:`datalife.schemas.ranges`).
        roles: declared roles by column (``label``, ``prediction``, or any other role); they
            win over inferred ones.
        key_search: look for keys of 2 and 3 columns.
        progress: called as the scans go, ``progress(phase, done, total)``.
        memory_limit: DuckDB's memory limit (it spills to disk beyond it).
    """
    import pandera.pandas as pa

    from datalife.schemas.model import Role

    if ranges not in RANGE_POLICIES:
        raise DatalifeError(
            f"unknown range policy {ranges!r}",
            hint=f"use one of {', '.join(RANGE_POLICIES)} (default tolerant).",
        )
    declared: dict[str, Role] = {}
    for col, role in (roles or {}).items():
        try:
            declared[col] = Role(role)
        except ValueError:
            raise DatalifeError(
                f"column {col!r}: unknown role {role!r}",
                hint=f"use one of {', '.join(r.value for r in Role)}.",
            ) from None
    policy: RangePolicy = ranges  # type: ignore[assignment]
    src = _Data(data, memory_limit)
    try:
        unknown = [c for c in declared if c not in src.columns]
        if unknown:
            raise DatalifeError(
                f"declared roles name columns the data does not have: {', '.join(unknown)}",
                hint=f"the columns are {', '.join(src.columns)}.",
            )
        described = {r[0]: str(r[1]) for r in src.execute("DESCRIBE src")}
        facts = [_Facts(c, described.get(c, "VARCHAR")) for c in src.columns]
        total = _pass1(src, facts, progress)
        for f in facts:
            _decide_dtype(f, total - f.nonnull)
        _pass2(src, facts, max_categories, progress)
        out_cols: dict[str, Any] = {}
        explanations: dict[str, list[str]] = {}
        metas: dict[str, ColumnMeta] = {}
        identifiers: list[str] = []
        for f in facts:
            col, reasons, meta = _column(f, total, max_categories, policy, declared.get(f.name))
            out_cols[f.name] = col
            explanations[f.name] = reasons
            metas[f.name] = meta
            if col.unique:
                identifiers.append(f.name)
        notes: list[str] = []
        key = _keys(src, facts, total, identifiers, metas, notes, key_search, progress)
        min_rows = 1
        notes.append(
            "rows: at least 1 (min_rows: 1): an empty dataset, such as a header-only file, fails"
        )
        schema = pa.DataFrameSchema(
            out_cols, strict=True, name=name, description=description or None, unique=key
        )
        return Inference(
            schema=schema,
            rows=total,
            explanations=explanations,
            columns=metas,
            min_rows=min_rows,
            key=key,
            notes=notes,
            ranges=policy,
        )
    finally:
        src.close()


def _column(
    f: _Facts, total: int, max_categories: int, policy: RangePolicy, declared: Any
) -> tuple[Any, list[str], ColumnMeta]:
    import pandera.pandas as pa

    from datalife.schemas.model import ColumnMeta, Role

    missing = total - f.nonnull
    reasons = [_dtype_reason(f, missing)]
    nullable = missing > 0
    reasons.append(
        f"nullable: {missing} of {total} values missing"
        if nullable
        else "not nullable: no missing values"
    )
    checks: list[Any] = []
    unique = False
    role: Role | None = None
    range_rule: str | None = None
    why_id = _identifier(f, missing)
    if declared is not None:
        role = declared
        reasons.append(f"role {_role_text(role)}: declared")
    elif f.nonnull == 0:
        reasons.append("role: none (no values)")
    elif why_id is not None:
        role = Role.IDENTIFIER
        reasons.append(f"role identifier: {why_id}")
    elif f.kind == "timestamp":
        role = Role.TIMESTAMP
        reasons.append("role timestamp: dates and times")
    elif f.kind in ("int", "float"):
        role = Role.MEASUREMENT
        reasons.append("role measurement: numbers")
    elif f.kind == "bool":
        role = Role.CATEGORY
        reasons.append("role category: true/false")
    elif f.kind == "string":
        if f.values is not None and f.distinct and f.distinct * 2 <= f.nonnull:
            role = Role.CATEGORY
            reasons.append(f"role category: {f.distinct} distinct values")
        elif f.spaced * 2 >= f.nonnull or (f.avg_len or 0) >= 40:
            role = Role.FREE_TEXT
            reasons.append(
                f"role free text: {f.distinct or f.approx_distinct} distinct values in {f.nonnull}, "
                f"{round(100 * f.spaced / f.nonnull)}% with spaces (no category set, no drift)"
            )
        else:
            role = Role.CATEGORY
            reasons.append(
                f"role category: about {f.distinct or f.approx_distinct} distinct values "
                f"(more than {max_categories}: no fixed set)"
            )
    if declared is None and role is not None and role != Role.IDENTIFIER:
        if LABEL_NAME.search(f.name):
            reasons.append(
                f"looks like a label: declare it (--label {f.name}) for class-balance statistics"
            )
        elif PREDICTION_NAME.search(f.name):
            reasons.append(f"looks like a prediction: declare it (--prediction {f.name})")
    dtype = f.dtype
    if role == Role.IDENTIFIER:
        if f.distinct == f.nonnull and missing == 0:
            unique = True
            reasons.append("unique: an identifier; no range and no drift")
        else:
            reasons.append("not unique: values repeat in this data; no range and no drift")
        range_rule = "identifier: no range (its values are names, not quantities)"
    elif (
        f.kind == "string"
        and f.values is not None
        and f.singletons
        and role in (Role.CATEGORY, Role.LABEL)
    ):
        reasons.append(
            f"category set left open: {f.singletons} of {f.distinct} values seen only once, so "
            "a new batch likely brings values not seen yet (Good-Turing); no isin"
        )
    elif f.kind == "string" and f.values is not None and role in (Role.CATEGORY, Role.LABEL):
        dtype = "category"
        reasons[0] = reasons[0].replace("dtype str", "dtype category", 1)
        checks.append(pa.Check.isin(f.values))
        reasons.append(
            f"category: {f.distinct} distinct values in {f.nonnull} non-missing (≤ {max_categories}, "
            f"each seen {f.nonnull // max(f.distinct or 1, 1)}× on average): isin {f.values}"
        )
    elif f.kind == "timestamp" and f.nonnull:
        range_rule = (
            f"timestamp: no range check, time moves on (observed [{f.t_lo}, {f.t_hi}]); "
            "freshness and drift are checked by `datalife drift`"
        )
        reasons.append(f"range: none ({range_rule})")
    elif f.kind in ("int", "float") and f.nonnull and f.lo is not None and f.hi is not None:
        decision = decide_range(
            f.name, lo=f.lo, hi=f.hi, q25=f.q25, q75=f.q75, integer=f.kind == "int", policy=policy
        )
        range_rule = decision.rule
        if declared is None and role == Role.MEASUREMENT and "a calendar year" in decision.rule:
            role = Role.TIMESTAMP
            reasons = [
                r if not r.startswith("role ") else "role timestamp: a calendar year"
                for r in reasons
            ]
        reasons.append(f"range: {decision.rule}")
        # the hard bounds as ge/le, so no two checks of the column share a name
        if decision.hard_min is not None:
            checks.append(pa.Check.ge(decision.hard_min))
        if decision.hard_max is not None:
            checks.append(pa.Check.le(decision.hard_max))
        if decision.warn_min is not None and decision.warn_max is not None:
            checks.append(
                pa.Check.in_range(decision.warn_min, decision.warn_max, raise_warning=True)
            )
    elif f.kind == "string" and role == Role.FREE_TEXT:
        range_rule = None
    col = pa.Column(
        dtype, checks=checks, nullable=nullable, unique=unique, coerce=True, required=True
    )
    meta = ColumnMeta(role=role, range_rule=range_rule)
    return col, reasons, meta


# -- keys and duplicates --------------------------------------------------------------------


def _keys(
    data: _Data,
    facts: list[_Facts],
    rows: int,
    identifiers: list[str],
    metas: dict[str, ColumnMeta],
    notes: list[str],
    key_search: bool,
    progress: Progress | None,
) -> list[str] | None:
    """The dataframe-level ``unique``: a key of 2-3 columns, else every column, else None."""
    if identifiers:
        notes.append(f"keys: {', '.join(identifiers)} (unique identifier column)")
    found: list[list[str]] = []
    if key_search and rows >= 2:
        found = _search_keys(data, facts, rows, metas, notes, progress)
    if found:
        key = found[0]
        others = "; also unique: " + ", ".join("(" + ", ".join(k) + ")" for k in found[1:])
        notes.append(
            f"unique: ({', '.join(key)}), a key of {len(key)} columns"
            + (others if len(found) > 1 else "")
            + ": a repeated combination (a duplicated row or key) fails"
        )
        return key
    if identifiers:
        notes.append("duplicated rows: caught by the identifier's uniqueness")
        return None
    if rows < 2:
        return None
    hashes = _row_hash_sql([f.name for f in facts])
    (row,) = data.execute(f"SELECT count(DISTINCT {hashes}) FROM src")
    repeated = rows - int(row[0])
    if repeated:
        notes.append(
            f"duplicated rows: the data repeats {repeated} whole rows, so no whole-row duplicate "
            "check was added"
        )
        return None
    notes.append("unique: every column (no key found, no row repeated): a duplicated row fails")
    return [f.name for f in facts]


def _row_hash_sql(columns: Sequence[str], width: int = 200) -> str:
    """One hash of a row's values, built from hashes of at most ``width`` columns each."""
    parts = [
        "hash(" + ", ".join(sql_ident(c) for c in columns[i : i + width]) + ")"
        for i in range(0, len(columns), width)
    ]
    return parts[0] if len(parts) == 1 else "hash(" + ", ".join(parts) + ")"


def _search_keys(
    data: _Data,
    facts: list[_Facts],
    rows: int,
    metas: dict[str, ColumnMeta],
    notes: list[str],
    progress: Progress | None,
) -> list[list[str]]:
    """Minimal keys of 2 and 3 columns among the discrete, complete, non-unique columns."""
    from datalife.schemas.model import Role

    def card(f: _Facts) -> int:
        return f.distinct if f.distinct is not None else f.approx_distinct

    pool = [
        f
        for f in facts
        if f.nonnull == rows
        and f.kind in ("int", "string", "bool", "timestamp")
        and metas[f.name].role not in (Role.FREE_TEXT, Role.IDENTIFIER, Role.MEASUREMENT)
        # a nearly unique column (fine timestamps, codes) makes any combination look like a
        # key by chance: keys are built from columns whose values repeat
        and 1 < card(f) < 0.9 * rows
    ]
    # integers count as discrete only when they repeat a lot (codes, years, counts)
    pool += [
        f
        for f in facts
        if metas[f.name].role == Role.MEASUREMENT
        and f.kind == "int"
        and f.nonnull == rows
        and 1 < card(f) <= max(rows // 10, 2)
    ]
    pool.sort(key=lambda f: -card(f))
    dropped = pool[KEY_CANDIDATES:]
    pool = pool[:KEY_CANDIDATES]
    combos: list[tuple[_Facts, ...]] = []
    for size in (2, 3):
        for combo in itertools.combinations(pool, size):
            product = math.prod(card(f) for f in combo)
            # enough combinations to hold every row, and few enough that chance alone would
            # have repeated one (otherwise "no repeats" says nothing)
            if product >= 0.9 * rows and rows * rows / (2 * product) >= KEY_EVIDENCE:
                combos.append(combo)
    gave_up = len(combos) > KEY_BUDGET
    combos = combos[:KEY_BUDGET]
    found: list[list[str]] = []
    # a sample shows most non-keys (a repeat in the sample is a repeat in the data) cheaply;
    # only the combinations it cannot refute are counted on every row
    survivors = combos
    if rows > KEY_SAMPLE_ROWS and combos:
        names = sorted({f.name for c in combos for f in c})
        data.execute(
            "CREATE OR REPLACE TEMP TABLE key_sample AS SELECT "
            + ", ".join(sql_ident(n) for n in names)
            + f" FROM src USING SAMPLE {KEY_SAMPLE_ROWS} ROWS (reservoir, 15)"
        )
        survivors = []
        for start in range(0, len(combos), 32):
            chunk = combos[start : start + 32]
            aggs = ["count(DISTINCT " + _row_hash_sql([f.name for f in c]) + ")" for c in chunk]
            (row,) = data.execute(f"SELECT count(*), {', '.join(aggs)} FROM key_sample")
            survivors += [c for c, n in zip(chunk, row[1:], strict=True) if int(n) == row[0]]
        data.execute("DROP TABLE key_sample")
    batch = 4
    for start in range(0, len(survivors), batch):
        todo = [
            c
            for c in survivors[start : start + batch]
            if not any(set(k) <= {f.name for f in c} for k in found)
        ]
        if todo:
            aggs = ["count(DISTINCT " + _row_hash_sql([f.name for f in c]) + ")" for c in todo]
            (row,) = data.execute(f"SELECT {', '.join(aggs)} FROM src")
            for c, n in zip(todo, row, strict=True):
                if int(n) == rows:
                    found.append([f.name for f in sorted(c, key=facts.index)])
        if progress is not None:
            progress("keys", min(start + batch, len(survivors)), len(survivors))
    if gave_up or dropped:
        what = []
        if dropped:
            what.append(f"{len(dropped)} more columns not considered")
        if gave_up:
            what.append(f"stopped after {KEY_BUDGET} combinations")
        notes.append(
            "key search gave up early (" + "; ".join(what) + "): declare a key by editing "
            "`unique:` if the data has one"
        )
    elif not found and combos:
        notes.append(
            f"key search: no key of 2 or 3 columns among {len(pool)} discrete columns "
            f"({len(combos)} combinations tried)"
        )
    return found
