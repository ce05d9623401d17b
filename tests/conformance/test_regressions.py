"""Each case that once gave a wrong verdict or changed values, in every engine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import datalife
from datalife.errors import InputError, UnknownEngine
from datalife.plan.spec import ColumnSpec, SchemaSpec
from tests.conftest import engine_params

ENGINES = engine_params()


def spec(**cols: ColumnSpec) -> SchemaSpec:
    return SchemaSpec(dict(cols), coerce=True)


def failures(report: datalife.ValidationReport) -> list[tuple[str | None, str, int]]:
    return sorted((f.column, f.check, f.failure_count) for f in report.failures)


@pytest.mark.parametrize("engine", ENGINES)
def test_yes_no_is_not_a_bool_unless_the_schema_lists_it(tmp_path: Path, engine: str) -> None:
    path = tmp_path / "a.csv"
    path.write_text("answer\nyes\nno\nyes\n")
    plain = spec(answer=ColumnSpec("answer", dtype="bool", coerce=True))
    report = datalife.validate(path, plain, engine=engine, record=False)
    assert failures(report) == [("answer", "coerce_dtype", 3)]
    assert [e.value for e in report.failures[0].examples] == ["yes", "no", "yes"]
    listed = spec(
        answer=ColumnSpec(
            "answer", dtype="bool", coerce=True, true_values=("yes",), false_values=("no",)
        )
    )
    assert datalife.validate(path, listed, engine=engine, record=False).valid


@pytest.mark.parametrize("engine", ENGINES)
def test_maybe_in_a_bool_column_fails(tmp_path: Path, engine: str) -> None:
    path = tmp_path / "b.csv"
    path.write_text("flag\ntrue\nFALSE\nmaybe\n")
    report = datalife.validate(
        path, spec(flag=ColumnSpec("flag", dtype="bool", coerce=True)), engine=engine, record=False
    )
    assert failures(report) == [("flag", "coerce_dtype", 1)]
    assert report.failures[0].examples[0].line == 4


@pytest.mark.parametrize("engine", ENGINES)
def test_a_float_is_never_rounded_into_an_int(tmp_path: Path, engine: str) -> None:
    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({"n": [1.0, 1.5, 3.0, 300.0]}), path)
    int8 = spec(n=ColumnSpec("n", dtype="int8", coerce=True))
    report = datalife.validate(path, int8, engine=engine, record=False)
    assert failures(report) == [("n", "coerce_dtype", 2)]  # 1.5 (not integral), 300 (int8)
    strict = SchemaSpec({"n": ColumnSpec("n", dtype="int64")})
    report = datalife.validate(path, strict, engine=engine, record=False)
    assert failures(report) == [("n", "dtype", 1)]


@pytest.mark.parametrize("engine", ENGINES)
def test_csv_and_parquet_in_one_dataset(tmp_path: Path, engine: str) -> None:
    (tmp_path / "a.csv").write_text("x\n1.5\nnan\n2\n")
    pq.write_table(pa.table({"x": [3.0, float("nan"), 99.0]}), tmp_path / "b.parquet")
    s = spec(x=ColumnSpec("x", dtype="float64", coerce=True, nullable=False))
    report = datalife.validate(
        [tmp_path / "a.csv", tmp_path / "b.parquet"], s, engine=engine, record=False
    )
    assert failures(report) == [("x", "not_nullable", 2)]
    assert report.rows == 6


@pytest.mark.parametrize("engine", ENGINES)
def test_quoted_header_with_the_delimiter(tmp_path: Path, engine: str) -> None:
    path = tmp_path / "q.csv"
    path.write_text('"city, state";n\nAustin, TX;1\nBoston, MA;2\n')
    s = spec(
        **{
            "city, state": ColumnSpec("city, state", dtype="str"),
            "n": ColumnSpec("n", dtype="int64"),
        }
    )
    report = datalife.validate(path, s, engine=engine, record=False)
    assert report.valid
    assert report.rows == 2


def test_data_that_reads_as_no_rows_is_an_error(tmp_path: Path) -> None:
    from datalife.reading import Source, has_data_lines

    path = tmp_path / "z.csv"
    path.write_text("a,b\n1,2\n")
    assert has_data_lines(Source(path, "csv", path.stat().st_size))
    header_only = tmp_path / "h.csv"
    header_only.write_text("a,b\n")
    assert not has_data_lines(Source(header_only, "csv", header_only.stat().st_size))


def test_ambiguous_delimiter_names_the_option(tmp_path: Path) -> None:
    path = tmp_path / "amb.csv"
    path.write_text("a;b|c\n1\n")
    with pytest.raises(InputError, match="--delimiter"):
        datalife.validate(path, spec(a=ColumnSpec("a", dtype="str")), record=False)


@pytest.mark.parametrize("engine", ENGINES)
def test_long_lines_and_wide_headers(tmp_path: Path, engine: str) -> None:
    wide = [f"column_{i:06d}" for i in range(8_000)]  # a header over 100,000 characters
    path = tmp_path / "wide.csv"
    path.write_text(",".join(wide) + "\n" + ",".join("1" for _ in wide) + "\n")
    assert len(wide[0]) * len(wide) > 100_000
    cols = {c: ColumnSpec(c, dtype="int64") for c in wide[:3]}
    report = datalife.validate(path, SchemaSpec(cols), engine=engine, record=False)
    assert report.valid and report.rows == 1
    long = tmp_path / "long.csv"
    long.write_text("text,n\n" + "x" * (8 << 20) + ",1\ny,2\n")
    s = spec(text=ColumnSpec("text", dtype="str"), n=ColumnSpec("n", dtype="int64"))
    report = datalife.validate(long, s, engine=engine, record=False)
    assert report.valid and report.rows == 2


@pytest.mark.parametrize("engine", ENGINES)
def test_min_rows(tmp_path: Path, engine: str) -> None:
    path = tmp_path / "h.csv"
    path.write_text("a\n")
    s = SchemaSpec({"a": ColumnSpec("a", dtype="str", nullable=True)}, min_rows=1)
    report = datalife.validate(path, s, engine=engine, record=False)
    assert failures(report) == [(None, "min_rows", 1)]
    assert "empty" in report.failures[0].message


def test_unknown_engine_is_a_typed_error_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("a\n1\n")
    with pytest.raises(UnknownEngine, match="known engines: duckdb, pandas"):
        datalife.validate(path, spec(a=ColumnSpec("a", dtype="int64")), engine="spork")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "datalife",
            "validate",
            str(path),
            "--schema",
            "x",
            "--engine",
            "spork",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert out.returncode == 2
    assert "unknown engine 'spork'" in out.stderr


def test_split_keeps_yes_no(tmp_path: Path) -> None:
    path = tmp_path / "yn.csv"
    rows = "\n".join(f"{i},{'yes' if i % 2 else 'no'}" for i in range(40))
    path.write_text("id,answer\n" + rows + "\n")
    result = datalife.split(path, (0.5, 0.25, 0.25), out=tmp_path / "out", seed=1)
    values: set[str] = set()
    for f in (tmp_path / "out").glob("*.parquet"):
        values |= set(pq.read_table(f).column("answer").to_pylist())
    assert values == {"yes", "no"}, result


@pytest.mark.parametrize("engine", ENGINES)
def test_a_warning_range_beside_a_hard_range(tmp_path: Path, engine: str) -> None:
    """The observed range as a warning does not turn the hard range of the same column into a
    warning too: 999 fails, 70 only warns."""
    from datalife.plan.spec import CheckSpec

    def in_range(lo: int, hi: int, warning: bool) -> CheckSpec:
        stats = {"min_value": lo, "max_value": hi, "include_min": True, "include_max": True}
        return CheckSpec("in_range", stats, f"in_range({lo}, {hi})", warning=warning)

    path = tmp_path / "w.csv"
    path.write_text("x\n40\n70\n999\n")
    col = ColumnSpec(
        "x", dtype="int64", coerce=True, checks=(in_range(0, 100, False), in_range(32, 59, True))
    )
    report = datalife.validate(path, SchemaSpec({"x": col}), engine=engine, record=False)
    assert failures(report) == [("x", "in_range", 1)]
    assert report.failures[0].detail == "in_range(0, 100)"
    assert [(w.detail, w.failure_count) for w in report.warnings] == [("in_range(32, 59)", 2)]
    passed = {c.detail: c.passed for c in report.checks if c.check == "in_range"}
    assert passed == {"in_range(0, 100)": False, "in_range(32, 59)": True}
