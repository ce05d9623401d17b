"""The lineage log and run journal after crashes: torn and half-written lines, deep nesting,
and the pipeline's interrupted runs finished or rolled back (the regression cases of issue 17)."""

from __future__ import annotations

import json
import os
import resource
import signal
import warnings
from pathlib import Path
from typing import Any

import pytest

from datalife.errors import LineageLogError
from datalife.lineage.journal import logged_event_types, recover, write_journal
from datalife.lineage.store import IssueKind, LineageStore, LogIssue


def _event(run_id: str = "r1", event_type: str = "START") -> dict[str, Any]:
    return {
        "eventTime": "2026-01-01T00:00:00Z",
        "eventType": event_type,
        "producer": "p",
        "schemaURL": "s",
        "run": {"runId": run_id},
        "job": {"namespace": "n", "name": "j"},
    }


def _read(store: LineageStore) -> tuple[list[str], list[LogIssue]]:
    issues: list[LogIssue] = []
    ids = [ev["run"]["runId"] for _, _, ev in store.read(issues)]
    return ids, issues


def test_torn_last_line_is_reported_with_its_position(tmp_path: Path) -> None:
    store = LineageStore(tmp_path / "lineage", tmp_path)
    path = store.append(_event("a"))
    size = path.stat().st_size
    with path.open("ab") as fh:
        fh.write(b'{"eventTime": "2026')
    ids, issues = _read(store)
    assert ids == ["a"]
    assert [(i.line, i.kind) for i in issues] == [(2, IssueKind.TORN_LINE)]
    assert f"from byte {size}" in issues[0].message
    store.append(_event("b"))  # cuts the torn line off, then appends
    assert path.read_bytes().count(b"\n") == 2
    assert _read(store) == (["a", "b"], [])


def test_full_disk_mid_line_leaves_no_partial_line(tmp_path: Path) -> None:
    """A write that fails half way (EFBIG past RLIMIT_FSIZE, as ENOSPC would) is cut off."""
    store = LineageStore(tmp_path / "lineage", tmp_path)
    path = store.append(_event("a"))
    limit = path.stat().st_size + 40  # room for part of the next line only
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
            store.append({**_event("b"), "pad": "x" * 500})
        except LineageLogError as exc:
            code = 3 if "File too large" in str(exc) else 4
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 3
    assert path.read_bytes().endswith(b"\n")
    assert _read(store) == (["a"], [])


@pytest.mark.parametrize("depth", [70, 2_000, 200_000])
def test_deeply_nested_line_is_skipped_with_its_line_number(tmp_path: Path, depth: int) -> None:
    """One deeply nested line made every lineage command fail with RecursionError."""
    store = LineageStore(tmp_path / "lineage", tmp_path)
    path = store.append(_event("a"))
    with path.open("ab") as fh:
        fh.write(b'{"run": {"runId": "x"}, "deep": ' + b"[" * depth + b"]" * depth + b"}\n")
    store.append(_event("b"))
    ids, issues = _read(store)
    assert ids == ["a", "b"]
    assert [(i.line, i.kind) for i in issues] == [(2, IssueKind.TOO_LARGE)]
    assert "nested more than" in issues[0].message
    from datalife.lineage.graph import LineageGraph

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lg = LineageGraph.from_store(store, root=tmp_path)
    assert lg.issues and lg.issues[0].line == 2


def test_unreadable_log_is_an_issue_not_a_crash(tmp_path: Path) -> None:
    store = LineageStore(tmp_path / "lineage", tmp_path)
    path = store.append(_event("a"))
    issues: list[LogIssue] = []
    list(store.read_file(path.parent / "2026-02.jsonl", issues))  # missing: cannot be read
    assert [i.kind for i in issues] == [IssueKind.UNREADABLE]
    assert "2026-02.jsonl" in str(issues[0])


# -- the journal -------------------------------------------------------------------------------


def test_written_journal_is_finished_once(tmp_path: Path) -> None:
    store = LineageStore(tmp_path / "lineage", tmp_path)
    store.append(_event("r1"))
    out = tmp_path / "out.txt"
    out.write_text("result")
    from datalife.storage import hash_file

    journal = tmp_path / "lineage" / ".run.journal"
    state = {"run_id": "r1", "files": {}}
    write_journal(
        journal,
        {
            "run_id": "r1",
            "job": "j",
            "namespace": "n",
            "phase": "written",
            "outputs": {"out.txt": hash_file(out)},
            "state_file": "state.json",
            "state": state,
            "complete_event": _event("r1", "COMPLETE"),
        },
    )
    done = recover(journal, tmp_path, store)
    assert done is not None and done.action == "finished"
    assert "recorded its COMPLETE event" in done.message and "state.json" in done.message
    assert json.loads((tmp_path / "state.json").read_text()) == state
    assert not journal.exists()
    assert logged_event_types(store, "r1") == {"START", "COMPLETE"}
    assert recover(journal, tmp_path, store) is None  # nothing left to do: no duplicate


def test_running_journal_is_rolled_back_with_an_abort(tmp_path: Path) -> None:
    store = LineageStore(tmp_path / "lineage", tmp_path)
    store.append(_event("r2"))
    journal = tmp_path / "lineage" / ".run.journal"
    write_journal(journal, {"run_id": "r2", "job": "j", "namespace": "n", "phase": "running"})
    done = recover(journal, tmp_path, store)
    assert done is not None and done.action == "rolled back" and "ABORT" in done.message
    assert logged_event_types(store, "r2") == {"START", "ABORT"}
    assert _read(store)[1] == []  # a proper RunEvent


def test_journal_of_a_run_that_never_started_adds_no_event(tmp_path: Path) -> None:
    store = LineageStore(tmp_path / "lineage", tmp_path)
    journal = tmp_path / "lineage" / ".run.journal"
    write_journal(journal, {"run_id": "r3", "job": "j", "namespace": "n", "phase": "running"})
    done = recover(journal, tmp_path, store)
    assert done is not None and "ABORT" not in done.message
    assert store.files() == []  # no ABORT without a START


def test_changed_outputs_are_not_rolled_forward(tmp_path: Path) -> None:
    store = LineageStore(tmp_path / "lineage", tmp_path)
    store.append(_event("r4"))
    (tmp_path / "out.txt").write_text("changed since")
    journal = tmp_path / "lineage" / ".run.journal"
    write_journal(
        journal,
        {
            "run_id": "r4",
            "job": "j",
            "namespace": "n",
            "phase": "written",
            "outputs": {"out.txt": "0" * 64},
            "complete_event": _event("r4", "COMPLETE"),
        },
    )
    done = recover(journal, tmp_path, store)
    assert done is not None and done.action == "rolled back"
    assert logged_event_types(store, "r4") == {"START", "ABORT"}


def test_damaged_journal_is_rolled_back(tmp_path: Path) -> None:
    journal = tmp_path / ".run.journal"
    journal.write_text('{"run_id": "r5", "pha')
    done = recover(journal, tmp_path, None)
    assert done is not None and done.action == "rolled back" and not journal.exists()
