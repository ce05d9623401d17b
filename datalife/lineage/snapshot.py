"""A rebuildable snapshot of a loaded lineage graph, so large logs load fast.

The log under ``lineage/`` stays the only source of truth; the snapshot is derived data kept
in the user's cache directory (``$DATALIFE_CACHE_DIR``, else ``$XDG_CACHE_HOME/datalife``,
else ``~/.cache/datalife``), never in the workspace, so it is never committed. It holds the
graph, the builder's state and, for each log file, its size, modification time, line count
and hashes of its first and last 4 KiB.

On load:

- every log file unchanged: the graph is unpickled (about half the time networkx needs to
  build it, a fraction of a full load);
- files only grew (appends, new month files): the builder's state is unpickled, only the
  appended bytes are parsed, and the graph is rebuilt; the snapshot is rewritten once the
  appended part exceeds 10 % of it;
- anything else (a file rewritten or removed, a checkout, another datalife version, a damaged
  snapshot): the whole log is read, as without a snapshot, and a new snapshot is written.

Logs below :data:`MIN_BYTES` load fast anyway and get no snapshot. The snapshot is a pickle,
which can run code when loaded: it is only read from the user's own cache directory, and
only if the current user owns it. ``DATALIFE_LINEAGE_SNAPSHOT=0`` turns it off.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datalife._version import __version__
from datalife.storage import atomic_open, cache_dir, hash_bytes

if TYPE_CHECKING:
    from datalife.lineage.graph import LineageGraph
    from datalife.lineage.store import LineageStore, LogIssue

__all__ = ["MIN_BYTES", "SnapshotInfo", "cache_dir", "load_with_snapshot", "snapshot_path"]

SNAPSHOT_FORMAT = 1
MIN_BYTES = 32 * 2**20
REWRITE_FRACTION = 0.1
_EDGE = 4096
_HEADER = struct.Struct("<Q")


def enabled() -> bool:
    return os.environ.get("DATALIFE_LINEAGE_SNAPSHOT", "1").lower() not in ("0", "false", "no")


def snapshot_path(store: LineageStore) -> Path:
    """The snapshot file of one lineage directory."""
    key = hash_bytes(str(store.directory.resolve()).encode())[:24]
    return cache_dir() / "lineage" / f"{key}.snapshot"


@dataclass(frozen=True)
class _FileState:
    name: str
    size: int  # bytes consumed: up to the end of the last complete line
    mtime_ns: int
    lines: int
    head: str
    tail: str


@dataclass
class SnapshotInfo:
    """How the last load used the snapshot: ``hit``, ``appended``, ``rebuilt`` or ``off``."""

    mode: str
    path: Path | None = None
    tail_bytes: int = 0
    written: bool = False


def _edges(path: Path, size: int) -> tuple[str, str]:
    with path.open("rb") as fh:
        head = fh.read(min(size, _EDGE))
        fh.seek(max(0, size - _EDGE))
        tail = fh.read(min(size, _EDGE))
    return hash_bytes(head), hash_bytes(tail)


def _file_states(store: LineageStore) -> list[_FileState]:
    states = []
    for path in store.files():
        offset, lines = store.positions.get(path, (0, 0))
        head, tail = _edges(path, offset)
        states.append(_FileState(path.name, offset, path.stat().st_mtime_ns, lines, head, tail))
    return states


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _read_header(path: Path) -> tuple[dict[str, Any], Any] | None:
    """The snapshot's header and its open file, or None if absent, foreign or damaged."""
    try:
        st = path.stat()
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            return None  # someone else's pickle: never load it
        fh = path.open("rb")
    except OSError:
        return None
    try:
        (length,) = _HEADER.unpack(fh.read(_HEADER.size))
        header = pickle.loads(fh.read(length))  # noqa: S301  (our own cache file, owner checked)
        if (
            not isinstance(header, dict)
            or header.get("format") != SNAPSHOT_FORMAT
            or header.get("datalife") != __version__
        ):
            fh.close()
            return None
        return header, fh
    except Exception:  # noqa: BLE001  (any damage means: rebuild)
        fh.close()
        return None


def _compare(store: LineageStore, saved: list[_FileState]) -> tuple[str, dict[str, _FileState]]:
    """``same``, ``grown`` (appends only) or ``changed``, and the saved state per file name."""
    by_name = {f.name: f for f in saved}
    current = {p.name: p for p in store.files()}
    if not set(by_name) <= set(current):
        return "changed", by_name
    grown = set(current) != set(by_name)
    for name, old in by_name.items():
        st = current[name].stat()
        if st.st_size == old.size and st.st_mtime_ns == old.mtime_ns:
            continue
        if st.st_size <= old.size:  # an append always grows a file: this one was rewritten
            return "changed", by_name
        if _edges(current[name], old.size) != (old.head, old.tail):
            return "changed", by_name
        grown = True
    return ("grown" if grown else "same"), by_name


def _write(path: Path, store: LineageStore, graph_bundle: Any, builder: Any) -> bool:
    try:
        with _no_gc():
            graph_blob = pickle.dumps(graph_bundle, protocol=pickle.HIGHEST_PROTOCOL)
            state_blob = pickle.dumps(builder, protocol=pickle.HIGHEST_PROTOCOL)
        files = _file_states(store)
        header = {
            "format": SNAPSHOT_FORMAT,
            "datalife": __version__,
            "directory": str(store.directory.resolve()),
            "files": files,
            "bytes": sum(f.size for f in files),
            "graph_len": len(graph_blob),
        }
        header_blob = pickle.dumps(header, protocol=pickle.HIGHEST_PROTOCOL)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_open(path, "wb") as fh:
            fh.write(_HEADER.pack(len(header_blob)))
            fh.write(header_blob)
            fh.write(graph_blob)
            fh.write(state_blob)
        return True
    except (OSError, pickle.PicklingError, RecursionError):
        return False  # a cache: failing to write it only costs speed next time


def load_with_snapshot(
    store: LineageStore, *, root: Path | None, min_bytes: int = MIN_BYTES
) -> tuple[LineageGraph, SnapshotInfo]:
    """Load the graph of ``store`` through its snapshot (see the module docs)."""
    from datalife.lineage.build import GraphBuilder, build_graph
    from datalife.lineage.graph import LineageGraph

    path = snapshot_path(store)
    found = _read_header(path)
    issues: list[LogIssue] = []
    if found is not None:
        header, fh = found
        with fh:
            state, saved = _compare(store, header["files"])
            if state == "same":
                with _no_gc():
                    graph, details, saved_issues = pickle.load(fh)  # noqa: S301  (see above)
                lg = LineageGraph(
                    graph, issues=saved_issues, root=root, details=details, store=store
                )
                return lg, SnapshotInfo("hit", path)
            if state == "grown":
                fh.seek(header["graph_len"], os.SEEK_CUR)  # skip the graph: it is rebuilt
                with _no_gc():
                    builder, parse_issues = pickle.load(fh)  # noqa: S301  (see above)
                tail_before = 0
                issues = list(parse_issues)

                def tail_events() -> Iterator[tuple[str, int, dict[str, Any]]]:
                    nonlocal tail_before
                    for p in store.files():
                        old = saved.get(p.name)
                        start, lines = (old.size, old.lines) if old else (0, 0)
                        tail_before += p.stat().st_size - start
                        shown = store.display(p)
                        for _, n, ev in store.read_file(p, issues, start=start, lineno=lines):
                            yield shown, n, ev

                graph, details = build_graph(tail_events(), issues, builder)
                lg = LineageGraph(graph, issues=issues, root=root, details=details, store=store)
                info = SnapshotInfo("appended", path, tail_before)
                if tail_before > REWRITE_FRACTION * max(1, header["bytes"]):
                    info.written = _save(path, store, lg, builder, issues)
                return lg, info
    builder = GraphBuilder()

    def all_events() -> Iterator[tuple[str, int, dict[str, Any]]]:
        for p in store.files():
            shown = store.display(p)
            for _, n, ev in store.read_file(p, issues):
                yield shown, n, ev

    graph, details = build_graph(all_events(), issues, builder)
    lg = LineageGraph(graph, issues=issues, root=root, details=details, store=store)
    info = SnapshotInfo("rebuilt", path)
    total = sum(p.stat().st_size for p in store.files())
    if total >= min_bytes:
        info.written = _save(path, store, lg, builder, issues)
    return lg, info


def _save(
    path: Path, store: LineageStore, lg: LineageGraph, builder: Any, issues: list[LogIssue]
) -> bool:
    from datalife.lineage.store import IssueKind

    # parse issues belong to the bytes read; "unknown run" ones are recomputed on every build
    parse_issues = [i for i in issues if i.kind is not IssueKind.UNKNOWN_RUN]
    torn = [i for i in parse_issues if i.kind is IssueKind.TORN_LINE]
    parse_issues = [i for i in parse_issues if i not in torn]  # re-read after the next append
    details = {
        "run_info": lg._run_info,
        "columns": lg._columns,
        "fields": lg._fields,
        "by_name": lg._by_name,
    }
    return _write(path, store, (lg.graph, details, issues), (builder, parse_issues))
