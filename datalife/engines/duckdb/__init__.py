"""The DuckDB engine: a check plan rendered to SQL and run over files out of core."""
