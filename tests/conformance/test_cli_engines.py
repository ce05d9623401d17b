"""The engine contract end to end through the real CLI: mixed formats in validate and check,
yes/no kept through `datalife run`, and the engine option's errors."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import run_cli

SCHEMA = """\
format_version: 1
name: survey
version: 1
min_rows: 1
schema:
  schema_type: dataframe
  columns:
    id: {dtype: int64, nullable: false, unique: true, coerce: true}
    smoker: {dtype: category, nullable: false, coerce: true, isin: ["yes", "no"]}
    score: {dtype: float64, nullable: true, coerce: true}
  coerce: true
  strict: true
"""

PIPELINE = """
[datasets.survey]
files = ["data/*"]

[pipeline]
dataset = "survey"
output = "splits"

[pipeline.split]
ratios = [0.8, 0.1, 0.1]
seed = 1
"""


@pytest.fixture
def survey(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    assert run_cli("init", str(root)).code == 0
    with (root / "datalife.toml").open("a") as fh:
        fh.write(PIPELINE)
    (root / "schemas" / "survey").mkdir(parents=True)
    (root / "schemas" / "survey" / "1.yaml").write_text(SCHEMA)
    data = root / "data"
    data.mkdir()
    lines = [f"{i},{'yes' if i % 3 else 'no'},{i / 2}" for i in range(30)]
    (data / "a.csv").write_text("id,smoker,score\n" + "\n".join(lines) + "\n")
    pq.write_table(
        pa.table(
            {
                "id": pa.array(range(30, 60), pa.int64()),
                "smoker": ["no", "yes"] * 15,
                "score": [float("nan")] + [1.5] * 29,
            }
        ),
        data / "b.parquet",
    )
    return root


def test_mixed_formats_validate_and_check(survey: Path) -> None:
    for engine in ("duckdb", "pandas"):
        res = run_cli("validate", "data/a.csv", "data/b.parquet", "--engine", engine, cwd=survey)
        assert res.code == 0, res
        assert "60 rows" in res.stdout
    res = run_cli("check", "--no-schemas", cwd=survey)
    assert res.code == 0, res
    # a repeated key across the two files is caught
    (survey / "data" / "a.csv").write_text("id,smoker,score\n30,yes,1\n")
    res = run_cli("validate", "data/a.csv", "data/b.parquet", cwd=survey)
    assert res.code == 1 and "unique" in res.stdout, res


def test_run_writes_yes_no_back_as_yes_no(survey: Path) -> None:
    res = run_cli("run", cwd=survey)
    assert res.code == 0, res
    values: set[str] = set()
    for split in ("train", "dev", "test"):
        table = pq.read_table(survey / "splits" / f"{split}.parquet")
        values |= {str(v) for v in table.column("smoker").to_pylist()}
        assert pa.types.is_integer(table.schema.field("id").type)
    assert values == {"yes", "no"}


def test_unknown_engine_and_delimiter(survey: Path) -> None:
    res = run_cli("validate", "data/a.csv", "--engine", "spork", cwd=survey)
    assert res.code == 2 and "known engines" in res.stderr, res
    (survey / "data" / "c.csv").write_text("id;smoker|score\n1\n")
    res = run_cli("validate", "data/c.csv", cwd=survey)
    assert res.code == 2 and "--delimiter" in res.stderr, res


def test_the_dataset_names_its_delimiter(survey: Path) -> None:
    (survey / "data" / "a.csv").unlink()
    (survey / "data" / "b.parquet").unlink()
    (survey / "data" / "c.csv").write_text("id;smoker|score\n1;yes|2\n")
    config = survey / "datalife.toml"
    config.write_text(
        config.read_text().replace('files = ["data/*"]', 'files = ["data/*"]\ndelimiter = ";"')
    )
    res = run_cli("validate", "data/c.csv", cwd=survey)
    # read with ';': two columns, 'smoker|score' is not one of the schema's
    assert res.code == 1 and "smoker|score" in res.stdout, res


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_check_and_run_take_the_engine(survey: Path, engine: str) -> None:
    res = run_cli("check", "--no-schemas", "--engine", engine, "--format", "json", cwd=survey)
    assert res.code == 0, res
    res = run_cli("run", "--engine", engine, "--format", "json", cwd=survey)
    assert res.code == 0, res
    # a bad value fails the run's validation stage and the check the same way on every engine
    (survey / "data" / "a.csv").write_text("id,smoker,score\n1,maybe,1\n")
    res = run_cli("check", "--no-schemas", "--engine", engine, cwd=survey)
    assert res.code == 1 and "maybe" in res.stdout, res
    res = run_cli("run", "--engine", engine, cwd=survey)
    assert res.code == 1 and "maybe" in res.stdout, res
    res = run_cli("run", "--engine", "spork", cwd=survey)
    assert res.code == 2 and "known engines" in res.stderr, res
