"""Reading data files: CSV (and TSV), Parquet and JSON lines.

Files are read through DuckDB, out of core. CSV is read with a fixed dialect and every column
as text, so the schema (not a sniffer) decides types, and a value that does not parse is
reported with its line instead of silently turning a column into strings. The tokens in
:data:`NA_TOKENS` (pandas' defaults) are read as missing; anything else that does not parse as
the column's type is an error.

Problems that make a file unreadable (missing, empty, not UTF-8, ragged or truncated rows)
raise :class:`~datalife.errors.InputError` naming the file and the line.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from datalife.errors import InputError

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

__all__ = [
    "NA_TOKENS",
    "Source",
    "read_pandas",
    "resolve_sources",
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


def detect_format(path: Path) -> Format | None:
    """The data format of ``path`` from its suffix (``.csv.gz`` counts as CSV)."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".zst"):
        suffixes = suffixes[:-1]
    return _SUFFIXES.get(suffixes[-1]) if suffixes else None


def sql_str(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def sql_ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Source:
    """One input file, with what was learned by looking at its head."""

    path: Path
    format: Format
    size: int
    columns: list[str] = field(default_factory=list)
    delimiter: str = ","
    content_hash: str | None = None
    #: Parquet: each column's DuckDB type, read with the column names (None: not known)
    types: dict[str, str] | None = None
    #: the data is this file on disk (False for an in-memory table seen as a source)
    on_disk: ClassVar[bool] = True

    @property
    def display(self) -> str:
        return str(self.path)

    def scan_sql(self, *, varchar: bool = True) -> str:
        """A DuckDB table expression reading this file (``file_row_number`` named ``__row``)."""
        p = sql_str(str(self.path))
        if self.format == "parquet":
            return f"read_parquet({p}, file_row_number=true, {PARQUET_SCAN_OPTIONS})"
        if self.format == "csv":
            cols = ", ".join(f"{sql_str(c)}: 'VARCHAR'" for c in self.columns)
            nulls = ", ".join(sql_str(t) for t in NA_TOKENS)
            return (
                f"read_csv({p}, header=true, delim={sql_str(self.delimiter)}, quote='\"', "
                f"escape='\"', strict_mode=true, null_padding=false, auto_detect=false, "
                f"columns={{{cols}}}, nullstr=[{nulls}])"
            )
        cols = ", ".join(f"{sql_str(c)}: 'VARCHAR'" for c in self.columns)
        return f"read_json({p}, format='newline_delimited', columns={{{cols}}})"


def _open_text_head(path: Path, nbytes: int = 1 << 16) -> bytes:
    opener: Any = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rb") as fh:
        data: bytes = fh.read(nbytes)
        return data


def _csv_header(path: Path) -> tuple[list[str], str]:
    head = _open_text_head(path)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(
            f"{path}:1: the header is not UTF-8 text",
            path=path,
            line=1,
            hint="save the file as UTF-8 (for example `iconv -f latin1 -t utf-8`).",
        ) from None
    if not text.strip():
        raise InputError(
            f"{path}: the first line is empty; expected a header row with the column names",
            path=path,
            line=1,
            hint="add a header line, or remove leading blank lines.",
        )
    if path.name.lower().endswith((".tsv", ".tsv.gz")):
        delimiter = "\t"
    else:
        counts = {d: text.count(d) for d in (",", ";", "\t", "|")}
        delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    names = next(csv.reader(io.StringIO(text), delimiter=delimiter))
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
    return names, delimiter


def _parquet_columns(path: Path, con: duckdb.DuckDBPyConnection | None = None) -> dict[str, str]:
    """Each column's DuckDB type, in file order (on ``con`` if given, else a connection of
    its own)."""
    # DuckDB reads the footer (importing pyarrow only for this would cost ~70 ms a run)
    import duckdb

    try:
        own = con is None
        db = duckdb.connect() if con is None else con
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
    head = _open_text_head(path, 1 << 20)
    for lineno, raw in enumerate(head.splitlines()[:1000], start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            if lineno == len(head.splitlines()):
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
    paths: Iterable[str | Path], con: duckdb.DuckDBPyConnection | None = None
) -> list[Source]:
    """Check and describe the input files (directories expand to the data files in them).

    Parquet footers are read with DuckDB: on ``con`` when the caller has a connection it will
    use anyway (a new in-memory database costs 9-17 ms), else on a connection of their own.
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
            size = path.stat().st_size
            if size == 0:
                raise InputError(
                    f"{path}: the file is empty (0 bytes)",
                    path=path,
                    hint="an empty file has no header; remove it or write the data again.",
                )
            src = Source(path=path, format=fmt, size=size)
            if fmt == "csv":
                src.columns, src.delimiter = _csv_header(path)
            elif fmt == "parquet":
                src.types = _parquet_columns(path, con)
                src.columns = list(src.types)
            else:
                src.columns = _jsonl_columns(path)
            sources.append(src)
    return sources


_LINE_RE = re.compile(r"on Line: (\d+)")


def input_error_from_duckdb(exc: Exception, sources: Sequence[Source]) -> InputError:
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
        hint = "make every row have as many fields as the header (quote values holding commas)."
    elif "Malformed JSON" in text or "JSON" in text:
        reason = "not valid JSON"
        hint = "each line must be one JSON object."
    where = f"{path}:{line}" if line else f"{path}"
    details = [f"line {line}: {original.group(1)[:200]}"] if original and line else []
    if not m and not original:
        details = [text.splitlines()[0][:300]]
    return InputError(f"{where}: {reason}", path=path, line=line, hint=hint, details=details)


def connect(memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection configured for bounded-memory scans."""
    import tempfile

    import duckdb

    # spill to the system temp folder, never into the current folder (a repository)
    spill = Path(tempfile.gettempdir()) / "datalife-duckdb"
    con = duckdb.connect(config={"preserve_insertion_order": True, "temp_directory": str(spill)})
    if memory_limit:
        con.execute(f"SET memory_limit={sql_str(memory_limit)}")
    return con


def read_pandas(paths: str | Path | Sequence[str | Path]) -> pd.DataFrame:
    """Read files into one pandas DataFrame (in memory), with datalife's CSV conventions.

    CSV columns are read with pandas' type inference and the same missing-value tokens as the
    out-of-core engine, so the same file gives the same verdict in both.
    """
    import pandas as pd

    items = [paths] if isinstance(paths, str | Path) else list(paths)
    sources = resolve_sources(items)
    frames = []
    for src in sources:
        if src.format == "csv":
            try:
                frames.append(
                    pd.read_csv(
                        src.path,
                        sep=src.delimiter,
                        keep_default_na=False,
                        na_values=list(NA_TOKENS),
                        encoding="utf-8-sig",
                    )
                )
            except (UnicodeDecodeError, pd.errors.ParserError) as exc:
                raise InputError(f"{src.path}: unreadable CSV: {exc}", path=src.path) from None
        elif src.format == "parquet":
            frames.append(pd.read_parquet(src.path))
        else:
            frames.append(pd.read_json(src.path, lines=True))
    if len(frames) == 1:
        return frames[0]
    return pd.concat(frames, ignore_index=True)
