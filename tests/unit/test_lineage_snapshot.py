"""The snapshot is derived data: whatever happened to the log, a load through it gives the
same graph as reading the whole log."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from datalife import lineage
from datalife.lineage.events import DatasetRecord, run_event
from datalife.lineage.graph import LineageGraph
from datalife.lineage.snapshot import SnapshotInfo, load_with_snapshot, snapshot_path
from datalife.lineage.store import LineageStore


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LineageStore:
    monkeypatch.setenv("DATALIFE_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "datalife.toml").write_text("", encoding="utf-8")
    return LineageStore(tmp_path / "lineage", tmp_path)


def _run(store: LineageStore, i: int, *, complete: bool = True, start: bool = True) -> str:
    rid = str(uuid.UUID(int=i + 1))
    raw = DatasetRecord(
        f"raw/{i % 3}.csv", "datalife://t", f"{i:064x}", "file", rows=i, fields=[("a", "int")]
    )
    out = DatasetRecord(f"out/{i}.parquet", "datalife://t", f"{i + 10**6:064x}", "file")
    if start:
        store.append(
            run_event("START", run_id=rid, job_namespace="datalife://t", job_name=f"job{i % 2}")
        )
    if complete:
        store.append(
            run_event(
                "COMPLETE",
                run_id=rid,
                job_namespace="datalife://t",
                job_name=f"job{i % 2}",
                inputs=[raw],
                outputs=[out],
                parameters={"i": i},
                code=[{"name": "t", "fingerprint": "abcdef", "version": None}],
            )
        )
    return rid


def _load(store: LineageStore) -> tuple[LineageGraph, SnapshotInfo]:
    return load_with_snapshot(store, root=store.root, min_bytes=0)


def _same(a: LineageGraph, b: LineageGraph) -> None:
    assert nx.utils.graphs_equal(a.graph, b.graph)
    assert dict(a.graph.nodes(data=True)) == dict(b.graph.nodes(data=True))
    assert sorted(a.graph.edges(keys=True, data=True), key=repr) == sorted(
        b.graph.edges(keys=True, data=True), key=repr
    )
    assert sorted(map(str, a.issues)) == sorted(map(str, b.issues))
    for n in a.graph.nodes:
        assert a.fields(n) == b.fields(n)
        assert a.run_info(n) == b.run_info(n)
        assert a.column_lineage(n) == b.column_lineage(n)
    assert {k: sorted(v) for k, v in a._by_name.items()} == {
        k: sorted(v) for k, v in b._by_name.items()
    }


def _full(store: LineageStore) -> LineageGraph:
    return LineageGraph.from_store(LineageStore(store.directory, store.root), warn=False)


def test_hit_after_a_rebuild_gives_the_same_graph(store: LineageStore) -> None:
    for i in range(6):
        _run(store, i)
    first, info = _load(store)
    assert info.mode == "rebuilt" and info.written and snapshot_path(store).is_file()
    second, info = _load(store)
    assert info.mode == "hit"
    _same(second, first)
    _same(second, _full(store))
    assert second.provenance("out/5.parquet").raw_files()[0]["name"] == "raw/2.csv"


def test_appended_events_are_read_from_where_the_snapshot_stopped(store: LineageStore) -> None:
    for i in range(20):
        _run(store, i)
    _load(store)
    late = _run(store, 20, complete=False)  # a run started before the snapshot...
    _load(store)
    store.append(  # ...completes after it, with a COMPLETE for a run never started, too
        run_event("COMPLETE", run_id=late, job_namespace="datalife://t", job_name="job0")
    )
    _run(store, 21, start=False)
    lg, info = _load(store)
    assert info.mode == "appended" and not info.written  # a small tail: no rewrite yet
    _same(lg, _full(store))
    assert lg.graph.nodes[f"run:{late}"]["state"] == "COMPLETE"
    assert len(lg.issues) == 1  # the run with no START
    for i in range(22, 40):
        _run(store, i)
    lg, info = _load(store)
    assert info.mode == "appended" and info.written
    _same(lg, _full(store))
    lg, info = _load(store)
    assert info.mode == "hit"
    _same(lg, _full(store))


def test_a_rewritten_or_removed_file_forces_a_full_read(store: LineageStore) -> None:
    for i in range(5):
        _run(store, i)
    _load(store)
    (log,) = store.files()
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join([*lines[:4], b"garbage\n", *lines[5:]]))  # a middle line changed
    lg, info = _load(store)
    assert info.mode == "rebuilt"
    _same(lg, _full(store))
    # line 5 was run 2's START: now garbage, and run 2's COMPLETE (line 6) has no START
    assert [(i.line, i.kind.value) for i in lg.issues] == [(5, "not_json"), (6, "unknown_run")]
    log.unlink()
    _run(store, 9)
    lg, info = _load(store)
    assert info.mode == "rebuilt" and len(lg.nodes("run")) == 1


def test_torn_lines_and_bad_lines_survive_the_snapshot(store: LineageStore) -> None:
    for i in range(4):
        _run(store, i)
    (log,) = store.files()
    with log.open("ab") as fh:
        fh.write(b"not json\n")
    _run(store, 4)
    with log.open("ab") as fh:
        fh.write(b'{"eventTime": "2025')  # torn by a crash
    lg, info = _load(store)
    kinds = sorted(i.kind.value for i in lg.issues)
    assert kinds == ["not_json", "torn_line"]
    lg, info = _load(store)
    assert info.mode == "appended"  # the torn fragment is past what the snapshot consumed
    _same(lg, _full(store))
    _run(store, 5)  # the append cuts the torn fragment off, back to what the snapshot read
    lg, info = _load(store)
    assert info.mode == "appended"
    _same(lg, _full(store))
    assert sorted(i.kind.value for i in lg.issues) == ["not_json"]


def test_a_damaged_snapshot_is_ignored_and_replaced(store: LineageStore) -> None:
    for i in range(3):
        _run(store, i)
    _load(store)
    snapshot_path(store).write_bytes(b"\x00\x01 not a snapshot")
    lg, info = _load(store)
    assert info.mode == "rebuilt" and info.written
    _same(lg, _full(store))
    assert _load(store)[1].mode == "hit"


def test_load_uses_the_snapshot_only_for_large_logs_and_can_be_turned_off(
    store: LineageStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(3):
        _run(store, i)
    lg = lineage.load(store.root)
    info: Any = lg.snapshot
    assert info.mode == "rebuilt" and not info.written  # far below MIN_BYTES
    monkeypatch.setenv("DATALIFE_LINEAGE_SNAPSHOT", "0")
    assert lineage.load(store.root).snapshot is None
