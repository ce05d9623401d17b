"""Lineage answers that are exact: column provenance through the built-ins, unknown columns,
and history when a dataset and its schema share a name (through the real CLI)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from datalife import lineage
from datalife.errors import LineageError
from tests.conftest import SAMPLE, CliResult, run_cli

pytestmark = pytest.mark.e2e

Cli = Callable[..., CliResult]


def test_column_provenance_of_the_pipeline_is_exact(cli: Cli) -> None:
    assert cli("run").code == 0
    res = cli(
        "lineage", "provenance", "splits/train.parquet", "--column", "bill_length_mm_z",
        "--format", "json",
    )  # fmt: skip
    assert res.code == 0, res
    raw = {(c["dataset"].split("@")[0], c["column"]) for c in res.json()["raw_columns"]}
    assert raw == {(f"dataset:sample_data/{y}.csv", "bill_length_mm") for y in (2007, 2008, 2009)}
    ratio = cli(
        "lineage", "provenance", "splits/train.parquet", "--column", "bill_ratio_z",
        "--format", "json",
    )  # fmt: skip
    assert {c["column"] for c in ratio.json()["raw_columns"]} == {"bill_length_mm", "bill_depth_mm"}
    # the one-hot slots come from island alone
    island = cli("lineage", "provenance", "splits/train.parquet", "--column", "island_0")
    assert "island" in island.stdout and "bill_" not in island.stdout


def test_unknown_column_is_a_usage_error_not_an_answer(cli: Cli) -> None:
    assert cli("run").code == 0
    res = cli("lineage", "provenance", "splits/train.parquet", "--column", "nope")
    assert res.code == 2, res
    assert res.stdout == ""
    assert "has no column 'nope'" in res.stderr and "Traceback" not in res.stderr
    assert "bill_length_mm_z" in res.stderr  # the columns it does have
    # a dataset named like its schema: the name means the dataset
    near = cli("lineage", "provenance", "penguins", "--column", "bill_length")
    assert near.code == 2, near
    assert "did you mean bill_length_mm" in near.stderr
    ok = cli("lineage", "provenance", "penguins", "--column", "year")
    assert ok.code == 0 and "sample_data/2009.csv@" in ok.stdout, ok
    as_json = cli(
        "lineage", "provenance", "splits/train.parquet", "--column", "x", "--format", "json"
    )
    assert as_json.code == 2 and json.loads(as_json.stdout)["column"] == "x"


def test_history_when_a_dataset_and_its_schema_share_a_name(tmp_path: Path) -> None:
    root = tmp_path / "birds"
    assert run_cli("init", root).code == 0
    (root / "data").mkdir()
    (root / "data" / "2007.csv").write_bytes((SAMPLE / "2007.csv").read_bytes())
    assert run_cli("dataset", "add", "birds", "data/*.csv", cwd=root).code == 0
    assert run_cli("schema", "infer", "data/2007.csv", "--name", "birds", cwd=root).code == 0
    assert run_cli("validate", "data/2007.csv", cwd=root).code == 0
    res = run_cli("lineage", "history", "birds", cwd=root)
    assert res.code == 0, res
    assert res.stdout.startswith("birds: 1 version") and "data/2007.csv" in res.stdout
    assert "birds@1 ✓" in res.stdout
    (version,) = run_cli("lineage", "history", "birds", "--format", "json", cwd=root).json()[
        "versions"
    ]
    assert version["name"] == "data/2007.csv" and version["rows"] == 110
    # a schema version is not data: a clear error, exit 2
    schema = run_cli("lineage", "history", "birds@1", cwd=root)
    assert schema.code == 2 and "schema:birds@1 is a schema" in schema.stderr


def test_columns_nobody_recorded_are_not_invented(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "datalife.toml").write_text("format_version = 1\n", encoding="utf-8")
    (tmp_path / "a.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    with lineage.run("copy", workspace=tmp_path) as run:
        run.input("a.csv")
        (tmp_path / "b.csv").write_text("x,y\n1,2\n", encoding="utf-8")
        run.output("b.csv")
    lg = lineage.load(tmp_path)
    assert [c for _, c in lg.column_provenance("b.csv", "y").raw_columns()] == ["y"]
    with pytest.raises(LineageError, match="has no column 'z'"):
        lg.column_provenance("b.csv", "z")
    (tmp_path / "b.csv").unlink()  # gone: nothing says which columns that version had
    lg = lineage.load(tmp_path)
    with pytest.raises(LineageError, match=r"cannot tell whether b\.csv@"):
        lg.column_provenance(lg.versions("b.csv")[0], "z")
