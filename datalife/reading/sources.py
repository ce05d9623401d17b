"""Finding the sources and deciding how each is read: format, CSV dialect, header, encoding."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from datalife.errors import InputError
from datalife.io import MAX_LINE_BYTES, MAX_LINE_ENV, duckdb_connect, sql_str

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "MAX_LINE_BYTES",
    "MAX_LINE_ENV",
    "NA_TOKENS",
    "PARQUET_SCAN_OPTIONS",
    "Source",
    "detect_format",
    "has_data_lines",
    "resolve_sources",
    "zero_rows_error",
]


Format = Literal["csv", "parquet", "jsonl"]

#: Strings read as missing in CSV files (pandas' default ``na_values``).
NA_TOKENS: tuple[str, ...] = (
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
)

# DuckDB folds comparisons (and ``isnan``) to constants from a row group's Parquet min and
# max, which writers compute without NaN (the Parquet spec says so); ``can_have_nan`` makes
# it expect NaN in any float column chunk, so a NaN is never mistaken for a number in range
PARQUET_SCAN_OPTIONS = "can_have_nan=true"

_SUFFIXES: dict[str, Format] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}

_DELIMITERS = (",", ";", "\t", "|")


def detect_format(path: Path) -> Format | None:
    """The data format of ``path`` from its suffix (``.csv.gz`` counts as CSV)."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".zst"):
        suffixes = suffixes[:-1]
    return _SUFFIXES.get(suffixes[-1]) if suffixes else None


@dataclass
class Source:
    """One input file, with the reading decided for it."""

    path: Path
    format: Format
    size: int
    columns: list[str] = field(default_factory=list)
    delimiter: str = ","
    quote: str = '"'
    escape: str = '"'
    content_hash: str | None = None
    #: Parquet: each column's DuckDB type, read with the column names (None: not known)
    types: dict[str, str] | None = None
    #: the data is this file on disk (False for an in-memory table seen as a source)
    on_disk: ClassVar[bool] = True

    @property
    def display(self) -> str:
        return str(self.path)

    def stored_types(self) -> dict[str, str]:
        """Each column's type as stored: Parquet's own, text for CSV and JSON lines."""
        if self.types is not None:
            return dict(self.types)
        return dict.fromkeys(self.columns, "VARCHAR")

    def csv_options(self) -> str:
        """The ``read_csv`` options of this file's dialect (no column list)."""
        nulls = ", ".join(sql_str(t) for t in NA_TOKENS)
        return (
            f"header=true, delim={sql_str(self.delimiter)}, quote={sql_str(self.quote)}, "
            f"escape={sql_str(self.escape)}, strict_mode=true, null_padding=false, "
            f"max_line_size={MAX_LINE_BYTES()}, nullstr=[{nulls}]"
        )

    def scan_sql(self, *, varchar: bool = True) -> str:
        """A DuckDB table expression reading this file as stored (text for CSV/JSON lines)."""
        p = sql_str(str(self.path))
        if self.format == "parquet":
            return f"read_parquet({p}, file_row_number=true, {PARQUET_SCAN_OPTIONS})"
        cols = ", ".join(f"{sql_str(c)}: 'VARCHAR'" for c in self.columns)
        if self.format == "csv":
            return f"read_csv({p}, {self.csv_options()}, auto_detect=false, columns={{{cols}}})"
        return f"read_json({p}, format='newline_delimited', columns={{{cols}}})"


def _open_binary(path: Path) -> Any:
    return gzip.open(path, "rb") if path.suffix.lower() == ".gz" else open(path, "rb")


def _first_record(path: Path) -> str:
    """The first CSV record's text (all of it, however long; quoted newlines included)."""
    limit = MAX_LINE_BYTES()
    data = b""
    head: bytes = b""
    with _open_binary(path) as fh:
        while True:
            chunk: bytes = fh.read(1 << 16)
            data += chunk
            end = _record_end(data)
            if end is not None or not chunk:
                head = data if end is None else data[:end]
                break
            if len(data) > limit:
                raise InputError(
                    f"{path}:1: the header is longer than the {limit >> 20} MiB line limit",
                    path=path,
                    line=1,
                    hint=f"raise the limit with the environment variable {MAX_LINE_ENV} (bytes).",
                )
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(
            f"{path}:1: the header is not UTF-8 text",
            path=path,
            line=1,
            hint="save the file as UTF-8 (for example `iconv -f latin1 -t utf-8`).",
        ) from None


def _record_end(data: bytes) -> int | None:
    """Where the first record of ``data`` ends (a newline outside double quotes)."""
    quoted = False
    start = 0
    while True:
        nl = data.find(b"\n", start)
        if nl < 0:
            return None
        quoted = (data.count(b'"', start, nl) % 2 == 1) != quoted
        if not quoted:
            return nl
        start = nl + 1


#: Values the dialect sniffer reads from the head of a CSV file: 20,480 rows of a narrow
#: file, fewer of a wide one (its work grows with the columns), 2,048 rows at least
SNIFF_VALUES = 2_000_000


def _sniff(path: Path, delimiter: str | None, width: int = 1) -> tuple[str, str, str]:
    """``(delimiter, quote, escape)``: DuckDB's sniffer reads the header and data rows, and
    honours quotes; a delimiter named by the user is taken as is. ``width``: about how many
    columns the header has (it bounds the rows read, see :data:`SNIFF_VALUES`)."""
    import duckdb

    if delimiter is not None:
        return delimiter, '"', '"'
    if path.name.lower().endswith((".tsv", ".tsv.gz")):
        return "\t", '"', '"'
    rows = max(2048, min(20480, SNIFF_VALUES // max(width, 1)))
    con = duckdb_connect()
    try:
        row = con.execute(
            f"SELECT Delimiter, Quote, Escape FROM sniff_csv({sql_str(str(path))}, "
            f"max_line_size={MAX_LINE_BYTES()}, sample_size={rows})"
        ).fetchone()
    except duckdb.Error:
        row = None
    finally:
        con.close()
    if row is None:
        return ",", '"', '"'
    delim, quote, escape = (str(x) for x in row)
    quote = '"' if quote in ("(empty)", "") else quote
    escape = quote if escape in ("(empty)", "") else escape
    return delim, quote, escape


def _csv_header(path: Path, delimiter: str | None = None) -> tuple[list[str], str, str, str]:
    record = _first_record(path)
    if record.startswith("\ufeff"):
        record = record[1:]
    record = record.rstrip("\r\n")
    if not record.strip():
        raise InputError(
            f"{path}: the first line is empty; expected a header row with the column names",
            path=path,
            line=1,
            hint="add a header line, or remove leading blank lines.",
        )
    # the widest reading of the header (before its dialect is known) bounds the sniff's rows
    width = 1 + max(record.count(d) for d in _DELIMITERS)
    delim, quote, escape = _sniff(path, delimiter, width)
    csv.field_size_limit(max(MAX_LINE_BYTES(), 1 << 20))
    names = next(csv.reader([record], delimiter=delim, quotechar=quote))
    if delimiter is None and len(names) == 1:
        # one column, yet other delimiters appear outside quotes in the header (the sniffer
        # could not settle it from the data rows): one such delimiter is taken; several are
        # ambiguous
        unquoted = "".join(record.split(quote)[0::2])
        others = [d for d in _DELIMITERS if d != delim and d in unquoted]
        if len(others) == 1:
            delim = others[0]
            names = next(csv.reader([record], delimiter=delim, quotechar=quote))
        elif others:
            shown = ", ".join(repr(d) for d in others)
            raise InputError(
                f"{path}:1: cannot tell the delimiter: the data reads as one column, but the "
                f"header also holds {shown}",
                path=path,
                line=1,
                hint="name it: `--delimiter ';'` on the command line, or `delimiter` in the "
                "dataset's configuration.",
            )
    seen: set[str] = set()
    for i, name in enumerate(names):
        if not name.strip():
            raise InputError(
                f"{path}:1: header column {i + 1} has no name",
                path=path,
                line=1,
                hint="give every column a name in the header line.",
            )
        if name in seen:
            raise InputError(
                f"{path}:1: the header names column {name!r} twice",
                path=path,
                line=1,
                column=name,
                hint="rename one of the two columns.",
            )
        seen.add(name)
    return names, delim, quote, escape


def _parquet_columns(path: Path, con: duckdb.DuckDBPyConnection | None = None) -> dict[str, str]:
    """Each column's DuckDB type, in file order (on ``con`` if given, else a connection of
    its own)."""
    # DuckDB reads the footer (importing pyarrow only for this would cost ~70 ms a run)
    import duckdb

    try:
        own = con is None
        db = duckdb_connect() if con is None else con
        try:
            rows = db.execute(
                f"DESCRIBE SELECT * FROM read_parquet({sql_str(str(path))})"
            ).fetchall()
        finally:
            if own:
                db.close()
        return {str(r[0]): str(r[1]) for r in rows}
    except duckdb.Error as exc:
        raise InputError(
            f"{path}: not a readable Parquet file: {exc}",
            path=path,
            hint="re-write the file, or check that it was copied completely.",
        ) from None


def _jsonl_columns(path: Path) -> list[str]:
    import json

    names: list[str] = []
    with _open_binary(path) as fh:
        head: bytes = fh.read(1 << 20)
        whole = not fh.read(1)
    lines = head.splitlines()
    for lineno, raw in enumerate(lines[:1000], start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            if lineno == len(lines) and not whole:
                break  # a partial line at the end of the sampled head
            raise InputError(
                f"{path}:{lineno}: not a JSON object on this line",
                path=path,
                line=lineno,
                hint="JSON lines files hold one JSON object per line.",
            ) from None
        if not isinstance(obj, dict):
            raise InputError(
                f"{path}:{lineno}: expected a JSON object, found {type(obj).__name__}",
                path=path,
                line=lineno,
                hint="JSON lines files hold one JSON object per line.",
            )
        for key in obj:
            if key not in names:
                names.append(key)
    if not names and any(line.strip() for line in lines):
        raise InputError(
            f"{path}: no JSON object with a key in the first lines",
            path=path,
            line=1,
            hint="JSON lines files hold one JSON object per line, with the column names as keys.",
        )
    return names


def _expand(path: Path) -> list[Path]:
    if path.is_dir():
        found = sorted(
            p
            for p in path.rglob("*")
            if p.is_file() and detect_format(p) and not p.name.startswith(".")
        )
        if not found:
            raise InputError(
                f"{path}: directory has no data files (.csv, .tsv, .parquet, .jsonl)",
                path=path,
                hint="point at the data files, or at a directory that holds some.",
            )
        return found
    return [path]


def resolve_sources(
    paths: Iterable[str | Path],
    con: duckdb.DuckDBPyConnection | None = None,
    *,
    delimiter: str | None = None,
) -> list[Source]:
    """Check and describe the input files (directories expand to the data files in them).

    Parquet footers are read with DuckDB: on ``con`` when the caller has a connection it will
    use anyway (a new in-memory database costs 9-17 ms), else on a connection of their own.
    ``delimiter`` overrides the sniffed CSV delimiter.
    """
    sources: list[Source] = []
    given = [Path(p) for p in paths]
    if not given:
        raise InputError("no input files given", hint="name one or more data files.")
    for raw in given:
        if not raw.exists():
            raise InputError(
                f"{raw}: no such file or directory",
                path=raw,
                hint="check the path (globs are expanded by your shell, not by datalife).",
            )
        for path in _expand(raw):
            fmt = detect_format(path)
            if fmt is None:
                raise InputError(
                    f"{path}: unknown data format {path.suffix!r}",
                    path=path,
                    hint="datalife reads .csv, .tsv, .parquet and .jsonl files.",
                )
            try:
                size = path.stat().st_size
            except PermissionError:
                raise InputError(
                    f"{path}: permission denied", path=path, hint="make the file readable."
                ) from None
            if size == 0:
                raise InputError(
                    f"{path}: the file is empty (0 bytes)",
                    path=path,
                    hint="an empty file has no header; remove it or write the data again.",
                )
            src = Source(path=path, format=fmt, size=size)
            try:
                if fmt == "csv":
                    src.columns, src.delimiter, src.quote, src.escape = _csv_header(path, delimiter)
                elif fmt == "parquet":
                    src.types = _parquet_columns(path, con)
                    src.columns = list(src.types)
                else:
                    src.columns = _jsonl_columns(path)
            except PermissionError:
                raise InputError(
                    f"{path}: permission denied", path=path, hint="make the file readable."
                ) from None
            sources.append(src)
    return sources


def has_data_lines(src: Source) -> bool:
    """Whether a text source holds anything after its header (for a file that read as 0
    rows: data that could not be seen is an error, never "valid (0 rows)")."""
    if src.format == "parquet" or not src.on_disk:
        return False
    with _open_binary(src.path) as fh:
        data: bytes = fh.read()
    if src.format == "csv":
        end = _record_end(data)
        data = b"" if end is None else data[end + 1 :]
    rest = data.decode("utf-8", errors="replace")
    return any(line.strip() for line in rest.splitlines())


def zero_rows_error(src: Source, display: str) -> InputError:
    return InputError(
        f"{display}: the file has data lines but none could be read as rows",
        path=src.path,
        hint="check the delimiter (name it with --delimiter) and the quoting of the header.",
    )
