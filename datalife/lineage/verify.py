"""``datalife lineage verify``: do the recorded files still have their recorded content?

For every file path in the log, the version recorded last is the one that should be on
disk now. Its content hash is recomputed; a file whose hash differs is ``changed``, one
that is gone is ``missing``, each reported with the run that produced it (or, for a raw
file, the run that last recorded it). Lines of the log that could not be read are
reported too. The report is not ok when anything is off (exit code 1 in the CLI).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datalife.storage import hash_file, short

if TYPE_CHECKING:
    from datalife.lineage.graph import LineageGraph
    from datalife.lineage.store import LogIssue

__all__ = ["FileCheck", "VerifyReport", "verify_graph"]


@dataclass(frozen=True)
class FileCheck:
    """One recorded file checked against the disk.

    Attributes:
        status: ``ok``, ``changed``, ``missing``, ``outside`` (the log names a file outside
            the workspace and the roots its config declares: it is not read) or
            ``unreadable`` (permission denied).
        run: the run that produced the file, or the last run that recorded it.
        role: ``produced`` (written by ``run``) or ``recorded`` (a raw file ``run`` read).
    """

    path: str
    node: str
    status: str
    recorded_hash: str
    current_hash: str | None
    run: str | None
    job: str | None
    time: str | None
    role: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "node": self.node,
            "status": self.status,
            "recorded_hash": self.recorded_hash,
            "current_hash": self.current_hash,
            "run": self.run,
            "job": self.job,
            "time": self.time,
            "role": self.role,
        }

    def __str__(self) -> str:
        who = ""
        if self.run:
            verb = "produced by" if self.role == "produced" else "recorded by"
            who = f" ({verb} {self.job} run {self.run[4:12]} at {str(self.time)[:19].replace('T', ' ')})"
        if self.status == "missing":
            return f"missing  {self.path}: recorded {short(self.recorded_hash)}{who}"
        if self.status == "outside":
            return (
                f"outside  {self.path}: not read, it is outside the workspace{who}; declare its "
                "folder in `roots` in datalife.toml to verify it"
            )
        if self.status == "unreadable":
            return f"unreadable {self.path}: permission denied{who}"
        if self.status == "changed":
            return (
                f"changed  {self.path}: recorded {short(self.recorded_hash)}, "
                f"now {short(self.current_hash or '')}{who}"
            )
        return f"ok       {self.path}"


@dataclass
class VerifyReport:
    """What ``verify`` found: every file checked, and the log's unreadable lines."""

    files: list[FileCheck] = field(default_factory=list)
    issues: list[LogIssue] = field(default_factory=list)

    @property
    def problems(self) -> list[FileCheck]:
        return [f for f in self.files if f.status != "ok"]

    @property
    def ok(self) -> bool:
        return not self.problems and not self.issues

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_dict(self) -> dict[str, Any]:
        counts = {"ok": 0, "changed": 0, "missing": 0, "outside": 0, "unreadable": 0}
        for f in self.files:
            counts[f.status] += 1
        return {
            "ok": self.ok,
            "checked": len(self.files),
            "unchanged": counts["ok"],
            "changed": counts["changed"],
            "missing": counts["missing"],
            "outside": counts["outside"],
            "unreadable": counts["unreadable"],
            "problems": [f.to_dict() for f in self.problems],
            "files": [f.to_dict() for f in self.files],
            "issues": [i.to_dict() for i in self.issues],
        }

    def __str__(self) -> str:
        from datalife.lineage.store import summarize_issues

        d = self.to_dict()
        lines = [str(f) for f in self.problems]
        lines.extend(f"log: {m}" for m in summarize_issues(self.issues))
        verdict = "ok" if self.ok else "PROBLEMS"
        lines.append(
            f"{verdict}: {d['checked']} recorded files checked: {d['unchanged']} unchanged, "
            f"{d['changed']} changed, {d['missing']} missing"
            + (f", {d['outside']} outside the workspace" if d["outside"] else "")
            + (f", {d['unreadable']} unreadable" if d["unreadable"] else "")
            + f"; {len(self.issues)} log issues"
        )
        return "\n".join(lines)


def _inside(path: Path, roots: Sequence[Path]) -> bool:
    """Whether ``path`` (symbolic links resolved) is inside one of ``roots``."""
    real = os.path.realpath(path)
    for root in roots:
        base = os.path.realpath(root)
        if os.path.commonpath([real, base]) == base:
            return True
    return False


def verify_graph(lg: LineageGraph, roots: Sequence[str | Path] = ()) -> VerifyReport:
    """Check every recorded file of ``lg`` against the disk (see the module docs).

    Only files inside the workspace (``lg.root``) or one of ``roots`` are read; any other
    path the log names is reported as ``outside``, never opened.
    """
    allowed = [Path(r) for r in ([lg.root] if lg.root is not None else [])]
    allowed += [Path(r) if Path(r).is_absolute() or lg.root is None else lg.root / r for r in roots]
    graph = lg.graph
    latest: dict[str, str] = {}
    for node, attrs in graph.nodes(data=True):
        if attrs.get("kind") != "dataset" or attrs.get("storage") != "file":
            continue
        name = str(attrs["name"])
        seen = latest.get(name)
        if seen is None or (attrs.get("last_seen", ""), node) > (
            graph.nodes[seen].get("last_seen", ""),
            seen,
        ):
            latest[name] = node
    report = VerifyReport(issues=list(lg.issues))
    for name in sorted(latest):
        node = latest[name]
        attrs = graph.nodes[node]
        path = lg.file_path(node)
        recorded = str(attrs.get("hash", ""))
        run, role = _responsible_run(lg, node)
        run_attrs = graph.nodes[run] if run else {}
        if path is None:
            continue
        current: str | None = None
        if not _inside(path, allowed):
            status = "outside"
        elif not path.is_file():
            status = "missing"
        else:
            try:
                current = hash_file(path, cached=False)  # verify reads the bytes
            except OSError:
                status = "unreadable"
            else:
                status = "ok" if current == recorded else "changed"
        report.files.append(
            FileCheck(
                path=name,
                node=node,
                status=status,
                recorded_hash=recorded,
                current_hash=current,
                run=run,
                job=run_attrs.get("job"),
                time=run_attrs.get("end") or run_attrs.get("start"),
                role=role,
            )
        )
    return report


def _responsible_run(lg: LineageGraph, node: str) -> tuple[str | None, str]:
    producers = lg.producers(node)
    if producers:
        return producers[0], "produced"
    runs = lg.consumers(node)
    for whole, keys in lg.graph._succ[node].items():  # a member of a dataset of several files
        if "part_of" in keys:
            runs.extend(lg.consumers(whole))
    if not runs:
        return None, "recorded"
    attrs = lg.graph.nodes
    return max(
        runs, key=lambda r: str(attrs[r].get("end") or attrs[r].get("start") or "")
    ), "recorded"
