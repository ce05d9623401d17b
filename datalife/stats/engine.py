"""Computing profiles with DuckDB, out of core.

Files are scanned by DuckDB: Parquet in place; CSV and JSON lines are first loaded into a table
of a temporary on-disk DuckDB database (types inferred by DuckDB's sniffer, pandas' missing-value
tokens), so the per-column queries do not parse the text again. In-memory frames (pandas, polars,
pyarrow) are scanned where they are. DuckDB runs with a memory limit and spills to a temporary
directory, so memory stays bounded whatever the size of the input.

Per column, one aggregate gives counts, min/max, zeros and moments; one grouped query gives the
buckets and the HyperLogLog registers (``GROUPING SETS``); strings are grouped by value. Integer
sums are exact (HUGEINT); floating-point moments are computed on one thread so that the result is
the same on every run (DuckDB's parallel float sums differ in the last bits from run to run).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from datalife.errors import InputError
from datalife.io import duckdb_connect, input_error_from_duckdb, sql_ident, sql_str
from datalife.reading import PARQUET_SCAN_OPTIONS, Source, resolve_sources
from datalife.stats.build import (
    categorical_column,
    exact_moments,
    numeric_column,
    other_column,
    timestamp_column,
)
from datalife.stats.profile import FileRef, Profile, ProfileSettings, ProfileSource
from datalife.stats.sketch import (
    HyperLogLog,
    LogSketch,
    TimeGrid,
    ValueTable,
    grid_shift_for,
)
from datalife.stats.wide import COLUMNS_PER_GROUP, log_key_sql, profile_group

if TYPE_CHECKING:
    import duckdb

    from datalife.config import Workspace

__all__ = [
    "DEFAULT_MEMORY_LIMIT",
    "Progress",
    "Scan",
    "batch_columns",
    "column_kind",
    "open_scan",
    "profile_scan",
]

#: DuckDB's memory limit while profiling (it spills to disk beyond it).
DEFAULT_MEMORY_LIMIT = "512MB"
#: Columns from which, and rows up to which, :func:`profile_scan` profiles them in groups (see
#: :func:`batch_columns`).
BATCH_MIN_COLUMNS = 20
BATCH_MAX_ROWS = 150_000
#: Text files wider than this are loaded on one thread with :data:`WIDE_MEMORY_LIMIT`.
WIDE_COLUMNS = 2000
WIDE_MEMORY_LIMIT = "1500MB"
#: The longest line of such a wide file (as in inference: 8 MB, 32 MB lines' buffers do not fit).
WIDE_MAX_LINE = 8 << 20

Kind = Literal["numeric", "string", "boolean", "timestamp", "other"]

_INTS = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
)
_FLOATS = ("FLOAT", "DOUBLE", "REAL")


def column_kind(dtype: str) -> Kind:
    """How a DuckDB type is profiled.

    Examples:
        >>> column_kind("BIGINT"), column_kind("DECIMAL(10,2)"), column_kind("VARCHAR")
        ('numeric', 'numeric', 'string')
        >>> column_kind("TIMESTAMP WITH TIME ZONE"), column_kind("INTEGER[]")
        ('timestamp', 'other')
    """
    t = dtype.upper()
    if t.endswith("]") or t.startswith(("STRUCT", "MAP", "UNION")):
        return "other"
    if t in _INTS or t in _FLOATS or t.startswith("DECIMAL"):
        return "numeric"
    if t == "BOOLEAN":
        return "boolean"
    if t in ("VARCHAR", "UUID") or t.startswith("ENUM"):
        return "string"
    if t.startswith("TIMESTAMP") or t == "DATE":
        return "timestamp"
    return "other"


@dataclass
class Scan:
    """An open DuckDB connection with the data as relation ``src``."""

    con: duckdb.DuckDBPyConnection
    columns: list[tuple[str, str]]
    source: ProfileSource
    sources: list[Source] = field(default_factory=list)
    threads: int = 1

    def execute(
        self,
        sql: str,
        *,
        single_thread: bool = False,
        retry_conversion: str | None = None,
        convert_errors: bool = True,
    ) -> list[tuple[Any, ...]]:
        """Run ``sql``; a DuckDB error on files becomes an :class:`InputError`.

        ``retry_conversion``: SQL to run instead when ``sql`` fails on a value that does not fit
        the type DuckDB's sniffer chose from the head of a CSV file.
        """
        import duckdb

        try:
            if single_thread:
                self.con.execute("SET threads = 1")
            return self.con.execute(sql).fetchall()
        except duckdb.Error as exc:
            if retry_conversion is not None and isinstance(exc, duckdb.ConversionException):
                return self.execute(retry_conversion)
            if convert_errors and self.sources:
                raise input_error_from_duckdb(exc, self.sources) from None
            raise
        finally:
            if single_thread:
                self.con.execute(f"SET threads = {self.threads}")

    def fetch_numpy(self, sql: str) -> dict[str, Any]:
        """Run ``sql`` and return its columns as numpy arrays (errors as in :meth:`execute`)."""
        import duckdb
        import numpy as np

        try:
            res = self.con.sql(sql).fetchnumpy()  # streamed: no materialised copy
        except duckdb.Error as exc:
            if self.sources:
                raise input_error_from_duckdb(exc, self.sources) from None
            raise
        return {k: np.asarray(v, dtype=np.int64) for k, v in res.items()}


def _is_paths(data: Any) -> bool:
    if isinstance(data, str | Path):
        return True
    return (
        isinstance(data, list | tuple)
        and bool(data)
        and all(isinstance(d, str | Path) for d in data)
    )


def _typed_scan_sql(sources: Sequence[Source], *, sample_all: bool = False) -> str:
    fmt = sources[0].format
    options = sources[0].csv_options() if fmt == "csv" else ""
    if max(len(s.columns) for s in sources) > WIDE_COLUMNS:
        # DuckDB sizes its read buffers from the longest line allowed: with thousands of
        # columns, buffers for 32 MB lines run out of memory; a wide file's lines are shorter
        options = re.sub(r"max_line_size=\d+", f"max_line_size={WIDE_MAX_LINE}", options)
    paths = "[" + ", ".join(sql_str(str(s.path)) for s in sources) + "]"
    if fmt == "parquet":
        return f"read_parquet({paths}, union_by_name = true, {PARQUET_SCAN_OPTIONS})"
    if fmt == "csv":
        # the one reading's dialect; numbers, dates and timestamps typed, booleans never
        # (yes/no stays the text it is)
        from datalife.reading import auto_types_sql

        types = auto_types_sql()
        if not sample_all:
            # the head: 20,480 rows; 2,048 of a wide file (the sniffer's work grows with the
            # columns; a value the head's types do not fit sends the file to the whole sniff)
            head = 2048 if max(len(s.columns) for s in sources) > WIDE_COLUMNS else 20480
            types = types.replace("sample_size=-1", f"sample_size={head}")
        return f"read_csv({paths}, {options}, {types}, union_by_name = true)"
    return f"read_json({paths}, format = 'newline_delimited', union_by_name = true)"


@contextlib.contextmanager
def open_scan(
    data: Any,
    *,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    threads: int | None = None,
    workspace: Workspace | None = None,
    dataset: str | None = None,
) -> Iterator[Scan]:
    """Open ``data`` (paths, or a pandas/polars/pyarrow frame) as relation ``src``."""
    import os

    tmp = Path(tempfile.mkdtemp(prefix="datalife-stats-"))
    nthreads = threads or os.cpu_count() or 1
    con: duckdb.DuckDBPyConnection | None = None
    try:
        if _is_paths(data):
            items = [data] if isinstance(data, str | Path) else list(data)
            sources = resolve_sources(items)
            formats = sorted({s.format for s in sources})
            if len(formats) > 1:
                raise InputError(
                    f"the files mix formats ({', '.join(formats)})",
                    path=sources[0].path,
                    hint="profile files of one format together (convert the others first).",
                )
            wide = formats[0] != "parquet" and max(len(s.columns) for s in sources) > WIDE_COLUMNS
            # text is loaded into an on-disk database; a wide file's table stays in memory,
            # spilling to the temporary directory (committing 10,000 columns to a database
            # file runs out of memory)
            con = duckdb_connect() if wide else duckdb_connect(str(tmp / "scan.duckdb"))
            _configure(con, memory_limit, tmp, nthreads)
            scan = Scan(
                con,
                [],
                _file_source(sources, workspace, dataset),
                sources,
                1 if wide else nthreads,
            )
            if formats[0] == "parquet":
                scan.execute(f"CREATE VIEW src AS SELECT * FROM {_typed_scan_sql(sources)}")
            else:
                # rows keep the files' order, so that the (one-thread) floating-point sums add
                # them in the same order on every run; if a value late in the file does not fit
                # the type sniffed from its head, the whole file is sniffed instead
                con.execute("SET preserve_insertion_order = true")
                if wide:
                    # DuckDB's CSV reader holds a buffer per thread and column: one thread and
                    # a little more room read 10,000 columns (the default limit runs out)
                    con.execute("SET threads = 1")
                    con.execute(f"SET memory_limit = {sql_str(WIDE_MEMORY_LIMIT)}")
                scan.execute(
                    f"CREATE TABLE src AS SELECT * FROM {_typed_scan_sql(sources)}",
                    retry_conversion="CREATE OR REPLACE TABLE src AS SELECT * FROM "
                    + _typed_scan_sql(sources, sample_all=True),
                )
                if wide:
                    # profiling goes back to the caller's limit, the table spilling to disk
                    # beyond it (so the profiles' own memory adds to a bounded total); a wide
                    # table stays on one thread: its row groups are few anyway
                    con.execute(f"SET memory_limit = {sql_str(memory_limit)}")
                con.execute("SET preserve_insertion_order = false")
        else:
            frame, fhash = _frame(data)
            con = duckdb_connect()
            _configure(con, memory_limit, tmp, nthreads)
            con.register("src_frame", frame)
            con.execute("CREATE VIEW src AS SELECT * FROM src_frame")
            source = ProfileSource(dataset=dataset, dataset_version=fhash, frame=True)
            scan = Scan(con, [], source, [], nthreads)
        scan.columns = [(r[0], str(r[1])) for r in scan.execute("DESCRIBE src")]
        yield scan
    finally:
        if con is not None:
            con.close()
        shutil.rmtree(tmp, ignore_errors=True)


def _configure(con: duckdb.DuckDBPyConnection, memory_limit: str, tmp: Path, threads: int) -> None:
    con.execute(f"SET memory_limit = {sql_str(memory_limit)}")
    con.execute(f"SET temp_directory = {sql_str(str(tmp / 'spill'))}")
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"SET threads = {threads}")


def _file_source(
    sources: Sequence[Source], workspace: Workspace | None, dataset: str | None
) -> ProfileSource:
    from datalife.storage import dataset_version_id, hash_file

    refs = []
    for s in sources:
        s.content_hash = s.content_hash or hash_file(s.path)
        shown = workspace.relpath(s.path) if workspace is not None else s.path.as_posix()
        refs.append(FileRef(path=shown, content_hash=s.content_hash))
    version = dataset_version_id(r.content_hash for r in refs)
    return ProfileSource(dataset=dataset, dataset_version=version, files=refs)


def _frame(data: Any) -> tuple[Any, str]:
    """A frame DuckDB can scan, and its content hash."""
    from datalife.storage import frame_hash, table_hash

    module = type(data).__module__.split(".")[0]
    if module == "pandas":
        import pandas as pd

        if isinstance(data, pd.Series):
            data = data.to_frame()
        if isinstance(data, pd.DataFrame):
            if not all(isinstance(c, str) for c in data.columns):
                data = data.rename(columns=str)
            return data, frame_hash(data)
    if module == "polars":
        import polars as pl

        if isinstance(data, pl.LazyFrame):
            data = data.collect()
        if isinstance(data, pl.DataFrame):
            table = data.to_arrow()
            return table, table_hash(table)
    if module == "pyarrow":
        import pyarrow as pa

        if isinstance(data, pa.Table):
            return data, table_hash(data)
    raise InputError(
        f"cannot profile a {type(data).__name__}",
        hint="pass a pandas or polars DataFrame, a pyarrow Table, or paths to CSV, Parquet "
        "or JSON lines files.",
    )


# -- SQL ------------------------------------------------------------------------------------


def _hll_sql(value: str, source: str, precision: int) -> str:
    """SQL giving, per HyperLogLog register, the smallest remainder of the values' hashes."""
    width = 64 - precision
    mask = (1 << width) - 1
    return (
        f"SELECT (h >> {width})::INTEGER AS r, min(h & {mask}::UBIGINT) AS w "
        f"FROM (SELECT hash({value}) AS h FROM {source}) GROUP BY r"
    )


def _registers(rows: Sequence[tuple[Any, ...]], settings: ProfileSettings) -> HyperLogLog:
    return HyperLogLog.from_minimums(
        [int(r[0]) for r in rows], [int(r[1]) for r in rows], settings.hll_precision
    )


#: ``progress(done, total)``: columns profiled so far, of all of them.
Progress = Callable[[int, int], None]


def profile_scan(
    scan: Scan,
    settings: ProfileSettings,
    *,
    progress: Progress | None = None,
    batched: bool | None = None,
) -> Profile:
    """Profile every column of ``scan``.

    Args:
        progress: called after each column (or group of columns) with ``(done, total)``.
        batched: profile the columns in groups (:mod:`datalife.stats.wide`) or one by one;
            None decides by the shape of the data (:func:`batch_columns`). The profile is the
            same either way.
    """
    rows = int(scan.execute("SELECT count(*) FROM src")[0][0])
    total = len(scan.columns)
    if batched is None:
        batched = batch_columns(total, rows)
    columns: list[Any] = []
    if not batched:
        for name, dtype in scan.columns:
            columns.append(_column(scan, name, dtype, rows, settings))
            if progress is not None:
                progress(len(columns), total)
    else:
        for start in range(0, total, COLUMNS_PER_GROUP):
            group = scan.columns[start : start + COLUMNS_PER_GROUP]
            columns += _group(scan, group, rows, settings)
            if progress is not None:
                progress(len(columns), total)
    return Profile(rows=rows, source=scan.source, settings=settings, columns=columns)


def batch_columns(columns: int, rows: int) -> bool:
    """Whether to profile columns in groups: on short data with many columns, where the
    per-column queries' fixed cost (about four statements per column) outweighs the long form's
    cost per value (measured: 1,000 columns x 10,000 rows 3-4x faster in groups; 10 columns x
    2 million rows 2x slower, the per-column queries being parallel inside).

    Examples:
        >>> batch_columns(10, 2_000_000), batch_columns(1000, 10_000), batch_columns(1000, 10**6)
        (False, True, False)
    """
    return columns >= BATCH_MIN_COLUMNS and rows <= BATCH_MAX_ROWS


def _group(
    scan: Scan, group: Sequence[tuple[str, str]], rows: int, settings: ProfileSettings
) -> list[Any]:
    """The profiles of a group of columns, computed together (one by one if an exact integer
    sum overflows, which sends that column to the floating-point path)."""
    import duckdb

    kinds: list[tuple[str, str, Any]] = []
    for name, dtype in group:
        kind: str = column_kind(dtype)
        if kind == "numeric":
            kind = "integer" if dtype.upper() in _INTS else "float"
        kinds.append((name, dtype, kind))
    try:
        try:
            return profile_group(scan, kinds, rows, settings)
        except (duckdb.OutOfRangeException, duckdb.ConversionException):
            # the integers one by one (the floating-point path for the one that overflows),
            # the other columns together again
            rest = [k for k in kinds if k[2] != "integer"]
            done = dict(
                zip([k[0] for k in rest], profile_group(scan, rest, rows, settings), strict=True)
            )
            return [
                done[name] if name in done else _column(scan, name, dtype, rows, settings)
                for name, dtype, _ in kinds
            ]
    except duckdb.Error as exc:
        if scan.sources:
            raise input_error_from_duckdb(exc, scan.sources) from None
        raise


def _column(scan: Scan, name: str, dtype: str, rows: int, settings: ProfileSettings) -> Any:
    """The profile of one column, from its own queries."""
    kind = column_kind(dtype)
    if kind == "numeric":
        return _numeric(scan, name, dtype, rows, settings)
    if kind in ("string", "boolean"):
        return _categorical(scan, name, dtype, kind, rows, settings)
    if kind == "timestamp":
        return _timestamp(scan, name, dtype, rows, settings)
    c = sql_ident(name)
    present = int(scan.execute(f"SELECT count({c}) FROM src")[0][0])
    return other_column(name=name, dtype=dtype, rows=rows, missing=rows - present)


def _numeric(scan: Scan, name: str, dtype: str, rows: int, settings: ProfileSettings) -> Any:
    c = sql_ident(name)
    x = f"{c}::DOUBLE"
    integer = dtype.upper() in _INTS
    values = f"(SELECT {x} AS x FROM src WHERE {c} IS NOT NULL AND NOT isnan({x}))"
    grouped: list[tuple[Any, ...]] | None = None
    if integer:
        import duckdb

        # one scan: HyperLogLog registers and exact integer sums per register
        width = 64 - settings.hll_precision
        with contextlib.suppress(duckdb.OutOfRangeException, duckdb.ConversionException):
            grouped = scan.execute(
                f"SELECT (h >> {width})::INTEGER AS r, min(h & {(1 << width) - 1}::UBIGINT), "
                f"count(*), min({c}), max({c}), count(*) FILTER ({c} = 0), "
                f"sum({c}::HUGEINT), sum({c}::HUGEINT * {c}::HUGEINT) "
                f"FROM (SELECT {c}, hash({c}::DOUBLE) AS h FROM src WHERE {c} IS NOT NULL) "
                "GROUP BY r",
                convert_errors=False,
            )
    if grouped is not None:
        regs = [(g[0], g[1]) for g in grouped]
        present = sum(int(g[2]) for g in grouped)
        lows = [g[3] for g in grouped]
        highs = [g[4] for g in grouped]
        zeros = sum(int(g[5]) for g in grouped)
        s1 = sum(int(g[6]) for g in grouped)
        s2 = sum(int(g[7]) for g in grouped)
        nan = infinite = 0
        finite = present
        mean, m2 = exact_moments(finite, s1, s2) if finite else (None, 0.0)
        lo = float(min(lows)) if lows else None
        hi = float(max(highs)) if highs else None
    else:
        r = scan.execute(
            f"SELECT count({c}), count(*) FILTER (isnan(x)), count(*) FILTER (isinf(x)), "
            "min(x) FILTER (isfinite(x)), max(x) FILTER (isfinite(x)), count(*) FILTER (x = 0), "
            "count(*) FILTER (isfinite(x)), avg(x) FILTER (isfinite(x)), "
            "var_pop(x) FILTER (isfinite(x)) "
            f"FROM (SELECT {c}, {x} AS x FROM src)",
            single_thread=True,
        )[0]
        present, nan, infinite, lo, hi, zeros, finite = (
            int(r[0]),
            int(r[1]),
            int(r[2]),
            r[3],
            r[4],
            int(r[5]),
            int(r[6]),
        )
        mean = float(r[7]) if r[7] is not None else None
        m2 = float(r[8]) * finite if r[8] is not None else 0.0
        present -= nan
        regs = scan.execute(_hll_sql("x", values, settings.hll_precision))
    key = log_key_sql("x", settings.initial_sub_buckets)
    buckets = scan.fetch_numpy(
        f"SELECT {key} AS k, count(*) AS n FROM {values} WHERE isfinite(x) GROUP BY k"
    )
    sketch = LogSketch.from_counts(
        buckets["k"], buckets["n"], settings.initial_sub_buckets, settings.max_buckets
    )
    return numeric_column(
        name=name,
        dtype=dtype,
        rows=rows,
        missing=rows - present,
        nan=nan,
        infinite=infinite,
        zeros=zeros,
        finite=finite,
        mean=mean,
        m2=m2,
        lo=lo,
        hi=hi,
        sketch=sketch,
        hll=_registers(regs, settings),
    )


def _categorical(
    scan: Scan,
    name: str,
    dtype: str,
    kind: Literal["string", "boolean"],
    rows: int,
    settings: ProfileSettings,
) -> Any:
    c = sql_ident(name)
    v = f"{c}::VARCHAR"
    scan.execute(
        f"CREATE OR REPLACE TEMP TABLE grouped AS SELECT {v} AS v, count(*) AS n FROM src "
        f"WHERE {c} IS NOT NULL GROUP BY ALL"
    )
    distinct, present, length_sum, length_min, length_max = scan.execute(
        "SELECT count(*), coalesce(sum(n), 0), coalesce(sum(n * length(v)), 0), "
        "min(length(v)), max(length(v)) FROM grouped"
    )[0]
    top = scan.execute(
        f"SELECT v, n FROM grouped ORDER BY n DESC, v LIMIT {settings.max_values + 1}"
    )
    regs = scan.execute(_hll_sql("v", "grouped", settings.hll_precision))
    scan.execute("DROP TABLE grouped")
    kept = top[: settings.max_values]
    complete = len(top) <= settings.max_values
    table = ValueTable(
        tuple((str(t[0]), int(t[1])) for t in kept),
        complete,
        0,
        0 if complete else int(top[-1][1]),
    )
    return categorical_column(
        name=name,
        dtype=dtype,
        kind=kind,
        rows=rows,
        missing=rows - int(present),
        table=table,
        distinct_exact=int(distinct),
        length_sum=int(length_sum),
        length_min=int(length_min) if length_min is not None else None,
        length_max=int(length_max) if length_max is not None else None,
        hll=_registers(regs, settings),
        top_k=settings.top_k,
    )


def _timestamp(scan: Scan, name: str, dtype: str, rows: int, settings: ProfileSettings) -> Any:
    c = sql_ident(name)
    us = f"epoch_us({c}::TIMESTAMP)" if dtype.upper() == "DATE" else f"epoch_us({c})"
    present, lo, hi = scan.execute(f"SELECT count({c}), min({us}), max({us}) FROM src")[0]
    present = int(present)
    shift = grid_shift_for(int(lo), int(hi), settings.max_buckets) if present else 0
    values = f"(SELECT {us} AS t FROM src WHERE {c} IS NOT NULL)"
    grouped = scan.execute(f"SELECT t >> {shift} AS k, count(*) FROM {values} GROUP BY k")
    keys = [int(g[0]) for g in grouped]
    counts = [int(g[1]) for g in grouped]
    regs = scan.execute(_hll_sql("t", values, settings.hll_precision))
    return timestamp_column(
        name=name,
        dtype=dtype,
        rows=rows,
        missing=rows - present,
        min_us=int(lo) if present else None,
        max_us=int(hi) if present else None,
        grid=TimeGrid.from_counts(shift, keys, counts, settings.max_buckets),
        hll=_registers(regs, settings),
    )
