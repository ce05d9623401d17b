"""Every event datalife writes is a valid OpenLineage RunEvent, facets included."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from datalife import lineage
from datalife.config import Workspace
from datalife.errors import InputError, LineageError
from datalife.lineage.events import DatasetRecord, assertions_facet, run_event
from tests.openlineage.validator import validate_event

REPORT: dict[str, Any] = {
    "valid": False,
    "schema": "penguins@1",
    "dataset_version": "ab" * 32,
    "rows": 3,
    "engine": "duckdb",
    "sources": [{"path": "raw/a.csv", "content_hash": None, "rows": 3}],
    "checks": [
        {"column": "x", "check": "in_range", "detail": "in_range(0, 10)", "passed": False},
        {"column": None, "check": "strict", "detail": "no extra columns", "passed": True},
    ],
    "failures": [
        {
            "column": "x",
            "check": "in_range",
            "detail": "in_range(0, 10)",
            "failure_count": 1,
            "examples": [{"row": 2, "line": 4, "file": "raw/a.csv", "value": 72.5}],
            "message": "1 row outside [0, 10]",
        }
    ],
}


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    (tmp_path / "datalife.toml").write_text(
        'format_version = 1\n[datasets.things]\nfiles = ["raw/*.csv"]\n', encoding="utf-8"
    )
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.csv").write_text("x,y\n1,2\n3,4\n72.5,5\n", encoding="utf-8")
    (raw / "b.csv").write_text("x,y\n5,6\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return Workspace.find(tmp_path)


def _events(ws: Workspace) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in sorted(ws.lineage_dir.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


def test_start_complete_events_validate_against_openlineage(ws: Workspace) -> None:
    out = ws.root / "clean.csv"
    with lineage.run("clean", workspace=ws) as run:
        run.input("raw/a.csv", fields=[("x", "float64"), ("y", "int64")], validation=REPORT)
        run.code("clean", "0123456789abcdef", version="2")
        run.parameters({"seed": 7, "ratios": (0.8, 0.2), "bad": float("nan")})
        out.write_text("x,z\n1,3\n", encoding="utf-8")
        run.output(
            out, rows=1, fields=[("x", "float64"), ("z", "int64")], column_lineage={"z": ["x", "y"]}
        )
    events = _events(ws)
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
    assert events[0]["run"]["runId"] == events[1]["run"]["runId"] == run.id
    for event in events:
        validate_event(event)
    done = events[1]
    (inp,) = done["inputs"]
    assert inp["name"] == "raw/a.csv"
    assert inp["namespace"] == f"datalife://{ws.root.name}"
    assert inp["facets"]["datalife_dataset"]["schemaRef"] == "penguins@1"
    assertions = inp["inputFacets"]["dataQualityAssertions"]["assertions"]
    assert assertions[0] == {
        "assertion": "in_range",
        "success": False,
        "column": "x",
        "description": "in_range(0, 10)",
        "severity": "error",
        "actual": "1 failing rows",
    }
    assert "column" not in assertions[1]
    verdict = inp["inputFacets"]["datalife_validation"]
    assert verdict["valid"] is False
    assert verdict["failures"][0]["examples"] == [
        {"row": 2, "line": 4, "file": "raw/a.csv", "value": 72.5}
    ]
    (outp,) = done["outputs"]
    fields = outp["facets"]["columnLineage"]["fields"]["z"]["inputFields"]
    assert [f["field"] for f in fields] == ["x", "y"]
    assert done["run"]["facets"]["datalife_run"]["parameters"] == {
        "seed": 7,
        "ratios": [0.8, 0.2],
        "bad": None,
    }
    assert done["run"]["facets"]["datalife_code"]["transforms"] == [
        {"name": "clean", "fingerprint": "0123456789abcdef", "version": "2"}
    ]


def test_fail_event_carries_the_error_and_the_exception_propagates(ws: Workspace) -> None:
    def divide() -> None:
        with lineage.run("divide", workspace=ws) as run:
            run.input("raw/a.csv")
            _ = 1 / 0

    with pytest.raises(ZeroDivisionError):
        divide()
    start, fail = _events(ws)
    assert fail["eventType"] == "FAIL"
    assert fail["run"]["facets"]["errorMessage"]["message"] == "ZeroDivisionError: division by zero"
    assert "Traceback" in fail["run"]["facets"]["errorMessage"]["stackTrace"]
    for event in (start, fail):
        validate_event(event)


def test_nested_runs_record_their_parent(ws: Workspace) -> None:
    with lineage.run("pipeline", workspace=ws) as outer:
        assert lineage.current_run() is outer
        with lineage.run("stage", workspace=ws) as inner:
            assert lineage.current_run() is inner
        assert lineage.current_run() is outer
    assert lineage.current_run() is None
    events = _events(ws)
    stage = [e for e in events if e["job"]["name"] == "stage"]
    assert stage[0]["run"]["facets"]["parent"]["run"]["runId"] == outer.id
    for event in events:
        validate_event(event)


def test_validated_report_with_several_files_is_one_dataset(ws: Workspace) -> None:
    report = {
        **REPORT,
        "valid": True,
        "failures": [],
        "sources": [{"path": "raw/b.csv", "rows": 1}, {"path": "raw/a.csv", "rows": 3}],
    }
    with lineage.run("validate", workspace=ws) as run:
        node = run.validated(report)
    assert node.startswith("dataset:things@")
    (inp,) = _events(ws)[1]["inputs"]
    assert inp["name"] == "things"
    members = inp["facets"]["datalife_dataset"]["files"]
    assert [m["path"] for m in members] == ["raw/a.csv", "raw/b.csv"]
    validate_event(_events(ws)[1])


def test_frames_are_recorded_with_their_fields_and_hash(ws: Workspace) -> None:
    import pandas as pd

    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    with lineage.run("frames", workspace=ws) as run:
        node = run.input(df, name="features")
    (inp,) = _events(ws)[1]["inputs"]
    assert node == f"dataset:features@{inp['facets']['datalife_dataset']['contentHash'][:12]}"
    assert inp["facets"]["datalife_dataset"]["storage"] == "memory"
    assert inp["facets"]["datalife_dataset"]["rows"] == 2
    assert [f["name"] for f in inp["facets"]["schema"]["fields"]] == ["a", "b"]
    validate_event(_events(ws)[1])


def test_polars_frames_too(ws: Workspace) -> None:
    import polars as pl

    df = pl.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    with lineage.run("frames", workspace=ws) as run:
        node = run.input(df)
        with pytest.raises(LineageError, match="LazyFrame"):
            run.input(df.lazy())
    (inp,) = _events(ws)[1]["inputs"]
    assert node.startswith("dataset:frame@")
    assert inp["facets"]["datalife_dataset"]["rows"] == 3
    assert [(f["name"], f["type"]) for f in inp["facets"]["schema"]["fields"]] == [
        ("a", "Int64"),
        ("b", "String"),
    ]
    validate_event(_events(ws)[1])


def test_no_record_writes_nothing(ws: Workspace) -> None:
    with lineage.run("quiet", workspace=ws, record=False) as run:
        run.input("raw/a.csv")
        run.output("raw/missing.csv")  # not even checked
        run.code("x", "y")
        run.parameters({"a": 1})
    assert not run.recording
    assert not ws.lineage_dir.exists()


def test_bad_declarations_are_clear_errors(ws: Workspace) -> None:
    with lineage.run("bad", workspace=ws) as run:
        with pytest.raises(InputError, match="no such file"):
            run.input("raw/nope.csv")
        with pytest.raises(LineageError, match="cannot record int"):
            run.input(42)
        run.input("raw/a.csv")
        run.input("raw/b.csv")
        with pytest.raises(LineageError, match="cannot tell which input"):
            run.output("raw/a.csv", column_lineage={"z": ["x"]})
    with pytest.raises(LineageError, match="job name"):
        lineage.run("  ", workspace=ws)


def test_validator_rejects_a_facet_without_producer() -> None:
    event = run_event(
        "COMPLETE",
        run_id="0b4f7f7e-1f6e-4c3e-9b1a-3f0a0c1d2e3f",
        job_namespace="datalife://x",
        job_name="j",
        inputs=[DatasetRecord("a.csv", "datalife://x", "ab" * 32, "file")],
    )
    validate_event(event)
    del event["inputs"][0]["facets"]["datalife_dataset"]["_producer"]
    with pytest.raises(jsonschema.ValidationError):
        validate_event(event)


def test_assertions_without_checks_list_come_from_failures() -> None:
    facet = assertions_facet({"failures": [{"column": "a", "check": "isin", "failure_count": 2}]})
    assert facet["assertions"] == [
        {
            "assertion": "isin",
            "success": False,
            "column": "a",
            "severity": "error",
            "actual": "2 failing rows",
        }
    ]


_names = st.text(st.characters(codec="utf-8"), min_size=1, max_size=20)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(
    job=_names,
    fields=st.lists(st.tuples(_names, _names), max_size=5),
    params=st.dictionaries(st.text(max_size=8), _json, max_size=4),
    rows=st.none() | st.integers(min_value=0, max_value=10**12),
    failed=st.booleans(),
)
def test_any_recorded_event_is_valid_openlineage(
    job: str, fields: list[tuple[str, str]], params: dict[str, Any], rows: int | None, failed: bool
) -> None:
    from datalife.lineage.recorder import _jsonable
    from datalife.lineage.store import encode_event

    record = DatasetRecord("a b/ç.csv", "datalife://w", "0f" * 32, "file", rows=rows, fields=fields)
    event = run_event(
        "FAIL" if failed else "COMPLETE",
        run_id="0b4f7f7e-1f6e-4c3e-9b1a-3f0a0c1d2e3f",
        job_namespace="datalife://w",
        job_name=job,
        inputs=[record],
        outputs=[record],
        parameters=_jsonable(params),
        error=("boom", None) if failed else None,
    )
    line = encode_event(event)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    decoded = json.loads(line)
    validate_event(decoded)
    assert decoded["job"]["name"] == job
