"""CSV dates and timestamps on Spark in the format DuckDB's sniffer found.

The DuckDB engine types a CSV column as DATE or TIMESTAMP also when its values are written
``31/01/2024`` or ``01-02-2024 10:00:00``: its sniffer finds the format (``%d/%m/%Y``) and
parses every value with it. Spark's cast reads ISO text only, so the Spark split asks DuckDB's
sniffer for the same formats and parses with Spark's ``try_to_date`` / ``try_to_timestamp``
and the format written as a Java pattern (``dd/MM/yyyy``). A format with a directive that has
no Java equivalent is left to the cast, and a value the cast refuses is an error naming the
column (never a silent null).

Examples:
    >>> java_pattern("%d/%m/%Y")
    'dd/MM/yyyy'
    >>> java_pattern("%Y-%m-%dT%H:%M:%S.%f")
    "yyyy-MM-dd'T'HH:mm:ss.SSSSSS"
    >>> java_pattern("%d %b %Y %z") is None
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import Column

    from datalife.splits._sources import FileSource

__all__ = ["java_pattern", "parse_text", "sniffed_formats"]

#: strftime directives (as DuckDB writes them) -> Java DateTimeFormatter letters
_DIRECTIVES = {
    "Y": "yyyy",
    "y": "yy",
    "m": "MM",
    "-m": "M",
    "d": "dd",
    "-d": "d",
    "H": "HH",
    "-H": "H",
    "I": "hh",
    "-I": "h",
    "M": "mm",
    "-M": "m",
    "S": "ss",
    "-S": "s",
    "f": "SSSSSS",
    "g": "SSS",
    "n": "SSSSSSSSS",
    "p": "a",
    "b": "MMM",
    "B": "MMMM",
    "a": "EEE",
    "A": "EEEE",
    "j": "DDD",
    "%": "%",
}


def java_pattern(fmt: str) -> str | None:
    """A strftime format as a Java ``DateTimeFormatter`` pattern (None: a directive without
    an equivalent, such as time zones)."""
    out: list[str] = []
    literal: list[str] = []

    def flush() -> None:
        if literal:
            text = "".join(literal).replace("'", "''")
            out.append(f"'{text}'" if any(ch.isalpha() for ch in text) else text)
            literal.clear()

    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch != "%":
            literal.append(ch)
            i += 1
            continue
        key = fmt[i + 1 : i + 3] if fmt[i + 1 : i + 2] == "-" else fmt[i + 1 : i + 2]
        letters = _DIRECTIVES.get(key)
        if letters is None:
            return None
        flush()
        out.append(letters)
        i += 1 + len(key)
    flush()
    return "".join(out)


def sniffed_formats(source: FileSource) -> dict[str, str]:
    """The DATE and TIMESTAMP formats DuckDB's sniffer finds in the first CSV file (the one
    whose dialect the DuckDB engine reads them all with); none for ISO text."""
    from datalife.io import sql_str
    from datalife.reading import auto_types_sql

    first = source.sources[0]
    sql = (
        f"SELECT DateFormat, TimestampFormat FROM sniff_csv({sql_str(str(first.path))}, "
        f"{first.csv_options()}, {auto_types_sql()})"
    )
    row = source.con.execute(sql).fetchone()
    found: dict[str, str] = {}
    if row is not None:
        for name, fmt in zip(("DATE", "TIMESTAMP"), row, strict=True):
            if fmt:
                found[name] = str(fmt)
    return found


def parse_text(raw: Column, target: str, formats: dict[str, str]) -> Column | None:
    """Text ``raw`` parsed as ``target`` (DATE or TIMESTAMP) with the sniffed format; None
    when there is none (ISO text: the cast reads it) or it has no Java equivalent."""
    from pyspark.sql import functions as F  # noqa: N812

    fmt = formats.get(target)
    pattern = java_pattern(fmt) if fmt else None
    if pattern is None:
        return None
    if target == "DATE":
        return F.try_to_date(raw, pattern)
    # a TIMESTAMP (without zone): the wall clock read in the session's zone, kept as it is
    return F.try_to_timestamp(raw, F.lit(pattern)).cast("timestamp_ntz")
