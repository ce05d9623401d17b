"""``datalife lineage ...`` end to end, through the real CLI in a temporary workspace."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

pytestmark = pytest.mark.e2e

RECORD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from datalife import lineage

    job = sys.argv[1] if len(sys.argv) > 1 else "all"
    if job in ("all", "validate"):
        report = {"valid": True, "schema": "things@1", "rows": 3, "failures": [],
                  "sources": [{"path": "raw/a.csv", "rows": 2}, {"path": "raw/b.csv", "rows": 1}]}
        with lineage.run("validate") as run:
            run.validated(report)
    if job in ("all", "clean"):
        with lineage.run("clean") as run:
            run.input("raw/a.csv", fields=[("x", "int64"), ("y", "int64")])
            run.code("add_z", "c0ffee" * 4)
            Path("clean.csv").write_text("x,y,z\\n1,2,3\\n")
            run.output("clean.csv", fields=[("x", "int64"), ("y", "int64"), ("z", "int64")],
                       column_lineage={"z": ["x", "y"]})
    if job == "other":
        with lineage.run("other") as run:
            run.input("raw/b.csv")
    """
)


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "datalife", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "HOME": str(cwd)},
    )


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "raw").mkdir(parents=True)
    (root / "datalife.toml").write_text(
        '[datasets.things]\nfiles = ["raw/*.csv"]\n', encoding="utf-8"
    )
    (root / "raw/a.csv").write_text("x,y\n1,2\n3,4\n", encoding="utf-8")
    (root / "raw/b.csv").write_text("x,y\n5,6\n", encoding="utf-8")
    (root / "record.py").write_text(RECORD, encoding="utf-8")
    subprocess.run([sys.executable, "record.py"], cwd=root, check=True, timeout=120)
    return root


def test_show_and_queries(ws: Path) -> None:
    text = _cli(ws, "lineage", "show")
    assert text.returncode == 0, text.stderr
    assert "runs: 2 COMPLETE" in text.stdout and "validate" in text.stdout
    summary = _json(_cli(ws, "lineage", "show", "--format", "json"))
    assert summary["kinds"]["run"] == 2 and summary["issues"] == []
    node = _json(_cli(ws, "lineage", "show", "clean.csv", "--format", "json"))
    assert node["kind"] == "dataset" and node["column_lineage"]["z"][1]["column"] == "y"
    prov = _cli(ws, "lineage", "provenance", "clean.csv")
    assert prov.returncode == 0
    assert prov.stdout.startswith("clean.csv@") and "raw/a.csv@" in prov.stdout
    assert "✓ things@1" in prov.stdout and "code: add_z@c0ffeec0ffee" in prov.stdout
    pj = _json(_cli(ws, "lineage", "provenance", "clean.csv", "--format", "json"))
    assert [r["name"] for r in pj["raw_files"]] == ["raw/a.csv"]
    col = _json(_cli(ws, "lineage", "provenance", "clean.csv", "--column", "z", "--format", "json"))
    assert sorted(c["column"] for c in col["raw_columns"]) == ["x", "y"]
    impact = _json(_cli(ws, "lineage", "impact", "raw/a.csv", "--format", "json"))
    assert {n["name"] for n in impact["nodes"] if n["kind"] == "dataset"} == {"clean.csv", "things"}
    up = _json(_cli(ws, "lineage", "upstream", "clean.csv", "--depth", "1", "--format", "json"))
    assert [n["kind"] for n in up["nodes"]] == ["run"]
    down = _cli(ws, "lineage", "downstream", "raw/b.csv")
    assert "things@" in down.stdout
    hist = _cli(ws, "lineage", "history", "clean.csv")
    assert hist.returncode == 0 and "clean.csv: 1 version" in hist.stdout
    val = _cli(ws, "lineage", "validated-by", "raw/b.csv")
    assert val.returncode == 0 and "things@1: valid" in val.stdout


def test_verify_exit_codes(ws: Path) -> None:
    ok = _cli(ws, "lineage", "verify")
    assert ok.returncode == 0 and ok.stdout.startswith("ok: 3 recorded files checked")
    (ws / "clean.csv").write_text("edited by hand\n", encoding="utf-8")
    (ws / "raw/b.csv").unlink()
    bad = _cli(ws, "lineage", "verify")
    assert bad.returncode == 1
    assert "changed  clean.csv" in bad.stdout and "produced by clean run" in bad.stdout
    assert "missing  raw/b.csv" in bad.stdout and "recorded by validate run" in bad.stdout
    data = json.loads(_cli(ws, "lineage", "verify", "--format", "json").stdout)
    assert data["ok"] is False and data["changed"] == 1 and data["missing"] == 1


def test_exports(ws: Path, tmp_path: Path) -> None:
    for fmt in ("openlineage", "graphml", "dot", "mermaid", "json"):
        out = tmp_path / f"lineage.{fmt}"
        result = _cli(ws, "lineage", "export", "--format", fmt, "--out", str(out))
        assert result.returncode == 0, result.stderr
        assert out.stat().st_size > 0
    events = [
        json.loads(line) for line in (tmp_path / "lineage.openlineage").read_text().splitlines()
    ]
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"] * 2
    graph = nx.read_graphml(tmp_path / "lineage.graphml", force_multigraph=True)
    graph_json = json.loads((tmp_path / "lineage.json").read_text())
    assert graph.number_of_nodes() == len(graph_json["nodes"])
    assert (tmp_path / "lineage.mermaid").read_text().startswith("flowchart LR\n")
    assert (tmp_path / "lineage.dot").read_text().startswith("digraph lineage {\n")
    sub = _cli(ws, "lineage", "export", "--format", "json", "clean.csv")
    names = {n.get("name") for n in json.loads(sub.stdout)["nodes"]}
    assert "clean.csv" in names and "raw/b.csv" not in names  # only clean.csv's neighbourhood
    stdout = _cli(ws, "lineage", "export")
    assert len(stdout.stdout.splitlines()) == 4


def test_bad_input_is_a_clear_message_never_a_traceback(ws: Path) -> None:
    unknown = _cli(ws, "lineage", "provenance", "clean.cvs")
    assert unknown.returncode == 2
    assert "no lineage node matches 'clean.cvs'" in unknown.stderr
    assert "closest matches: clean.csv" in unknown.stderr
    ambiguous = _cli(ws, "lineage", "show", "dataset:raw/")
    assert ambiguous.returncode == 2 and "matches 2 lineage nodes" in ambiguous.stderr
    as_json = _cli(ws, "lineage", "upstream", "nope", "--format", "json")
    assert as_json.returncode == 2 and json.loads(as_json.stdout)["error"] == "NodeNotFound"
    (log,) = (ws / "lineage").glob("*.jsonl")
    before = log.read_bytes()
    with log.open("ab") as fh:
        fh.write(b'not json\n{"json": "but not an event"}\n{"eventTime": "2025-01')
    damaged = _cli(ws, "lineage", "show", "--format", "json")
    assert damaged.returncode == 0
    assert json.loads(damaged.stdout)["kinds"]["run"] == 2  # nothing recorded is lost
    assert ":3: is not JSON" not in damaged.stderr  # lines are counted in the file
    assert "is not JSON" in damaged.stderr and "not an OpenLineage RunEvent" in damaged.stderr
    assert "is incomplete" in damaged.stderr
    for result in (unknown, ambiguous, as_json, damaged):
        assert "Traceback" not in result.stderr + result.stdout
    verify = _cli(ws, "lineage", "verify")
    assert verify.returncode == 1 and "3 log issues" in verify.stdout
    # recording again repairs nothing by rewriting: the old bytes stay, new lines follow
    subprocess.run([sys.executable, "record.py", "other"], cwd=ws, check=True, timeout=120)
    assert log.read_bytes().startswith(before)
    after = _json(_cli(ws, "lineage", "show", "--format", "json"))
    assert after["kinds"]["run"] == 3


def test_missing_lineage_folder_and_no_workspace(tmp_path: Path) -> None:
    (tmp_path / "datalife.toml").write_text("", encoding="utf-8")
    empty = _cli(tmp_path, "lineage", "show")
    assert empty.returncode == 0 and "no lineage recorded yet" in empty.stdout
    assert _cli(tmp_path, "lineage", "verify").returncode == 0
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (tmp_path / "datalife.toml").unlink()
    nows = _cli(outside, "lineage", "show")
    assert nows.returncode == 2 and "no datalife workspace" in nows.stderr


def test_help_imports_nothing_heavy(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "datalife", "lineage", "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0 and "provenance" in result.stdout
    imported = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines()}
    assert not imported & {"networkx", "pandas", "pyarrow", "duckdb", "polars", "pandera"}
    record = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import datalife.lineage"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    imported = {line.split("|")[-1].strip().split(".")[0] for line in record.stderr.splitlines()}
    assert "datalife" in imported
    assert not imported & {"networkx", "pandas", "pyarrow", "duckdb", "polars", "pandera"}


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(cwd),
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.org",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.org",
        },
    ).stdout


def test_two_branches_that_both_append_merge_without_conflict(ws: Path) -> None:
    assert (ws / "lineage/.gitattributes").read_text().strip().endswith("*.jsonl merge=union")
    _git(ws, "init", "-q", "-b", "main")
    _git(ws, "add", "-A")
    _git(ws, "commit", "-qm", "base")
    _git(ws, "checkout", "-qb", "feature")
    subprocess.run([sys.executable, "record.py", "other"], cwd=ws, check=True, timeout=120)
    _git(ws, "commit", "-qam", "feature run")
    _git(ws, "checkout", "-q", "main")
    subprocess.run([sys.executable, "record.py", "clean"], cwd=ws, check=True, timeout=120)
    _git(ws, "commit", "-qam", "main run")
    _git(ws, "merge", "-q", "--no-edit", "feature")  # raises on a conflict
    assert "<<<<<<<" not in "".join(p.read_text() for p in (ws / "lineage").glob("*.jsonl"))
    summary = _json(_cli(ws, "lineage", "show", "--format", "json"))
    assert summary["issues"] == []
    assert summary["runs"] == {"COMPLETE": 4}
    assert {r["job"] for r in summary["latest_runs"]} == {"validate", "clean", "other"}
