"""``datalife split --engine``: the lineage event says which engine ran, and what the Spark
engine cannot do is a usage error (exit 2) before anything runs or is written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult
from tests.openlineage.validator import validate_event

Cli = Callable[..., CliResult]

pytestmark = pytest.mark.e2e


def events(workspace: Path) -> list[dict[str, object]]:
    return [
        json.loads(line)
        for p in sorted((workspace / "lineage").glob("*.jsonl"))
        for line in p.read_text().splitlines()
        if line.strip()
    ]


def test_the_duckdb_split_records_its_engine(cli: Cli, workspace: Path) -> None:
    res = cli("split", "sample_data/2007.csv", "--out", "splits", "--stratify", "species")
    assert res.code == 0, res
    recorded = events(workspace)
    for event in recorded:
        validate_event(event)
    complete = [e for e in recorded if e["eventType"] == "COMPLETE"]
    assert len(complete) == 1
    facet = complete[0]["run"]["facets"]["datalife_engine"]  # type: ignore[index]
    assert facet["engine"] == "duckdb" and "master" not in facet


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--order-by", "year"], "--order-by"),
        (["--drift"], "--drift"),
    ],
)
def test_what_spark_cannot_do_is_exit_2(
    cli: Cli, workspace: Path, options: list[str], named: str
) -> None:
    res = cli("split", "sample_data/2007.csv", "--out", "splits", "--engine", "spark", *options)
    assert res.code == 2, res
    assert named in res.stderr and "Spark engine" in res.stderr
    assert "Traceback" not in res.stderr
    assert not (workspace / "splits").exists()
    assert events(workspace) == []  # nothing recorded: nothing ran


def test_an_unknown_engine_is_exit_2(cli: Cli, workspace: Path) -> None:
    res = cli("split", "sample_data/2007.csv", "--out", "splits", "--engine", "polars")
    assert res.code == 2 and "polars" in res.stderr, res


def test_spark_without_java_is_exit_2_and_writes_nothing(
    cli: Cli, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JAVA_HOME", str(workspace / "no-java"))
    monkeypatch.setenv("DATALIFE_SPARK_MASTER", "local[1]")
    res = cli("split", "sample_data/2007.csv", "--out", "splits", "--engine", "spark")
    assert res.code == 2, res
    assert "Java" in res.stderr and "Traceback" not in res.stderr
    assert not (workspace / "splits").exists()
