"""The compatibility report of two schema versions: a verdict per mode, each change of the
diff with the directions it breaks, and its text and JSON forms."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from datalife.config import Compatibility
from datalife.schemas.compat.direction import Aspect, Direction, Verdict
from datalife.schemas.diff import Change, SchemaDiff
from datalife.schemas.witness import Witness

__all__ = [
    "MODES",
    "ChangeVerdict",
    "CompatReport",
    "aspect_lines",
    "attach_verdicts",
    "attributed_changes",
    "mode_pairs",
]

MODES = tuple(m.value for m in Compatibility)


def _combine(verdicts: Sequence[Verdict]) -> Verdict:
    if any(v is False for v in verdicts):
        return False
    if any(v == "unknown" for v in verdicts):
        return "unknown"
    return True


def mode_pairs(mode: Compatibility | str) -> tuple[bool, bool, bool]:
    """``(backward, forward, transitive)`` requirements of a mode."""
    m = Compatibility(mode)
    backward = m in (
        Compatibility.BACKWARD,
        Compatibility.BACKWARD_TRANSITIVE,
        Compatibility.FULL,
        Compatibility.FULL_TRANSITIVE,
    )
    forward = m in (
        Compatibility.FORWARD,
        Compatibility.FORWARD_TRANSITIVE,
        Compatibility.FULL,
        Compatibility.FULL_TRANSITIVE,
    )
    return backward, forward, m.value.endswith("_TRANSITIVE")


@dataclass
class ChangeVerdict:
    """A change with its verdict per direction and the witness that shows a break.

    ``compatible`` maps ``backward`` / ``forward`` to True, False (broken, with a witness) or
    ``"unknown"``.
    """

    change: Change
    compatible: dict[str, Verdict] = field(
        default_factory=lambda: {"backward": True, "forward": True}
    )
    witnesses: dict[str, Witness] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)

    @property
    def breaking(self) -> bool:
        return any(v is not True for v in self.compatible.values())

    def to_dict(self) -> dict[str, Any]:
        out = self.change.to_dict()
        out["compatible"] = dict(self.compatible)
        witness = self.witnesses.get("backward") or self.witnesses.get("forward")
        out["witness"] = witness.to_dict() if witness else None
        out["witnesses"] = {d: w.to_dict() for d, w in self.witnesses.items()}
        if self.reasons:
            out["reasons"] = dict(self.reasons)
        return out


@dataclass
class CompatReport:
    """Compatibility of ``new`` with ``old`` (and with ``history`` for the transitive modes).

    Attributes:
        diff: the typed changes from old to new.
        backward: everything old accepts, new accepts.
        forward: everything new accepts, old accepts.
        history: for each earlier version, its ``(backward, forward)`` directions.
        policy: the mode the new version must meet (None if not given).
    """

    old: str
    new: str
    diff: SchemaDiff
    backward: Direction
    forward: Direction
    history: list[tuple[str, Direction, Direction]] = field(default_factory=list)
    policy: str | None = None
    changes: list[ChangeVerdict] = field(default_factory=list)

    @property
    def verdicts(self) -> dict[str, Verdict]:
        """Each mode → True, False or ``"unknown"``."""
        back = [self.backward.verdict] + [b.verdict for _, b, _ in self.history]
        fwd = [self.forward.verdict] + [f.verdict for _, _, f in self.history]
        return {
            "BACKWARD": self.backward.verdict,
            "BACKWARD_TRANSITIVE": _combine(back),
            "FORWARD": self.forward.verdict,
            "FORWARD_TRANSITIVE": _combine(fwd),
            "FULL": _combine([self.backward.verdict, self.forward.verdict]),
            "FULL_TRANSITIVE": _combine(back + fwd),
            "NONE": True,
        }

    def verdict(self, mode: Compatibility | str | None = None) -> Verdict:
        """The verdict for ``mode`` (default: the policy, else BACKWARD)."""
        chosen = mode or self.policy or "BACKWARD"
        return self.verdicts[Compatibility(chosen).value]

    @property
    def ok(self) -> bool:
        """True if the policy (default BACKWARD) is proved to hold."""
        return self.verdict() is True

    def directions(self, mode: Compatibility | str) -> list[Direction]:
        backward, forward, transitive = mode_pairs(mode)
        out: list[Direction] = []
        pairs = [(self.backward, self.forward)]
        if transitive:
            pairs += [(b, f) for _, b, f in self.history]
        for b, f in pairs:
            if backward:
                out.append(b)
            if forward:
                out.append(f)
        return out

    def failing(self, mode: Compatibility | str | None = None) -> list[Aspect]:
        """The aspects that break ``mode`` (default: the policy)."""
        chosen = mode or self.policy or "BACKWARD"
        return [a for d in self.directions(chosen) for a in d.aspects]

    def witnesses(self, mode: Compatibility | str | None = None) -> list[Witness]:
        return [a.witness for a in self.failing(mode) if a.witness is not None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "policy": self.policy,
            "ok": self.ok,
            "compatibility": self.verdicts,
            "changes": [cv.to_dict() for cv in self.changes],
            "directions": {"backward": self.backward.to_dict(), "forward": self.forward.to_dict()},
            "against": [
                {"ref": ref, "backward": b.to_dict(), "forward": f.to_dict()}
                for ref, b, f in self.history
            ],
        }

    def to_text(self, *, all_witnesses: bool = False) -> str:
        """The diff, the verdict per mode, and what breaks each.

        Witnesses are printed in full for the directions the policy requires (all of them
        with ``all_witnesses``); other breaks get one line each.
        """
        lines = [self.diff.to_text()]
        shown = []
        for mode in (
            "BACKWARD",
            "FORWARD",
            "FULL",
            "BACKWARD_TRANSITIVE",
            "FORWARD_TRANSITIVE",
            "FULL_TRANSITIVE",
        ):
            if mode.endswith("TRANSITIVE") and not self.history:
                continue
            shown.append(f"{mode} {_word(self.verdicts[mode])}")
        lines.append("compatibility: " + ", ".join(shown))
        required: set[int] = set()
        if self.policy:
            v = self.verdict()
            state = (
                "met" if v is True else "NOT met" if v is False else "unknown (treated as breaking)"
            )
            lines.append(f"policy {self.policy}: {state}")
            required = {id(d) for d in self.directions(self.policy)}
        named = [(self.backward, "BACKWARD"), (self.forward, "FORWARD")]
        for ref, b, f in self.history:
            named += [(b, f"BACKWARD_TRANSITIVE vs {ref}"), (f, f"FORWARD_TRANSITIVE vs {ref}")]
        main = {id(self.backward), id(self.forward)}
        for direction, name in named:
            full = all_witnesses or id(direction) in required
            for aspect in direction.aspects:
                changes = attributed_changes(self.diff, aspect) if id(direction) in main else []
                lines.extend(aspect_lines(aspect, name, full, changes))
        return "\n".join(lines)

    def aspect_changes(self, aspect: Aspect) -> list[Change]:
        """The changes (old → new) an aspect of the backward or forward direction comes from."""
        return attributed_changes(self.diff, aspect)

    def __str__(self) -> str:
        return self.to_text()


def _word(v: Verdict) -> str:
    return "yes" if v is True else "no" if v is False else "unknown"


def aspect_lines(
    aspect: Aspect, mode: str, witnesses: bool, changes: Sequence[Change] = ()
) -> list[str]:
    """Text lines for a broken (or undecided) aspect: the change, the reason, the witness."""
    where = f"column {aspect.column!r}" if aspect.column else "dataframe"
    what = "; ".join(f"{c.description} [{c.effect}]" for c in changes)
    head = (
        f"breaks {mode}: {where}"
        if aspect.status == "incompatible"
        else f"unknown for {mode} (treated as breaking): {where}"
    )
    if not what:
        return [f"{head}: {aspect.reason}", *_witness_lines(aspect, witnesses)]
    return [f"{head}: {what}", f"  {aspect.reason}", *_witness_lines(aspect, witnesses)]


def _witness_lines(aspect: Aspect, witnesses: bool) -> list[str]:
    if not witnesses or aspect.witness is None:
        return []
    return ["  " + line for line in aspect.witness.describe().splitlines()]


def attributed_changes(diff_: SchemaDiff, aspect: Aspect) -> list[Change]:
    """The changes an aspect (a broken or undecided part of a direction) comes from."""
    col = aspect.column
    on_col = diff_.for_column(col) if col is not None else []
    kinds: tuple[str, ...]
    if aspect.kind == "values":
        check = aspect.witness.check if aspect.witness else None
        if check in ("dtype", "coerce_dtype"):
            kinds = ("dtype_widened", "dtype_narrowed", "dtype_changed", "coerce_changed")
        elif check == "not_nullable":
            kinds = ("nullable_changed", "dtype_widened", "dtype_narrowed", "dtype_changed")
        elif check:
            match = [c for c in on_col if c.check == check]
            if match:
                return match
            kinds = (
                "check_added",
                "check_removed",
                "check_tightened",
                "check_loosened",
                "check_changed",
                "dtype_widened",
                "dtype_narrowed",
                "dtype_changed",
                "coerce_changed",
                "nullable_changed",
            )
        else:
            kinds = tuple(
                k
                for k in (
                    "check_added",
                    "check_changed",
                    "check_tightened",
                    "check_loosened",
                    "check_removed",
                    "dtype_widened",
                    "dtype_narrowed",
                    "dtype_changed",
                    "coerce_changed",
                    "nullable_changed",
                )
            )
    elif aspect.kind in ("presence", "added", "removed"):
        kinds = ("column_added", "column_removed", "column_renamed", "required_changed")
    elif aspect.kind == "unique":
        kinds = ("unique_changed",)
    elif aspect.kind == "strict":
        return [c for c in diff_.changes if c.kind == "strict_changed"]
    elif aspect.kind == "ordered":
        return [c for c in diff_.changes if c.kind == "ordered_changed"] or [
            c
            for c in diff_.changes
            if c.kind in ("column_added", "column_removed", "column_renamed")
        ][:1]
    elif aspect.kind == "frame_unique":
        return [c for c in diff_.changes if c.kind == "dataframe_unique_changed"]
    elif aspect.kind == "frame_checks":
        return [c for c in diff_.changes if c.kind.startswith("dataframe_check")]
    else:
        return [c for c in diff_.changes if c.kind == "index_changed"]
    found = [c for c in on_col if c.kind in kinds]
    if aspect.kind == "values" and aspect.witness is not None:
        found = found[:1]
    return found or on_col[:1]


def attach_verdicts(report: CompatReport) -> None:
    """Give each change of the report's diff the verdicts of the aspects it comes from."""
    verdicts = {id(c): ChangeVerdict(c) for c in report.diff.changes}
    for direction, name in ((report.backward, "backward"), (report.forward, "forward")):
        for aspect in direction.aspects:
            for change in attributed_changes(report.diff, aspect):
                cv = verdicts[id(change)]
                current = cv.compatible.get(name)
                value: Verdict = False if aspect.status == "incompatible" else "unknown"
                if current is False:
                    continue
                cv.compatible[name] = value
                cv.reasons[name] = aspect.reason
                if aspect.witness is not None:
                    cv.witnesses[name] = aspect.witness
    report.changes = [verdicts[id(c)] for c in report.diff.changes]
