"""Sources only Spark reaches: locations with a scheme (here ``file://``, listed and read by
Spark as it would ``hdfs://`` or ``s3a://``) and tables of Spark's catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import datalife
from datalife.cli import main
from datalife.errors import ConfigError, InputError
from datalife.plan.spec import CheckSpec, ColumnSpec, SchemaSpec
from datalife.validation import validate_files, validate_table
from tests.conftest import spark_session_or_skip

pytestmark = pytest.mark.spark

SPEC = SchemaSpec(
    {
        "id": ColumnSpec("id", dtype="int64", unique=True),
        "answer": ColumnSpec(
            "answer",
            dtype="str",
            checks=(CheckSpec("isin", {"allowed_values": ["yes", "no"]}, "isin(['yes', 'no'])"),),
        ),
        "score": ColumnSpec("score", dtype="float64", nullable=True),
    },
    min_rows=1,
)

SCHEMA_YAML = """\
format_version: 1
name: answers
version: 1
schema:
  schema_type: dataframe
  columns:
    id: {dtype: int64, nullable: false, unique: true, coerce: true}
    answer: {dtype: str, nullable: false, coerce: true, isin: ["yes", "no"]}
    score: {dtype: float64, nullable: true, coerce: true}
  coerce: true
  strict: true
"""


@pytest.fixture(scope="module")
def spark() -> Any:
    return spark_session_or_skip()


def _data(root: Path) -> Path:
    data = root / "data"
    data.mkdir(parents=True)
    (data / "a.csv").write_text("id;answer;score\n1;yes;0.5\n2;no;\n3;maybe;1.5\n")
    (data / "b.csv").write_text("id;answer;score\n4;yes;2\n1;no;3\n")
    (data / "_SUCCESS").write_text("")
    return data


def _verdict(report: Any) -> list[tuple[str, str, int]]:
    return sorted((str(f.column), f.check, f.failure_count) for f in report.failures)


def test_a_location_gets_the_verdict_of_the_same_local_files(spark: Any, tmp_path: Path) -> None:
    data = _data(tmp_path)
    remote = validate_files([f"file://{data}/*.csv"], SPEC, record=False)
    local = validate_files(sorted(data.glob("*.csv")), SPEC, engine="duckdb", record=False)
    assert remote.engine == "spark"
    assert _verdict(remote) == _verdict(local) != []
    assert remote.rows == local.rows == 5
    # each file is named by its location, and a failing row by its file and line
    names = [s["path"] for s in remote.sources]
    assert len(names) == 2 and all(n.startswith("file:") for n in names), names
    assert all(s["content_hash"].startswith("listing:") for s in remote.sources)
    maybe = next(f for f in remote.failures if f.check.startswith("isin"))
    first = maybe.examples[0]
    assert first.file is not None and first.file.endswith("a.csv") and first.value == "maybe"
    assert any("listing" in n for n in remote.notes)


def test_parquet_at_a_location_keeps_its_stored_types(spark: Any, tmp_path: Path) -> None:
    pq.write_table(
        pa.table({"id": [1, 2], "answer": ["yes", "no"], "score": [0.5, None]}),
        tmp_path / "p.parquet",
    )
    report = validate_files([f"file://{tmp_path}/p.parquet"], SPEC, record=False)
    assert report.valid and report.rows == 2, report.failures


def test_a_file_with_another_header_is_an_error_not_a_misreading(
    spark: Any, tmp_path: Path
) -> None:
    data = _data(tmp_path)
    (data / "b.csv").write_text("answer;id;score\nyes;4;2\n")
    with pytest.raises(InputError) as err:
        validate_files([f"file://{data}/*.csv"], SPEC, record=False)
    assert "b.csv" in err.value.message


def test_location_errors(spark: Any, tmp_path: Path) -> None:
    data = _data(tmp_path)
    with pytest.raises(ConfigError, match="Spark engine"):
        validate_files([f"file://{data}/a.csv"], SPEC, engine="duckdb", record=False)
    with pytest.raises(ConfigError, match="together"):
        validate_files([f"file://{data}/a.csv", data / "b.csv"], SPEC, record=False)
    (data / "readme.md").write_text("# not data\n")
    with pytest.raises(InputError, match="none CSV"):
        validate_files([f"file://{data}/readme.md"], SPEC, record=False)
    with pytest.raises(InputError, match="no file"):
        validate_files([f"file://{data}/_SUCCESS"], SPEC, record=False)
    with pytest.raises(InputError):
        validate_files([f"file://{tmp_path}/missing/*.csv"], SPEC, record=False)


def test_a_table_of_the_catalog(spark: Any) -> None:
    rows = [(1, "yes", 0.5), (2, "maybe", None)]
    spark.createDataFrame(rows, "id bigint, answer string, score double").createOrReplaceTempView(
        "answers_view"
    )
    report = validate_table("answers_view", SPEC)
    same = datalife.validate(spark.table("answers_view"), SPEC)
    assert _verdict(report) == _verdict(same) == [("answer", "isin", 1)]
    with pytest.raises(InputError, match="no such table"):
        validate_table("no_such_table_here", SPEC)
    with pytest.raises(ConfigError, match="Spark engine"):
        validate_table("answers_view", SPEC, engine="duckdb")


def test_the_cli_validates_locations_and_tables(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    root = tmp_path / "ws"
    assert main(["init", str(root)]) == 0
    (root / "schemas" / "answers").mkdir(parents=True)
    (root / "schemas" / "answers" / "1.yaml").write_text(SCHEMA_YAML)
    data = _data(tmp_path)
    monkeypatch.chdir(root)
    capsys.readouterr()
    code = main(["validate", f"file://{data}/*.csv", "--schema", "answers@1"])
    out = capsys.readouterr()
    assert code == 1 and "maybe" in out.out, out
    assert main(["validate", f"file://{data}/*.csv"]) == 2  # a location needs --schema
    assert "--schema" in capsys.readouterr().err
    spark.createDataFrame([(1, "yes", 0.5)], "id bigint, answer string, score double") \
        .createOrReplaceTempView("answers_ok")  # fmt: skip
    assert main(["validate", "--table", "answers_ok", "--schema", "answers@1"]) == 0
    assert main(["validate", "--table", "answers_ok"]) == 2
    assert main(["validate"]) == 2


def test_a_recorded_spark_validation_names_the_engine_and_master(
    spark: Any, tmp_path: Path
) -> None:
    import json

    from tests.unit.test_lineage_facets_spec import check_event

    root = tmp_path / "ws"
    assert main(["init", str(root)]) == 0
    df = spark.createDataFrame([(1, "yes", 0.5)], "id bigint, answer string, score double")
    assert datalife.validate(df, SPEC, workspace=root, record=True).valid
    events = [
        json.loads(line)
        for path in sorted((root / "lineage").glob("*.jsonl"))
        for line in path.read_text().splitlines()
    ]
    (complete,) = [e for e in events if e["eventType"] == "COMPLETE"]
    check_event(complete)
    facet = complete["run"]["facets"]["datalife_engine"]
    assert facet["engine"] == "spark" and facet["spark_version"] == spark.version
    assert facet["master"], facet
