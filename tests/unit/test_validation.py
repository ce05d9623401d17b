"""Validation: one verdict whatever the engine, and every bad input named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa
import polars as pl
import pytest

import datalife
from datalife.errors import InputError, ValidationFailed
from datalife.reading import read_pandas
from datalife.validation import ValidationReport
from tests.conftest import engine_params

SCHEMA = pa.DataFrameSchema(
    {
        "id": pa.Column("int64", unique=True, coerce=True),
        "species": pa.Column("category", pa.Check.isin(["Adelie", "Gentoo"]), coerce=True),
        "mass": pa.Column("float64", pa.Check.in_range(2000, 7000), nullable=True, coerce=True),
        "flipper": pa.Column("Int64", pa.Check.ge(100), nullable=True, coerce=True),
        "sex": pa.Column("str", pa.Check.str_length(1, 6), nullable=False, coerce=True),
    },
    strict=True,
    name="birds",
)

GOOD = "id,species,mass,flipper,sex\n1,Adelie,3750,181,male\n2,Gentoo,5000,NA,female\n3,Adelie,NA,190,male\n"
BAD = (
    "id,species,mass,flipper,sex\n"
    "1,Adelie,3750,181,male\n"
    "2,Emperor,5000,NA,female\n"  # unseen category
    "2,Adelie,9000,190,male\n"  # duplicate id, mass out of range
    "4,Gentoo,abc,50,NA\n"  # unparsable number, flipper below range, null sex
    "5,Gentoo,n/a,200,female\n"  # n/a is missing, not an error
)


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


def summary(report: ValidationReport) -> dict[tuple[str | None, str], tuple[int, list[Any]]]:
    """(column, check) -> (count, failing values), the part every engine must agree on."""
    out = {}
    for f in report.failures:
        values = sorted(str(e.value) for e in f.examples)
        out[(f.column, f.check)] = (f.failure_count, values)
    return out


def test_good_data_is_valid_in_every_engine(tmp_path: Path) -> None:
    path = write(tmp_path, "good.csv", GOOD)
    frame = read_pandas(path)
    reports = [
        datalife.validate(path, SCHEMA),
        datalife.validate(path, SCHEMA, engine="pandas"),
        datalife.validate(frame, SCHEMA),
        datalife.validate(pl.from_pandas(frame), SCHEMA),
        datalife.validate(pl.from_pandas(frame).lazy(), SCHEMA),
    ]
    for r in reports:
        assert r.valid, r.to_text()
        assert r.rows == 3
    assert {r.engine for r in reports} == {"duckdb", "pandas"}


def test_bad_data_gives_the_same_verdict_in_every_engine(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.csv", BAD)
    frame = read_pandas(path)
    duck = datalife.validate(path, SCHEMA)
    mem = datalife.validate(frame, SCHEMA)
    polars = datalife.validate(pl.from_pandas(frame), SCHEMA)
    expected = {
        ("id", "unique"): (2, ["2", "2"]),
        ("species", "isin"): (1, ["Emperor"]),
        ("mass", "coerce_dtype"): (1, ["abc"]),
        ("mass", "in_range"): (1, ["9000.0"]),
        ("flipper", "greater_than_or_equal_to"): (1, ["50"]),
        ("sex", "not_nullable"): (1, ["None"]),
    }
    assert summary(duck) == expected
    assert summary(mem) == expected
    # a polars frame read from the same file holds the column as text, like the CSV
    assert summary(polars) == expected
    # rows are named: CSV line numbers for files, row numbers for frames
    species = next(f for f in duck.failures if f.check == "isin")
    assert species.examples[0].line == 3 and species.examples[0].row == 1
    assert species.examples[0].file == str(path)
    mem_species = next(f for f in mem.failures if f.check == "isin")
    assert mem_species.examples[0].row == 1
    assert any("'n/a'" in n for n in duck.notes)


def test_parquet_and_jsonl_agree_with_csv(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.csv", BAD.replace("abc", "3000"))
    frame = read_pandas(path)
    pq = tmp_path / "bad.parquet"
    frame.to_parquet(pq)
    jl = tmp_path / "bad.jsonl"
    frame.to_json(jl, orient="records", lines=True)
    counts = [
        {k: v[0] for k, v in summary(datalife.validate(p, SCHEMA)).items()} for p in (path, pq, jl)
    ]
    assert counts[0] == counts[1] == counts[2]
    assert ("id", "unique") in counts[0]


@pytest.mark.parametrize("statistics", [True, False])
def test_parquet_footer_null_counts_equal_a_scan(tmp_path: Path, statistics: bool) -> None:
    """Not-null counts come from Parquet footers when every row group has them, else a scan;
    text isin/notin run as ENUM casts: every reading agrees with pandera in memory."""
    import pyarrow as pa_arrow
    import pyarrow.parquet as pq

    schema = pa.DataFrameSchema(
        {
            "k": pa.Column("Int64", nullable=False),
            "s": pa.Column("string[pyarrow]", pa.Check.isin(["a", "it's", ""]), nullable=False),
            "t": pa.Column("string[pyarrow]", pa.Check.notin(["x"]), nullable=True),
        },
        name="footer",
    )
    n = 5000
    table = pa_arrow.table(
        {
            "k": pa_arrow.array([None if i % 997 == 0 else i for i in range(n)], pa_arrow.int64()),
            "s": pa_arrow.array(
                [None if i % 499 == 0 else ["a", "it's", "", "b"][i % 4] for i in range(n)]
            ),
            "t": pa_arrow.array([None if i % 3 else ["x", "y"][i % 2] for i in range(n)]),
        }
    )
    paths = []
    for part in range(2):  # two files, several row groups each
        path = tmp_path / f"part{part}.parquet"
        pq.write_table(
            table.slice(part * n // 2, n // 2),
            path,
            row_group_size=700,
            write_statistics=statistics,
        )
        paths.append(path)
    from datalife.engines.duckdb.footers import footer_facts as _footer_facts
    from datalife.io import connect
    from datalife.reading import resolve_sources

    footer, _, rows, keys = _footer_facts(connect(), resolve_sources(paths), ["k", "s"], {}, ["k"])
    assert rows == n  # row counts are in the footer with or without statistics
    assert footer == ({"k": 6, "s": 11} if statistics else {})
    # the smallest key (0 is null): integer keys are then fetched as 32-bit offsets from it
    assert keys == ({"k": 1} if statistics else {})
    files = datalife.validate(paths, schema)
    frame = table.to_pandas(types_mapper={pa_arrow.int64(): pd.Int64Dtype()}.get)
    memory = datalife.validate(frame, schema)
    assert {k: v[0] for k, v in summary(files).items()} == {
        k: v[0] for k, v in summary(memory).items()
    }
    assert summary(files)[("k", "not_nullable")][0] == 6
    assert summary(files)[("s", "not_nullable")][0] == 11
    assert summary(files)[("s", "isin")][0] == len([i for i in range(n) if i % 4 == 3 and i % 499])
    assert summary(files)[("t", "notin")][0] == len(
        [i for i in range(n) if i % 3 == 0 and i % 2 == 0]
    )
    nulls = next(f for f in files.failures if f.column == "k")
    # the first rows, in file order; rows are numbered within each file
    assert [(Path(str(e.file)).stem, e.row) for e in nulls.examples] == [
        ("part0", 0),
        ("part0", 997),
        ("part0", 1994),
        ("part1", 491),
        ("part1", 1488),
    ]


@pytest.mark.parametrize("statistics", [True, False])
def test_range_checks_proven_by_parquet_footers_agree_with_a_scan(
    tmp_path: Path, statistics: bool
) -> None:
    """A range check that every row group's min and max pass needs no scan; where a row group
    fails, has no statistics or holds only nulls, the scan counts it as before."""
    import pyarrow as pa_arrow
    import pyarrow.parquet as pq

    schema = pa.DataFrameSchema(
        {
            "a": pa.Column("int64", pa.Check.in_range(0, 100)),  # holds: proven
            "b": pa.Column("float64", pa.Check.ge(0.5), nullable=True),  # fails in one group
            "c": pa.Column("float64", pa.Check.lt(10.0), nullable=True),  # NaN and all-null group
        },
        name="ranges",
    )
    n = 3000
    table = pa_arrow.table(
        {
            "a": pa_arrow.array([i % 101 for i in range(n)], pa_arrow.int64()),
            "b": pa_arrow.array([0.25 if i == 2500 else 1.0 + i for i in range(n)]),
            "c": pa_arrow.array(
                [None if i < 1000 else float("nan") if i % 7 == 0 else 9.5 for i in range(n)]
            ),
        }
    )
    path = tmp_path / "r.parquet"
    pq.write_table(table, path, row_group_size=1000, write_statistics=statistics)
    from datalife.engines.duckdb.footers import footer_facts as _footer_facts
    from datalife.io import connect
    from datalife.plan.compile import plan_checks
    from datalife.reading import resolve_sources

    plan = plan_checks(schema)
    ranges = {
        i: (p, str(p.column), "DOUBLE" if p.column != "a" else "BIGINT")
        for i, p in enumerate(plan)
        if p.check in ("in_range", "greater_than_or_equal_to", "less_than")
    }
    proven = {
        plan[i].column for i in _footer_facts(connect(), resolve_sources([path]), [], ranges)[1]
    }
    # "c" has a row group of nulls only (no min/max): it is scanned, like "b" which fails
    assert proven == ({"a"} if statistics else set())
    report = datalife.validate(path, schema)
    assert summary(report) == {("b", "greater_than_or_equal_to"): (1, ["0.25"])}
    assert summary(report) == summary(datalife.validate(table.to_pandas(), schema))
    assert all(c.passed for c in report.checks if c.column in ("a", "c"))


@pytest.mark.parametrize("by_sort", [True, False])
def test_duplicate_keys_by_sort_and_by_hash_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, by_sort: bool
) -> None:
    """Large integer keys are checked by sorting in numpy, others by DuckDB's GROUP BY."""
    import datalife.engines.duckdb.keys as dupkeys

    monkeypatch.setattr(dupkeys, "SORT_MIN_ROWS", 0 if by_sort else 10**12)
    schema = pa.DataFrameSchema({"k": pa.Column("Int64", unique=True, nullable=True)}, name="k")
    # 7 and 3 repeat across the two files; nulls are not duplicates of each other
    a = write(tmp_path, "a.csv", "k\n7\n1\nNA\n3\n7\n")
    b = write(tmp_path, "b.csv", "k\n3\n2\nNA\n7\n")
    report = datalife.validate([a, b], schema)
    (failure,) = report.failures
    assert failure.failure_count == 5
    assert "(2 values repeated)" in failure.message
    assert [(Path(str(e.file)).name, e.row, e.value) for e in failure.examples] == [
        ("a.csv", 0, 7),
        ("a.csv", 3, 3),
        ("a.csv", 4, 7),
        ("b.csv", 0, 3),
        ("b.csv", 3, 7),
    ]
    clean = write(tmp_path, "c.csv", "k\n1\n2\nNA\nNA\n")
    assert datalife.validate(clean, schema).valid
    # Parquet: the footers give the row count, so the sort runs beside the main pass
    parquet = []
    for src in (a, b):
        out = src.with_suffix(".parquet")
        read_pandas(src).astype({"k": "Int64"}).to_parquet(out)
        parquet.append(out)
    again = datalife.validate(parquet, schema)
    assert summary(again) == summary(report)
    assert [e.row for e in again.failures[0].examples] == [0, 3, 4, 0, 3]


def test_structure_missing_extra_and_renamed_columns(tmp_path: Path) -> None:
    path = write(
        tmp_path, "r.csv", "id,species,mass_g,flipper,sex,colour\n1,Adelie,3000,200,male,red\n"
    )
    for report in (datalife.validate(path, SCHEMA), datalife.validate(read_pandas(path), SCHEMA)):
        by = {(f.column, f.check): f for f in report.failures}
        assert "renamed" in by[("mass", "column_in_dataframe")].message
        assert "'mass_g'" in by[("mass", "column_in_dataframe")].message
        assert ("colour", "column_in_schema") in by
        assert ("mass_g", "column_in_schema") in by


def test_dataset_version_is_stable_across_file_order(tmp_path: Path) -> None:
    a = write(tmp_path, "a.csv", GOOD)
    b = write(tmp_path, "b.csv", GOOD.replace("1,Adelie", "7,Adelie"))
    r1 = datalife.validate([a, b], SCHEMA)
    r2 = datalife.validate([b, a], SCHEMA)
    assert r1.dataset_version == r2.dataset_version
    assert len(r1.dataset_version) == 64
    assert [s["rows"] for s in r1.sources] == [3, 3]
    # a frame's version is a hash of its Arrow data
    f1 = datalife.validate(read_pandas(a), SCHEMA).dataset_version
    assert f1 == datalife.validate(read_pandas(a), SCHEMA).dataset_version
    assert f1 != datalife.validate(read_pandas(b), SCHEMA).dataset_version


def test_report_api(tmp_path: Path) -> None:
    report = datalife.validate(write(tmp_path, "bad.csv", BAD), SCHEMA)
    data = json.loads(report.to_json())
    assert {"valid", "schema", "dataset_version", "rows", "failures"} <= set(data)
    assert data["valid"] is False and data["rows"] == 5
    assert {"column", "check", "failure_count", "examples"} <= set(data["failures"][0])
    assert "birds" in repr(report) and "failures" in repr(report)
    assert "<table>" in report._repr_html_()
    assert "Emperor" in str(report)
    with pytest.raises(ValidationFailed) as err:
        report.raise_for_errors()
    assert "species" in str(err.value)
    assert err.value.exit_code == 1


def test_decorator_checks_inputs_and_outputs() -> None:
    @datalife.validates(df=SCHEMA, returns=SCHEMA)
    def passthrough(df: pd.DataFrame, drop: bool = False) -> pd.DataFrame:
        return df.drop(columns=["sex"]) if drop else df

    good = pd.DataFrame(
        {"id": [1], "species": ["Adelie"], "mass": [3000.0], "flipper": [180], "sex": ["male"]}
    )
    assert passthrough(good) is good
    with pytest.raises(ValidationFailed, match="sex"):
        passthrough(good, drop=True)
    with pytest.raises(datalife.DatalifeError, match="does not take"):
        datalife.validates(frame=SCHEMA)(passthrough)


# -- bad input ----------------------------------------------------------------------------


ENGINES = pytest.mark.parametrize("engine", engine_params())


@ENGINES
def test_missing_path(tmp_path: Path, engine: str) -> None:
    with pytest.raises(InputError, match="no such file"):
        datalife.validate(tmp_path / "nope.csv", SCHEMA, engine=engine)


@ENGINES
def test_directory_without_data(tmp_path: Path, engine: str) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "notes.md").write_text("hi")
    with pytest.raises(InputError, match="no data files"):
        datalife.validate(tmp_path / "d", SCHEMA, engine=engine)


@ENGINES
def test_directory_expands_to_its_files(tmp_path: Path, engine: str) -> None:
    (tmp_path / "d").mkdir()
    write(tmp_path / "d", "a.csv", GOOD)
    assert datalife.validate(tmp_path / "d", SCHEMA, engine=engine).rows == 3


@ENGINES
def test_empty_file(tmp_path: Path, engine: str) -> None:
    with pytest.raises(InputError, match="empty"):
        datalife.validate(write(tmp_path, "e.csv", ""), SCHEMA, engine=engine)


@ENGINES
def test_header_only_is_valid_with_a_note(tmp_path: Path, engine: str) -> None:
    report = datalife.validate(
        write(tmp_path, "h.csv", GOOD.splitlines()[0] + "\n"), SCHEMA, engine=engine
    )
    assert report.valid and report.rows == 0
    assert any("no data rows" in n for n in report.notes)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("id,species,mass,flipper,sex\n1,Adelie,3,4,male\n2,Adelie,3,4,male,extra\n", 3, "ragged"),
        ("id,species,mass,flipper,sex\n1,Adelie,3,4,male\n2,Adel", 3, "ragged"),
        ('id,species,mass,flipper,sex\n1,Adelie,3,4,male\n2,"Adel', 3, "quoted value"),
    ],
)
@ENGINES
def test_ragged_and_truncated_rows(
    tmp_path: Path, engine: str, text: str, line: int, words: str
) -> None:
    with pytest.raises(InputError) as err:
        datalife.validate(write(tmp_path, "r.csv", text), SCHEMA, engine=engine)
    assert err.value.line == line
    assert words in str(err.value)
    assert "r.csv" in str(err.value)


@ENGINES
def test_non_utf8_bytes(tmp_path: Path, engine: str) -> None:
    data = GOOD.encode() + "4,Adelie,3000,190,m\xe4le\n".encode("latin-1")
    with pytest.raises(InputError, match="not UTF-8") as err:
        datalife.validate(write(tmp_path, "l.csv", data), SCHEMA, engine=engine)
    assert err.value.line == 5
    assert "iconv" in str(err.value)


@ENGINES
def test_bom_and_crlf_are_fine(tmp_path: Path, engine: str) -> None:
    data = b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode()
    report = datalife.validate(write(tmp_path, "w.csv", data), SCHEMA, engine=engine)
    assert report.valid, report.to_text()
    assert report.rows == 3


@ENGINES
def test_duplicate_header_names(tmp_path: Path, engine: str) -> None:
    with pytest.raises(InputError, match="twice"):
        datalife.validate(write(tmp_path, "d.csv", "id,id\n1,2\n"), SCHEMA, engine=engine)


@ENGINES
def test_corrupt_parquet(tmp_path: Path, engine: str) -> None:
    with pytest.raises(InputError, match="Parquet"):
        datalife.validate(write(tmp_path, "x.parquet", b"PAR1 not really"), SCHEMA, engine=engine)


def test_parquet_type_mismatch_without_coerce(tmp_path: Path) -> None:
    schema = pa.DataFrameSchema({"x": pa.Column("int64")}, name="strict_types")
    path = tmp_path / "f.parquet"
    pd.DataFrame({"x": [1.5, 2.0]}).to_parquet(path)
    for report in (
        datalife.validate(path, schema),
        datalife.validate(pd.read_parquet(path), schema),
    ):
        (failure,) = report.failures
        assert failure.check == "dtype"
        assert "float" in failure.message.lower() or "DOUBLE" in failure.message


def test_custom_check_runs_out_of_core_with_and_without_sql(tmp_path: Path) -> None:
    @datalife.register_check("even_number", statistics=["flag"])
    def even_number(series: Any, *, flag: bool) -> Any:
        return (series % 2 == 0) == flag

    @datalife.register_check(
        "below_limit", statistics=["limit"], sql=lambda col, limit: f"{col} < {limit}"
    )
    def below_limit(series: Any, *, limit: int) -> Any:
        return series < limit

    schema = pa.DataFrameSchema(
        {"x": pa.Column("int64", [pa.Check.even_number(flag=True), pa.Check.below_limit(limit=5)])},
        name="custom",
    )
    path = write(tmp_path, "c.csv", "x\n2\n3\n4\n8\n")
    duck = summary(datalife.validate(path, schema))
    mem = summary(datalife.validate(read_pandas(path), schema))
    assert duck == mem == {("x", "even_number"): (1, ["3"]), ("x", "below_limit"): (1, ["8"])}


@pytest.mark.parametrize("by_sort", [True, False])
def test_corrupt_data_pages_behind_a_sound_footer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, by_sort: bool
) -> None:
    """The footers read fine, a data page does not: an input error naming the file, whether
    the key is fetched for numpy's sort (before the main pass) or counted by DuckDB."""
    import numpy as np
    import pyarrow as pa_arrow
    import pyarrow.parquet as pq

    import datalife.engines.duckdb.keys as dupkeys

    monkeypatch.setattr(dupkeys, "SORT_MIN_ROWS", 0 if by_sort else 10**12)
    n = 20_000
    table = pa_arrow.table(
        {"k": np.arange(n, dtype=np.int64), "x": np.random.default_rng(0).random(n)}
    )
    path = tmp_path / "broken.parquet"
    pq.write_table(table, path, row_group_size=5000)
    chunk = pq.ParquetFile(path).metadata.row_group(2).column(0)
    start = (chunk.dictionary_page_offset or chunk.data_page_offset) + 40
    data = bytearray(path.read_bytes())
    data[start : start + 2000] = b"\xff" * 2000
    path.write_bytes(bytes(data))
    schema = pa.DataFrameSchema(
        {"k": pa.Column("int64", unique=True), "x": pa.Column("float64")}, name="broken"
    )
    with pytest.raises(InputError) as caught:
        datalife.validate(path, schema, record=False)
    assert "broken.parquet" in str(caught.value)
