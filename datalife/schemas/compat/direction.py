"""One direction of compatibility, "everything ``A`` accepts, ``B`` accepts": each aspect of
the schemas proved, broken (with a witness) or unknown (with the reason)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from datalife.schemas.diff import as_schema
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

__all__ = ["Aspect", "Direction", "Verdict", "check_direction"]

Verdict = bool | Literal["unknown"]


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
