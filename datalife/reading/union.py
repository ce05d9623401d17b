"""The typed union: every source read as the schema's types, in one DuckDB table expression,
and the rows of a dataset as an Arrow table or pandas frame."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datalife.io import sql_ident, sql_str
from datalife.reading.sources import PARQUET_SCAN_OPTIONS, Source, resolve_sources
from datalife.reading.types import (
    auto_types_sql,
    missing_sql,
    sql_type,
    strict_cast_sql,
    type_family,
)

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "TypedColumns",
    "bad_name",
    "cast_columns",
    "raw_name",
    "read_arrow",
    "read_pandas",
    "typed_columns",
    "typed_union_sql",
]


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
