"""The data inference reads: files or a frame as relation ``src`` on a DuckDB connection.

Text files (CSV, JSON lines) are parsed once into a table the later passes read, with the
numbers typed by DuckDB's sniffer; Parquet is scanned in place; frames are registered as they
are. DuckDB runs with a memory limit and spills to a temporary directory beyond it.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from datalife.errors import DatalifeError
from datalife.io import duckdb_connect, input_error_from_duckdb, sql_ident, sql_str

__all__ = ["MEMORY_LIMIT", "WIDE_COLUMNS", "Data"]

MEMORY_LIMIT = "1GB"
#: Text files wider than this are loaded on one thread with :data:`WIDE_MEMORY_LIMIT`.
WIDE_COLUMNS = 2000
WIDE_MEMORY_LIMIT = "1500MB"
#: The longest line of such a wide file (DuckDB sizes its read buffers from it).
WIDE_MAX_LINE = 8 << 20
#: Values the type sniffer reads from the head of a CSV file (see :func:`_scan_sql`).
SNIFF_CELLS = 2_000_000
#: Statements run side by side at most (see :meth:`Data.rows`).
MAX_WORKERS = 4


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
    the head of the file, or from all of it (``whole``) when a later value did not fit. The
    head is :data:`SNIFF_CELLS` values (20,480 rows at most, 2,048 at least): the sniffer's
    work grows with the columns, and a wide file's head of 2,048 rows types it as well (a
    later value that does not fit sends it to the whole-file sniff, as with any head)."""
    if source.format != "csv":
        return str(source.scan_sql())
    head = max(2048, min(20480, SNIFF_CELLS // max(len(source.columns), 1)))
    sample = ", sample_size=-1" if whole else f", sample_size={head}"
    options = source.csv_options()
    if len(source.columns) > WIDE_COLUMNS:
        # DuckDB sizes its read buffers from the longest line allowed: with thousands of
        # columns, buffers for 32 MB lines run out of memory; a wide file's lines are shorter
        options = re.sub(r"max_line_size=\d+", f"max_line_size={WIDE_MAX_LINE}", options)
    return (
        f"read_csv({sql_str(str(source.path))}, {options}, auto_detect=true"
        f"{sample}, auto_type_candidates=['BIGINT', 'DOUBLE', 'VARCHAR'])"
    )


class Data:
    """The data as relation ``src`` on a DuckDB connection of its own (closed by :meth:`close`)."""

    def __init__(self, data: Any, memory_limit: str) -> None:
        import os

        self.tmp = Path(tempfile.mkdtemp(prefix="datalife-infer-"))
        # in memory (no commit of a database file), spilling to ``tmp`` beyond the limit
        self.con = duckdb_connect()
        self.con.execute(f"SET memory_limit = {sql_str(memory_limit)}")
        self.con.execute(f"SET temp_directory = {sql_str(str(self.tmp / 'spill'))}")
        self.con.execute("SET preserve_insertion_order = false")
        self.threads = os.cpu_count() or 1
        self.memory_limit = memory_limit
        self.con.execute(f"SET threads = {self.threads}")
        self.sources: list[Any] = []
        #: statements run side by side (:meth:`run`)
        self.workers = min(self.threads, MAX_WORKERS)
        #: the frame behind ``src`` (registered on every cursor), None for files
        self.frame: Any = None
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
        self.frame = table
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
            raise self._error(exc) from None

    def _error(self, exc: BaseException) -> BaseException:
        """The error to raise for a DuckDB error: the files' fault as an input error."""
        import duckdb

        if self.sources and isinstance(
            exc, duckdb.InvalidInputException | duckdb.IOException | duckdb.ConversionException
        ):
            return input_error_from_duckdb(exc, self.sources)
        return exc

    def run(
        self, statements: Sequence[str], done: Callable[[int, int], None] | None = None
    ) -> list[list[tuple[Any, ...]]]:
        """The rows of each statement, in order; ``done(finished, total)`` after each (called
        from this thread).

        DuckDB runs a statement over a table of one row group (up to 122,880 rows) on one
        thread, so the many statements of wide, short data run side by side, one per core,
        each on a cursor of its own; tall data's few statements are parallel inside.
        """
        total = len(statements)
        workers = min(self.workers, total)
        if workers <= 1:
            out = []
            for k, sql in enumerate(statements):
                out.append(self.execute(sql))
                if done is not None:
                    done(k + 1, total)
            return out
        import queue
        from concurrent.futures import ThreadPoolExecutor, as_completed

        import duckdb

        cursors: queue.Queue[Any] = queue.Queue()
        opened = [self._cursor() for _ in range(workers)]
        for cur in opened:
            cursors.put(cur)

        def run(sql: str) -> list[tuple[Any, ...]]:
            cur = cursors.get()
            try:
                return list(cur.execute(sql).fetchall())
            finally:
                cursors.put(cur)

        results: list[list[tuple[Any, ...]] | None] = [None] * total
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="datalife-infer")
        try:
            futures = {pool.submit(run, sql): k for k, sql in enumerate(statements)}
            for finished, future in enumerate(as_completed(futures), start=1):
                try:
                    results[futures[future]] = future.result()
                except duckdb.Error as exc:
                    raise self._error(exc) from None
                if done is not None:
                    done(finished, total)
        except BaseException:
            for cur in opened:
                cur.interrupt()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            pool.shutdown(wait=True)
            for cur in opened:
                cur.close()
        return [r for r in results if r is not None]

    def _cursor(self) -> Any:
        """A connection to the same database (a frame registered on it too)."""
        cur = self.con.cursor()
        if self.frame is not None:
            cur.register("__frame", self.frame)
        return cur

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


# -- the scans ------------------------------------------------------------------------------
