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
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from datalife.errors import InputError
from datalife.splits._assign import int_key_hash

if TYPE_CHECKING:
    import duckdb
    import numpy.typing as npt
    import pandas as pd
    import pyarrow as pa

    from datalife.io import Source

__all__ = [
    "Fetched",
    "FileSource",
    "FrameSource",
    "chunked_numpy",
    "hash_values",
    "int64_arrow",
    "to_arrow",
]

ROWHASH = "__datalife_rowhash"
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


_NUMPY_TYPES: dict[str, type[np.generic]] = {
    "int8": np.int8,
    "int16": np.int16,
    "int32": np.int32,
    "int64": np.int64,
    "uint8": np.uint8,
    "uint16": np.uint16,
    "uint32": np.uint32,
    "uint64": np.uint64,
    "float": np.float32,
    "double": np.float64,
}


def _chunk_numpy(chunk: Any) -> npt.NDArray[Any]:
    kind = str(chunk.type)
    n = len(chunk)
    if kind == "bool":
        data = chunk.buffers()[1]
        if data is None or n == 0:
            return np.zeros(n, dtype=bool)
        bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little")
        return bits[chunk.offset : chunk.offset + n].astype(bool)
    dtype = _NUMPY_TYPES.get(kind)
    if dtype is None:
        return np.asarray(chunk.to_numpy(zero_copy_only=False))
    data = chunk.buffers()[1]
    if data is None or n == 0:
        return np.zeros(n, dtype=dtype)
    size = np.dtype(dtype).itemsize
    return np.frombuffer(data, dtype=dtype, count=n, offset=chunk.offset * size)


def int64_arrow(values: npt.NDArray[Any]) -> pa.Array:
    """A numpy integer array as an Arrow int64 array (zero copy, without importing pandas)."""
    import pyarrow as pa

    data = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(data), [None, pa.py_buffer(data)])


def chunked_numpy(values: Any) -> npt.NDArray[Any]:
    """A (chunked) Arrow array of numbers or booleans as one numpy array (values under nulls
    are unspecified: fill or mask them first).

    Read straight from the Arrow buffers: pyarrow's own ``to_numpy`` imports pandas, which
    costs the CLI a few tenths of a second of start-up.
    """
    chunks = values.chunks if hasattr(values, "chunks") else [values]
    if not chunks:
        return np.zeros(0, dtype=np.int64)
    parts = [_chunk_numpy(c) for c in chunks]
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def to_arrow(series: pd.Series[Any]) -> pa.ChunkedArray:
    """A pandas column as a (chunked) Arrow array; mixed-type object columns become text."""
    import pandas as pd
    import pyarrow as pa

    try:
        arr = pa.Array.from_pandas(series)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        arr = pa.array([None if pd.isna(v) else str(v) for v in series], type=pa.large_string())
    if isinstance(arr, pa.ChunkedArray):
        return arr
    return pa.chunked_array([arr])


def hash_values(values: pa.ChunkedArray, seed: int) -> npt.NDArray[np.uint64]:
    """Key mode's hash of each value (see :mod:`datalife.splits._assign`); nulls hash to 0.

    Integers: ``mix64(key ^ mix64(seed))``. Anything else: the first 8 bytes, read as a
    little-endian integer, of ``md5(f"{seed}:{text}")`` where ``text`` is DuckDB's
    ``CAST(value AS VARCHAR)``.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(values.type):
        values = pc.cast(values, values.type.value_type)
    if pa.types.is_integer(values.type):
        filled = pc.fill_null(values, 0) if values.null_count else values
        ints = np.asarray(
            chunked_numpy(filled),
            dtype=np.int64 if pa.types.is_signed_integer(values.type) else np.uint64,
        )
        return int_key_hash(ints, seed)
    import duckdb

    con = duckdb.connect()
    try:
        con.register("__datalife_keys", pa.table({"k": values}))
        out = con.sql(
            f"SELECT coalesce(md5_number_upper('{int(seed)}:' || CAST(k AS VARCHAR)), 0) AS h "
            "FROM __datalife_keys"
        ).fetchnumpy()["h"]
    finally:
        con.close()
    return np.asarray(out, dtype=np.uint64)


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
        from datalife.io import resolve_sources

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
            return f"read_parquet({files}{union})"
        if self.format == "csv":
            from datalife.io import NA_TOKENS

            nulls = ", ".join(_sql_str(t) for t in NA_TOKENS)
            return (
                f"read_csv({files}, header=true, delim={_sql_str(self.sources[0].delimiter)}, "
                f"nullstr=[{nulls}]{union})"
            )
        return f"read_json({files}, format='newline_delimited'{union})"

    def _run(self, fn: Any, *args: Any) -> Any:
        import duckdb

        try:
            return fn(*args)
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
        cols = [c for c in self.columns if c not in (hash_exclude or ())]
        cheap = [c for c in cols if _FIXED_WIDTH.match(self.types[c])]
        first = cheap if cheap else cols
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
            full_hash=None if complete else lambda: self._hash_all(cols),
        )

    def _hash_all(self, cols: Sequence[str]) -> npt.NDArray[np.uint64]:
        sql = f"SELECT hash({', '.join(_quote(c) for c in cols)}) AS h FROM {self.scan_sql()}"
        table = self._run(lambda: self.con.sql(sql).to_arrow_table())
        return np.asarray(chunked_numpy(table.column(0)), dtype=np.uint64)

    def select_split(self, plan_columns: Sequence[str], split: int, *, weight: str | None) -> str:
        """SQL selecting the rows of one split (the plan table is positionally joined).

        The plan holds ``__split`` (the split of every input row) and, for a rebalanced
        train, ``__reps`` (how many times each row is written) and ``__weight``.
        """
        query = (
            f"SELECT * FROM {self.scan_sql()} POSITIONAL JOIN __datalife_plan "
            f"WHERE __split = {int(split)}"
        )
        drop = list(plan_columns)
        if "__reps" in plan_columns and split == 0:
            query = f"SELECT *, UNNEST(range(__reps)) AS __rep FROM ({query})"
            drop.append("__rep")
        extra = ""
        if weight is not None and "__weight" in plan_columns and split == 0:
            extra = f", __weight AS {_quote(weight)}"
        return f"SELECT * EXCLUDE ({', '.join(drop)}){extra} FROM ({query})"

    def copy_split(
        self,
        plan_table: pa.Table,
        split: int,
        target: Path,
        metadata: str,
        *,
        weight: str | None = None,
    ) -> None:
        """Write one split's rows to ``target`` (Parquet, with ``metadata`` under ``datalife``)."""
        self.con.register("__datalife_plan", plan_table)
        query = self.select_split(plan_table.column_names, split, weight=weight)
        sql = (
            f"COPY ({query}) TO {_sql_str(str(target))} "
            f"(FORMAT parquet, KV_METADATA {{datalife: {_sql_str(metadata)}}})"
        )
        self._run(lambda: self.con.execute(sql).fetchall())

    def copy_partitioned(
        self, assign: npt.NDArray[np.int8], targets: dict[int, Path], metadata: str
    ) -> None:
        """Write every split in one pass (``COPY ... PARTITION_BY``), then move the files.

        The per-row split goes to DuckDB as a one-digit-per-line text file (registering a
        Python object would import pandas: a few tenths of a second of start-up), joined to
        the input by position. DuckDB writes ``<tmpdir>/parts/__split=<j>/data_0.parquet``;
        each is renamed to ``targets[j]`` (a temporary file beside it, committed by the caller).
        """
        import shutil

        parent = next(iter(targets.values())).parent
        tmpdir = Path(tempfile.mkdtemp(prefix=".datalife-split.", dir=parent))
        try:
            plan_file = tmpdir / "plan.csv"
            digits = np.empty(2 * len(assign), dtype=np.uint8)
            digits[0::2] = assign.astype(np.uint8) + ord("0")
            digits[1::2] = ord("\n")
            digits.tofile(plan_file)
            plan = (
                f"read_csv({_sql_str(str(plan_file))}, header=false, auto_detect=false, "
                "columns={'__split': 'TINYINT'})"
            )
            sql = (
                f"COPY (SELECT * FROM {self.scan_sql()} POSITIONAL JOIN {plan}) "
                f"TO {_sql_str(str(tmpdir / 'parts'))} (FORMAT parquet, PARTITION_BY (__split), "
                f"WRITE_PARTITION_COLUMNS false, KV_METADATA {{datalife: {_sql_str(metadata)}}})"
            )
            self._run(lambda: self.con.execute(sql).fetchall())
            for j, target in targets.items():
                written = sorted((tmpdir / "parts" / f"__split={j}").glob("*.parquet"))
                if len(written) != 1:  # pragma: no cover - DuckDB writes one file per partition
                    raise OSError(f"expected one file for split {j}, DuckDB wrote {len(written)}")
                written[0].replace(target)
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)

    def read_split(
        self, plan_table: pa.Table, split: int, *, weight: str | None = None
    ) -> pa.Table:
        """One split's rows, in memory, as an Arrow table."""
        self.con.register("__datalife_plan", plan_table)
        query = self.select_split(plan_table.column_names, split, weight=weight)
        return self._run(lambda: self.con.sql(query).to_arrow_table())


@contextlib.contextmanager
def temp_paths(directory: Path, names: Sequence[str]) -> Iterator[dict[str, Path]]:
    """Temporary file paths in ``directory`` (removed on exit if still there)."""
    made: dict[str, Path] = {}
    try:
        for name in names:
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
            os.close(fd)
            made[name] = Path(tmp)
        yield made
    finally:
        for p in made.values():
            with contextlib.suppress(OSError):
                p.unlink()
