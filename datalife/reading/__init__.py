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

from datalife.reading.sources import (
    MAX_LINE_BYTES,
    MAX_LINE_ENV,
    NA_TOKENS,
    PARQUET_SCAN_OPTIONS,
    Source,
    detect_format,
    has_data_lines,
    resolve_sources,
    zero_rows_error,
)
from datalife.reading.types import (
    FALSE_VALUES,
    FLOAT_TYPES,
    INT_TYPES,
    TRUE_VALUES,
    auto_types_sql,
    missing_sql,
    sql_type,
    strict_cast_sql,
    type_family,
    varchar_cast,
)
from datalife.reading.union import (
    TypedColumns,
    bad_name,
    cast_columns,
    raw_name,
    read_arrow,
    read_pandas,
    typed_columns,
    typed_union_sql,
)

__all__ = [
    "FALSE_VALUES",
    "FLOAT_TYPES",
    "INT_TYPES",
    "MAX_LINE_BYTES",
    "MAX_LINE_ENV",
    "NA_TOKENS",
    "PARQUET_SCAN_OPTIONS",
    "TRUE_VALUES",
    "Source",
    "TypedColumns",
    "auto_types_sql",
    "bad_name",
    "cast_columns",
    "detect_format",
    "has_data_lines",
    "missing_sql",
    "raw_name",
    "read_arrow",
    "read_pandas",
    "resolve_sources",
    "sql_type",
    "strict_cast_sql",
    "type_family",
    "typed_columns",
    "typed_union_sql",
    "varchar_cast",
    "zero_rows_error",
]
