"""A typed diff between two schema versions.

:func:`diff` compares two schemas column by column (in the new version's column order, a
removed column at its old place) and returns a :class:`SchemaDiff`: one :class:`Change` per
difference, each with a ``kind``, the ``column``, the ``old`` and ``new`` values and its
``effect`` on the set of valid datasets:

- ``loosened``: the new version accepts more (e.g. a wider range, a new category);
- ``tightened``: it accepts less (a narrower range, a new required column);
- ``changed``: some of both (a shifted range, a renamed column);
- ``neutral``: the same datasets are valid (int64 → Int64, str → category);
- ``unknown``: datalife cannot tell (a custom check, a changed regex).

The effect is structural: whether a change actually breaks a compatibility mode, with a
concrete example, is decided by :mod:`datalife.schemas.compat`.

Examples:
    >>> import pandera.pandas as pa
    >>> old = pa.DataFrameSchema({"x": pa.Column(int, pa.Check.in_range(0, 10))}, strict=True)
    >>> new = pa.DataFrameSchema({"x": pa.Column(int, pa.Check.in_range(0, 20)),
    ...                           "y": pa.Column(str, required=False)}, strict=True)
    >>> d = diff(old, new)
    >>> [(c.kind, c.column, c.effect) for c in d.changes]
    [('check_loosened', 'x', 'loosened'), ('column_added', 'y', 'loosened')]
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from datalife.schemas.domain import (
    BOUND_CHECKS,
    check_key,
    conversion,
    dtype_info,
    effective_coerce,
    interval_relation,
    is_effective,
    is_understood,
    set_relation,
)

if TYPE_CHECKING:
    import pandera.api.pandas.components as pcc
    import pandera.api.pandas.container as pac

__all__ = ["CHANGE_KINDS", "Change", "SchemaDiff", "as_schema", "diff"]

#: Every ``Change.kind``.
CHANGE_KINDS = (
    "column_added",
    "column_removed",
    "column_renamed",
    "dtype_widened",
    "dtype_narrowed",
    "dtype_changed",
    "nullable_changed",
    "required_changed",
    "unique_changed",
    "coerce_changed",
    "check_added",
    "check_removed",
    "check_tightened",
    "check_loosened",
    "check_changed",
    "strict_changed",
    "ordered_changed",
    "dataframe_unique_changed",
    "dataframe_check_added",
    "dataframe_check_removed",
    "dataframe_check_changed",
    "index_changed",
)


@dataclass(frozen=True)
class Change:
    """One difference between two schema versions.

    Attributes:
        kind: one of :data:`CHANGE_KINDS`.
        column: the column (the new name for a rename); None for dataframe-level changes.
        effect: ``loosened``, ``tightened``, ``changed``, ``neutral`` or ``unknown``.
        description: one line for a person.
        check: the check's name for ``check_*`` changes.
        old: the old value (dtype name, flag, check parameters, ...), None if absent.
        new: the new value.
        old_column: for a rename, the old name.
    """

    kind: str
    column: str | None
    effect: str
    description: str
    check: str | None = None
    old: Any = None
    new: Any = None
    old_column: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "column": self.column,
            "effect": self.effect,
            "description": self.description,
        }
        if self.check is not None:
            out["check"] = self.check
        out["old"] = _jsonable(self.old)
        out["new"] = _jsonable(self.new)
        if self.old_column is not None:
            out["old_column"] = self.old_column
        return out

    def mentions(self, column: str | None) -> bool:
        """True if the change is about ``column`` (under its old or new name)."""
        return column is not None and column in (self.column, self.old_column)


@dataclass
class SchemaDiff:
    """Every change from ``old`` to ``new``, in the new version's column order."""

    old: str
    new: str
    changes: list[Change] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.changes)

    def __bool__(self) -> bool:
        return bool(self.changes)

    def __iter__(self) -> Any:
        return iter(self.changes)

    def for_column(self, column: str | None) -> list[Change]:
        return [c for c in self.changes if c.mentions(column)]

    def to_dict(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new, "changes": [c.to_dict() for c in self.changes]}

    def to_text(self) -> str:
        if not self.changes:
            return f"{self.old} → {self.new}: no changes"
        lines = [f"{self.old} → {self.new}: {_plural(len(self.changes), 'change')}"]
        width = max(len(c.column or "(dataframe)") for c in self.changes)
        for c in self.changes:
            where = c.column or "(dataframe)"
            lines.append(f"  {where.ljust(width)}  {c.description}  [{c.effect}]")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):
        return _jsonable(value.item())
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def as_schema(obj: Any, workspace: Any = None) -> tuple[pac.DataFrameSchema, str, Any]:
    """``(pandera schema, label, SchemaVersion or None)`` for a ref, SchemaVersion or schema."""
    import pandera.pandas as pa

    from datalife.errors import DatalifeError
    from datalife.schemas.model import SchemaVersion

    if isinstance(obj, SchemaVersion):
        return obj.schema, obj.ref, obj
    if isinstance(obj, str):
        from datalife.schemas.registry import load_schema

        sv = load_schema(obj, workspace)
        return sv.schema, sv.ref, sv
    if isinstance(obj, pa.DataFrameSchema):
        return obj, obj.name or "schema", None
    if isinstance(obj, type) and issubclass(obj, pa.DataFrameModel):
        s = obj.to_schema()
        return s, s.name or obj.__name__, None
    raise DatalifeError(
        f"cannot compare a {type(obj).__name__}",
        hint="pass a schema reference ('penguins@2'), a SchemaVersion or a pandera schema.",
    )


def _labels(old_label: str, new_label: str) -> tuple[str, str]:
    if old_label == new_label:
        return f"{old_label} (old)", f"{new_label} (new)"
    return old_label, new_label


def diff(old: Any, new: Any, *, workspace: Any = None) -> SchemaDiff:
    """The typed differences from ``old`` to ``new``.

    Args:
        old: a schema reference (``"penguins@1"``), a :class:`SchemaVersion` or a pandera
            ``DataFrameSchema``.
        new: the same, for the new version.
        workspace: where to resolve references (default: the current workspace).
    """
    a, a_label, _ = as_schema(old, workspace)
    b, b_label, _ = as_schema(new, workspace)
    a_label, b_label = _labels(a_label, b_label)
    changes: list[Change] = []
    a_cols, b_cols = list(a.columns), list(b.columns)
    removed = [c for c in a_cols if c not in b.columns]
    added = [c for c in b_cols if c not in a.columns]
    renames = _renames(a, b, removed, added)
    renamed_old = set(renames.values())
    for name in _merged_order(a_cols, b_cols):
        if name in b.columns and name in a.columns:
            changes.extend(_column_changes(name, a.columns[name], b.columns[name], a, b))
        elif name in b.columns:
            if name in renames:
                changes.append(_rename_change(renames[name], name, a, b))
            else:
                changes.append(_added(name, b.columns[name], a, b))
        elif name not in renamed_old:
            changes.append(_removed(name, a.columns[name], a, b))
    changes.extend(_frame_changes(a, b))
    return SchemaDiff(a_label, b_label, changes)


def _merged_order(a_cols: list[str], b_cols: list[str]) -> list[str]:
    """The new columns in order, each removed column after its old predecessor."""
    out = list(b_cols)
    for i, col in enumerate(a_cols):
        if col in b_cols:
            continue
        pos = 0
        for prev in reversed(a_cols[:i]):
            if prev in out:
                pos = out.index(prev) + 1
                break
        out.insert(pos, col)
    return out


def _spec(col: pcc.Column) -> tuple[Any, ...]:
    return (
        dtype_info(col.dtype).family,
        sorted(check_key(c) for c in col.checks),
        bool(col.nullable),
    )


def _renames(
    a: pac.DataFrameSchema, b: pac.DataFrameSchema, removed: list[str], added: list[str]
) -> dict[str, str]:
    """new name -> old name for added columns that look like a removed column renamed."""
    out: dict[str, str] = {}
    pool = list(removed)
    for new_name in added:
        best, best_score = None, 0.0
        for old_name in pool:
            same_family = (
                dtype_info(a.columns[old_name].dtype).family
                == dtype_info(b.columns[new_name].dtype).family
            )
            if not same_family:
                continue
            similar = difflib.SequenceMatcher(None, old_name.lower(), new_name.lower()).ratio()
            same_spec = _spec(a.columns[old_name]) == _spec(b.columns[new_name])
            score = similar + (0.5 if same_spec else 0.0)
            if (similar >= 0.6 or same_spec) and score > best_score:
                best, best_score = old_name, score
        if best is not None:
            out[new_name] = best
            pool.remove(best)
    return out


def _col_summary(col: pcc.Column) -> str:
    parts = [str(col.dtype) if col.dtype is not None else "any dtype"]
    parts.append("nullable" if col.nullable else "not nullable")
    parts.append("required" if col.required else "optional")
    if col.unique:
        parts.append("unique")
    parts.extend(_check_text(c) for c in col.checks)
    return ", ".join(parts)


def _check_text(check: Any) -> str:
    stats = dict(check.statistics or {})
    name = check.name
    if name == "in_range":
        lo = "[" if stats.get("include_min", True) else "("
        hi = "]" if stats.get("include_max", True) else ")"
        return f"in_range {lo}{stats.get('min_value')}, {stats.get('max_value')}{hi}"
    if name == "isin":
        return f"isin {list(stats.get('allowed_values', []))}"
    if name == "notin":
        return f"notin {list(stats.get('forbidden_values', []))}"
    if len(stats) == 1:
        return f"{name}({next(iter(stats.values()))!r})"
    args = ", ".join(f"{k}={v!r}" for k, v in stats.items() if v is not None)
    return f"{name}({args})"


def _added(name: str, col: pcc.Column, a: pac.DataFrameSchema, b: pac.DataFrameSchema) -> Change:
    if col.required:
        effect = "tightened"
        why = "required: data without it is rejected"
    elif a.strict is True:
        effect = "loosened"
        why = "optional: data may now carry it"
    else:
        constrained = col.dtype is not None or not col.nullable or bool(col.checks)
        effect = "tightened" if constrained else "neutral"
        why = "optional; the old version let any values through under that name"
    return Change(
        "column_added",
        name,
        effect,
        f"column added ({_col_summary(col)}); {why}",
        old=None,
        new=_col_summary(col),
    )


def _removed(name: str, col: pcc.Column, a: pac.DataFrameSchema, b: pac.DataFrameSchema) -> Change:
    if b.strict is True:
        effect = "changed" if col.required else "tightened"
        why = "the new version is strict: data that still has it is rejected"
    else:
        effect = "loosened"
        why = "no longer checked"
    return Change(
        "column_removed", name, effect, f"column removed; {why}", old=_col_summary(col), new=None
    )


def _rename_change(
    old_name: str, new_name: str, a: pac.DataFrameSchema, b: pac.DataFrameSchema
) -> Change:
    same = _spec(a.columns[old_name]) == _spec(b.columns[new_name])
    how = "same dtype and checks" if same else "similar name, same dtype family"
    return Change(
        "column_renamed",
        new_name,
        "changed",
        f"column {old_name!r} probably renamed to {new_name!r} ({how}); data with the old "
        "name fails the new version",
        old=old_name,
        new=new_name,
        old_column=old_name,
    )


def _column_changes(
    name: str,
    ca: pcc.Column,
    cb: pcc.Column,
    a: pac.DataFrameSchema,
    b: pac.DataFrameSchema,
) -> list[Change]:
    out: list[Change] = []
    da, db = dtype_info(ca.dtype), dtype_info(cb.dtype)
    coerce_b = effective_coerce(cb, b)
    if da.name != db.name:
        rel = conversion(da, db)
        kind = {"widening": "dtype_widened", "narrowing": "dtype_narrowed"}.get(
            rel, "dtype_changed"
        )
        if rel == "equivalent":
            effect = "neutral"
        elif not coerce_b and db.family != "any":
            effect = "changed"
        else:
            effect = {"widening": "loosened", "narrowing": "tightened"}.get(rel, "changed")
        note = (
            ""
            if coerce_b or db.family == "any"
            else " (no coerce: frames stored as the old dtype are rejected)"
        )
        out.append(
            Change(
                kind,
                name,
                effect,
                f"dtype {da.name} → {db.name} ({rel}){note}",
                old=da.name,
                new=db.name,
            )
        )
    if bool(ca.nullable) != bool(cb.nullable):
        loosened = bool(cb.nullable)
        out.append(
            Change(
                "nullable_changed",
                name,
                "loosened" if loosened else "tightened",
                "missing values now allowed" if loosened else "missing values no longer allowed",
                old=bool(ca.nullable),
                new=bool(cb.nullable),
            )
        )
    if bool(ca.required) != bool(cb.required):
        loosened = not cb.required
        out.append(
            Change(
                "required_changed",
                name,
                "loosened" if loosened else "tightened",
                "now optional" if loosened else "now required",
                old=bool(ca.required),
                new=bool(cb.required),
            )
        )
    if bool(ca.unique) != bool(cb.unique):
        out.append(
            Change(
                "unique_changed",
                name,
                "tightened" if cb.unique else "loosened",
                "values must now be unique" if cb.unique else "values no longer need to be unique",
                old=bool(ca.unique),
                new=bool(cb.unique),
            )
        )
    coerce_a = effective_coerce(ca, a)
    if coerce_a != coerce_b:
        out.append(
            Change(
                "coerce_changed",
                name,
                "loosened" if coerce_b else "tightened",
                "values are now coerced to the dtype"
                if coerce_b
                else "values are no longer coerced: data stored as another type is rejected",
                old=coerce_a,
                new=coerce_b,
            )
        )
    out.extend(_check_changes(name, list(ca.checks), list(cb.checks)))
    return out


def _by_name(checks: list[Any]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for c in checks:
        if is_effective(c):
            out.setdefault(str(c.name), []).append(c)
    return out


def _check_changes(column: str | None, old: list[Any], new: list[Any]) -> list[Change]:
    out: list[Change] = []
    a, b = _by_name(old), _by_name(new)
    names = list(a) + [n for n in b if n not in a]
    for name in names:
        olds, news = a.get(name, []), b.get(name, [])
        # identical checks on both sides are not changes
        unmatched_new = list(news)
        rest_old = []
        for c in olds:
            twin = next((n for n in unmatched_new if check_key(n) == check_key(c)), None)
            if twin is not None:
                unmatched_new.remove(twin)
            else:
                rest_old.append(c)
        for i in range(max(len(rest_old), len(unmatched_new))):
            co = rest_old[i] if i < len(rest_old) else None
            cn = unmatched_new[i] if i < len(unmatched_new) else None
            out.append(_one_check_change(column, name, co, cn))
    return out


def _stats(check: Any) -> dict[str, Any]:
    return dict(check.statistics or {})


def _one_check_change(column: str | None, name: str, co: Any, cn: Any) -> Change:
    frame = column is None
    if co is None:
        kind = "dataframe_check_added" if frame else "check_added"
        effect = "tightened" if is_understood(cn) else "unknown"
        why = "" if is_understood(cn) else " (a custom check: its effect cannot be decided)"
        return Change(
            kind,
            column,
            effect,
            f"check added: {_check_text(cn)}{why}",
            check=name,
            new=_stats(cn),
        )
    if cn is None:
        kind = "dataframe_check_removed" if frame else "check_removed"
        return Change(
            kind,
            column,
            "loosened",
            f"check removed: {_check_text(co)}",
            check=name,
            old=_stats(co),
        )
    effect = _check_effect(name, co, cn)
    if not (is_understood(co) and is_understood(cn)):
        effect = "unknown"
    kind = {"tightened": "check_tightened", "loosened": "check_loosened"}.get(
        effect, "check_changed"
    )
    if frame:
        kind = "dataframe_check_changed"
    detail = _check_detail(name, co, cn)
    return Change(
        kind,
        column,
        effect,
        f"{name} {detail}",
        check=name,
        old=_stats(co),
        new=_stats(cn),
    )


def _bounds(name: str, s: dict[str, Any]) -> tuple[Any, Any]:
    if name == "in_range":
        return (s.get("min_value"), s.get("include_min", True)), (
            s.get("max_value"),
            s.get("include_max", True),
        )
    if name == "greater_than":
        return (s["min_value"], False), None
    if name == "greater_than_or_equal_to":
        return (s["min_value"], True), None
    if name == "less_than":
        return None, (s["max_value"], False)
    return None, (s["max_value"], True)


def _check_effect(name: str, co: Any, cn: Any) -> str:
    so, sn = _stats(co), _stats(cn)
    try:
        if name in BOUND_CHECKS:
            return interval_relation(_bounds(name, so), _bounds(name, sn))
        if name == "isin":
            return set_relation(list(so["allowed_values"]), list(sn["allowed_values"]))
        if name == "notin":
            rel = set_relation(list(so["forbidden_values"]), list(sn["forbidden_values"]))
            return {"loosened": "tightened", "tightened": "loosened"}.get(rel, rel)
        if name == "str_length":
            return interval_relation(_len_bounds(so), _len_bounds(sn))
        if name == "str_startswith" or name == "str_endswith":
            o, n = str(so["string"]), str(sn["string"])
            starts = name == "str_startswith"
            if (o.startswith(n) if starts else o.endswith(n)) and o != n:
                return "loosened"
            if (n.startswith(o) if starts else n.endswith(o)) and o != n:
                return "tightened"
            return "changed"
        if name in ("str_matches", "str_contains"):
            return "unknown"
    except (KeyError, TypeError):
        return "unknown"
    return "changed"


def _len_bounds(s: dict[str, Any]) -> tuple[Any, Any]:
    lo, hi, exact = s.get("min_value"), s.get("max_value"), s.get("exact_value")
    if exact is not None:
        lo = hi = exact
    return ((lo, True) if lo is not None else (0, True)), ((hi, True) if hi is not None else None)


def _check_detail(name: str, co: Any, cn: Any) -> str:
    so, sn = _stats(co), _stats(cn)
    if name in ("isin", "notin"):
        key = "allowed_values" if name == "isin" else "forbidden_values"
        old, new = list(so.get(key, [])), list(sn.get(key, []))
        plus = [v for v in new if v not in old]
        minus = [v for v in old if v not in new]
        parts = [f"+ {v!r}" for v in plus] + [f"- {v!r}" for v in minus]
        return ", ".join(parts) if parts else "reordered"
    return f"{_check_text(co).removeprefix(name).strip()} → {_check_text(cn).removeprefix(name).strip()}"


def _frame_unique(schema: pac.DataFrameSchema) -> list[str] | None:
    u = schema.unique
    if not u:
        return None
    return [u] if isinstance(u, str) else list(u)


def _frame_changes(a: pac.DataFrameSchema, b: pac.DataFrameSchema) -> list[Change]:
    out: list[Change] = []
    sa, sb = a.strict is True, b.strict is True
    if sa != sb:
        out.append(
            Change(
                "strict_changed",
                None,
                "tightened" if sb else "loosened",
                "strict: columns not in the schema are now rejected"
                if sb
                else "no longer strict: extra columns are allowed",
                old=a.strict,
                new=b.strict,
            )
        )
    if bool(a.ordered) != bool(b.ordered):
        out.append(
            Change(
                "ordered_changed",
                None,
                "tightened" if b.ordered else "loosened",
                "columns must now be in the schema's order"
                if b.ordered
                else "column order no longer checked",
                old=bool(a.ordered),
                new=bool(b.ordered),
            )
        )
    if bool(a.coerce) != bool(b.coerce):
        out.append(
            Change(
                "coerce_changed",
                None,
                "loosened" if b.coerce else "tightened",
                "every column is now coerced" if b.coerce else "columns are no longer coerced",
                old=bool(a.coerce),
                new=bool(b.coerce),
            )
        )
    ua, ub = _frame_unique(a), _frame_unique(b)
    if (ua and set(ua)) != (ub and set(ub)):
        if ub is None:
            effect = "loosened"
        elif ua is None:
            effect = "tightened"
        elif set(ua) <= set(ub):
            effect = "loosened"
        elif set(ub) <= set(ua):
            effect = "tightened"
        else:
            effect = "changed"
        out.append(
            Change(
                "dataframe_unique_changed",
                None,
                effect,
                f"unique combination of columns {ua} → {ub}",
                old=ua,
                new=ub,
            )
        )
    out.extend(_check_changes(None, list(a.checks), list(b.checks)))
    if repr(a.index) != repr(b.index):
        out.append(
            Change(
                "index_changed",
                None,
                "unknown",
                "index changed",
                old=repr(a.index),
                new=repr(b.index),
            )
        )
    return out
