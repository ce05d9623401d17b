"""The DuckDB engine: a check plan rendered to SQL and run over files out of core.

Modules: :mod:`~datalife.engines.duckdb.sql` renders checks to SQL conditions,
:mod:`~datalife.engines.duckdb.footers` settles what Parquet footers can,
:mod:`~datalife.engines.duckdb.keys` finds repeated keys,
:mod:`~datalife.engines.duckdb.examples` finds failing rows, and
:mod:`~datalife.engines.duckdb.validate` runs the phases in order.
"""

from __future__ import annotations

from datalife.engines.duckdb.engine import DuckDBEngine

__all__ = ["DuckDBEngine"]
