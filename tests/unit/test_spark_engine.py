"""The Spark engine on its own inputs: a Spark DataFrame, and files Spark reads as several
partitions (row numbers still count from the file's start)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import datalife
from datalife.plan.spec import CheckSpec, ColumnSpec, SchemaSpec
from tests.conftest import spark_session_or_skip

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark() -> Any:
    return spark_session_or_skip()


def _in_range(lo: int, hi: int) -> CheckSpec:
    stats = {"min_value": lo, "max_value": hi, "include_min": True, "include_max": True}
    return CheckSpec("in_range", stats, f"in_range({lo}, {hi})")


SPEC = SchemaSpec(
    {
        "id": ColumnSpec("id", dtype="int64", unique=True),
        "score": ColumnSpec("score", dtype="float64", nullable=True, checks=(_in_range(0, 1),)),
        "name": ColumnSpec(
            "name",
            dtype="str",
            checks=(
                CheckSpec("str_matches", {"pattern": r"\d+-[a-z]"}, r"str_matches('\d+-[a-z]')"),
            ),
        ),
    }
)


def test_a_spark_dataframe_gets_the_verdict_of_the_same_rows_in_a_file(
    spark: Any, tmp_path: Path
) -> None:
    rows = [(1, 0.5, "1-a"), (2, 1.5, "2-b"), (2, None, "x"), (4, float("nan"), "4-d")]
    df = spark.createDataFrame(rows, "id bigint, score double, name string")
    on_spark = datalife.validate(df, SPEC)  # engine auto: a Spark DataFrame goes to Spark
    assert on_spark.engine == "spark"
    path = tmp_path / "same.parquet"
    columns = list(zip(*rows, strict=True))
    pq.write_table(pa.table({"id": columns[0], "score": columns[1], "name": columns[2]}), path)
    on_duckdb = datalife.validate(path, SPEC, engine="duckdb", record=False)
    got = sorted((f.column, f.check, f.failure_count) for f in on_spark.failures)
    assert got == sorted((f.column, f.check, f.failure_count) for f in on_duckdb.failures)
    assert got == [("id", "unique", 2), ("name", "str_matches", 1), ("score", "in_range", 1)]
    assert [e.row for e in on_spark.failures[0].examples] == [1, 2]
    assert on_spark.dataset_version.startswith("spark:")
    assert on_spark.dataset_version == datalife.validate(df, SPEC).dataset_version


def test_row_numbers_count_from_the_start_of_each_file_across_partitions(
    spark: Any, tmp_path: Path
) -> None:
    path = tmp_path / "many.jsonl"
    with path.open("w") as fh:
        for i in range(3000):
            fh.write(json.dumps({"n": str(-1 if i in (1700, 2900) else i % 7)}) + "\n")
    spec = SchemaSpec({"n": ColumnSpec("n", dtype="int64", coerce=True, checks=(_in_range(0, 9),))})
    before = spark.conf.get("spark.sql.files.maxPartitionBytes")
    spark.conf.set("spark.sql.files.maxPartitionBytes", "8192")  # several splits of one file
    try:
        report = datalife.validate(path, spec, engine="spark", record=False)
    finally:
        spark.conf.set("spark.sql.files.maxPartitionBytes", before)
    reference = datalife.validate(path, spec, engine="duckdb", record=False)
    ((failure,),) = [report.failures]
    assert [(e.row, e.line) for e in failure.examples] == [(1700, 1701), (2900, 2901)]
    assert [(e.row, e.line) for e in failure.examples] == [
        (e.row, e.line) for e in reference.failures[0].examples
    ]
