"""The lineage log on disk: append-only JSON lines under ``lineage/``.

Layout: one file per UTC month, ``lineage/YYYY-MM.jsonl``, one OpenLineage RunEvent per line.
Lines are never rewritten. A ``lineage/.gitattributes`` with ``*.jsonl merge=union`` makes
git merge two branches that both appended by keeping both sides' lines, which is correct
here because every line is self-contained and readers group events by run id, not by
position (see docs/lineage.md).

Appending takes an exclusive lock on the file (``flock``), cuts off a torn last line left by
a crash (back to the last complete line: the event it began was never completed), writes the
whole line, and fsyncs before releasing the lock: concurrent writers never interleave bytes,
and a write that fails half way (a full disk) is cut off before the lock is released.
The cost does not depend on the size of the log.

Reading never raises for a bad line: it records a :class:`LogIssue` (file, line, what is
wrong) and goes on, so nothing already recorded is lost.

Examples:
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()) / "lineage"
    >>> store = LineageStore(d)
    >>> _ = store.append({"eventTime": "2025-01-01T00:00:00Z", "eventType": "START",
    ...                   "producer": "p", "schemaURL": "s", "run": {"runId": "r1"},
    ...                   "job": {"namespace": "n", "name": "j"}})
    >>> issues = []
    >>> [ev["run"]["runId"] for _, _, ev in store.read(issues)], issues
    (['r1'], [])
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from datalife.errors import LineageLogError
from datalife.lineage.events import EVENT_TYPES, FORMAT_VERSION
from datalife.storage import fault_point
from datalife.storage import lock_fd as _lock
from datalife.storage import unlock_fd as _unlock

__all__ = [
    "GITATTRIBUTES",
    "IssueKind",
    "LineageStore",
    "LineageWarning",
    "LogIssue",
    "check_event",
    "fast_loads",
    "warn_issues",
]

GITATTRIBUTES = (
    "# datalife: lineage logs are append-only JSON lines; union-merge them\n*.jsonl merge=union\n"
)
SUFFIX = ".jsonl"
MAX_LINE_BYTES = 64 << 20
"""A longer line is reported and skipped (datalife's own events are far smaller)."""
MAX_DEPTH = 64
"""A line nested deeper than this is reported and skipped (events nest about 8 deep)."""


class LineageWarning(UserWarning):
    """A lineage log line that was skipped or looks wrong (the log itself is left as is)."""


class IssueKind(StrEnum):
    """What is wrong with a log line."""

    NOT_JSON = "not_json"
    NOT_RUN_EVENT = "not_run_event"
    NEWER_FORMAT = "newer_format"
    TORN_LINE = "torn_line"
    TOO_LARGE = "too_large"
    UNKNOWN_RUN = "unknown_run"
    UNREADABLE = "unreadable"


_DESCRIBE = {
    IssueKind.NOT_JSON: ("is not JSON", "are not JSON"),
    IssueKind.NOT_RUN_EVENT: (
        "is JSON but not an OpenLineage RunEvent",
        "are JSON but not RunEvents",
    ),
    IssueKind.NEWER_FORMAT: (
        "was written by a newer datalife lineage format",
        "were written by a newer datalife lineage format",
    ),
    IssueKind.TORN_LINE: ("is incomplete (a crash while writing?)", "are incomplete"),
    IssueKind.TOO_LARGE: (
        "is too large or too deeply nested to read",
        "are too large or too deeply nested to read",
    ),
    IssueKind.UNKNOWN_RUN: ("ends a run that has no START", "end runs that have no START"),
    IssueKind.UNREADABLE: ("cannot be read", "cannot be read"),
}

_FIX = {
    IssueKind.NOT_JSON: "the line was edited by hand or damaged; fix or delete it (it is skipped).",
    IssueKind.NOT_RUN_EVENT: "only OpenLineage RunEvents belong in lineage/*.jsonl (it is skipped).",
    IssueKind.NEWER_FORMAT: "upgrade datalife to read these lines (they are skipped, not lost).",
    IssueKind.TORN_LINE: "everything before it was read; the next append cuts it off safely.",
    IssueKind.TOO_LARGE: "datalife never writes such lines; delete it (it is skipped).",
    IssueKind.UNKNOWN_RUN: "the START may be on a branch not merged yet; the run is kept.",
    IssueKind.UNREADABLE: "check the file's permissions.",
}


@dataclass(frozen=True)
class LogIssue:
    """A problem found in the lineage log.

    Attributes:
        path: the log file (relative to the workspace when possible).
        line: 1-based line number (0 for the whole file).
        kind: what is wrong.
        message: a sentence saying so.
    """

    path: str
    line: int
    kind: IssueKind
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "kind": self.kind.value,
            "message": self.message,
        }


def summarize_issues(issues: Iterable[LogIssue]) -> list[str]:
    """One message per file and kind of issue, naming the lines (for warnings and the CLI).

    Examples:
        >>> summarize_issues([LogIssue("l.jsonl", 3, IssueKind.NOT_JSON, "x"),
        ...                   LogIssue("l.jsonl", 9, IssueKind.NOT_JSON, "y")])
        ['l.jsonl: 2 lines are not JSON (lines 3, 9); the line was edited by hand or damaged; fix or delete it (it is skipped).']
    """
    grouped: dict[tuple[str, IssueKind], list[LogIssue]] = defaultdict(list)
    for issue in issues:
        grouped[(issue.path, issue.kind)].append(issue)
    out = []
    for (path, kind), items in grouped.items():
        many = _DESCRIBE[kind][1]
        if len(items) == 1:
            out.append(f"{items[0]}; {_FIX[kind]}")
            continue
        lines = ", ".join(str(i.line) for i in items[:10])
        more = f", ... ({len(items) - 10} more)" if len(items) > 10 else ""
        out.append(f"{path}: {len(items)} lines {many} (lines {lines}{more}); {_FIX[kind]}")
    return out


def warn_issues(issues: Iterable[LogIssue]) -> None:
    """Emit one :class:`LineageWarning` per file and kind of issue."""
    for message in summarize_issues(issues):
        warnings.warn(message, LineageWarning, stacklevel=3)


def check_event(obj: Any) -> str | None:
    """Why ``obj`` is not a RunEvent datalife can read, or None if it is.

    The check is structural (fast enough for millions of lines); the tests validate what
    datalife writes against the full OpenLineage JSON Schema.

    Examples:
        >>> check_event({"run": {"runId": "x"}, "job": {"namespace": "n", "name": "j"},
        ...              "eventTime": "2025-01-01T00:00:00Z"}) is None
        True
        >>> check_event([1, 2])
        'a JSON array, not an object'
        >>> check_event({"eventType": "START"})
        "missing 'run'"
    """
    if not isinstance(obj, dict):
        return f"a JSON {_json_kind(obj)}, not an object"
    run = obj.get("run")
    if not isinstance(run, dict):
        return "missing 'run'"
    if not isinstance(run.get("runId"), str) or not run["runId"]:
        return "missing 'run.runId'"
    job = obj.get("job")
    if not isinstance(job, dict):
        return "missing 'job'"
    if not isinstance(job.get("name"), str) or not isinstance(job.get("namespace"), str):
        return "missing 'job.name' or 'job.namespace'"
    if not isinstance(obj.get("eventTime"), str):
        return "missing 'eventTime'"
    etype = obj.get("eventType", "OTHER")
    if etype not in EVENT_TYPES:
        return f"unknown eventType {etype!r}"
    for key in ("inputs", "outputs"):
        datasets = obj.get(key, [])
        if not isinstance(datasets, list):
            return f"'{key}' is not a list"
        for ds in datasets:
            if (
                not isinstance(ds, dict)
                or not isinstance(ds.get("name"), str)
                or not isinstance(ds.get("namespace"), str)
            ):
                return f"an entry of '{key}' has no name/namespace"
    return None


def _json_kind(obj: Any) -> str:
    return {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(obj), "null" if obj is None else type(obj).__name__
    )


def event_format_version(event: Mapping[str, Any]) -> int:
    """The datalife format version of an event (1 for events from other producers)."""
    facets = event["run"].get("facets")
    if isinstance(facets, dict):
        dl = facets.get("datalife_run")
        if isinstance(dl, dict):
            v = dl.get("formatVersion")
            if isinstance(v, int):
                return v
    return 1


# -- locking -----------------------------------------------------------------------------

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only

    def _last_byte(fd: int, size: int) -> bytes:
        os.lseek(fd, size - 1, os.SEEK_SET)
        return os.read(fd, 1)

else:

    def _last_byte(fd: int, size: int) -> bytes:
        return os.pread(fd, 1, size - 1)


def _last_line_end(fd: int, size: int) -> int:
    """The offset just after the last newline among the file's first ``size`` bytes (0: none)."""
    end = size
    while end > 0:
        start = max(0, end - 65536)
        os.lseek(fd, start, os.SEEK_SET)
        chunk = os.read(fd, end - start)
        newline = chunk.rfind(b"\n")
        if newline != -1:
            return start + newline + 1
        end = start
    return 0


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def encode_event(event: Mapping[str, Any]) -> bytes:
    """One log line: compact JSON with sorted keys, UTF-8, ending in a newline."""
    try:
        text = json.dumps(
            event, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise LineageLogError(
            f"cannot record lineage event: {exc}",
            hint="run parameters and facets must be JSON values (no NaN, no objects).",
        ) from exc
    return text.encode("utf-8") + b"\n"


class LineageStore:
    """The append-only event log in one directory (a workspace's ``lineage/``).

    Args:
        directory: the log directory; it need not exist (an empty log).
        root: paths in issues are shown relative to this folder (the workspace root).
    """

    def __init__(self, directory: str | Path, root: str | Path | None = None) -> None:
        self.directory = Path(directory)
        self.root = Path(root) if root is not None else self.directory.parent
        self.positions: dict[Path, tuple[int, int]] = {}

    def __repr__(self) -> str:
        return f"LineageStore({str(self.directory)!r})"

    def display(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def files(self) -> list[Path]:
        """The log files, oldest month first (none if the directory does not exist)."""
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.glob(f"*{SUFFIX}") if p.is_file())

    def segment(self, when: datetime | None = None) -> Path:
        """The file new events go to: one per UTC month."""
        when = when or datetime.now(UTC)
        return self.directory / f"{when:%Y-%m}{SUFFIX}"

    def append(self, event: Mapping[str, Any], *, when: datetime | None = None) -> Path:
        """Append one event as one line, under an exclusive lock, and fsync it.

        Returns:
            The log file written.

        Raises:
            LineageLogError: the event is not JSON-serialisable, or the log is not writable.
        """
        return self.append_lines([encode_event(event)], when=when)

    def append_lines(self, lines: Iterable[bytes], *, when: datetime | None = None) -> Path:
        """Append already-encoded lines (each ending in ``\\n``) in one locked write."""
        data = b"".join(lines)
        path = self.segment(when)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            created = not path.exists()
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise LineageLogError(
                f"cannot write the lineage log {self.display(path)}: {exc.strerror}",
                path=self.display(path),
                hint="check that the lineage/ folder is writable, or pass --no-record.",
            ) from exc
        try:
            _lock(fd)
            try:
                self._append_locked(fd, path, data)
            finally:
                _unlock(fd)
        except OSError as exc:
            raise LineageLogError(
                f"cannot append to the lineage log {self.display(path)}: {exc.strerror}",
                path=self.display(path),
                hint="free disk space or fix the folder's permissions, then run again "
                "(the log was left as it was: no partial line was kept).",
            ) from exc
        finally:
            os.close(fd)
        if created:
            self._fsync_dir()
            self._ensure_gitattributes()
        return path

    @staticmethod
    def _append_locked(fd: int, path: Path, data: bytes) -> None:
        """Write ``data`` at the end of the log (the caller holds the lock).

        A torn last line left by a crash is cut off first (back to the last complete
        line); a write that fails half way (a full disk) is cut off too, so the file only
        ever gains complete lines.
        """
        size = os.fstat(fd).st_size
        if size and _last_byte(fd, size) != b"\n":
            size = _last_line_end(fd, size)
            os.ftruncate(fd, size)
            os.fsync(fd)
        try:
            action = fault_point(f"append:{path.name}", path)
            if action == "torn":  # the test hook: half a line, then die as a kill would
                _write_all(fd, data[: max(1, len(data) // 2)])
                os.fsync(fd)
                os._exit(137)
            _write_all(fd, data)
            os.fsync(fd)
        except OSError:
            with contextlib.suppress(OSError):
                if os.fstat(fd).st_size > size:
                    os.ftruncate(fd, size)
                    os.fsync(fd)
            raise
        fault_point(f"appended:{path.name}", path)

    def _fsync_dir(self) -> None:
        with contextlib.suppress(OSError):
            dfd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)

    def _ensure_gitattributes(self) -> None:
        target = self.directory / ".gitattributes"
        if target.exists():
            return
        from datalife.storage import atomic_write_text

        with contextlib.suppress(OSError):
            atomic_write_text(target, GITATTRIBUTES)
            target.chmod(0o644)  # mkstemp makes 0600; this file is meant to be committed

    # -- reading ---------------------------------------------------------------------------

    def read(self, issues: list[LogIssue]) -> Iterator[tuple[Path, int, dict[str, Any]]]:
        """Yield ``(file, line number, event)`` for every readable RunEvent, in log order.

        Problems are appended to ``issues``; reading goes on after each one.
        """
        for path in self.files():
            yield from self.read_file(path, issues)

    def read_file(
        self, path: Path, issues: list[LogIssue], *, start: int = 0, lineno: int = 0
    ) -> Iterator[tuple[Path, int, dict[str, Any]]]:
        """Yield the readable RunEvents of one log file (see :meth:`read`).

        ``start``/``lineno`` resume after a byte offset that ends line ``lineno`` (the
        snapshot reads only what was appended). Afterwards ``self.positions[path]`` is
        ``(offset, line)`` just after the last complete line read.
        """
        shown = self.display(path)
        try:
            fh = path.open("rb")
        except OSError as exc:
            issues.append(
                LogIssue(shown, 0, IssueKind.UNREADABLE, f"cannot be read: {exc.strerror}")
            )
            return
        loads = fast_loads
        consumed = 0
        raw = b""
        with fh:
            if start:
                fh.seek(start)
            try:
                for raw in fh:
                    lineno += 1
                    consumed += len(raw)
                    if len(raw) > MAX_LINE_BYTES:
                        message = f"is too large to read ({len(raw)} bytes; the limit is {MAX_LINE_BYTES})"
                        issues.append(LogIssue(shown, lineno, IssueKind.TOO_LARGE, message))
                        continue
                    try:
                        event = loads(raw)
                    except ValueError:
                        event = _slow_parse(raw, fh, shown, lineno, issues, start + consumed)
                        if event is None:
                            continue
                    if (raw.count(b"{") + raw.count(b"[") > MAX_DEPTH) and _too_deep(event):
                        message = f"is nested more than {MAX_DEPTH} levels deep"
                        issues.append(LogIssue(shown, lineno, IssueKind.TOO_LARGE, message))
                        continue
                    problem = check_event(event)
                    if problem is not None:
                        message = f"is JSON but not an OpenLineage RunEvent: {problem}"
                        issues.append(LogIssue(shown, lineno, IssueKind.NOT_RUN_EVENT, message))
                        continue
                    version = event_format_version(event)
                    if version > FORMAT_VERSION:
                        message = (
                            f"was written by lineage format {version}; this datalife reads "
                            f"format {FORMAT_VERSION}"
                        )
                        issues.append(LogIssue(shown, lineno, IssueKind.NEWER_FORMAT, message))
                        continue
                    yield path, lineno, event
            except OSError as exc:
                issues.append(
                    LogIssue(
                        shown, lineno + 1, IssueKind.UNREADABLE, f"cannot be read: {exc.strerror}"
                    )
                )
            finally:
                if raw and not raw.endswith(b"\n"):  # a torn tail is not consumed
                    consumed -= len(raw)
                    lineno -= 1
                self.positions[path] = (start + consumed, lineno)

    def raw_lines(self, issues: list[LogIssue]) -> Iterator[bytes]:
        """The readable events' lines as written (for ``export --format openlineage``)."""
        for path in self.files():
            wanted = {lineno for _, lineno, _ in self.read_file(path, issues)}
            with path.open("rb") as fh:
                for lineno, raw in enumerate(fh, 1):
                    if lineno in wanted:
                        yield raw if raw.endswith(b"\n") else raw + b"\n"


fast_loads: Callable[[bytes], Any]
"""The JSON parser for log lines: orjson (a C parser, ~3x faster than json here) if present."""
try:
    import orjson

    fast_loads = orjson.loads
except ImportError:  # pragma: no cover - orjson is a dependency; stay usable without it
    fast_loads = json.loads


def _slow_parse(
    raw: bytes, fh: Any, shown: str, lineno: int, issues: list[LogIssue], end: int = 0
) -> Any | None:
    """A line the fast parser refused: parse it with json, or record why it is unusable."""
    if not raw.strip():
        return None
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and _depth_of_text(raw) > MAX_DEPTH:
        message = f"is nested more than {MAX_DEPTH} levels deep"
        issues.append(LogIssue(shown, lineno, IssueKind.TOO_LARGE, message))
        return None
    try:  # orjson is stricter than json (e.g. integers beyond 64 bits)
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        error: Exception = exc
    if not raw.endswith(b"\n") and _at_eof(fh):
        offset = end - len(raw)
        message = (
            f"is incomplete ({len(raw)} bytes from byte {offset}, no newline): "
            "a crash while writing?"
        )
        issues.append(LogIssue(shown, lineno, IssueKind.TORN_LINE, message))
    else:
        message = f"is not JSON ({_short_error(error)})"
        issues.append(LogIssue(shown, lineno, IssueKind.NOT_JSON, message))
    return None


def _depth_of_text(raw: bytes) -> int:
    """How deeply brackets nest in ``raw``, ignoring those inside strings."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def _too_deep(obj: Any) -> bool:
    """Whether ``obj`` nests more than :data:`MAX_DEPTH` containers (iteratively: no recursion)."""
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_DEPTH:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _at_eof(fh: Any) -> bool:
    pos = fh.tell()
    return bool(pos == os.fstat(fh.fileno()).st_size)


def _short_error(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "invalid UTF-8"
    text = str(exc)
    return text if len(text) < 80 else text[:77] + "..."
