"""Column types: the schema's dtypes as DuckDB types, and exact conversions between types.

A conversion is exact or it fails (NULL where the value was present): an integer takes integer
text or a number with no fractional part within range; a bool takes ``true``/``false`` (any
case) or a column's listed spellings; nothing is rounded, wrapped or guessed.
"""

from __future__ import annotations

from collections.abc import Sequence

from datalife.io import sql_str

__all__ = [
    "FLOAT_TYPES",
    "INT_TYPES",
    "auto_types_sql",
    "missing_sql",
    "sql_type",
    "strict_cast_sql",
    "type_family",
    "varchar_cast",
]


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

#: text read as a boolean when a schema says ``bool`` and lists no spellings of its own
TRUE_VALUES: tuple[str, ...] = ("true",)

FALSE_VALUES: tuple[str, ...] = ("false",)


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


def varchar_cast(raw: str, target: str) -> str:
    """Text ``raw`` converted exactly to ``target`` (:func:`strict_cast_sql` from text)."""
    return strict_cast_sql(raw, "VARCHAR", target)
