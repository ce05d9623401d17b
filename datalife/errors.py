"""Every error datalife raises.

Errors carry what a person needs to act: the file, the column, the rows, and what to do
next. The library raises them; only the CLI turns them into messages and exit codes
(``exit_code``: 1 for data that fails its checks, 2 for usage, config or unreadable input).

Examples:
    >>> err = SchemaNotFound.from_name("reviews", available=["penguins"])
    >>> print(err)
    no schema named 'reviews' (schemas: penguins)
    Fix: create it with `datalife schema infer PATH --name reviews`, or check the name.
    >>> isinstance(err, KeyError)
    True
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

__all__ = [
    "ConfigError",
    "DataError",
    "DatalifeError",
    "ErrorReason",
    "InputError",
    "ReadFailed",
    "SchemaFileError",
    "SchemaNotFound",
    "SchemaReleaseChanged",
    "SchemaVersionNotFound",
    "ValidationFailed",
    "WorkspaceNotFound",
    "WriteFailed",
    "closest",
]

EXIT_OK = 0
EXIT_DATA = 1
EXIT_USAGE = 2


class ErrorReason(StrEnum):
    """Why an error was raised: a stable, machine-readable code."""

    CONFIG = "config"
    WORKSPACE_NOT_FOUND = "workspace_not_found"
    SCHEMA_NOT_FOUND = "schema_not_found"
    SCHEMA_FILE = "schema_file"
    INPUT = "input"
    DATA = "data"
    VALIDATION = "validation"
    USAGE = "usage"


def closest(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Return the candidates that look most like ``name`` (for "did you mean").

    Examples:
        >>> closest("penguin", ["penguins", "reviews"])
        ['penguins']
    """
    return difflib.get_close_matches(name, list(candidates), n=n, cutoff=0.5)


class DatalifeError(Exception):
    """Base of every datalife error.

    Attributes:
        message: one line saying what is wrong.
        path: the file the problem is in, if any.
        column: the column, if any.
        rows: some of the rows concerned (0-based row numbers or CSV line numbers).
        hint: what to do about it.
        reason: a stable code for programs.
    """

    exit_code: int = EXIT_USAGE
    reason: ErrorReason = ErrorReason.USAGE

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        column: str | None = None,
        rows: Sequence[int] | None = None,
        line: int | None = None,
        hint: str | None = None,
        details: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.column = column
        self.rows = list(rows) if rows is not None else None
        self.line = line
        self.hint = hint
        self.details = list(details)

    def __str__(self) -> str:
        parts = [self.message]
        parts.extend(f"  {d}" for d in self.details)
        if self.hint:
            parts.append(f"Fix: {self.hint}")
        return "\n".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description of the error."""
        return {
            "error": type(self).__name__,
            "reason": self.reason.value,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "rows": self.rows,
            "details": self.details,
            "hint": self.hint,
            "exit_code": self.exit_code,
        }


class ConfigError(DatalifeError):
    """``datalife.toml`` (or ``[tool.datalife]``) is missing a key, has a bad value, or is not TOML."""

    reason = ErrorReason.CONFIG


class WorkspaceNotFound(ConfigError):
    """No ``datalife.toml`` or ``[tool.datalife]`` in the directory or any parent."""

    reason = ErrorReason.WORKSPACE_NOT_FOUND

    @classmethod
    def from_start(cls, start: Path) -> WorkspaceNotFound:
        return cls(
            f"no datalife workspace at {start} or any parent directory",
            path=start,
            hint="run `datalife init` to create one, or pass `-C DIR` to point at one.",
        )


class SchemaNotFound(DatalifeError, KeyError):
    """A schema name (or a version of it) that the registry does not hold."""

    reason = ErrorReason.SCHEMA_NOT_FOUND

    @classmethod
    def from_name(cls, name: str, available: Iterable[str]) -> SchemaNotFound:
        available = sorted(available)
        near = closest(name, available)
        listing = ", ".join(available) if available else "none yet"
        hint = f"did you mean {', '.join(repr(n) for n in near)}?" if near else None
        return cls(
            f"no schema named {name!r} (schemas: {listing})",
            hint=hint
            or f"create it with `datalife schema infer PATH --name {name}`, or check the name.",
        )

    def __str__(self) -> str:  # KeyError would quote the message
        return DatalifeError.__str__(self)


class SchemaVersionNotFound(SchemaNotFound):
    """The schema exists but not in the version asked for."""

    @classmethod
    def from_version(
        cls, name: str, version: int, available: Sequence[int]
    ) -> SchemaVersionNotFound:
        versions = ", ".join(str(v) for v in available)
        return cls(
            f"schema {name!r} has no version {version} (versions: {versions})",
            hint=f"use one of {name}@{available[-1]} (latest), or `datalife schema list`.",
        )


class SchemaFileError(DatalifeError):
    """A schema file that cannot be read: bad YAML, unsafe tags, bad metadata, unknown checks."""

    reason = ErrorReason.SCHEMA_FILE


class InputError(DatalifeError):
    """Input data that cannot be read at all: missing, empty, undecodable, ragged."""

    reason = ErrorReason.INPUT


class DataError(DatalifeError):
    """Data that was read but cannot be used for the step asked for."""

    exit_code = EXIT_DATA
    reason = ErrorReason.DATA


class ValidationFailed(DataError):
    """Raised by :meth:`ValidationReport.raise_for_errors` when data fails its schema."""

    reason = ErrorReason.VALIDATION

    def __init__(self, report: Any) -> None:
        super().__init__(
            str(report.summary()),
            path=report.sources[0]["path"] if report.sources else None,
            hint=report.hint(),
            details=[f.describe() for f in report.failures],
        )
        self.report = report


# -- lineage ---------------------------------------------------------------------------


class LineageError(DatalifeError):
    """The lineage log cannot be written or read, or a lineage query cannot be answered."""

    reason = ErrorReason.INPUT


class LineageLogError(LineageError):
    """A lineage log file or line that cannot be used (raised in strict mode, or on write)."""


class NodeNotFound(LineageError, KeyError):
    """A lineage query names a node (path, path@hash, id or id prefix) the graph does not hold."""

    reason = ErrorReason.USAGE

    @classmethod
    def from_name(cls, name: str, candidates: Iterable[str], total: int = 0) -> NodeNotFound:
        near = closest(name, candidates, n=5)
        details = [f"closest matches: {', '.join(near)}"] if near else []
        return cls(
            f"no lineage node matches {name!r} ({total} nodes in the graph)",
            details=details,
            hint="name a node by path, path@hash, schema@version or id prefix; "
            "`datalife lineage show` lists what is recorded.",
        )

    def __str__(self) -> str:  # KeyError would quote the message
        return DatalifeError.__str__(self)


class AmbiguousNode(LineageError, LookupError):
    """A node name that matches more than one node; ``candidates`` lists them."""

    reason = ErrorReason.USAGE

    def __init__(self, message: str, *, candidates: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.candidates = list(candidates)

    @classmethod
    def from_candidates(
        cls, name: str, candidates: Sequence[str], limit: int = 10
    ) -> AmbiguousNode:
        shown = list(candidates[:limit])
        if len(candidates) > limit:
            shown.append(f"... and {len(candidates) - limit} more")
        return cls(
            f"{name!r} matches {len(candidates)} lineage nodes",
            candidates=candidates,
            details=["candidates:", *(f"  {c}" for c in shown)],
            hint="use a longer prefix, path@hash, or the full node id.",
        )


class SplitConfigError(ConfigError):
    """A split asked for with parameters that cannot work: ratios, unknown columns, options."""


class SplitDataError(DataError):
    """Data that cannot be split as asked: all-null or one-row classes, duplicate keys, too few rows."""


class OutputNotWritable(DatalifeError):
    """An output directory (or file) that cannot be created or written."""

    @classmethod
    def from_path(cls, path: str | Path, reason: str) -> OutputNotWritable:
        return cls(
            f"{path}: cannot write here ({reason})",
            path=path,
            hint="choose another --out directory, or fix its permissions; nothing was written.",
        )


class WriteFailed(OutputNotWritable, OSError):
    """A file could not be written: permission denied, no space left, file too large, I/O error.

    It is also an ``OSError`` (with the original ``errno``), so code that handles operating
    system errors keeps working; the original exception is chained.
    """

    def __init__(self, message: str, *, errno_: int | None = None, **kwargs: Any) -> None:
        DatalifeError.__init__(self, message, **kwargs)
        self.errno = errno_

    @classmethod
    def from_os_error(cls, path: str | Path, exc: OSError) -> WriteFailed:
        import errno as errnos
        import os

        fixes = {
            errnos.ENOSPC: "free some disk space and run again",
            errnos.EDQUOT: "free some space in your quota and run again",
            errnos.EFBIG: "raise the file-size limit (`ulimit -f`) or write less",
            errnos.EACCES: "fix the permissions of the file or its folder",
            errnos.EPERM: "fix the permissions of the file or its folder",
            errnos.EROFS: "write to a writable location",
        }
        code = exc.errno or 0
        what = exc.strerror or (os.strerror(code) if code else str(exc))
        return cls(
            f"{path}: cannot write ({what})",
            path=path,
            errno_=exc.errno,
            hint=f"{fixes.get(code, 'check the disk and the folder, then run again')}; the "
            "previous version of the file, if any, is unchanged.",
        )

    def __str__(self) -> str:
        return DatalifeError.__str__(self)


class ReadFailed(InputError):
    """A file datalife needs could not be read (permission denied, I/O error)."""

    @classmethod
    def from_os_error(cls, path: str | Path, exc: OSError, what: str = "file") -> ReadFailed:
        return cls(
            f"{path}: cannot read this {what} ({exc.strerror or exc})",
            path=path,
            hint="fix its permissions (it must be readable by you), or point datalife elsewhere.",
        )


class SchemaReleaseChanged(SchemaFileError):
    """A released schema version whose file no longer has the content it was released with."""

    @classmethod
    def from_ref(cls, path: str | Path, ref: str, name: str) -> SchemaReleaseChanged:
        return cls(
            f"{path}: {ref} is released and was edited since (its content hash differs from "
            "the one recorded at release); released versions are immutable",
            path=path,
            hint=f"restore the file (`git checkout -- {path}`), then make the change a new "
            f"version: `datalife schema bump {name}` copies the latest to edit (or "
            f"`datalife schema evolve {name} --from PATH...` proposes one from data).",
        )


class TransformError(DataError):
    """A transform failed on data: it raised, broke its declared contract, or mutated its input.

    Attributes:
        transform: the transform's ``name@version``.
    """

    def __init__(self, message: str, *, transform: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.transform = transform

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["transform"] = self.transform
        return out


class TransformDefinitionError(ConfigError):
    """A transform that cannot be registered or found: a name/version clash, a bad declaration,
    an unknown name, or a transform module that cannot be imported."""


class LeakageError(ConfigError):
    """A stateful transform asked to fit on data that holds dev or test rows."""


class FittedParamsError(InputError):
    """A fitted-parameters artifact that cannot be used: unreadable, tampered, or for other code."""


class ProfileError(InputError):
    """A statistics profile that cannot be used: not JSON, not a profile, damaged, too new,
    or profiles that cannot be merged."""


class DriftInputError(InputError):
    """Drift or skew asked for on inputs that cannot be compared at all (nothing to read,
    an unknown dataset or saved version, a schema that is not a schema)."""


class UnknownEngine(ConfigError, KeyError):
    """An engine name that no built-in, registered or installed engine has."""

    def __str__(self) -> str:  # KeyError would quote the message
        return DatalifeError.__str__(self)

    @classmethod
    def from_name(cls, name: str, known: Sequence[str]) -> UnknownEngine:
        near = closest(name, known)
        listed = ", ".join(known)
        return cls(
            f"unknown engine {name!r} (known engines: {listed})",
            hint=f"use one of {listed}"
            + (f" (did you mean {near[0]!r}?)" if near else "")
            + ", or install the package that provides it.",
        )


class UnsupportedCheck(ConfigError):
    """A check that the chosen engine cannot express; listed before any row is read."""
