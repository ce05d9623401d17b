"""Check-aware compatibility between schema versions, as in schema registries.

Modes (``datalife.config.Compatibility``):

- ``BACKWARD``: every dataset valid under the old version is valid under the new one
  (consumers on the new version can read old data);
- ``FORWARD``: every dataset valid under the new version is valid under the old one;
- ``FULL``: both; ``NONE``: no requirement;
- ``*_TRANSITIVE``: the same against every earlier version, not only the previous one.

For one direction ("everything ``A`` accepts, ``B`` accepts"), datalife looks at each aspect of
the schemas (which columns must or may be present, each column's dtype, missing values and
checks, uniqueness, strictness, column order, dataframe-level checks) and either

- **proves** that ``B`` accepts everything ``A`` does for that aspect (bounds inside bounds,
  categories inside categories, ...), or
- **finds a witness**: a concrete dataset ``A`` accepts and ``B`` rejects, checked by running
  :func:`datalife.validate` on it under both versions, or
- says **unknown** (a custom check, a regex change it cannot compare, or no proof and no
  counterexample found). Unknown counts as breaking, and says why.

So ``True`` is proved, ``False`` comes with a witness, and ``"unknown"`` is explained.
Datasets are reasoned about as pandas DataFrames holding the old version's dtypes (what
``datalife.validate`` checks in memory); data stored as another dtype is covered where a
version coerces it.

Examples:
    >>> import pandera.pandas as pa
    >>> v1 = pa.DataFrameSchema({"x": pa.Column(int, pa.Check.in_range(0, 10))}, name="s")
    >>> v2 = pa.DataFrameSchema({"x": pa.Column(int, pa.Check.in_range(0, 5))}, name="s")
    >>> report = compatibility(v1, v2)
    >>> report.verdicts["BACKWARD"], report.verdicts["FORWARD"]
    (False, True)
    >>> report.witnesses("BACKWARD")[0].rows
    ({'x': 6},)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from datalife.config import Compatibility
from datalife.schemas.diff import Change, SchemaDiff, as_schema, diff
from datalife.schemas.domain import (
    ColumnSpace,
    admits,
    conversion,
    effective_coerce,
    finite_values,
    int_bounds,
    nonnull_empty,
)
from datalife.schemas.witness import Witness
from datalife.schemas.witness_search import WitnessSearch

if TYPE_CHECKING:
    import pandera.api.pandas.container as pac

__all__ = [
    "MODES",
    "Aspect",
    "ChangeVerdict",
    "CompatReport",
    "Direction",
    "Verdict",
    "aspect_lines",
    "check_direction",
    "compatibility",
    "mode_pairs",
]

Verdict = bool | Literal["unknown"]
MODES = tuple(m.value for m in Compatibility)


@dataclass(frozen=True)
class Aspect:
    """One part of a direction that is not proved compatible.

    ``status`` is ``incompatible`` (with a ``witness``) or ``unknown`` (with a ``reason``).
    """

    kind: str  # values, presence, removed, added, strict, ordered, unique, frame_unique, frame_checks, index
    column: str | None
    status: str
    reason: str
    witness: Witness | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "aspect": self.kind,
            "column": self.column,
            "status": self.status,
            "reason": self.reason,
            "witness": self.witness.to_dict() if self.witness else None,
        }


@dataclass
class Direction:
    """Whether every dataset valid under ``accepts`` is valid under ``target``."""

    source: str
    target: str
    aspects: list[Aspect] = field(default_factory=list)

    @property
    def verdict(self) -> Verdict:
        if any(a.status == "incompatible" for a in self.aspects):
            return False
        if any(a.status == "unknown" for a in self.aspects):
            return "unknown"
        return True

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.source,
            "to": self.target,
            "verdict": self.verdict,
            "aspects": [a.to_dict() for a in self.aspects],
        }


# -- proving one direction -------------------------------------------------------------------


def _rows_possible(schema: pac.DataFrameSchema, spaces: dict[str, ColumnSpace]) -> bool:
    """False only if no non-empty dataset can be valid (a required column accepts nothing)."""
    for c, col in schema.columns.items():
        if col.required and not spaces[c].nullable and nonnull_empty(spaces[c]):
            return False
    return True


def _dtype_ok(
    a: ColumnSpace, b: ColumnSpace, ca: Any, cb: Any, coerce_a: bool, coerce_b: bool
) -> tuple[bool, bool, str]:
    """(dtype accepted, values keep their meaning, reason if not)."""
    da, db = a.dtype, b.dtype
    if db.family == "any":
        return True, True, ""
    if da.family == "any":
        return False, False, f"%A has no dtype; %B requires {db.name}"
    if coerce_a and not coerce_b:
        return False, False, "%A coerces values to its dtype, %B does not"
    if not coerce_b:
        # pandera's own dtype check decides for equivalent dtypes (int64 / Int64); it is not
        # asked about object columns, which it accepts without looking at the values
        same = da.name == db.name or (
            conversion(da, db) == "equivalent" and _pandera_accepts(cb.dtype, ca.dtype)
        )
        if same:
            return True, True, ""
        return False, False, f"dtype {da.name} is not {db.name} and %B does not coerce"
    rel = conversion(da, db)
    if rel in ("same", "equivalent"):
        return True, True, ""
    if rel == "widening":
        if db.family == "object":
            return True, not b.has_value_checks, ""
        return True, True, ""
    if da.integral and db.integral:
        bounds = int_bounds(a)
        rng = db.int_range()
        if (
            bounds
            and rng
            and bounds[0] is not None
            and bounds[1] is not None
            and rng[0] <= bounds[0]
            and bounds[1] <= rng[1]
        ):
            return True, True, ""
        return False, False, f"{da.name} values may not fit {db.name}"
    if db.family in ("str", "object") and not b.has_value_checks:
        return True, True, ""
    return False, False, f"{da.name} → {db.name} is a {rel} conversion"


def _pandera_accepts(want: Any, have: Any) -> bool:
    try:
        return bool(want.check(have))
    except Exception:  # noqa: BLE001 - pandera dtypes may refuse to compare
        return False


def _values_included(a: ColumnSpace, b: ColumnSpace, same_meaning: bool) -> tuple[bool, str]:
    """Whether every non-missing value ``a`` accepts passes ``b``'s checks."""
    if not b.has_value_checks:
        return True, ""
    if not same_meaning:
        return False, "the values change type, so the new checks cannot be compared"
    if b.opaque:
        missing = [k for k in b.opaque if k not in a.opaque]
        if missing:
            names = ", ".join(sorted({k[0] for k in missing}))
            return False, f"check {names} cannot be decided structurally (custom or not comparable)"
        if a.dtype.name != b.dtype.name and a.dtype.family != b.dtype.family:
            return False, "a custom check now sees values of another dtype"
    if nonnull_empty(a):
        return True, ""
    values = finite_values(a)
    if values is not None:
        for v in values:
            ok, rv = b.dtype.represent(v)
            if not ok or admits(b, rv, ignore_opaque=True) != "yes":
                return False, f"{v!r} is accepted by %A, not by %B"
        return True, ""
    if b.allowed is not None:
        return False, "%B allows a fixed set of values, %A does not"
    if b.lower is not None or b.upper is not None:
        ok, why = _bounds_included(a, b)
        if not ok:
            return False, why
    for f in b.forbidden:
        ok, rf = a.dtype.represent(f)
        if ok and admits(a, rf, ignore_opaque=True) != "no":
            return False, f"{f!r} is forbidden by %B"
    if b.len_lo is not None and (a.len_lo or 0) < b.len_lo:
        return False, "shorter strings are accepted by %A"
    if b.len_hi is not None and (a.len_hi is None or a.len_hi > b.len_hi):
        return False, "longer strings are accepted by %A"
    for kind, pattern in b.patterns:
        if not _pattern_implied(kind, pattern, a):
            return (
                False,
                f"pattern {kind} {pattern!r} of %B cannot be compared with the patterns of %A",
            )
    return True, ""


def _bounds_included(a: ColumnSpace, b: ColumnSpace) -> tuple[bool, str]:
    try:
        ib = int_bounds(a)
        if ib is not None:
            lo, hi = ib
            if b.lower is not None:
                bl, binc = b.lower
                if lo is None or not (lo > bl or (binc and lo == bl)):
                    return False, f"values below {bl} are accepted by %A"
            if b.upper is not None:
                bh, binc = b.upper
                if hi is None or not (hi < bh or (binc and hi == bh)):
                    return False, f"values above {bh} are accepted by %A"
            return True, ""
        if b.lower is not None:
            bl, binc = b.lower
            if a.lower is None:
                return False, f"values below {bl} are accepted by %A"
            al, ainc = a.lower
            if not (al > bl or (al == bl and (binc or not ainc))):
                return False, f"values below {bl} are accepted by %A"
        if b.upper is not None:
            bh, binc = b.upper
            if a.upper is None:
                return False, f"values above {bh} are accepted by %A"
            ah, ainc = a.upper
            if not (ah < bh or (ah == bh and (binc or not ainc))):
                return False, f"values above {bh} are accepted by %A"
    except TypeError:
        return False, "bounds of different types cannot be compared"
    return True, ""


def _is_literal(pattern: str) -> bool:
    import re

    return re.escape(pattern) == pattern or not any(ch in pattern for ch in ".^$*+?{}[]\\|()")


def _pattern_implied(kind: str, pattern: str, a: ColumnSpace) -> bool:
    for k, p in a.patterns:
        if k == kind and p == pattern:
            return True
        if kind == "startswith" and k == "startswith" and p.startswith(pattern):
            return True
        if kind == "endswith" and k == "endswith" and p.endswith(pattern):
            return True
        if kind == "match" and k == "startswith" and _is_literal(pattern) and p.startswith(pattern):
            return True
        if (
            kind == "contains"
            and _is_literal(pattern)
            and k in ("startswith", "endswith")
            and pattern in p
        ):
            return True
    return False


def _frame_unique(schema: pac.DataFrameSchema) -> list[str] | None:
    u = schema.unique
    if not u:
        return None
    return [u] if isinstance(u, str) else list(u)


def check_direction(
    accepts: Any, target: Any, *, labels: tuple[str, str] | None = None, search: bool = True
) -> Direction:
    """Whether every dataset valid under ``accepts`` is valid under ``target``.

    Args:
        accepts: the schema whose valid datasets are considered (ref, SchemaVersion, pandera).
        target: the schema they must also satisfy.
        labels: names for the two (default: their refs).
        search: look for witnesses (otherwise unproved aspects are reported as unknown).
    """
    a, la, _ = as_schema(accepts)
    b, lb, _ = as_schema(target)
    if labels:
        la, lb = labels
    elif la == lb:
        la, lb = f"{la} (old)", f"{lb} (new)"
    out = Direction(la, lb)
    finder = WitnessSearch(a, b, la, lb)
    sa = finder.spaces_valid
    sb = finder.spaces_invalid
    rows = _rows_possible(a, sa)
    a_strict, b_strict = a.strict is True, b.strict is True

    def add(
        kind: str, column: str | None, reason: str, witness: Witness | None, known: bool = False
    ) -> None:
        reason = reason.replace("%A", la).replace("%B", lb)
        if witness is not None:
            out.aspects.append(Aspect(kind, column, "incompatible", reason, witness))
        else:
            why = reason if known else f"{reason} (not proved, and no counterexample found)"
            out.aspects.append(Aspect(kind, column, "unknown", why))

    def find(fn: Any, *args: Any, **kw: Any) -> Witness | None:
        return fn(*args, **kw) if search else None

    # -- columns -------------------------------------------------------------------------
    for c, cb in b.columns.items():
        if getattr(cb, "regex", False) or (
            c in a.columns and getattr(a.columns[c], "regex", False)
        ):
            add("values", c, "columns matched by regex cannot be compared", None, known=True)
            continue
        if c not in a.columns:
            if cb.required:
                add(
                    "presence",
                    c,
                    f"column {c!r} is required by %B and absent from %A",
                    find(finder.missing_column, c),
                )
            elif not a_strict:
                # the old version lets any column through; the new one constrains this one
                free = cb.dtype is None and cb.nullable and not cb.checks
                if not free:
                    add(
                        "added",
                        c,
                        f"%A lets any column {c!r} through; %B constrains it",
                        find(finder.extra_column, c),
                    )
            continue
        ca = a.columns[c]
        if cb.required and not ca.required:
            add(
                "presence",
                c,
                f"column {c!r} is required by %B, optional in %A",
                find(finder.missing_column, c),
            )
        space_a, space_b = sa[c], sb[c]
        coerce_a, coerce_b = effective_coerce(ca, a), effective_coerce(cb, b)
        dtype_ok, same_meaning, why = _dtype_ok(space_a, space_b, ca, cb, coerce_a, coerce_b)
        problems = []
        if not dtype_ok:
            problems.append(why)
        if rows and dtype_ok:
            if space_a.nullable and not space_b.nullable:
                problems.append("missing values are accepted by %A")
            ok, why_v = _values_included(space_a, space_b, same_meaning)
            if not ok:
                problems.append(why_v)
        if problems:
            witness = find(finder.values, c, rows_possible=rows)
            opaque = any("structurally" in p for p in problems)
            add("values", c, "; ".join(problems), witness, known=opaque)
        if rows and cb.unique and not ca.unique and _frame_unique(a) != [c]:
            add(
                "unique",
                c,
                f"values of {c!r} must be unique under %B, not under %A",
                find(finder.duplicate, [c]),
            )
    for c in a.columns:
        if c in b.columns:
            continue
        if b_strict:
            add(
                "removed",
                c,
                f"column {c!r} is not in %B, which is strict",
                find(finder.extra_column, c),
            )
    # -- dataframe level ---------------------------------------------------------------------
    if b_strict and not a_strict:
        add(
            "strict",
            None,
            "%B is strict: columns it does not list are rejected",
            find(finder.unexpected_column),
        )
    if b.ordered:
        common_a = [c for c in a.columns if c in b.columns]
        common_b = [c for c in b.columns if c in a.columns]
        proved = (
            bool(a.ordered)
            and common_a == common_b
            and (a_strict or all(c in a.columns for c in b.columns))
        )
        if not proved:
            add("ordered", None, "%B checks the column order", find(finder.reordered))
    ub = _frame_unique(b)
    if ub and rows:
        ua = _frame_unique(a)
        proved = (ua is not None and set(ua) <= set(ub)) or any(
            c in a.columns and a.columns[c].unique for c in ub
        )
        if not proved:
            add(
                "frame_unique",
                None,
                f"combinations of {ub} must be unique under %B",
                find(finder.duplicate, ub),
            )
    from datalife.schemas.domain import check_key

    keys_a = {check_key(ch) for ch in a.checks}
    new_checks = [
        ch
        for ch in b.checks
        if check_key(ch) not in keys_a and not getattr(ch, "raise_warning", False)
    ]
    if new_checks:
        names = ", ".join(sorted({str(ch.name) for ch in new_checks}))
        add(
            "frame_checks",
            None,
            f"dataframe-level check {names} cannot be decided structurally",
            find(finder.any_rows),
            known=True,
        )
    if repr(a.index) != repr(b.index):
        add("index", None, "index definitions differ and are not compared", None, known=True)
    return out


# -- the report ------------------------------------------------------------------------------


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
                changes = _attribute(self.diff, aspect) if id(direction) in main else []
                lines.extend(aspect_lines(aspect, name, full, changes))
        return "\n".join(lines)

    def aspect_changes(self, aspect: Aspect) -> list[Change]:
        """The changes (old → new) an aspect of the backward or forward direction comes from."""
        return _attribute(self.diff, aspect)

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


def _attribute(diff_: SchemaDiff, aspect: Aspect) -> list[Change]:
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


def _attach(report: CompatReport) -> None:
    verdicts = {id(c): ChangeVerdict(c) for c in report.diff.changes}
    for direction, name in ((report.backward, "backward"), (report.forward, "forward")):
        for aspect in direction.aspects:
            for change in _attribute(report.diff, aspect):
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


def compatibility(
    old: Any,
    new: Any,
    *,
    history: Sequence[Any] = (),
    policy: Compatibility | str | None = None,
    workspace: Any = None,
    search: bool = True,
    policy_only: bool = False,
) -> CompatReport:
    """Compare ``new`` with ``old`` in every mode.

    Args:
        old: the previous version (ref, :class:`SchemaVersion` or pandera schema).
        new: the new version.
        history: earlier versions than ``old`` for the transitive modes (the transitive
            verdicts then cover ``old`` and every version in ``history``).
        policy: the mode ``new`` must meet (default: its own metadata when it is a
            SchemaVersion).
        workspace: where to resolve references.
        search: look for witnesses of incompatibility.
        policy_only: search for witnesses only in the directions the policy requires (the
            others are still proved where possible, else reported as unknown): faster, for
            hooks that only need the policy's verdict.
    """
    a, la, sva = as_schema(old, workspace)
    b, lb, svb = as_schema(new, workspace)
    d = diff(a if sva is None else sva, b if svb is None else svb, workspace=workspace)
    la, lb = d.old, d.new
    if policy is None and svb is not None:
        policy = svb.meta.compatibility
    need_back, need_fwd, need_hist = (True, True, True)
    if policy_only and policy is not None:
        need_back, need_fwd, need_hist = mode_pairs(policy)
    backward = check_direction(a, b, labels=(la, lb), search=search and need_back)
    forward = check_direction(b, a, labels=(lb, la), search=search and need_fwd)
    hist: list[tuple[str, Direction, Direction]] = []
    for h in history if (need_hist or not policy_only) else ():
        ha, hl, _ = as_schema(h, workspace)
        hist.append(
            (
                hl,
                check_direction(ha, b, labels=(hl, lb), search=search and need_back),
                check_direction(b, ha, labels=(lb, hl), search=search and need_fwd),
            )
        )
    report = CompatReport(
        la, lb, d, backward, forward, hist, Compatibility(policy).value if policy else None
    )
    _attach(report)
    return report
