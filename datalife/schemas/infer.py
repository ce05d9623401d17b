"""Infer a first schema version from data, explaining each decision.

Statistics come from one DuckDB pass over the files (or the frame), so inference works on
files larger than memory. The rules:

- **dtype**: for CSV, the narrowest type every non-missing value parses as (integer, float,
  boolean, timestamp, else string); for Parquet and frames, the stored type. An integer column
  with missing values becomes the nullable ``Int64``. Columns are ``coerce: true`` so a CSV
  read by pandas (where such a column is float) validates the same way.
- **nullable**: only where the data has missing values.
- **range**: numeric columns get ``in_range(min, max)`` of the observed values.
- **categories**: a string column with at most ``max_categories`` distinct values, each seen
  on average at least twice, becomes a ``category`` with an ``isin`` check.
- **unique**: an integer or string column with no missing and no repeated values whose name
  looks like a key (``id``, ``*_id``, ``key``, ``uuid``...) is marked unique.
- **strict**: the schema rejects columns it does not list.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datalife.engines.duckdb.validate import varchar_cast
from datalife.errors import DatalifeError
from datalife.io import Source, input_error_from_duckdb, sql_ident

if TYPE_CHECKING:
    import pandera.api.pandas.container as pac

__all__ = ["Inference", "infer_schema"]

KEY_NAME = re.compile(r"(^|_)(id|key|uuid|guid)$|^id_|Id$|ID$", re.IGNORECASE)


@dataclass
class Inference:
    """An inferred schema with the reason for each decision, per column."""

    schema: pac.DataFrameSchema
    rows: int
    explanations: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "columns": self.explanations}

    def explain(self) -> str:
        lines = [f"inferred from {self.rows} rows:"]
        for col, reasons in self.explanations.items():
            lines.append(f"  {col}: " + "; ".join(reasons))
        return "\n".join(lines)


def _fmt(x: Any) -> Any:
    if isinstance(x, float) and x.is_integer():
        return int(x)
    return x


def infer_schema(
    data: Any,
    name: str,
    *,
    max_categories: int = 20,
    description: str = "",
) -> Inference:
    """Infer a schema named ``name`` from a DataFrame or from files (CSV, Parquet, JSON lines)."""
    import pandera.pandas as pa

    from datalife.io import connect, resolve_sources
    from datalife.validation import _FrameSource, _is_paths

    con = connect()
    if _is_paths(data):
        items = [data] if isinstance(data, str | Path) else list(data)
        sources: Sequence[Any] = resolve_sources(items)
    else:
        import pyarrow as pyarrow_mod

        module = type(data).__module__.split(".")[0]
        if module == "pandas":
            table = pyarrow_mod.Table.from_pandas(data, preserve_index=False)
        elif module == "polars":
            table = (data.collect() if hasattr(data, "collect") else data).to_arrow()
        else:
            raise DatalifeError(
                f"cannot infer a schema from a {type(data).__name__}",
                hint="pass file paths or a pandas/polars DataFrame.",
            )
        con.register("__frame", table)
        sources = [_FrameSource(table)]
    columns: list[str] = []
    for s in sources:
        for c in s.columns:
            if c not in columns:
                columns.append(c)
    if not columns:
        raise DatalifeError("the data has no columns", hint="check the input files.")
    union = " UNION ALL BY NAME ".join(f"SELECT * FROM {s.scan_sql()}" for s in sources)
    stored = _stored_types(con, union, columns)
    aggs = ["count(*)"]
    for c in columns:
        q = sql_ident(c)
        aggs.append(f"count({q})")
        if stored[c] == "VARCHAR":
            aggs += [
                f"count({varchar_cast(q, 'BIGINT')})",
                f"count(TRY_CAST({q} AS DOUBLE))",
                f"count(TRY_CAST({q} AS BOOLEAN))",
                f"count(TRY_CAST({q} AS TIMESTAMP))",
                f"min(TRY_CAST({q} AS DOUBLE))",
                f"max(TRY_CAST({q} AS DOUBLE))",
            ]
        else:
            aggs += [
                "NULL",
                "NULL",
                "NULL",
                "NULL",
                _num_min_max(q, stored[c], "min"),
                _num_min_max(q, stored[c], "max"),
            ]
    import duckdb

    try:
        row = con.execute(f"SELECT {', '.join(aggs)} FROM ({union})").fetchall()[0]
    except duckdb.Error as exc:
        if isinstance(exc, duckdb.InvalidInputException | duckdb.IOException):
            raise input_error_from_duckdb(
                exc, [s for s in sources if isinstance(s, Source)]
            ) from None
        raise
    assert row is not None
    total = int(row[0])
    out_cols: dict[str, Any] = {}
    explanations: dict[str, list[str]] = {}
    per = 7
    for i, c in enumerate(columns):
        nonnull, as_int, as_float, as_bool, as_ts, lo, hi = row[1 + i * per : 1 + (i + 1) * per]
        nonnull = int(nonnull)
        missing = total - nonnull
        reasons: list[str] = []
        dtype, kind = _decide_dtype(stored[c], nonnull, as_int, as_float, as_bool, as_ts, missing)
        reasons.append(_dtype_reason(stored[c], dtype, kind, nonnull, missing))
        checks: list[Any] = []
        nullable = missing > 0
        reasons.append(
            f"nullable: {missing} of {total} values missing"
            if nullable
            else "not nullable: no missing values"
        )
        unique = False
        q = sql_ident(c)
        typed = q if stored[c] != "VARCHAR" or kind == "string" else varchar_cast(q, _sql_of(kind))
        if kind in ("int", "float") and nonnull:
            if stored[c] == "VARCHAR":
                lo, hi = _fetch(con, f"SELECT min({typed}), max({typed}) FROM ({union})")
            checks.append(pa.Check.in_range(_fmt(lo), _fmt(hi)))
            reasons.append(f"range: observed [{_fmt(lo)}, {_fmt(hi)}]")
        distinct = None
        if kind in ("string", "int") and nonnull:
            distinct = int(_fetch(con, f"SELECT count(DISTINCT {typed}) FROM ({union})")[0])
        if kind == "string" and distinct is not None and nonnull:
            if distinct <= max_categories and distinct * 2 <= nonnull:
                values = [
                    v
                    for (v,) in con.execute(
                        f"SELECT DISTINCT {q} FROM ({union}) WHERE {q} IS NOT NULL ORDER BY 1"
                    ).fetchall()
                ]
                dtype = "category"
                reasons[0] = reasons[0].replace("dtype str", "dtype category", 1)
                checks.append(pa.Check.isin(values))
                reasons.append(
                    f"category: {distinct} distinct values in {nonnull} non-missing (≤ {max_categories}, "
                    f"each seen {nonnull // distinct}× on average): isin {values}"
                )
            else:
                reasons.append(f"free text: {distinct} distinct values in {nonnull}")
        if (
            kind in ("int", "string")
            and distinct is not None
            and missing == 0
            and distinct == nonnull
            and nonnull > 1
            and KEY_NAME.search(c)
        ):
            unique = True
            reasons.append("unique: a key-like name with no repeated values")
        out_cols[c] = pa.Column(
            dtype, checks=checks, nullable=nullable, unique=unique, coerce=True, required=True
        )
        explanations[c] = reasons
    schema = pa.DataFrameSchema(out_cols, strict=True, name=name, description=description or None)
    return Inference(schema=schema, rows=total, explanations=explanations)


def _num_min_max(q: str, stored: str, fn: str) -> str:
    if stored in (
        "BIGINT",
        "INTEGER",
        "SMALLINT",
        "TINYINT",
        "DOUBLE",
        "FLOAT",
        "HUGEINT",
        "UBIGINT",
        "UINTEGER",
        "USMALLINT",
        "UTINYINT",
    ) or stored.startswith("DECIMAL"):
        return f"{fn}({q})::DOUBLE"
    return "NULL"


def _fetch(con: Any, sql: str) -> tuple[Any, ...]:
    row = con.execute(sql).fetchall()[0]
    assert row is not None
    return tuple(row)


def _sql_of(kind: str) -> str:
    return {"int": "BIGINT", "float": "DOUBLE", "bool": "BOOLEAN", "timestamp": "TIMESTAMP"}.get(
        kind, "VARCHAR"
    )


def _stored_types(con: Any, union: str, columns: list[str]) -> dict[str, str]:
    rows = con.execute(f"DESCRIBE SELECT * FROM ({union})").fetchall()
    types = {r[0]: str(r[1]) for r in rows}
    return {c: types.get(c, "VARCHAR") for c in columns}


_STORED = {
    "BIGINT": ("int64", "int"),
    "INTEGER": ("int32", "int"),
    "SMALLINT": ("int16", "int"),
    "TINYINT": ("int8", "int"),
    "UBIGINT": ("uint64", "int"),
    "UINTEGER": ("uint32", "int"),
    "USMALLINT": ("uint16", "int"),
    "UTINYINT": ("uint8", "int"),
    "DOUBLE": ("float64", "float"),
    "FLOAT": ("float32", "float"),
    "BOOLEAN": ("bool", "bool"),
    "DATE": ("datetime64[ns]", "timestamp"),
}


def _decide_dtype(
    stored: str, nonnull: int, as_int: Any, as_float: Any, as_bool: Any, as_ts: Any, missing: int
) -> tuple[str, str]:
    if stored != "VARCHAR":
        if stored.startswith("TIMESTAMP"):
            return "datetime64[ns]", "timestamp"
        if stored.startswith("DECIMAL"):
            return "float64", "float"
        dtype, kind = _STORED.get(stored, ("str", "string"))
        if kind == "int" and missing:
            dtype = dtype.capitalize() if dtype.startswith("int") else "U" + dtype[1:].capitalize()
        return dtype, kind
    if nonnull == 0:
        return "str", "string"
    if as_int == nonnull:
        return ("Int64" if missing else "int64"), "int"
    if as_float == nonnull:
        return "float64", "float"
    if as_bool == nonnull:
        return ("boolean" if missing else "bool"), "bool"
    if as_ts == nonnull:
        return "datetime64[ns]", "timestamp"
    return "str", "string"


def _dtype_reason(stored: str, dtype: str, kind: str, nonnull: int, missing: int) -> str:
    if stored != "VARCHAR":
        return f"dtype {dtype}: stored as {stored}"
    if nonnull == 0:
        return "dtype str: every value is missing, nothing to infer from"
    extra = " (nullable integer: the column has missing values)" if dtype == "Int64" else ""
    return f"dtype {dtype}: all {nonnull} non-missing values parse as {kind}{extra}"
