"""A new schema version against its compatibility policy: the problem, with the aspects that
break it and their witnesses, or nothing."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from datalife.governance.problems import EXIT_FAIL, Problem

if TYPE_CHECKING:
    from datalife.config import Workspace
    from datalife.governance.schema_files import SchemaFile
    from datalife.schemas.compat import CompatReport, Direction
    from datalife.schemas.model import SchemaVersion

__all__ = ["compat_problems", "policy_of"]

_POLICY_KEY = re.compile(r"^compatibility[ \t]*:", re.MULTILINE)


def _policy(sf: SchemaFile, ws: Workspace) -> str:
    assert sf.sv is not None
    if sf.text is not None and _POLICY_KEY.search(sf.text):
        return sf.sv.meta.compatibility.value
    return ws.config.compatibility.value


def policy_of(sv: SchemaVersion, ws: Workspace | None = None) -> str:
    """The compatibility policy of a version: its ``compatibility:`` key, else the workspace's.

    (A schema file without the key follows ``compatibility`` in ``datalife.toml``.)
    """
    text = None
    if sv.path:
        try:
            text = Path(sv.path).read_text(encoding="utf-8")
        except OSError:
            text = None
    if text is None or _POLICY_KEY.search(text) or ws is None:
        return sv.meta.compatibility.value
    return ws.config.compatibility.value


def _mode_of(report: CompatReport, direction: Direction, policy: str) -> str:
    if direction is report.backward:
        return "BACKWARD"
    if direction is report.forward:
        return "FORWARD"
    for ref, b, _f in report.history:
        if direction is b:
            return f"BACKWARD_TRANSITIVE vs {ref}"
        if direction is _f:
            return f"FORWARD_TRANSITIVE vs {ref}"
    return policy


def compat_problems(ws: Workspace, sf: SchemaFile, earlier: Sequence[SchemaFile]) -> list[Problem]:
    """The problem of a new version that does not meet its policy against ``earlier`` (parsed
    versions, oldest first), or nothing."""
    from datalife.schemas.compat import aspect_lines, compatibility

    assert sf.sv is not None
    policy = _policy(sf, ws)
    if policy == "NONE":
        return []
    prev = earlier[-1]
    assert prev.sv is not None  # every earlier version parsed (the caller checks)
    history = [e.sv for e in earlier[:-1] if e.sv is not None]
    report = compatibility(prev.sv, sf.sv, history=history, policy=policy, policy_only=True)
    verdict = report.verdict(policy)
    if verdict is True:
        return []
    details: list[str] = []
    witnesses = []
    main = {id(report.backward), id(report.forward)}
    for direction in report.directions(policy):
        for aspect in direction.aspects:
            changes = report.aspect_changes(aspect) if id(direction) in main else []
            lines = aspect_lines(aspect, _mode_of(report, direction, policy), True, changes)
            details.extend(lines)
            if aspect.witness is not None:
                witnesses.append(aspect.witness.to_dict())
    breaking = [cv.to_dict() for cv in report.changes if cv.breaking]
    unknown = verdict == "unknown"
    return [
        Problem(
            "compatibility_unknown" if unknown else "incompatible",
            f"{sf.rel}: {sf.name}@{sf.version} "
            + (
                f"cannot be shown to meet its {policy} policy"
                if unknown
                else f"breaks its {policy} policy"
            )
            + f" against {prev.name}@{prev.version}",
            path=sf.rel,
            details=tuple(details),
            hint=f"make the change {policy.lower().replace('_', ' ')} compatible (e.g. loosen "
            "instead of tighten; add columns as optional), or if the break is intended, set "
            f"`compatibility: NONE` in {sf.rel} (it is not released yet).",
            exit_code=EXIT_FAIL,
            data={
                "policy": policy,
                "compatibility": {policy: verdict},
                "changes": breaking,
                "witnesses": witnesses,
            },
        )
    ]
