"""What a check reports: one :class:`Problem` per thing found wrong, gathered in a
:class:`CheckReport`, rendered as text, JSON or GitHub Actions annotations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["EXIT_FAIL", "EXIT_INPUT", "CheckReport", "Problem"]

EXIT_FAIL = 1
EXIT_INPUT = 2


@dataclass(frozen=True)
class Problem:
    """One thing ``datalife check`` or a hook found wrong.

    Attributes:
        kind: a stable code (``schema_file``, ``name_mismatch``, ``version_gap``,
            ``released_changed``, ``released_deleted``, ``not_a_schema_file``,
            ``incompatible``, ``compatibility_unknown``, ``invalid_data``, ``unreadable_data``,
            ``overlapping_datasets``, ``config``).
        message: one line.
        path: the file, relative to the workspace root.
        line: the line in that file, if known.
        column: the column, if any.
        details: more lines (failures, witnesses).
        hint: what to do.
        exit_code: 1 (a check fails) or 2 (input that cannot be checked).
    """

    kind: str
    message: str
    path: str | None = None
    line: int | None = None
    column: str | None = None
    details: tuple[str, ...] = ()
    hint: str | None = None
    exit_code: int = EXIT_FAIL
    data: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "details": list(self.details),
            "hint": self.hint,
            "exit_code": self.exit_code,
        }
        if self.data:
            out.update(self.data)
        return out

    def to_text(self) -> str:
        lines = [self.message]
        lines.extend(f"  {d}" for d in self.details)
        if self.hint:
            lines.append(f"  Fix: {self.hint}")
        return "\n".join(lines)

    def to_github(self) -> str:
        """A GitHub Actions ``::error`` workflow command (annotates the file in the PR)."""
        props = []
        if self.path:
            props.append(f"file={_gh_prop(self.path)}")
        if self.line:
            props.append(f"line={self.line}")
        props.append(f"title={_gh_prop('datalife ' + self.kind)}")
        body = self.to_text()
        return f"::error {','.join(props)}::{_gh_data(body)}"


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


@dataclass
class CheckReport:
    """Everything a check found, with counts of what it looked at."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    schemas: int = 0
    versions: int = 0
    datasets: int = 0
    files: int = 0
    base: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def exit_code(self) -> int:
        return max((p.exit_code for p in self.problems), default=0)

    def extend(self, other: CheckReport) -> None:
        self.problems.extend(other.problems)
        self.notes.extend(n for n in other.notes if n not in self.notes)
        self.schemas += other.schemas
        self.versions += other.versions
        self.datasets += other.datasets
        self.files += other.files

    def summary(self) -> str:
        what = (
            f"{_n(self.schemas, 'schema')} ({_n(self.versions, 'version')}), "
            f"{_n(self.datasets, 'dataset')} ({_n(self.files, 'data file')})"
        )
        if self.ok:
            return f"ok: checked {what}"
        return f"{_n(len(self.problems), 'problem')} in {what}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "exit_code": self.exit_code,
            "base": self.base,
            "checked": {
                "schemas": self.schemas,
                "versions": self.versions,
                "datasets": self.datasets,
                "files": self.files,
            },
            "problems": [p.to_dict() for p in self.problems],
            "notes": list(self.notes),
        }

    def to_text(self) -> str:
        lines = [p.to_text() for p in self.problems]
        lines.extend(f"note: {n}" for n in self.notes)
        lines.append(self.summary())
        return "\n".join(lines)

    def to_github(self) -> str:
        lines = [p.to_github() for p in self.problems]
        lines.extend(f"::notice title=datalife::{_gh_data(n)}" for n in self.notes)
        lines.append(self.summary())
        return "\n".join(lines)


def _n(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")
