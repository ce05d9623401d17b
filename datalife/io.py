"""Low-level helpers for DuckDB: quoting, connections, and reader errors as InputErrors.

How a source's bytes become typed values is decided in :mod:`datalife.reading`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from datalife.errors import InputError

if TYPE_CHECKING:
    import duckdb


class _File(Protocol):
    """What an error needs of a source: its path (``datalife.reading.Source`` has it)."""

    @property
    def path(self) -> Path: ...


__all__ = [
    "MAX_LINE_BYTES",
    "MAX_LINE_ENV",
    "connect",
    "duckdb_connect",
    "input_error_from_duckdb",
    "sql_ident",
    "sql_str",
]


def sql_str(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def sql_ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


MAX_LINE_ENV = "DATALIFE_MAX_LINE_BYTES"

_DEFAULT_MAX_LINE = 32 << 20


def MAX_LINE_BYTES() -> int:  # noqa: N802 - reads like the limit it is
    """The longest CSV line read (bytes): 32 MiB, or ``$DATALIFE_MAX_LINE_BYTES``."""
    raw = os.environ.get(MAX_LINE_ENV, "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else _DEFAULT_MAX_LINE


_LINE_RE = re.compile(r"on Line: (\d+)")


def input_error_from_duckdb(exc: Exception, sources: Sequence[_File]) -> InputError:
    """Turn a DuckDB reader error into an :class:`InputError` naming the file and line."""
    text = str(exc)
    path = sources[0].path if sources else None
    for src in sources:
        if str(src.path) in text:
            path = src.path
    m = _LINE_RE.search(text)
    line = int(m.group(1)) if m else None
    original = re.search(r"Original Line: (.*)", text)
    reason = "unreadable"
    hint = "fix the file at that line."
    if "Invalid unicode" in text or "not utf-8" in text:
        reason = "not UTF-8 text"
        hint = "save the file as UTF-8 (for example `iconv -f latin1 -t utf-8 in.csv > out.csv`)."
    elif "unterminated quote" in text:
        reason = "a quoted value is never closed (truncated file?)"
        hint = "close the quote, or check the file was written completely."
    elif "Expected Number of Columns" in text:
        m2 = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
        if m2:
            reason = f"ragged row: {m2.group(2)} fields where the header has {m2.group(1)}"
        else:
            reason = "ragged row"
        hint = (
            "make every row have as many fields as the header (quote values holding the "
            "delimiter), or name the delimiter with --delimiter."
        )
    elif "Maximum line size" in text:
        reason = f"a line is longer than the {MAX_LINE_BYTES() >> 20} MiB line limit"
        hint = f"raise the limit with the environment variable {MAX_LINE_ENV} (bytes)."
    elif "Malformed JSON" in text or "JSON" in text:
        reason = "not valid JSON"
        hint = "each line must be one JSON object."
    where = f"{path}:{line}" if line else f"{path}"
    details = [f"line {line}: {original.group(1)[:200]}"] if original and line else []
    if not m and not original:
        details = [text.splitlines()[0][:300]]
    return InputError(f"{where}: {reason}", path=path, line=line, hint=hint, details=details)


def duckdb_connect(database: str = ":memory:", **kwargs: Any) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect(database, **kwargs)`` without DuckDB's progress bar: DuckDB draws it on
    standard output for any query that runs over two seconds, terminal or not, which would
    corrupt ``--format json`` output (datalife draws its own bar, on standard error)."""
    import duckdb

    con = duckdb.connect(database, **kwargs)
    con.execute("SET enable_progress_bar = false")
    return con


def connect(memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection configured for bounded-memory scans."""
    import tempfile

    # spill to the system temp folder, never into the current folder (a repository)
    spill = Path(tempfile.gettempdir()) / "datalife-duckdb"
    con = duckdb_connect(config={"preserve_insertion_order": True, "temp_directory": str(spill)})
    if memory_limit:
        con.execute(f"SET memory_limit={sql_str(memory_limit)}")
    return con
