""":mod:`datalife.reading`'s decision rendered for Spark: the scans and the strict casts.

Each source is read by Spark as :func:`datalife.reading.resolve_sources` described it: CSV
with the sniffed delimiter, quote and escape, the header skipped, every column as text and
:data:`~datalife.reading.NA_TOKENS` as nulls; JSON lines with every column as text; Parquet
with its stored types. Each column is then converted to the schema's type with the semantics
of :func:`datalife.reading.strict_cast_sql`, written here as PySpark Column expressions: an
integer takes integer text or an integral number within the type's range (through
``DECIMAL(38,0)``, so nothing is rounded or wrapped), a bool takes true/false (any case) or the
column's listed spellings, and a value that does not convert is NULL where a flag column says
it was present, so a failure names its row.

Spark's own string casts accept more than DuckDB's (Java's ``Double.parseDouble`` takes
``1d``, ``0x1p3``; ``-nan`` it refuses), so numeric text passes a pattern of what DuckDB
accepts before it is cast.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from datalife.errors import UnsupportedCheck
from datalife.reading import FALSE_VALUES as _FALSE
from datalife.reading import FLOAT_TYPES, INT_TYPES, NA_TOKENS, TRUE_VALUES, Source, type_family

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

__all__ = ["col", "scan", "spark_type", "stored_of_schema", "strict_cast"]

#: DuckDB type (as :mod:`datalife.reading` names it) -> Spark SQL type
_SPARK_TYPES = {
    "TINYINT": "tinyint",
    "SMALLINT": "smallint",
    "INTEGER": "int",
    "BIGINT": "bigint",
    "UTINYINT": "smallint",
    "USMALLINT": "int",
    "UINTEGER": "bigint",
    "UBIGINT": "decimal(20,0)",
    "HUGEINT": "decimal(38,0)",
    "UHUGEINT": "decimal(38,0)",
    "FLOAT": "float",
    "DOUBLE": "double",
    "BOOLEAN": "boolean",
    "VARCHAR": "string",
    "DATE": "date",
    "TIMESTAMP": "timestamp_ntz",
    "TIMESTAMPTZ": "timestamp",
}

_INT_RANGES = {
    "TINYINT": (-(2**7), 2**7 - 1),
    "SMALLINT": (-(2**15), 2**15 - 1),
    "INTEGER": (-(2**31), 2**31 - 1),
    "BIGINT": (-(2**63), 2**63 - 1),
    "UTINYINT": (0, 2**8 - 1),
    "USMALLINT": (0, 2**16 - 1),
    "UINTEGER": (0, 2**32 - 1),
    "UBIGINT": (0, 2**64 - 1),
    "HUGEINT": (-(10**38) + 1, 10**38 - 1),
    "UHUGEINT": (0, 10**38 - 1),
}

# what DuckDB's casts take as numbers (Java's take more: see the module docstring); ASCII
# whitespace around the number is allowed, as DuckDB's cast allows it
_WS = r"[ \t\n\r\f\x0b]*"
_INT_TEXT = rf"^{_WS}[-+]?[0-9]+{_WS}$"
_DIGITS = r"[0-9](?:_?[0-9])*"
_NUMBER = rf"[-+]?(?:{_DIGITS}(?:\.(?:{_DIGITS})?)?|\.{_DIGITS})(?:[eE][-+]?[0-9]+)?"
_FLOAT_TEXT = rf"^{_WS}{_NUMBER}{_WS}$"
_INF = ("inf", "+inf", "infinity", "+infinity")
_NAN = ("nan", "+nan", "-nan")
# DuckDB's trim also removes Unicode spaces (U+00A0, U+2003...); its float cast, ASCII ones
_TRIM = r"^[\s\p{Z}]+|[\s\p{Z}]+$"
_ASCII_TRIM = rf"^{_WS}|{_WS}$"


def spark_type(duck: str) -> str:
    """The Spark SQL type of a DuckDB type name (:class:`UnsupportedCheck` if none)."""
    t = _SPARK_TYPES.get(type_family(duck))
    if t is None:
        if type_family(duck) == "DECIMAL":
            m = re.match(r"DECIMAL\((\d+),\s*(\d+)\)", duck.upper())
            return f"decimal({m.group(1)},{m.group(2)})" if m else "decimal(38,18)"
        raise UnsupportedCheck(
            f"type {duck} has no Spark equivalent here",
            hint="use int/float/bool/str/date/datetime dtypes for the Spark engine.",
        )
    return t


def col(name: str) -> Column:
    """A column by its exact name (dots, spaces and backticks are part of the name)."""
    from pyspark.sql import functions as F  # noqa: N812 - PySpark's own convention

    return F.col("`" + name.replace("`", "``") + "`")


def _path(src: Source) -> str:
    """The path as Spark reads it: glob characters escaped (a file name is not a pattern)."""
    uri = getattr(src, "uri", None)  # a file Spark listed at a location (hdfs://, s3a://...)
    if uri:
        text = str(uri)
    elif src.on_disk and "://" not in str(src.path):
        text = str(src.path.resolve())
    else:
        text = str(src.path)
    return re.sub(r"([\[\]{}*?\\])", r"\\\1", text)


def scan(spark: SparkSession, src: Source, wanted: Sequence[str] | None = None) -> DataFrame:
    """``src`` as stored: every CSV / JSON lines column as text (CSV's NA tokens null),
    Parquet with its own types; the ``wanted`` columns of those :mod:`datalife.reading`
    found (all of them by default). Each column is a few calls to the JVM to build, so a
    file's 8,000 columns cost seconds where the schema's few cost nothing."""
    from pyspark.sql import functions as F  # noqa: N812
    from pyspark.sql.types import StringType, StructField, StructType

    keep = [c for c in (src.columns if wanted is None else wanted) if c in src.columns]
    if src.format == "parquet":
        return spark.read.parquet(_path(src)).select(*[col(c) for c in keep])
    text = StructType([StructField(c, StringType(), True) for c in src.columns])
    if src.format == "jsonl":
        df = spark.read.schema(text).json(_path(src), mode="FAILFAST", multiLine=False)
        return df.select(*[col(c) for c in keep])
    df = spark.read.schema(text).csv(
        _path(src),
        header=True,
        # a local file's header was read by datalife.reading: skip it; a listed location's
        # files share the first one's header, which Spark checks in each of them
        enforceSchema=src.on_disk,
        sep=src.delimiter,
        quote=src.quote,
        escape=src.escape,
        encoding="UTF-8",
        multiLine=True,  # quoted newlines, as DuckDB reads them (one task per file)
        mode="FAILFAST",  # a ragged or broken row is an error, never a row of nulls
        ignoreLeadingWhiteSpace=False,
        ignoreTrailingWhiteSpace=False,
        maxCharsPerColumn=-1,
        unescapedQuoteHandling="RAISE_ERROR",
    )
    tokens = list(NA_TOKENS)
    return df.select(
        *[F.when(col(c).isin(tokens), F.lit(None)).otherwise(col(c)).alias(c) for c in keep]
    )


def stored_of_schema(schema: Any) -> dict[str, str]:
    """A Spark DataFrame's column types as the DuckDB type names :mod:`datalife.reading`
    compares with the schema's."""
    from pyspark.sql import types as T  # noqa: N812

    simple: list[tuple[type, str]] = [
        (T.ByteType, "TINYINT"),
        (T.ShortType, "SMALLINT"),
        (T.IntegerType, "INTEGER"),
        (T.LongType, "BIGINT"),
        (T.FloatType, "FLOAT"),
        (T.DoubleType, "DOUBLE"),
        (T.BooleanType, "BOOLEAN"),
        (T.StringType, "VARCHAR"),
        (T.DateType, "DATE"),
        (T.TimestampNTZType, "TIMESTAMP"),
        (T.TimestampType, "TIMESTAMP WITH TIME ZONE"),
        (T.NullType, "NULL"),
    ]
    out: dict[str, str] = {}
    for f in schema.fields:
        dt = f.dataType
        name = next((n for cls, n in simple if isinstance(dt, cls)), None)
        if name is None and isinstance(dt, T.DecimalType):
            name = f"DECIMAL({dt.precision},{dt.scale})"
        out[f.name] = name or dt.simpleString().upper()
    return out


def _lit_set(values: Sequence[str]) -> list[str]:
    return [v.strip().lower() for v in values]


def strict_cast(
    raw: Column,
    stored: str,
    target: str,
    *,
    true_values: Sequence[str] = (),
    false_values: Sequence[str] = (),
) -> Column | None:
    """``raw`` (stored as the DuckDB type ``stored``) as ``target``, exactly; NULL where the
    value does not convert (:func:`datalife.reading.strict_cast_sql`'s semantics). None when
    nothing is converted (the stored type is the target's)."""
    from pyspark.sql import functions as F  # noqa: N812

    fam = type_family(stored)
    want = spark_type(target)
    if fam == type_family(target):
        return None
    if fam == "NULL":
        return raw.cast(want)
    if target in INT_TYPES:
        dec = "decimal(38,0)"
        if fam == "VARCHAR":
            as_int = F.trim(raw).try_cast(dec)
            number = _float_text(raw, unicode_trim=False)
            integral = F.when(number == F.floor(number), number.try_cast(dec))
            value = F.when(raw.rlike(_INT_TEXT), as_int).otherwise(integral)
        elif fam in FLOAT_TYPES or fam == "DECIMAL":
            value = F.when(raw == F.floor(raw), raw.try_cast(dec))
        elif fam == "BOOLEAN":
            value = F.when(raw, F.lit(1)).when(~raw, F.lit(0)).cast(dec)
        elif fam in INT_TYPES:
            value = raw.try_cast(dec)
        else:
            return F.lit(None).cast(want)  # dates, text-like types: never an integer
        lo, hi = _INT_RANGES[target]
        in_range = (value >= F.lit(lo).cast(dec)) & (value <= F.lit(hi).cast(dec))
        return F.when(in_range, value.cast(want))
    if target == "BOOLEAN":
        if fam == "VARCHAR":
            low = F.lower(F.regexp_replace(raw, _TRIM, ""))
            yes = _lit_set([*TRUE_VALUES, *true_values])
            no = _lit_set([*_FALSE, *false_values])
            return F.when(low.isin(yes), F.lit(True)).when(low.isin(no), F.lit(False))
        if fam in INT_TYPES or fam in FLOAT_TYPES or fam == "DECIMAL":
            return F.when(raw == 1, F.lit(True)).when(raw == 0, F.lit(False))
        return F.lit(None).cast("boolean")
    if target in FLOAT_TYPES and fam == "VARCHAR":
        return _float_text(raw).cast(want)
    if target == "VARCHAR":
        return raw.cast("string")
    return raw.try_cast(want)


def _float_text(raw: Column, *, unicode_trim: bool = True) -> Column:
    """Text as a double the way DuckDB reads it (NULL where DuckDB's cast fails): after
    DuckDB's ``trim`` (Unicode spaces too) for a float target; for an integer target DuckDB
    casts the text untrimmed, which allows ASCII whitespace only."""
    from pyspark.sql import functions as F  # noqa: N812

    text = F.regexp_replace(raw, _TRIM if unicode_trim else _ASCII_TRIM, "")
    low = F.lower(text)
    return (
        F.when(low.isin(list(_INF)), F.lit(float("inf")))
        .when(low.isin(["-inf", "-infinity"]), F.lit(float("-inf")))
        .when(low.isin(list(_NAN)), F.lit(float("nan")))
        .when(text.rlike(_FLOAT_TEXT), F.regexp_replace(text, "_", "").try_cast("double"))
    )


def missing(raw: Column, stored: str) -> Column:
    """TRUE where the stored value is missing (NULL, or NaN in a float column)."""
    from pyspark.sql import functions as F  # noqa: N812

    if type_family(stored) in FLOAT_TYPES:
        return raw.isNull() | F.isnan(raw)
    return raw.isNull()
