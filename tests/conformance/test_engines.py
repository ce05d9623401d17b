"""The conformance suite: every registered engine returns the same report on the same data.

Hypothesis builds a schema (int, float, bool, text columns with nullability, uniqueness and
value checks) and rows of text values (numbers, non-integral numbers, overflowing integers,
NaN, ±inf, bool-like words, unicode, missing-value tokens), writes them as CSV, JSON lines,
text Parquet and a mix of the three, and every engine must give the verdict the DuckDB engine
gives: the valid flag, the failures as (column, check, failure count), and the example rows.
The mixed-format dataset must give the verdict of the same rows in one format. A new engine
is done when this module passes unchanged with the engine registered.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import datalife
from datalife.plan.spec import CheckSpec, ColumnSpec, SchemaSpec
from datalife.reading import NA_TOKENS
from tests.conftest import engine_params

ENGINES = [p for p in engine_params() if p.values[0] != "duckdb"]

TEXT_POOL = {
    "int64": ["0", "1", "-7", "42", "1.0", "1.5", "9223372036854775808", "abc", "", "NA", " 3 "],
    "float64": ["0", "1.5", "-2.25", "NaN", "inf", "-inf", "1e3", "x", "", "null"],
    "bool": ["true", "false", "TRUE", "False", "yes", "no", "maybe", "1", ""],
    "str": ["a", "b", "yes", "no", "é", "日本", "", "NA", "a,b", 'q"uote'],
}


@st.composite
def schemas(draw: st.DrawFn) -> SchemaSpec:
    n = draw(st.integers(1, 3))
    columns: dict[str, ColumnSpec] = {}
    for i in range(n):
        dtype = draw(st.sampled_from(list(TEXT_POOL)))
        checks: list[CheckSpec] = []
        if dtype in ("int64", "float64") and draw(st.booleans()):
            lo = draw(st.integers(-5, 5))
            checks.append(
                CheckSpec(
                    "in_range",
                    {
                        "min_value": lo,
                        "max_value": lo + 10,
                        "include_min": True,
                        "include_max": True,
                    },
                    f"in_range({lo}, {lo + 10})",
                )
            )
        if dtype == "str" and draw(st.booleans()):
            allowed = draw(
                st.lists(st.sampled_from(["a", "b", "yes", "é"]), min_size=1, unique=True)
            )
            checks.append(CheckSpec("isin", {"allowed_values": allowed}, f"isin({allowed})"))
        name = f"c{i}"
        columns[name] = ColumnSpec(
            name,
            dtype=dtype,
            nullable=draw(st.booleans()),
            unique=draw(st.booleans()) and dtype != "bool",
            coerce=True,
        )
        if checks:
            columns[name] = ColumnSpec(
                name,
                dtype=dtype,
                nullable=columns[name].nullable,
                unique=columns[name].unique,
                coerce=True,
                checks=tuple(checks),
            )
    return SchemaSpec(columns, strict=draw(st.booleans()), coerce=True)


@st.composite
def datasets(draw: st.DrawFn) -> tuple[SchemaSpec, list[dict[str, str]]]:
    spec = draw(schemas())
    n = draw(st.integers(0, 8))
    rows = [
        {c: draw(st.sampled_from(TEXT_POOL[str(col.dtype)])) for c, col in spec.columns.items()}
        for _ in range(n)
    ]
    return spec, rows


def _value(text: str) -> str | None:
    """The value CSV text stands for in a typed format: its missing-value tokens are null."""
    return None if text in NA_TOKENS else text


def write(path: Path, fmt: str, columns: list[str], rows: list[dict[str, str]]) -> Path:
    """``rows`` (CSV text) as a file of ``fmt`` holding the same values (tokens that CSV reads
    as missing are nulls in JSON lines and Parquet)."""
    if fmt == "csv":
        path = path.with_suffix(".csv")
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(columns)
            w.writerows([[r[c] for c in columns] for r in rows])
    elif fmt == "jsonl":
        path = path.with_suffix(".jsonl")
        with path.open("w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps({c: _value(r[c]) for c in columns}) + "\n")
            if not rows:
                fh.write(json.dumps(dict.fromkeys(columns)) + "\n")
    else:
        path = path.with_suffix(".parquet")
        table = pa.table({c: pa.array([_value(r[c]) for r in rows], pa.string()) for c in columns})
        pq.write_table(table, path)
    return path


def summary(report: Any) -> tuple[bool, list[tuple[Any, str, int]]]:
    return report.valid, sorted((f.column, f.check, f.failure_count) for f in report.failures)


def examples(report: Any) -> dict[tuple[Any, str], list[tuple[Any, Any]]]:
    return {(f.column, f.check): [(e.file, e.row) for e in f.examples] for f in report.failures}


def _jsonl_empty_ok(rows: list[dict[str, str]], fmt: str) -> bool:
    return bool(rows) or fmt != "jsonl"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=datasets())
def test_every_engine_gives_the_duckdb_verdict(
    tmp_path_factory: pytest.TempPathFactory, engine: str, fmt: str, case: Any
) -> None:
    spec, rows = case
    if not _jsonl_empty_ok(rows, fmt):
        return  # a JSON lines file with no rows has no columns to read
    folder = tmp_path_factory.mktemp("c")
    path = write(folder / "data", fmt, list(spec.columns), rows)
    reference = datalife.validate(path, spec, engine="duckdb", record=False)
    other = datalife.validate(path, spec, engine=engine, record=False)
    assert summary(other) == summary(reference), (other.to_text(), reference.to_text())
    assert examples(other) == examples(reference)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=datasets())
def test_mixed_formats_give_the_verdict_of_one_format(
    tmp_path_factory: pytest.TempPathFactory, case: Any
) -> None:
    spec, rows = case
    folder = tmp_path_factory.mktemp("m")
    cols = list(spec.columns)
    third = max(1, len(rows) // 3)
    parts = [rows[:third], rows[third : 2 * third], rows[2 * third :]]
    if not all(parts):
        return
    mixed = [
        write(folder / f"part{i}", fmt, cols, part)
        for i, (fmt, part) in enumerate(zip(["csv", "parquet", "jsonl"], parts, strict=True))
    ]
    single = write(folder / "all", "csv", cols, rows)
    for engine in ["duckdb", *(str(p.values[0]) for p in ENGINES if not p.marks)]:
        one = datalife.validate(single, spec, engine=engine, record=False)
        many = datalife.validate(mixed, spec, engine=engine, record=False)
        assert summary(many) == summary(one), (engine, many.to_text(), one.to_text())


@pytest.mark.parametrize("engine", ["duckdb", *ENGINES])
def test_frames_give_the_file_verdict(tmp_path: Path, engine: str) -> None:
    """A typed frame and the same rows in a typed Parquet file give one verdict."""
    import pandas as pd

    spec = SchemaSpec(
        {
            "x": ColumnSpec(
                "x",
                dtype="int64",
                checks=(
                    CheckSpec(
                        "in_range",
                        {"min_value": 0, "max_value": 5, "include_min": True, "include_max": True},
                        "in_range(0, 5)",
                    ),
                ),
            ),
            "s": ColumnSpec("s", dtype="str", unique=True),
        }
    )
    frame = pd.DataFrame({"x": [1, 7, 3, 9], "s": ["a", "b", "a", "c"]})
    frame.to_parquet(tmp_path / "f.parquet", index=False)
    on_frame = datalife.validate(frame, spec, engine=engine, record=False)
    on_file = datalife.validate(tmp_path / "f.parquet", spec, engine=engine, record=False)
    assert summary(on_frame) == summary(on_file)
    assert summary(on_frame) == (False, [("s", "unique", 2), ("x", "in_range", 2)])
