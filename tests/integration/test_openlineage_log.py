"""The lineage log the CLI writes: every event valid OpenLineage, every facet where the spec
puts it, every ``_schemaURL`` resolvable; an input that cannot be read still gets a FAIL event."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult
from tests.unit.test_lineage_facets_spec import check_event

pytestmark = pytest.mark.e2e

Cli = Callable[..., CliResult]


def _events(root: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in sorted((root / "lineage").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


def test_the_logged_events_follow_the_spec(cli: Cli, workspace: Path) -> None:
    assert cli("run").code == 0
    (workspace / "incoming").mkdir()
    bad = (workspace / "sample_data" / "2009.csv").read_text(encoding="utf-8")
    (workspace / "incoming" / "2010.csv").write_text(
        bad.replace("Adelie,", "Emperor,", 1), encoding="utf-8"
    )
    assert cli("validate", "incoming/2010.csv", "--schema", "penguins").code == 1
    events = _events(workspace)
    assert {e["job"]["name"] for e in events} >= {"pipeline", "validate"}
    for event in events:
        check_event(event)
    pipeline = next(
        e for e in events if e["eventType"] == "COMPLETE" and e["job"]["name"] == "pipeline"
    )
    (raw,) = pipeline["inputs"]
    assert "dataQualityAssertions" in raw["inputFacets"]
    for out in pipeline["outputs"]:
        assert "dataQualityAssertions" not in out.get("outputFacets", {})
    train = next(o for o in pipeline["outputs"] if o["name"] == "splits/train.parquet")
    assert train["outputFacets"]["datalife_validation"]["schema"] == "penguin_features@1"
    # the engine that read the data is in each run's final event (spec-checked above)
    assert pipeline["run"]["facets"]["datalife_engine"]["engine"] == "duckdb"
    failed = next(e for e in events if e["eventType"] == "FAIL" and e["job"]["name"] == "validate")
    assert failed["run"]["facets"]["datalife_engine"]["engine"] == "duckdb"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("truncated.csv", 'species,island\nAdelie,"Biscoe\n'),
        ("corrupt.parquet", "PAR1 not parquet"),
    ],
)
def test_an_unreadable_input_gets_a_fail_event(
    cli: Cli, workspace: Path, name: str, content: str
) -> None:
    (workspace / "incoming").mkdir()
    (workspace / "incoming" / name).write_text(content, encoding="utf-8")
    res = cli("validate", f"incoming/{name}", "--schema", "penguins")
    assert res.code == 2, res
    assert f"incoming/{name}" in res.stderr and "Traceback" not in res.stderr
    events = _events(workspace)
    assert [e["eventType"] for e in events] == ["START", "FAIL"]
    fail = events[-1]
    check_event(fail)
    assert [i["name"] for i in fail["inputs"]] == [f"incoming/{name}"]
    assert f"incoming/{name}" in fail["run"]["facets"]["errorMessage"]["message"]


def test_a_missing_input_gets_a_fail_event_too(cli: Cli, workspace: Path) -> None:
    res = cli("validate", "incoming/none.csv", "--schema", "penguins")
    assert res.code == 2
    fail = _events(workspace)[-1]
    assert fail["eventType"] == "FAIL" and fail["inputs"] == []
    assert "incoming/none.csv" in fail["run"]["facets"]["errorMessage"]["message"]


def test_a_profile_of_an_unreadable_input_gets_a_fail_event(cli: Cli, workspace: Path) -> None:
    (workspace / "incoming").mkdir()
    (workspace / "incoming" / "corrupt.parquet").write_text("PAR1 not parquet", encoding="utf-8")
    res = cli("stats", "incoming/corrupt.parquet", "--save")
    assert res.code == 2, res
    fail = _events(workspace)[-1]
    check_event(fail)
    assert fail["eventType"] == "FAIL" and fail["job"]["name"] == "profile"
    assert [i["name"] for i in fail["inputs"]] == ["incoming/corrupt.parquet"]
    # without --save nothing is recorded (stats alone writes nothing)
    assert cli("stats", "incoming/corrupt.parquet").code == 2
    assert _events(workspace)[-1] == fail
