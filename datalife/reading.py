"""How a source's bytes become typed values: one decision, used by every engine.

For each input this module decides, once, the format (from the suffix), the CSV dialect
(delimiter, quote and escape, sniffed by DuckDB from the header *and* the data rows, honouring
quotes), the header, the encoding (UTF-8, a BOM allowed), the spellings read as missing
(:data:`NA_TOKENS`, pandas' defaults), and each column's type:

- with a schema, the schema's dtypes decide, through :func:`strict_cast_sql`: a value that
  does not convert exactly is a failure naming its row, never rounded (``1.5`` for an int),
  wrapped (``300`` for an int8) or turned into NULL. Text is a bool only when it is ``true``
  or ``false`` (any case) or one of the spellings the schema lists for that column, so
  ``yes``/``no`` data keeps its meaning;
- without a schema (splits, statistics), :func:`auto_types_sql` lets DuckDB type numbers,
  dates and timestamps, never booleans, so ``yes``/``no``, ``Y``/``N`` and ``t``/``f`` stay
  the strings they were.

CSV and JSON lines are read with every column as text; Parquet keeps its stored types. Every
engine renders this decision (the DuckDB engine as SQL; the pandas engine reads the typed
values through it), so the same file gives the same values everywhere.

Problems that make a file unreadable (missing, empty, not UTF-8, ragged or truncated rows, an
ambiguous delimiter, a line over the line limit) raise :class:`~datalife.errors.InputError`
naming the file and the line.
"""

from __future__ import annotations

import csv
import gzip
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from datalife.errors import InputError
from datalife.io import sql_ident, sql_str

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "NA_TOKENS",
    "Source",
    "auto_types_sql",
    "detect_format",
    "read_arrow",
    "read_pandas",
    "resolve_sources",
    "sql_type",
    "strict_cast_sql",
    "type_family",
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

#: text read as a boolean when a schema says ``bool`` and lists no spellings of its own
TRUE_VALUES: tuple[str, ...] = ("true",)
FALSE_VALUES: tuple[str, ...] = ("false",)

# DuckDB folds comparisons (and ``isnan``) to constants from a row group's Parquet min and
# max, which writers compute without NaN (the Parquet spec says so); ``can_have_nan`` makes
# it expect NaN in any float column chunk, so a NaN is never mistaken for a number in range
PARQUET_SCAN_OPTIONS = "can_have_nan=true"

MAX_LINE_ENV = "DATALIFE_MAX_LINE_BYTES"
_DEFAULT_MAX_LINE = 32 << 20


def MAX_LINE_BYTES() -> int:  # noqa: N802 - reads like the limit it is
    """The longest CSV line read (bytes): 32 MiB, or ``$DATALIFE_MAX_LINE_BYTES``."""
    raw = os.environ.get(MAX_LINE_ENV, "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else _DEFAULT_MAX_LINE


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


# -- types ----------------------------------------------------------------------------------

_INT = {
    "int8": "TINYINT",
    "int16": "SMALLINT",
    "int32": "INTEGER",
    "int64": "BIGINT",
    "uint8": "UTINYINT",
    "uint16": "USMALLINT",
    "uint32": "UINTEGER",
    "uint64": "UBIGINT",
}
INT_TYPES = frozenset({*_INT.values(), "HUGEINT", "UHUGEINT"})
FLOAT_TYPES = frozenset({"FLOAT", "DOUBLE"})


def sql_type(dtype: str | None) -> str | None:
    """The DuckDB type for a pandera dtype name (None: no type constraint)."""
    from datalife.errors import DatalifeError

    if dtype is None:
        return None
    d = dtype.lower()
    if d in _INT:
        return _INT[d]
    if d in ("float16", "float32"):
        return "FLOAT"
    if d in ("float64", "float", "double"):
        return "DOUBLE"
    if d in ("bool", "boolean"):
        return "BOOLEAN"
    if d.startswith(("str", "string", "object", "category")):
        return "VARCHAR"
    if d.startswith(("datetime64", "timestamp")):
        return "TIMESTAMPTZ" if "," in d or "tz" in d else "TIMESTAMP"
    if d == "date":
        return "DATE"
    if d.startswith("timedelta"):
        return "INTERVAL"
    raise DatalifeError(
        f"dtype {dtype!r} has no SQL equivalent for out-of-core validation",
        hint="use int/float/bool/str/category/datetime dtypes, or validate a DataFrame in memory.",
    )


def type_family(t: str) -> str:
    """A DuckDB type's family: ``TIMESTAMP``, ``TIMESTAMPTZ``, ``DECIMAL``, ``VARCHAR``
    (ENUMs too), or the type itself."""
    t = t.upper()
    if t.startswith("TIMESTAMP WITH TIME ZONE") or t == "TIMESTAMPTZ":
        return "TIMESTAMPTZ"
    if t.startswith("TIMESTAMP"):
        return "TIMESTAMP"
    if t.startswith("DECIMAL"):
        return "DECIMAL"
    if t.startswith(("VARCHAR", "ENUM(")) or t == "ENUM":
        return "VARCHAR"
    return t


INT_PATTERN = r"'\s*[-+]?[0-9]+\s*'"


def _spellings(values: Sequence[str]) -> str:
    return ", ".join(sql_str(v.strip().lower()) for v in values)


def strict_cast_sql(
    raw: str,
    stored: str,
    target: str,
    *,
    true_values: Sequence[str] = (),
    false_values: Sequence[str] = (),
) -> str:
    """SQL turning ``raw`` (stored as the DuckDB type ``stored``) into ``target``, exactly.

    The result is NULL where the value does not convert exactly; a caller counts a failure
    where the value was present (:func:`missing_sql` false) and the result is NULL. Exact
    means: an integer target takes integer text, or a number with no fractional part, within
    the target's range (``39.1`` and ``1.5`` fail, ``181.0`` is 181, ``300`` fails for int8); a
    bool target takes ``true``/``false`` (any case) or the column's listed spellings, and
    from numbers only 0 and 1; other targets use DuckDB's cast, which fails (NULL) rather
    than guessing.
    """
    fam = type_family(stored)
    if fam == type_family(target):
        return raw
    if fam == "NULL":  # a column with no values at all (an empty frame's)
        return f"CAST({raw} AS {target})"
    if target in INT_TYPES:
        if fam == "VARCHAR":
            as_double = f"TRY_CAST({raw} AS DOUBLE)"
            return (
                f"(CASE WHEN regexp_full_match({raw}, {INT_PATTERN}) "
                f"THEN TRY_CAST(trim({raw}) AS {target}) "
                f"WHEN {as_double} = trunc({as_double}) THEN TRY_CAST({as_double} AS {target}) END)"
            )
        if fam in FLOAT_TYPES or fam == "DECIMAL":
            return f"(CASE WHEN {raw} = trunc({raw}) THEN TRY_CAST({raw} AS {target}) END)"
        if fam == "BOOLEAN" or fam in INT_TYPES:
            return f"TRY_CAST({raw} AS {target})"
        return f"TRY_CAST(NULL AS {target})"  # dates, text-like types: never an integer
    if target == "BOOLEAN":
        if fam == "VARCHAR":
            yes = _spellings([*TRUE_VALUES, *true_values])
            no = _spellings([*FALSE_VALUES, *false_values])
            low = f"lower(trim({raw}))"
            return f"(CASE WHEN {low} IN ({yes}) THEN TRUE WHEN {low} IN ({no}) THEN FALSE END)"
        if fam in INT_TYPES or fam in FLOAT_TYPES or fam == "DECIMAL":
            return f"(CASE WHEN {raw} = 1 THEN TRUE WHEN {raw} = 0 THEN FALSE END)"
        return "TRY_CAST(NULL AS BOOLEAN)"
    if target in FLOAT_TYPES and fam == "VARCHAR":
        return f"TRY_CAST(trim({raw}) AS {target})"
    if target == "VARCHAR" and fam not in ("VARCHAR",):
        return f"CAST({raw} AS VARCHAR)"
    return f"TRY_CAST({raw} AS {target})"


def missing_sql(raw: str, stored: str) -> str:
    """SQL that is TRUE where the stored value is missing (NULL, or NaN in a float column,
    as pandas counts it)."""
    if type_family(stored) in FLOAT_TYPES:
        return f"({raw} IS NULL OR isnan({raw}))"
    return f"({raw} IS NULL)"


def auto_types_sql() -> str:
    """``read_csv`` options that type a CSV without a schema: numbers, dates and timestamps
    are typed, booleans never (``yes``/``no`` stays text), the whole file sampled."""
    return (
        "auto_detect=true, sample_size=-1, "
        "auto_type_candidates=['BIGINT', 'DOUBLE', 'DATE', 'TIMESTAMP', 'VARCHAR']"
    )


# -- finding the sources ---------------------------------------------------------------------


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


def _sniff(path: Path, delimiter: str | None) -> tuple[str, str, str]:
    """``(delimiter, quote, escape)``: DuckDB's sniffer reads the header and data rows, and
    honours quotes; a delimiter named by the user is taken as is."""
    import duckdb

    if delimiter is not None:
        return delimiter, '"', '"'
    if path.name.lower().endswith((".tsv", ".tsv.gz")):
        return "\t", '"', '"'
    con = duckdb.connect()
    try:
        row = con.execute(
            f"SELECT Delimiter, Quote, Escape FROM sniff_csv({sql_str(str(path))}, "
            f"max_line_size={MAX_LINE_BYTES()}, sample_size=20480)"
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
    delim, quote, escape = _sniff(path, delimiter)
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
    with _open_binary(path) as fh:
        head: bytes = fh.read(1 << 20)
    lines = head.splitlines()
    for lineno, raw in enumerate(lines[:1000], start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            if lineno == len(lines):
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


TypedColumns = dict[str, tuple[str, Sequence[str], Sequence[str]]]


def typed_columns(spec: Any) -> TypedColumns:
    """``{column: (DuckDB type, true spellings, false spellings)}`` for a schema spec's typed
    columns: the reading a schema decides."""
    out: TypedColumns = {}
    for name, col in spec.columns.items():
        t = sql_type(col.dtype)
        if t is not None:
            out[name] = (t, tuple(col.true_values), tuple(col.false_values))
    return out


def cast_columns(sources: Sequence[Source], typing: TypedColumns) -> set[str]:
    """The columns whose values some source must convert to the schema's type (their
    conversion can fail, row by row)."""
    out: set[str] = set()
    for src in sources:
        stored = src.stored_types()
        for c, (target, _, _) in typing.items():
            if c in stored and type_family(stored[c]) != type_family(target):
                out.add(c)
    return out


def bad_name(column: str) -> str:
    """The column of the typed union that is TRUE where ``column``'s value did not convert."""
    return sql_ident(f"__bad:{column}")


def raw_name(column: str) -> str:
    """The column of the typed union holding ``column``'s value as read (text)."""
    return sql_ident(f"__raw:{column}")


def typed_union_sql(
    sources: Sequence[Source],
    columns: Sequence[str],
    typing: TypedColumns,
    *,
    first: int = 0,
    rows: bool = True,
    casts: set[str] | None = None,
) -> str:
    """One table expression over every source, each column read as the schema's type.

    Each source is converted in its own scan (so CSV text and Parquet numbers meet as one
    type), with ``__file`` (the source's index) and ``__row`` (0-based row in its file). For
    every column in ``casts`` two more columns say where the conversion failed
    (:func:`bad_name`) and what the value was (:func:`raw_name`). Without ``rows`` the row
    number is left out: for CSV and JSON lines it is a window over the whole file, which
    holds the rows in memory, and the counting passes do not need it.
    """
    casts = cast_columns(sources, typing) if casts is None else casts
    parts = []
    for i, src in enumerate(sources, start=first):
        stored = src.stored_types()
        items: list[str] = []
        for c in columns:
            q = sql_ident(c)
            target = typing.get(c)
            if c not in stored:
                items.append(f"NULL::{target[0] if target else 'VARCHAR'} AS {q}")
                if c in casts:
                    items += [f"FALSE AS {bad_name(c)}", f"NULL::VARCHAR AS {raw_name(c)}"]
                continue
            if target is None:
                items.append(q)
                continue
            expr = strict_cast_sql(
                q, stored[c], target[0], true_values=target[1], false_values=target[2]
            )
            items.append(q if expr == q else f"{expr} AS {q}")
            if c in casts:
                if expr == q:
                    items += [f"FALSE AS {bad_name(c)}", f"NULL::VARCHAR AS {raw_name(c)}"]
                else:
                    present = f"NOT {missing_sql(q, stored[c])}"
                    items += [
                        f"({present} AND {expr} IS NULL) AS {bad_name(c)}",
                        f"CAST({q} AS VARCHAR) AS {raw_name(c)}",
                    ]
        if not rows:
            row = "NULL::BIGINT"
        elif src.format == "parquet":
            row = "file_row_number"
        else:
            row = "(row_number() OVER () - 1)"
        cols = ", ".join(items)
        parts.append(
            f"SELECT {cols}{', ' if cols else ''}{i} AS __file, {row} AS __row "
            f"FROM {src.scan_sql()}"
        )
    return " UNION ALL ".join(parts)


def read_arrow(
    sources: Sequence[Source],
    spec: Any = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> Any:
    """Every row of ``sources`` as one Arrow table, read as this module decides: with a schema
    ``spec``, each column converted to the schema's type (values that do not convert are
    NULL here; validation reports them); without one, numbers, dates and timestamps typed,
    booleans never."""
    import duckdb

    from datalife.io import connect, input_error_from_duckdb

    own = con is None
    db = connect() if con is None else con
    try:
        if spec is not None:
            columns = [c for c in spec.columns if any(c in s.columns for s in sources)]
            extra = [c for s in sources for c in s.columns if c not in spec.columns]
            columns += list(dict.fromkeys(extra))
            sql = typed_union_sql(sources, columns, typed_columns(spec), casts=set())
            cols = ", ".join(sql_ident(c) for c in columns)
            return db.sql(f"SELECT {cols} FROM ({sql})").to_arrow_table()
        parts = [f"SELECT * FROM {_auto_scan(s)}" for s in sources]
        return db.sql(" UNION ALL BY NAME ".join(parts)).to_arrow_table()
    except duckdb.Error as exc:
        raise input_error_from_duckdb(exc, sources) from None
    finally:
        if own:
            db.close()


def _auto_scan(src: Source) -> str:
    """``src`` typed without a schema (see :func:`auto_types_sql`)."""
    p = sql_str(str(src.path))
    if src.format == "parquet":
        return f"read_parquet({p}, {PARQUET_SCAN_OPTIONS})"
    if src.format == "csv":
        return f"read_csv({p}, {src.csv_options()}, {auto_types_sql()})"
    return f"read_json({p}, format='newline_delimited')"


def read_pandas(paths: str | Path | Sequence[str | Path], spec: Any = None) -> Any:
    """Read files into one pandas DataFrame (in memory), through :func:`read_arrow`."""
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    frame = read_arrow(resolve_sources(items), spec).to_pandas()
    if spec is not None:
        # pandas' nullable types where the schema names them (an int column with missing
        # values stays integers, not floats)
        for name, col in spec.columns.items():
            dtype = str(col.dtype or "")
            if name in frame.columns and dtype[:1] in ("I", "U", "F", "b") and dtype != "bool":
                frame[name] = frame[name].astype(dtype)
    return frame


def varchar_cast(raw: str, target: str) -> str:
    """Text ``raw`` converted exactly to ``target`` (:func:`strict_cast_sql` from text)."""
    return strict_cast_sql(raw, "VARCHAR", target)
