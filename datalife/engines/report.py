"""The result of validating a dataset against a schema version."""

from __future__ import annotations

import contextlib
import html
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CheckResult", "Example", "Failure", "ValidationReport"]

MAX_EXAMPLES = 5


def _plain(value: Any) -> Any:
    """A JSON-ready version of a scalar from pandas, numpy, DuckDB or Arrow."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        with contextlib.suppress(ValueError, AttributeError):
            value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


@dataclass(frozen=True)
class Example:
    """One failing value: where it is and what it was."""

    value: Any
    row: int | None = None  # 0-based row within its file (or the frame's index label)
    file: str | None = None
    line: int | None = None  # 1-based line in a CSV / JSON lines file

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"row": self.row, "value": _plain(self.value)}
        if self.file is not None:
            out["file"] = self.file
        if self.line is not None:
            out["line"] = self.line
        return out

    def where(self) -> str:
        if self.file is not None and self.line is not None:
            return f"{self.file}:{self.line}"
        if self.file is not None and self.row is not None:
            return f"{self.file} row {self.row}"
        if self.line is not None:
            return f"line {self.line}"
        if self.row is not None:
            return f"row {self.row}"
        return "?"


@dataclass(frozen=True)
class CheckResult:
    """One check that was evaluated."""

    column: str | None
    check: str
    detail: str
    passed: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "check": self.check,
            "detail": self.detail,
            "passed": self.passed,
        }


@dataclass(frozen=True)
class Failure:
    """A check that failed, with how many rows failed it and a few examples.

    ``check`` is the pandera check name (``in_range``, ``isin``, ``not_nullable``,
    ``dtype``, ``coerce_dtype``, ``unique``, ``column_in_dataframe`` for a missing column,
    ``column_in_schema`` for an unexpected one); ``detail`` has its parameters.
    """

    column: str | None
    check: str
    detail: str
    failure_count: int
    examples: tuple[Example, ...] = ()
    message: str = ""
    file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "column": self.column,
            "check": self.check,
            "detail": self.detail,
            "failure_count": self.failure_count,
            "examples": [e.to_dict() for e in self.examples],
            "message": self.message,
        }
        if self.file is not None:
            out["file"] = self.file
        return out

    def describe(self) -> str:
        """One line for a person."""
        where = f"column {self.column!r}" if self.column else "dataset"
        if self.file:
            where = f"{self.file}: {where}"
        text = f"{where}: {self.message or self.detail}"
        if self.examples and self.check not in ("column_in_dataframe", "column_in_schema"):
            shown = ", ".join(f"{e.where()}: {_plain(e.value)!r}" for e in self.examples)
            more = self.failure_count - len(self.examples)
            text += f" ({shown}{f', and {more} more' if more > 0 else ''})"
        return text


@dataclass
class ValidationReport:
    """Whether a dataset version is valid under a schema version, and every failure.

    Attributes:
        schema: the schema reference, ``name@version``.
        rows: number of rows validated.
        engine: ``pandas``, ``polars`` or ``duckdb``.
        sources: the files (with content hashes and rows) or ``[]`` for a frame.
        failures: every failed check.
        checks: every check evaluated, passed or not.
        notes: things worth knowing that are not failures (e.g. tokens read as missing).
        warnings: failures of warning-level checks (reported; they do not make the data
            invalid).
    """

    schema: str
    rows: int
    engine: str
    failures: list[Failure] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    _version: str | None = None
    _version_fn: Callable[[], str] | None = field(default=None, repr=False)
    warnings: list[Failure] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.failures

    @property
    def ok(self) -> bool:
        """Alias of :attr:`valid`."""
        return self.valid

    @property
    def dataset_version(self) -> str:
        """Content hash of the data validated (computed on first use for frames)."""
        if self._version is None and self._version_fn is not None:
            self._version = self._version_fn()
        return self._version or ""

    @property
    def failure_count(self) -> int:
        return sum(f.failure_count for f in self.failures)

    def summary(self) -> str:
        what = ", ".join(s["path"] for s in self.sources) if self.sources else "data frame"
        if self.valid:
            return (
                f"{what}: valid under {self.schema} ({self.rows} rows, {len(self.checks)} checks)"
            )
        return (
            f"{what} failed schema {self.schema}: {len(self.failures)} failed checks, "
            f"{self.failure_count} failing values in {self.rows} rows"
        )

    def hint(self) -> str | None:
        if self.valid:
            return None
        name = self.schema.split("@")[0]
        return (
            "fix the data, or if the change is legitimate, propose a new schema version: "
            f"`datalife schema evolve {name} --from PATH...`"
        )

    def raise_for_errors(self) -> ValidationReport:
        """Raise :class:`~datalife.errors.ValidationFailed` if the data is not valid."""
        from datalife.errors import ValidationFailed

        if not self.valid:
            raise ValidationFailed(self)
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "schema": self.schema,
            "dataset_version": self.dataset_version,
            "rows": self.rows,
            "engine": self.engine,
            "sources": self.sources,
            "failures": [f.to_dict() for f in self.failures],
            "checks": [c.to_dict() for c in self.checks],
            "notes": self.notes,
            "warnings": [f.to_dict() for f in self.warnings],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def to_text(self) -> str:
        lines = [("valid: " if self.valid else "INVALID: ") + self.summary()]
        lines.extend(f"  {f.describe()}" for f in self.failures)
        lines.extend(f"  warning: {f.describe()}" for f in self.warnings)
        lines.extend(f"  note: {n}" for n in self.notes)
        hint = self.hint()
        if hint:
            lines.append(f"Fix: {hint}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        state = "valid" if self.valid else f"{len(self.failures)} failures"
        return f"<ValidationReport {self.schema} rows={self.rows} engine={self.engine} {state}>"

    def _repr_html_(self) -> str:
        esc = html.escape
        color = "#1a7f37" if self.valid else "#cf222e"
        head = f"<p style='color:{color}'><b>{esc(self.summary())}</b></p>"
        if self.valid:
            return head
        rows = "".join(
            "<tr>"
            f"<td>{esc(str(f.column or ''))}</td><td>{esc(f.detail)}</td>"
            f"<td>{f.failure_count}</td>"
            f"<td>{esc(', '.join(f'{e.where()}: {_plain(e.value)!r}' for e in f.examples))}</td>"
            "</tr>"
            for f in self.failures
        )
        return (
            head + "<table><thead><tr><th>column</th><th>check</th><th>failing rows</th>"
            f"<th>examples</th></tr></thead><tbody>{rows}</tbody></table>"
        )
