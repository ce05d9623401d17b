"""The append-only log: locked appends, concurrent writers, torn lines, bad lines."""

from __future__ import annotations

import json
import multiprocessing
import uuid
from pathlib import Path
from typing import Any

import pytest

from datalife.errors import LineageLogError
from datalife.lineage.store import (
    GITATTRIBUTES,
    IssueKind,
    LineageStore,
    LineageWarning,
    LogIssue,
    warn_issues,
)


def _event(run_id: str | None = None, event_type: str = "START", **extra: Any) -> dict[str, Any]:
    return {
        "eventTime": "2025-01-01T00:00:00.000000Z",
        "eventType": event_type,
        "producer": "https://example.org/p",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": run_id or str(uuid.uuid4())},
        "job": {"namespace": "datalife://t", "name": "j"},
        **extra,
    }


def _read(store: LineageStore) -> tuple[list[dict[str, Any]], list[LogIssue]]:
    issues: list[LogIssue] = []
    events = [ev for _, _, ev in store.read(issues)]
    return events, issues


def test_append_then_read_round_trips_and_writes_gitattributes(tmp_path: Path) -> None:
    store = LineageStore(tmp_path / "lineage", tmp_path)
    first, second = _event(), _event(event_type="COMPLETE")
    path = store.append(first)
    store.append(second)
    assert path.parent == tmp_path / "lineage" and path.suffix == ".jsonl"
    events, issues = _read(store)
    assert events == [first, second] and issues == []
    assert (tmp_path / "lineage" / ".gitattributes").read_text(encoding="utf-8") == GITATTRIBUTES
    raw = path.read_bytes()
    assert raw.count(b"\n") == 2 and raw.endswith(b"\n")


def test_missing_directory_is_an_empty_log(tmp_path: Path) -> None:
    store = LineageStore(tmp_path / "nope")
    assert store.files() == []
    assert _read(store) == ([], [])


def test_torn_last_line_is_reported_and_everything_before_it_kept(tmp_path: Path) -> None:
    store = LineageStore(tmp_path / "lineage", tmp_path)
    keep = [_event(), _event()]
    path = store.append(keep[0])
    store.append(keep[1])
    with path.open("ab") as fh:  # a crash in the middle of a write
        fh.write(json.dumps(_event()).encode()[:40])
    events, issues = _read(store)
    assert events == keep
    assert [(i.line, i.kind) for i in issues] == [(3, IssueKind.TORN_LINE)]
    assert str(issues[0]).startswith("lineage/") and ":3: is incomplete" in str(issues[0])
    # the next append cuts the torn line off first: the new event is never glued onto it,
    # and the log holds complete lines only
    after = _event()
    store.append(after)
    events, issues = _read(store)
    assert events == [*keep, after]
    assert issues == []
    assert path.read_bytes().count(b"\n") == 3 and path.read_bytes().endswith(b"\n")


def test_bad_lines_are_skipped_with_file_and_line(tmp_path: Path) -> None:
    store = LineageStore(tmp_path / "lineage", tmp_path)
    good = _event()
    path = store.append(good)
    newer = _event()
    newer["run"]["facets"] = {"datalife_run": {"formatVersion": 99}}
    with path.open("ab") as fh:
        fh.write(b"this is not json\n")
        fh.write(b'{"eventType": "START"}\n')
        fh.write(b"[1, 2, 3]\n")
        fh.write(json.dumps(newer).encode() + b"\n")
        fh.write(b"\xff\xfe not utf-8\n")
        fh.write(b"\n")
        fh.write(json.dumps(_event(event_type="EXPLODE")).encode() + b"\n")
    last = _event()
    store.append(last)
    events, issues = _read(store)
    assert events == [good, last]
    got = [(i.line, i.kind) for i in issues]
    assert got == [
        (2, IssueKind.NOT_JSON),
        (3, IssueKind.NOT_RUN_EVENT),
        (4, IssueKind.NOT_RUN_EVENT),
        (5, IssueKind.NEWER_FORMAT),
        (6, IssueKind.NOT_JSON),
        (8, IssueKind.NOT_RUN_EVENT),
    ]
    text = [str(i) for i in issues]
    assert "missing 'run'" in text[1]
    assert "a JSON array" in text[2]
    assert "format 99" in text[3]
    assert "invalid UTF-8" in text[4]
    assert "unknown eventType 'EXPLODE'" in text[5]
    with pytest.warns(LineageWarning) as caught:
        warn_issues(issues)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 3  # one per kind of problem in the file, each naming the lines
    assert messages[0].startswith("lineage/") and "2 lines are not JSON (lines 2, 6)" in messages[0]
    assert any("format 99" in m and "upgrade datalife" in m for m in messages)


def test_events_that_are_not_json_serialisable_are_refused(tmp_path: Path) -> None:
    store = LineageStore(tmp_path / "lineage")
    with pytest.raises(LineageLogError, match="cannot record lineage event"):
        store.append(_event(extra=float("nan")))
    with pytest.raises(LineageLogError):
        store.append(_event(extra=object()))
    assert store.files() == []


def test_unwritable_log_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "lineage"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    with pytest.raises(LineageLogError, match="cannot write the lineage log"):
        LineageStore(blocker, tmp_path).append(_event())


def _writer(directory: str, worker: int, count: int, pad: int) -> None:
    store = LineageStore(directory)
    for i in range(count):
        store.append(_event(f"{worker}-{i}", padding="x" * pad, worker=worker, seq=i))


def test_concurrent_writers_lose_nothing_and_interleave_no_bytes(tmp_path: Path) -> None:
    directory = tmp_path / "lineage"
    workers, count, pad = 4, 40, 100_000  # lines far larger than PIPE_BUF and pipe buffers
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=_writer, args=(str(directory), w, count, pad)) for w in range(workers)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    store = LineageStore(directory)
    events, issues = _read(store)
    assert issues == []
    assert len(events) == workers * count
    assert {ev["run"]["runId"] for ev in events} == {
        f"{w}-{i}" for w in range(workers) for i in range(count)
    }
    assert all(len(ev["padding"]) == pad for ev in events)
    for w in range(workers):  # each writer's events stay in its own order
        seqs = [ev["seq"] for ev in events if ev["worker"] == w]
        assert seqs == sorted(seqs)


def test_raw_lines_are_the_readable_events_as_written(tmp_path: Path) -> None:
    store = LineageStore(tmp_path / "lineage", tmp_path)
    a = _event()
    path = store.append(a)
    with path.open("ab") as fh:
        fh.write(b"junk\n")
    b = _event()
    store.append(b)
    lines = list(store.raw_lines([]))
    assert [json.loads(line) for line in lines] == [a, b]
