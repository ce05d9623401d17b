"""A run's journal: how a command that writes several files finishes or undoes a killed run.

A multi-file write (the pipeline's splits, fitted parameters, lineage event and state file) is
ordered so that any prefix of it can be recognised afterwards:

1. the journal is written with ``phase: running`` and the run id (before the START event);
2. the outputs are written, each atomically;
3. the journal is rewritten with ``phase: written``, the outputs' content hashes, the
   COMPLETE event and the state file's content;
4. the COMPLETE event is appended to the lineage log;
5. the state file is written, and the journal removed.

The next command (holding the same lock) calls :func:`recover` first. A ``running`` journal
means the run died before its outputs were all in place: an ABORT event closes its START
(roll back: the state file still describes the previous outputs, and a changed output no
longer matches it, so the next run writes it again). A ``written`` journal whose outputs are
intact is finished (roll forward): the COMPLETE event is appended unless the log already
holds it, then the state file is written. Either way :class:`Recovery` says what was done.
The journal is a hidden file beside the outputs; it is never committed.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datalife.lineage.events import TERMINAL, run_event
from datalife.storage import atomic_write_text, hash_file

if TYPE_CHECKING:
    from datalife.lineage.store import LineageStore

__all__ = ["JOURNAL_FORMAT", "Recovery", "recover", "remove_journal", "write_journal"]

JOURNAL_FORMAT = 1


@dataclass(frozen=True)
class Recovery:
    """What :func:`recover` did about an interrupted run.

    Attributes:
        run_id: the interrupted run.
        action: ``finished`` (its outputs were complete: the run was completed) or
            ``rolled back`` (an ABORT event closes it; its outputs are written again).
        message: one sentence for people.
    """

    run_id: str
    action: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"run_id": self.run_id, "action": self.action, "message": self.message}

    def __str__(self) -> str:
        return self.message


def write_journal(path: Path, body: Mapping[str, Any]) -> None:
    """Write the journal atomically (sorted keys)."""
    data = {"format_version": JOURNAL_FORMAT, **body}
    atomic_write_text(path, json.dumps(data, sort_keys=True, default=str) + "\n")


def remove_journal(path: Path) -> None:
    """Remove the journal (the run is over, one way or the other)."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def logged_event_types(store: LineageStore | None, run_id: str) -> set[str]:
    """The event types the lineage log holds for ``run_id`` (lines are searched as bytes)."""
    if store is None or not run_id:
        return set()
    needle = json.dumps(run_id).encode()
    found: set[str] = set()
    for path in store.files():
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if needle not in data:
            continue
        for line in data.splitlines():
            if needle not in line:
                continue
            try:
                event = json.loads(line)
            except (ValueError, RecursionError):
                continue
            if isinstance(event, dict) and (event.get("run") or {}).get("runId") == run_id:
                found.add(str(event.get("eventType", "OTHER")))
    return found


def _outputs_intact(root: Path, outputs: Mapping[str, str]) -> bool:
    for rel, digest in outputs.items():
        path = root / rel
        try:
            if not path.is_file() or hash_file(path, cached=False) != digest:
                return False
        except OSError:
            return False
    return True


def recover(journal: Path, root: Path, store: LineageStore | None) -> Recovery | None:
    """Finish or roll back the run a journal describes (see the module docs); None if none.

    Args:
        journal: the journal file.
        root: the workspace root (outputs are relative to it).
        store: the lineage log to complete or close the run in (None: not recorded).
    """
    body = _read(journal)
    if body is None:
        return None
    run_id = str(body.get("run_id") or "")
    if store is not None and run_id:  # the run's process is gone: so is its marker
        close_marker(store.directory / RUNNING_DIR / run_id)
    short = run_id[:8] or "?"
    logged = logged_event_types(store, run_id)
    state_file = body.get("state_file")
    outputs = body.get("outputs") if isinstance(body.get("outputs"), dict) else {}
    if body.get("phase") == "written" and outputs and _outputs_intact(root, outputs):
        appended = False
        complete = body.get("complete_event")
        if store is not None and isinstance(complete, dict) and not logged & TERMINAL:
            store.append(complete)
            appended = True
        state = body.get("state")
        done = ["recorded its COMPLETE event"] if appended else []
        if isinstance(state, dict) and isinstance(state_file, str):
            atomic_write_text(root / state_file, json.dumps(state, indent=2, sort_keys=True) + "\n")
            done.append(f"wrote its state ({state_file})")
        remove_journal(journal)
        return Recovery(
            run_id,
            "finished",
            f"finished run {short}, interrupted after writing its outputs: "
            + (" and ".join(done) or "nothing was missing"),
        )
    # roll back: close the run in the log; the outputs no longer match the old state
    closed = False
    if store is not None and "START" in logged and not logged & TERMINAL:
        store.append(
            run_event(
                "ABORT",
                run_id=run_id,
                job_namespace=str(body.get("namespace") or ""),
                job_name=str(body.get("job") or "run"),
                error=("interrupted: the process was killed or lost power mid-run", None),
            )
        )
        closed = True
    remove_journal(journal)
    tail = "recorded it as ABORT; " if closed else ""
    return Recovery(
        run_id,
        "rolled back",
        f"rolled back run {short}, interrupted before its outputs were complete: {tail}"
        "its outputs will be written again",
    )


# -- runs in progress --------------------------------------------------------------------------

RUNNING_DIR = ".running"
"""``lineage/.running/<run id>``: one marker per recorded run in progress (pid, host, job)."""


def open_marker(store: LineageStore, run_id: str, job: str, namespace: str) -> Path | None:
    """Mark ``run_id`` as in progress in this process (best effort: None if it cannot).

    Written before the START event and removed after the run's last event, so a marker whose
    process is gone is a run that was killed (see :func:`sweep_dead_runs`). Not fsynced: a
    marker lost in a power cut only leaves a START without an end, as before markers.
    """
    import os
    import socket

    folder = store.directory / RUNNING_DIR
    body = {"pid": os.getpid(), "host": socket.gethostname(), "job": job, "namespace": namespace}
    path = folder / run_id
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, json.dumps(body).encode())
        finally:
            os.close(fd)
    except OSError:
        return None
    return path


def close_marker(path: Path | None) -> None:
    if path is not None:
        with contextlib.suppress(OSError):
            path.unlink()


def sweep_dead_runs(store: LineageStore) -> list[Recovery]:
    """Close the runs of processes on this host that died mid-run: an ABORT event each.

    A run that a journal describes is left to that journal's command (it may finish it).
    """
    import os
    import socket

    folder = store.directory / RUNNING_DIR
    try:
        markers = list(os.scandir(folder))
    except OSError:
        return []
    if not markers:
        return []
    from datalife.storage import _alive

    journaled = set()
    for journal in store.directory.glob(".*.journal"):
        body = _read(journal)
        if body:
            journaled.add(str(body.get("run_id")))
    host = socket.gethostname()
    done: list[Recovery] = []
    for entry in markers:
        run_id = entry.name
        try:
            info = json.loads(Path(entry.path).read_bytes())
        except (OSError, ValueError, RecursionError):
            info = {}
        if not isinstance(info, dict):
            info = {}
        pid = info.get("pid")
        if info and (info.get("host") != host or not isinstance(pid, int) or _alive(pid)):
            continue  # alive, or on another machine: not ours to judge
        if run_id in journaled:
            continue
        logged = logged_event_types(store, run_id)
        if "START" in logged and not logged & TERMINAL:
            store.append(
                run_event(
                    "ABORT",
                    run_id=run_id,
                    job_namespace=str(info.get("namespace") or ""),
                    job_name=str(info.get("job") or "run"),
                    error=("interrupted: the process was killed or lost power mid-run", None),
                )
            )
            done.append(
                Recovery(
                    run_id,
                    "rolled back",
                    f"recorded run {run_id[:8]} ({info.get('job', '?')}), killed mid-run, as ABORT",
                )
            )
        close_marker(Path(entry.path))
    return done
