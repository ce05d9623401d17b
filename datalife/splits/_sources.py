"""Where the rows come from: a pandas DataFrame in memory, or files read by DuckDB.

Both sources hand the split algorithms the same things: the row count, the column names,
the few columns the parameters name (as Arrow arrays), and a 64-bit hash of every row's
content (for the duplicate check). Files are never loaded whole: only those columns are
read, and the outputs are written by DuckDB streaming the inputs again.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from datalife._threads import Background
from datalife.errors import InputError
from datalife.splits._arrow import chunked_numpy, float64_arrow, hash_values, int64_arrow, to_arrow
from datalife.splits._assign import assign_key
from datalife.splits._outputs import SplitFiles

if TYPE_CHECKING:
    from fractions import Fraction

    import duckdb
    import numpy.typing as npt
    import pandas as pd
    import pyarrow as pa

    from datalife.reading import Source

__all__ = ["Fetched", "FileSource", "FrameSource"]

_T = TypeVar("_T")

ROWHASH = "__datalife_rowhash"
#: rows per batch read from DuckDB (the row groups written are fixed apart from it)
_BATCH_ROWS = 1 << 17
#: DuckDB text types, dictionary-encoded batch by batch when collected for the strata
_TEXT = re.compile(r"^VARCHAR$")
#: DuckDB types decoded cheaply (no strings, no nesting): the first stage of the duplicate check
_FIXED_WIDTH = re.compile(
    r"^(BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|"
    r"UHUGEINT|FLOAT|DOUBLE|DECIMAL\(.*\)|DATE|TIME|TIMESTAMP.*|INTERVAL|UUID)$"
)


@dataclass
class Fetched:
    """The columns a split needs, as Arrow arrays, plus per-row content hashes.

    The duplicate check is in two stages: ``row_hash`` first covers only the fixed-width
    columns (numbers, dates: cheap to decode). Rows that differ there differ in full, so when
    no two rows share that hash there are no duplicates; otherwise ``full_hash()`` hashes
    every column (``row_hash_complete`` says whether ``row_hash`` already does).
    """

    n_rows: int
    arrays: dict[str, pa.ChunkedArray]
    row_hash: npt.NDArray[np.uint64] | None
    row_hash_complete: bool = True
    full_hash: Callable[[], npt.NDArray[np.uint64] | None] | None = None
    #: key mode: :func:`hash_values` of the key column, when already computed while streaming
    key_hash: npt.NDArray[np.uint64] | None = None


class FrameSource:
    """A pandas DataFrame being split in memory."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.columns = [str(c) for c in frame.columns]
        self.n_rows = len(frame)

    def describe(self) -> str:
        return "the DataFrame"

    def fetch(self, names: Sequence[str], *, hash_exclude: Sequence[str] | None) -> Fetched:
        """The named columns, and (unless ``hash_exclude`` is None) per-row content hashes."""
        import pandas as pd

        arrays = {name: to_arrow(self.frame[name]) for name in names}
        if hash_exclude is None:
            return Fetched(n_rows=self.n_rows, arrays=arrays, row_hash=None)
        cols = [c for c in self.frame.columns if str(c) not in hash_exclude]
        if not cols:
            return Fetched(n_rows=self.n_rows, arrays=arrays, row_hash=None)

        def hashed(columns: list[Any]) -> npt.NDArray[np.uint64] | None:
            try:
                h = pd.util.hash_pandas_object(self.frame[columns], index=False)
            except TypeError:  # unhashable cells (lists, dicts): skip the check
                return None
            return np.asarray(h.to_numpy(), dtype=np.uint64)

        api = pd.api.types
        cheap = [
            c
            for c in cols
            if api.is_numeric_dtype(self.frame[c].dtype)
            or api.is_bool_dtype(self.frame[c].dtype)
            or api.is_datetime64_any_dtype(self.frame[c].dtype)
        ]
        if cheap and len(cheap) < len(cols):
            return Fetched(
                n_rows=self.n_rows,
                arrays=arrays,
                row_hash=hashed(cheap),
                row_hash_complete=False,
                full_hash=lambda: hashed(cols),
            )
        return Fetched(n_rows=self.n_rows, arrays=arrays, row_hash=hashed(cols))


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class FileSource:
    """Data files (CSV or Parquet, or JSON lines) read by DuckDB, out of core.

    All files must have the same format; they are read as one table, in the order given,
    columns matched by name.
    """

    def __init__(self, paths: Sequence[str | os.PathLike[str]]) -> None:
        from datalife.reading import resolve_sources

        self.sources: list[Source] = resolve_sources([Path(p) for p in paths])
        formats = sorted({s.format for s in self.sources})
        if len(formats) > 1:
            raise InputError(
                "cannot split files of different formats together (" + ", ".join(formats) + ")",
                path=self.sources[0].path,
                hint="convert them to one format first (for example all to Parquet).",
            )
        self.format = formats[0]
        delims = sorted({s.delimiter for s in self.sources})
        if self.format == "csv" and len(delims) > 1:
            raise InputError(
                "the CSV files use different delimiters (" + ", ".join(map(repr, delims)) + ")",
                path=self.sources[0].path,
                hint="write them with one delimiter.",
            )
        self._con: duckdb.DuckDBPyConnection | None = None
        self._types: dict[str, str] | None = None
        self.n_rows = 0

    @property
    def paths(self) -> list[Path]:
        return [s.path for s in self.sources]

    def describe(self) -> str:
        if len(self.sources) == 1:
            return str(self.sources[0].path)
        return f"{len(self.sources)} files ({self.sources[0].path}, ...)"

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            from datalife.io import connect

            self._con = connect()
            self._con.execute("SET enable_progress_bar = false").fetchall()
        return self._con

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def scan_sql(self) -> str:
        """A DuckDB table expression reading every input file in order."""
        files = "[" + ", ".join(_sql_str(str(s.path)) for s in self.sources) + "]"
        union = ", union_by_name=true" if len(self.sources) > 1 else ""
        if self.format == "parquet":
            from datalife.reading import PARQUET_SCAN_OPTIONS

            return f"read_parquet({files}{union}, {PARQUET_SCAN_OPTIONS})"
        if self.format == "csv":
            # the one reading's dialect, typed without guessing booleans (yes/no stays text)
            from datalife.reading import auto_types_sql

            return f"read_csv({files}, {self.sources[0].csv_options()}, {auto_types_sql()}{union})"
        return f"read_json({files}, format='newline_delimited'{union})"

    def _run(self, fn: Callable[[], _T]) -> _T:
        """``fn()``, a DuckDB error in it reported as an input error naming the files."""
        import duckdb

        try:
            return fn()
        except duckdb.Error as exc:
            from datalife.io import input_error_from_duckdb

            raise input_error_from_duckdb(exc, self.sources) from None

    @property
    def columns(self) -> list[str]:
        return list(self.types)

    @property
    def types(self) -> dict[str, str]:
        """Column name -> DuckDB type, in file order."""
        if self._types is None:
            rows = self._run(
                lambda: self.con.execute(f"DESCRIBE SELECT * FROM {self.scan_sql()}").fetchall()
            )
            self._types = {str(r[0]): str(r[1]) for r in rows}
        return self._types

    def fetch(self, names: Sequence[str], *, hash_exclude: Sequence[str] | None) -> Fetched:
        """One pass over the files: the named columns, and per-row content hashes (of the
        fixed-width columns; see :class:`Fetched`)."""
        select = [_quote(n) for n in names]
        first, cols = self.hash_columns(hash_exclude or ())
        if hash_exclude is not None and cols:
            select.append(f"hash({', '.join(_quote(c) for c in first)}) AS {ROWHASH}")
        if not select:
            select = ["NULL AS __none"]
        sql = f"SELECT {', '.join(select)} FROM {self.scan_sql()}"
        table = self._run(lambda: self.con.sql(sql).to_arrow_table())
        self.n_rows = table.num_rows
        arrays = {n: table.column(n) for n in names}
        if hash_exclude is None or not cols:
            return Fetched(n_rows=table.num_rows, arrays=arrays, row_hash=None)
        row_hash = np.asarray(chunked_numpy(table.column(ROWHASH)), dtype=np.uint64)
        complete = len(first) == len(cols)
        return Fetched(
            n_rows=table.num_rows,
            arrays=arrays,
            row_hash=row_hash,
            row_hash_complete=complete,
            full_hash=None if complete else lambda: self.hash_all(cols),
        )

    def hash_columns(self, exclude: Sequence[str]) -> tuple[list[str], list[str]]:
        """The columns of the duplicate check's first stage (fixed width, or all if none are),
        and all of them (every column but ``exclude``)."""
        cols = [c for c in self.columns if c not in exclude]
        cheap = [c for c in cols if _FIXED_WIDTH.match(self.types[c])]
        return (cheap or cols), cols

    def hash_all(self, cols: Sequence[str]) -> npt.NDArray[np.uint64]:
        """A hash of every row over ``cols`` (the duplicate check's second stage)."""
        sql = f"SELECT hash({', '.join(_quote(c) for c in cols)}) AS h FROM {self.scan_sql()}"
        table = self._run(lambda: self.con.sql(sql).to_arrow_table())
        return np.asarray(chunked_numpy(table.column(0)), dtype=np.uint64)

    def _reader(self, extra: Sequence[str] = ()) -> pa.RecordBatchReader:
        """DuckDB's ordered scan of every column (and the ``extra`` expressions after them),
        as an Arrow batch reader. A scan of one table keeps the file order."""
        query = f"SELECT {', '.join(['*', *extra])} FROM {self.scan_sql()}"
        return self._run(lambda: self.con.sql(query).to_arrow_reader(_BATCH_ROWS))

    def _batches(self, reader: pa.RecordBatchReader) -> Iterator[pa.RecordBatch]:
        batches = iter(reader)
        while True:
            batch = self._run(lambda: next(batches, None))
            if batch is None:
                return
            yield batch

    def stream(
        self,
        assign: npt.NDArray[np.int8],
        emit: Callable[[int, pa.RecordBatch, npt.NDArray[np.int64] | None], None],
        *,
        reps: npt.NDArray[np.int32] | None = None,
        weights: npt.NDArray[np.float64] | None = None,
        weight_column: str | None = None,
    ) -> pa.Schema:
        """Read the input once, in order, and hand each split's rows to ``emit(split, batch,
        rows)`` (``rows``: which rows of the batch, None for all).

        DuckDB decodes the files in parallel and returns batches in file order (a scan of one
        table preserves insertion order). Train's rows are repeated by ``reps`` and get the
        ``weights`` column when rebalancing asks for it. Returns the input's schema.
        """
        reader = self._reader()
        schema: pa.Schema = reader.schema
        offset = 0
        for batch in self._batches(reader):
            part = assign[offset : offset + batch.num_rows]
            _route(batch, part, emit, offset, reps, weights, weight_column)
            offset += batch.num_rows
        return schema

    def output_schema(self) -> pa.Schema:
        """The Arrow schema of the input as DuckDB reads it."""
        table = self._run(
            lambda: self.con.sql(f"SELECT * FROM {self.scan_sql()} LIMIT 0").to_arrow_table()
        )
        schema: pa.Schema = table.schema
        return schema

    def write_splits(
        self,
        assign: npt.NDArray[np.int8],
        targets: dict[int, Path],
        metadata: dict[int, str],
        *,
        reps: npt.NDArray[np.int32] | None = None,
        weights: npt.NDArray[np.float64] | None = None,
        weight_column: str | None = None,
    ) -> None:
        """Stream the splits into ``targets`` (Parquet, fixed row groups, each with its
        ``datalife`` metadata)."""
        with SplitFiles(
            targets,
            self.output_schema(),
            weight_column=weight_column if weights is not None else None,
        ) as files:
            self.stream(assign, files.put, reps=reps, weights=weights, weight_column=weight_column)
            files.finish(metadata)

    def write_key_splits(
        self,
        names: Sequence[str],
        *,
        key: str,
        seed: int,
        fractions: Sequence[Fraction],
        targets: dict[int, Path],
        hash_exclude: Sequence[str] | None,
        finish: Callable[[Fetched, npt.NDArray[np.int8]], dict[int, str]],
    ) -> None:
        """Key mode in one pass: each batch's rows go to the split their key hashes to while
        the named columns (and the rows' content hashes) are collected.

        At the end ``finish(fetched, assignment)`` checks the data and returns each split's
        ``datalife`` metadata; if it raises, the files are abandoned (the caller removes
        them), so an error found only then still leaves nothing written.
        """
        import pyarrow as pa

        first, cols = self.hash_columns(hash_exclude or ())
        with_hash = hash_exclude is not None and bool(cols)
        extra = [f"hash({', '.join(_quote(c) for c in first)}) AS {ROWHASH}"] if with_hash else []
        reader = self._reader(extra)
        schema: pa.Schema = reader.schema
        width = len(schema) - len(extra)
        for _ in extra:
            schema = schema.remove(width)
        # a column of a batch shares its memory with the whole batch: what is kept is copied,
        # text other than the key dictionary-encoded (what the strata's encoding needs)
        encoded = {n for n in names if n != key and _TEXT.match(self.types.get(n, "")) is not None}
        chunks = {n: _Copies(dictionary=n in encoded) for n in names}
        key_hashes: list[npt.NDArray[np.uint64]] = []
        row_hashes: list[npt.NDArray[np.uint64]] = []
        parts: list[npt.NDArray[np.int8]] = []
        with SplitFiles(targets, schema) as files:
            for full in self._batches(reader):
                batch = full
                if with_hash:
                    row_hashes.append(np.array(chunked_numpy(full.column(width)), np.uint64))
                    batch = full.select(range(width))
                for n in names:
                    chunks[n].add(batch.column(n))
                keys = batch.column(key)
                h = hash_values(pa.chunked_array([keys]), seed)
                part = assign_key(h, fractions)
                if not pa.types.is_integer(keys.type):  # integer keys hash again in no time
                    key_hashes.append(h)
                parts.append(part)
                _route(batch, part, files.put)
            n_rows = sum(len(p) for p in parts)
            self.n_rows = n_rows
            complete = len(first) == len(cols)
            fetched = Fetched(
                n_rows=n_rows,
                arrays={n: chunks[n].chunked(schema.field(n).type) for n in names},
                row_hash=_concat(row_hashes, np.uint64) if with_hash else None,
                row_hash_complete=complete,
                full_hash=None if not with_hash or complete else lambda: self.hash_all(cols),
                key_hash=_concat(key_hashes, np.uint64) if key_hashes else None,
            )
            del chunks, key_hashes, row_hashes
            del reader
            self.close()  # frees DuckDB's scan memory (a later query reconnects)
            # the last row groups are handed to the encoder (which waits for free slots) and
            # encoded while the checks run
            closing = Background(files.close_rows, name="datalife-split")
            try:
                metadata = finish(fetched, _concat(parts, np.int8))
            except BaseException:
                with contextlib.suppress(BaseException):
                    closing.result()  # before the files are abandoned
                raise
            closing.result()
            files.finish(metadata)

    def read_splits(
        self,
        assign: npt.NDArray[np.int8],
        *,
        reps: npt.NDArray[np.int32] | None = None,
        weights: npt.NDArray[np.float64] | None = None,
        weight_column: str | None = None,
    ) -> list[pa.Table]:
        """The three splits, in memory, as Arrow tables."""
        import pyarrow as pa

        parts: list[list[pa.RecordBatch]] = [[], [], []]
        schema = self.stream(
            assign,
            lambda j, batch, rows: parts[j].append(
                batch if rows is None else batch.take(int64_arrow(rows))
            ),
            reps=reps,
            weights=weights,
            weight_column=weight_column,
        )
        out = []
        for j in range(3):
            s = schema
            if j == 0 and weights is not None and weight_column is not None:
                s = s.append(pa.field(weight_column, pa.float64()))
            out.append(pa.Table.from_batches(parts[j], schema=s))
        return out


class _Copies:
    """Arrow arrays collected from batches, copied (a few batches at a time) so that the
    batches they came from can be freed; or dictionary-encoded (new arrays: no copy)."""

    EVERY = 16

    def __init__(self, *, dictionary: bool = False) -> None:
        self.dictionary = dictionary
        self.done: list[pa.Array] = []
        self.pending: list[pa.Array] = []

    def add(self, array: pa.Array) -> None:
        if self.dictionary:
            import pyarrow.compute as pc

            self.done.append(pc.dictionary_encode(array))
            return
        self.pending.append(array)
        if len(self.pending) >= self.EVERY:
            self._copy()

    def _copy(self) -> None:
        import pyarrow as pa

        if self.pending:
            self.done.append(pa.concat_arrays(self.pending))
            self.pending = []

    def chunked(self, type_: pa.DataType) -> pa.ChunkedArray:
        import pyarrow as pa

        self._copy()
        if self.dictionary:
            type_ = pa.dictionary(pa.int32(), type_)
        return pa.chunked_array(self.done, type=type_)


def _concat(parts: Sequence[npt.NDArray[Any]], dtype: type[np.generic]) -> npt.NDArray[Any]:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def _route(
    batch: pa.RecordBatch,
    part: npt.NDArray[np.int8],
    emit: Callable[[int, pa.RecordBatch, npt.NDArray[np.int64] | None], None],
    offset: int = 0,
    reps: npt.NDArray[np.int32] | None = None,
    weights: npt.NDArray[np.float64] | None = None,
    weight_column: str | None = None,
) -> None:
    """Hand ``emit(split, batch, rows)`` each split's rows of a batch (``part``: their
    splits; ``rows`` None: all of them; ``offset``: the batch's first row number, for
    train's ``reps`` and ``weights``)."""
    n = batch.num_rows
    for j in range(3):
        rows: npt.NDArray[np.int64] | None = np.flatnonzero(part == j)
        assert rows is not None
        if j == 0 and reps is not None:
            rows = np.repeat(rows, reps[offset + rows])
        if len(rows) == 0:
            continue
        sub = batch
        if j == 0 and weights is not None and weight_column is not None:
            sub = sub.append_column(weight_column, float64_arrow(weights[offset : offset + n]))
        emit(j, sub, None if len(rows) == n and (j != 0 or reps is None) else rows)
