"""DuckDB draws a progress bar on standard output for any query over two seconds, terminal or
not: every connection datalife opens turns it off, so ``--format json`` stays JSON on big data
(seen on a 50M-row file: the bar came before the report)."""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd

from datalife.io import connect, duckdb_connect
from datalife.stats.engine import open_scan

PACKAGE = Path(__file__).resolve().parents[2] / "datalife"


def _bar(con: object) -> object:
    return con.execute("SELECT current_setting('enable_progress_bar')").fetchall()[0][0]  # type: ignore[attr-defined]


def test_connections_have_no_progress_bar(tmp_path: Path) -> None:
    assert _bar(connect()) is False
    assert _bar(duckdb_connect(str(tmp_path / "x.duckdb"))) is False
    assert _bar(duckdb_connect().cursor()) is False
    with open_scan(pd.DataFrame({"x": [1, 2]})) as scan:
        assert _bar(scan.con) is False


def test_every_connection_in_the_package_goes_through_duckdb_connect() -> None:
    raw = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "connect"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "duckdb"
                and path.name != "io.py"
            ):
                raw.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert raw == [], f"use datalife.io.duckdb_connect instead of duckdb.connect: {raw}"
