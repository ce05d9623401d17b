"""The lineage graph: node model, queries, naming, exports and verify."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from datalife import lineage
from datalife.config import Workspace
from datalife.errors import AmbiguousNode, LineageError, NodeNotFound
from datalife.lineage.events import DatasetRecord, run_event
from datalife.lineage.export import export_lines
from datalife.lineage.graph import FLOW_EDGES, LineageGraph
from datalife.lineage.store import IssueKind
from datalife.storage import hash_file


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """raw files -> validate -> clean (transform) -> split -> validate train."""
    _write(tmp_path / "datalife.toml", '[datasets.things]\nfiles = ["raw/*.csv"]\n')
    _write(tmp_path / "raw/a.csv", "x,y\n1,2\n3,4\n")
    _write(tmp_path / "raw/b.csv", "x,y\n5,6\n")
    monkeypatch.chdir(tmp_path)
    ws = Workspace.find(tmp_path)
    fields = [("x", "int64"), ("y", "int64")]
    report = {
        "valid": True,
        "schema": "things@1",
        "rows": 3,
        "sources": [{"path": "raw/a.csv", "rows": 2}, {"path": "raw/b.csv", "rows": 1}],
        "checks": [{"column": "x", "check": "ge", "passed": True}],
        "failures": [],
    }
    with lineage.run("validate", workspace=ws) as run:
        run.validated(report)
    with lineage.run("clean", workspace=ws) as run:
        run.input("raw/a.csv", fields=fields)
        run.input("raw/b.csv", fields=fields)
        run.code("add_z", "feedface" * 4, version="1")
        _write(tmp_path / "clean.csv", "x,y,z\n1,2,3\n3,4,7\n5,6,11\n")
        run.output(
            "clean.csv", rows=3, fields=[*fields, ("z", "int64")], column_lineage={"z": ["x", "y"]}
        )
    with lineage.run("split", workspace=ws) as run:
        run.input("clean.csv", fields=[*fields, ("z", "int64")])
        run.parameters({"ratios": [0.5, 0.5], "seed": 1})
        _write(tmp_path / "splits/train.csv", "x,y,z\n1,2,3\n3,4,7\n")
        _write(tmp_path / "splits/test.csv", "x,y,z\n5,6,11\n")
        run.output("splits/train.csv", rows=2, fields=[*fields, ("z", "int64")])
        run.output("splits/test.csv", rows=1, fields=[*fields, ("z", "int64")])
    with lineage.run("validate", workspace=ws) as run:
        run.input(
            "splits/train.csv",
            validation={
                "valid": False,
                "schema": "things@2",
                "failures": [{"check": "x", "failure_count": 2}],
            },
        )
    return ws


def _node(lg: LineageGraph, path: str) -> str:
    return lg.resolve(path)


def test_nodes_and_typed_edges(ws: Workspace) -> None:
    lg = lineage.load(ws)
    g = lg.graph
    assert isinstance(g, nx.MultiDiGraph)
    kinds = {k for _, k in g.nodes(data="kind")}
    assert kinds == {"dataset", "run", "job", "schema", "transform"}
    digest = hash_file(ws.root / "raw/a.csv")
    a = f"dataset:raw/a.csv@{digest[:12]}"
    assert g.nodes[a]["hash"] == digest and g.nodes[a]["storage"] == "file"
    edge_types = {k.partition(":")[0] for _, _, k in g.edges(keys=True)}
    assert edge_types == {"consumed", "produced", "executed", "ran", "part_of", "validated_by"}
    assert "schema:things@1" in g and "schema:things@2" in g
    assert "transform:add_z@feedfacefeed" in g
    assert lg.issues == []


def test_upstream_downstream_and_impact(ws: Workspace) -> None:
    lg = lineage.load(ws)
    train, a = _node(lg, "splits/train.csv"), _node(lg, "raw/a.csv")
    up = lg.upstream("splits/train.csv")
    assert a in up and _node(lg, "raw/b.csv") in up and _node(lg, "clean.csv") in up
    assert "transform:add_z@feedfacefeed" in up and "schema:things@2" in up
    assert _node(lg, "splits/test.csv") not in up
    near = lg.upstream("splits/train.csv", depth=2)
    assert _node(lg, "clean.csv") in near and a not in near
    down = lg.downstream("raw/a.csv")
    assert {train, _node(lg, "splits/test.csv"), _node(lg, "clean.csv")} <= set(down.datasets)
    assert _node(lg, "raw/b.csv") not in down
    impact = lg.impact("raw/b.csv")
    assert train in impact.datasets and len(impact.runs) == 4  # validate, clean, split, validate
    things = lg.resolve("dataset:things")  # the dataset made of raw/a.csv and raw/b.csv
    assert things in lg.downstream("schema:things@1").datasets
    schema_down = lg.downstream("schema:things@2")
    assert train in schema_down
    assert "upstream of splits/train.csv@" in str(up)
    assert up.to_dict()["count"] == len(up)


def test_provenance_tree(ws: Workspace) -> None:
    lg = lineage.load(ws)
    prov = lg.provenance("splits/train.csv")
    raw = {r["name"]: r["hash"] for r in prov.raw_files()}
    assert raw == {
        "raw/a.csv": hash_file(ws.root / "raw/a.csv"),
        "raw/b.csv": hash_file(ws.root / "raw/b.csv"),
    }
    assert prov.schemas() == ["things@1", "things@2"]
    assert prov.code() == ["add_z@feedfacefeed"]
    text = str(prov)
    assert text.splitlines()[0].startswith("splits/train.csv@")
    assert "✗ things@2" in text and "✓ things@1" in text
    assert "produced by split run" in text and "parameters: ratios=[0.5, 0.5], seed=1" in text
    assert "code: add_z@feedfacefeed" in text
    json.dumps(prov.to_dict())
    with pytest.raises(LineageError, match="provenance is for datasets"):
        lg.provenance("schema:things@1")


def test_validated_by_history_and_columns(ws: Workspace) -> None:
    lg = lineage.load(ws)
    (v,) = lg.validated_by("raw/a.csv")
    assert v.schema == "things@1" and v.valid is True and v.via and v.via.startswith("things@")
    (t,) = lg.validated_by("splits/train.csv")
    assert t.valid is False and t.failures == 2 and t.via is None
    col = lg.column_provenance("splits/train.csv", "z")
    assert sorted((lg.graph.nodes[d]["name"], c) for d, c in col.raw_columns()) == [
        ("raw/a.csv", "x"),
        ("raw/a.csv", "y"),
        ("raw/b.csv", "x"),
        ("raw/b.csv", "y"),
    ]
    assert [
        (lg.graph.nodes[d]["name"], c)
        for d, c in lg.column_provenance("splits/test.csv", "y").raw_columns()
    ] == [
        ("raw/a.csv", "y"),
        ("raw/b.csv", "y"),
    ]
    with pytest.raises(LineageError, match="did you mean z"):
        lg.column_provenance("splits/train.csv", "zz")
    # a new version of clean.csv: history shows both, oldest first
    with lineage.run("clean", workspace=ws) as run:
        run.input("raw/a.csv")
        _write(ws.root / "clean.csv", "x,y,z\n1,2,3\n")
        run.output("clean.csv")
    lg = lineage.load(ws)
    hist = lg.history("clean.csv")
    assert len(hist.versions) == 2
    assert hist.versions[-1].hash == hash_file(ws.root / "clean.csv")
    assert all(v.produced_by for v in hist.versions)
    assert "clean.csv: 2 versions" in str(hist)


def test_naming_nodes(ws: Workspace) -> None:
    lg = lineage.load(ws)
    digest = hash_file(ws.root / "splits/train.csv")
    node = f"dataset:splits/train.csv@{digest[:12]}"
    assert lg.resolve("splits/train.csv") == node
    assert lg.resolve(f"splits/train.csv@{digest[:6]}") == node
    assert lg.resolve(node) == node
    assert lg.resolve("dataset:splits/tr") == node
    assert lg.resolve("schema:things@latest") == "schema:things@2"
    assert lg.resolve("things@1") == "schema:things@1"
    run_id = next(iter(lg.iter_runs()))
    assert lg.resolve(run_id[4:12]) == run_id
    with pytest.raises(AmbiguousNode) as amb:
        lg.resolve("dataset:raw/")
    assert len(amb.value.candidates) == 2 and "dataset:raw/a.csv@" in str(amb.value)
    with pytest.raises(AmbiguousNode):  # the dataset named "things" and the schema "things"
        lg.resolve("things")
    with pytest.raises(NodeNotFound) as missing:
        lg.resolve("splits/trian.csv")
    assert "closest matches: splits/train.csv" in str(missing.value)
    assert isinstance(missing.value, KeyError)
    # a path whose file changed since: the last recorded version, with a note
    _write(ws.root / "splits/train.csv", "changed\n")
    resolved, note = lg.resolve_with_note("splits/train.csv")
    assert resolved == node and note and "has changed since it was last recorded" in note


def test_complete_for_unknown_run_is_kept_with_a_warning() -> None:
    record = DatasetRecord("out.csv", "datalife://w", "ab" * 32, "file")
    orphan = run_event(
        "COMPLETE",
        run_id=str(uuid.uuid4()),
        job_namespace="datalife://w",
        job_name="lost",
        outputs=[record],
    )
    lg = LineageGraph.from_events([orphan])
    (issue,) = lg.issues
    assert issue.kind == IssueKind.UNKNOWN_RUN and "has no START" in issue.message
    run = f"run:{orphan['run']['runId']}"
    assert lg.graph.nodes[run]["state"] == "COMPLETE"
    assert lg.outputs_of(run) == ["dataset:out.csv@" + "ab" * 6]


def test_missing_lineage_folder_is_an_empty_graph(tmp_path: Path) -> None:
    _write(tmp_path / "datalife.toml", "")
    lg = lineage.load(tmp_path)
    assert len(lg) == 0 and lg.issues == []
    assert lg.summary()["nodes"] == 0
    assert lineage.verify(tmp_path).ok
    with pytest.raises(NodeNotFound, match="0 nodes"):
        lg.resolve("anything")


def test_graphml_round_trip_is_identical(ws: Workspace) -> None:
    lg = lineage.load(ws)
    text = "\n".join(export_lines(lg, "graphml"))
    back = nx.read_graphml(io.StringIO(text), force_multigraph=True)
    assert isinstance(back, nx.MultiDiGraph)
    assert dict(back.nodes(data=True)) == dict(lg.graph.nodes(data=True))
    assert sorted(back.edges(keys=True, data=True), key=repr) == sorted(
        lg.graph.edges(keys=True, data=True), key=repr
    )


def test_dot_mermaid_and_json_exports(ws: Workspace) -> None:
    lg = lineage.load(ws)
    n, m = lg.graph.number_of_nodes(), lg.graph.number_of_edges()
    dot = list(export_lines(lg, "dot"))
    assert dot[0] == "digraph lineage {" and dot[-1] == "}"
    assert sum(" -> " in line for line in dot) == m
    declared = {
        line.split(" [")[0].strip() for line in dot if " [label=" in line and " -> " not in line
    }
    assert declared == {json.dumps(node) for node in lg.graph.nodes}
    mermaid = list(export_lines(lg, "mermaid"))
    assert mermaid[0] == "flowchart LR"
    assert sum("|" in line and ("-->" in line or "-.->" in line) for line in mermaid) == m
    assert sum(line.startswith("  n") and "|" not in line for line in mermaid) == n
    data = json.loads("\n".join(export_lines(lg, "json")))
    assert len(data["nodes"]) == n and len(data["edges"]) == m
    clean = next(x for x in data["nodes"] if x.get("name") == "clean.csv")
    assert clean["column_lineage"]["z"][0]["column"] == "x"
    events = [json.loads(line) for line in export_lines(lg, "openlineage")]
    assert len(events) == 8 and all(e["eventType"] in ("START", "COMPLETE") for e in events)
    with pytest.raises(LineageError, match="unknown export format"):
        list(export_lines(lg, "png"))


def test_mermaid_escapes_quotes() -> None:
    record = DatasetRecord('we"ird<name>.csv', "datalife://w", "ab" * 32, "file")
    rid = str(uuid.uuid4())
    lg = LineageGraph.from_events(
        [
            run_event("START", run_id=rid, job_namespace="datalife://w", job_name="j"),
            run_event(
                "COMPLETE", run_id=rid, job_namespace="datalife://w", job_name="j", outputs=[record]
            ),
        ]
    )
    text = "\n".join(export_lines(lg, "mermaid"))
    assert "we#quot;ird#lt;name#gt;.csv" in text and 'we"ird' not in text
    assert '\\"' in "\n".join(export_lines(lg, "dot"))


def test_verify_reports_changed_and_missing_files_with_their_run(ws: Workspace) -> None:
    assert lineage.verify(ws).ok
    _write(ws.root / "clean.csv", "tampered\n")
    (ws.root / "splits/test.csv").unlink()
    report = lineage.verify(ws)
    assert not report.ok and report.exit_code == 1
    problems = {p.path: p for p in report.problems}
    assert set(problems) == {"clean.csv", "splits/test.csv"}
    assert problems["clean.csv"].status == "changed" and problems["clean.csv"].job == "clean"
    assert problems["clean.csv"].current_hash == hash_file(ws.root / "clean.csv")
    assert (
        problems["splits/test.csv"].status == "missing"
        and problems["splits/test.csv"].role == "produced"
    )
    text = str(report)
    assert "changed  clean.csv" in text and "missing  splits/test.csv" in text
    assert report.to_dict()["changed"] == 1


# -- properties ----------------------------------------------------------------------------


@st.composite
def pipelines(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Random DAGs of runs: each run reads some existing datasets and writes new ones."""
    datasets = [f"raw/{i}.csv" for i in range(draw(st.integers(1, 4)))]
    events: list[dict[str, Any]] = []
    for r in range(draw(st.integers(1, 8))):
        inputs = draw(st.lists(st.sampled_from(datasets), min_size=1, max_size=3, unique=True))
        outputs = [f"out/{r}-{k}.parquet" for k in range(draw(st.integers(1, 2)))]
        rid = str(uuid.UUID(int=r + 1))
        rec = [
            DatasetRecord(n, "datalife://w", f"{abs(hash(n)) % 16**12:012x}", "file")
            for n in inputs
        ]
        out = [
            DatasetRecord(n, "datalife://w", f"{abs(hash(n)) % 16**12:012x}", "file")
            for n in outputs
        ]
        events.append(
            run_event("START", run_id=rid, job_namespace="datalife://w", job_name=f"j{r}")
        )
        events.append(
            run_event(
                "COMPLETE",
                run_id=rid,
                job_namespace="datalife://w",
                job_name=f"j{r}",
                inputs=rec,
                outputs=out,
            )
        )
        datasets.extend(outputs)
    if draw(st.booleans()):  # union merges may reorder lines: order must not matter
        events = draw(st.permutations(events))
    return events


@given(pipelines())
def test_upstream_and_downstream_are_mirror_images(events: list[dict[str, Any]]) -> None:
    lg = LineageGraph.from_events(events)
    flow = nx.DiGraph(
        (u, v) for u, v, k in lg.graph.edges(keys=True) if k.partition(":")[0] in FLOW_EDGES
    )
    datasets = lg.nodes("dataset")
    for d in datasets:
        up = set(lg.upstream(d))
        assert up == (nx.ancestors(flow, d) if d in flow else set())
        for other in datasets:
            assert (other in up) == (d in lg.downstream(other))
    assert lg.issues == []
