"""The DuckDB engine on the contract: files out of core, and Arrow, polars and pandas frames
registered as tables."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from datalife.engines.report import ValidationReport
from datalife.reading import Source

if TYPE_CHECKING:
    import duckdb

    from datalife.engines.base import Data
    from datalife.plan.compile import CheckPlan

__all__ = ["DuckDBEngine"]


class DuckDBEngine:
    """SQL over the sources, in bounded memory (see :mod:`datalife.engines.duckdb.validate`)."""

    name = "duckdb"
    reads: frozenset[str] = frozenset({"files", "pandas", "polars", "arrow"})

    def validate(self, data: Data, plan: CheckPlan, *, ref: str) -> ValidationReport:
        from datalife.engines.duckdb.validate import run_sql_validation
        from datalife.io import connect

        if data.kind == "files":
            con = data.extra.get("connection") or connect()
            con.execute("SET parquet_metadata_cache = true")
            res = run_sql_validation(plan, data.sources, con, display_paths=data.names)
            return ValidationReport(
                ref, res.rows, self.name, res.failures, res.checks, res.sources, res.notes
            )
        from datalife.storage import table_hash

        table = to_arrow(data.frame)
        con = connect()
        con.register("__frame", table)
        src = FrameSource(table, con)
        res = run_sql_validation(plan, [src], con, display_paths=["<frame>"])
        report = ValidationReport(ref, res.rows, self.name, res.failures, res.checks, [], res.notes)
        report._version_fn = functools.partial(table_hash, table)
        return report


def to_arrow(frame: Any) -> Any:
    """A pandas or polars DataFrame (or LazyFrame), or an Arrow table, as an Arrow table."""
    import pyarrow as pa

    module = type(frame).__module__.split(".")[0]
    if module == "polars":
        if hasattr(frame, "collect") and not hasattr(frame, "to_arrow"):
            frame = frame.collect()
        return frame.to_arrow()
    if module == "pandas":
        try:
            return pa.Table.from_pandas(frame, preserve_index=False)
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            # object columns mixing types (text beside numbers): read as the text they show
            return pa.Table.from_pandas(_objects_as_text(frame), preserve_index=False)
    return frame


def _objects_as_text(frame: Any) -> Any:
    import pandas as pd

    out = frame.copy(deep=False)
    for c in out.columns:
        if out[c].dtype == object or isinstance(out[c].dtype, pd.CategoricalDtype):
            values = out[c].astype("object")
            out[c] = values.map(lambda v: None if _missing(v) else str(v)).astype("object")
    return out


def _missing(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


class FrameSource(Source):
    """An in-memory Arrow table (registered as ``__frame``) seen as a source."""

    on_disk: ClassVar[bool] = False

    def __init__(self, table: Any, con: duckdb.DuckDBPyConnection) -> None:
        # typed columns like Parquet; row numbers come from the scan order
        super().__init__(Path("<frame>"), "parquet", int(table.nbytes), list(table.column_names))
        rows = con.execute("DESCRIBE SELECT * FROM __frame").fetchall()
        self.types = {str(r[0]): str(r[1]) for r in rows}

    def scan_sql(self, *, varchar: bool = True) -> str:
        return "(SELECT *, (row_number() OVER () - 1) AS file_row_number FROM __frame)"
