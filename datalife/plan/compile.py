"""The check compiler: what a schema checks, independent of the engine that evaluates it.

:func:`compile_plan` turns a schema version (its :class:`~datalife.plan.spec.SchemaSpec`) into
a :class:`CheckPlan` once; every engine renders that plan (pandera calls for frames, SQL for
DuckDB) and reports failures under the plan's names. What no engine may decide on its own —
which checks exist, in which order, and which failures are only warnings
(:meth:`CheckPlan.is_warning`) — is decided here, once, for all of them.

Every engine reports failures under the same names, taken from pandera: ``column_in_dataframe``
(a required column is missing), ``column_in_schema`` (an unexpected column in a strict
schema), ``dtype`` / ``coerce_dtype``, ``not_nullable``, ``unique`` and the check's own name
(``in_range``, ``isin``, ...).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from datalife.plan.spec import CheckSpec, SchemaSpec

if TYPE_CHECKING:
    import pandera.api.pandas.container as pac

__all__ = [
    "CheckPlan",
    "PlannedCheck",
    "as_spec",
    "compile_plan",
    "describe_failure",
    "plan_checks",
    "rename_candidates",
]


@dataclass(frozen=True)
class PlannedCheck:
    column: str | None
    check: str
    detail: str
    obj: CheckSpec | None = None  # for value checks: the check's parameters (and pandera Check)


def as_spec(schema: SchemaSpec | pac.DataFrameSchema) -> SchemaSpec:
    """``schema`` as a :class:`SchemaSpec` (a pandera schema is read into one)."""
    return schema if isinstance(schema, SchemaSpec) else SchemaSpec.from_pandera(schema)


def plan_checks(schema: SchemaSpec | pac.DataFrameSchema) -> list[PlannedCheck]:
    """Every check ``schema`` makes, in the schema's column order."""
    spec = as_spec(schema)
    out: list[PlannedCheck] = []
    for name, col in spec.columns.items():
        if col.required:
            out.append(PlannedCheck(name, "column_in_dataframe", "column_in_dataframe"))
        if col.dtype is not None:
            kind = "coerce_dtype" if (col.coerce or spec.coerce) else "dtype"
            out.append(PlannedCheck(name, kind, f"{kind}('{col.dtype}')"))
        if not col.nullable:
            out.append(PlannedCheck(name, "not_nullable", "not_nullable"))
        if col.unique:
            out.append(PlannedCheck(name, "unique", "field_uniqueness"))
        for check in col.checks:
            out.append(PlannedCheck(name, check.name, check.detail, check))
    if spec.strict is True:
        out.append(PlannedCheck(None, "column_in_schema", "column_in_schema"))
    if spec.ordered:
        out.append(PlannedCheck(None, "column_ordered", "column_ordered"))
    if spec.unique:
        out.append(PlannedCheck(",".join(spec.unique), "unique", "multiple_fields_uniqueness"))
    for check in spec.checks:
        out.append(PlannedCheck(None, check.name, check.detail, check))
    if spec.min_rows > 0:
        out.append(PlannedCheck(None, "min_rows", f"min_rows({spec.min_rows})"))
    return out


@dataclass(frozen=True)
class CheckPlan:
    """A schema compiled for the engines: the spec and every check it makes, in order."""

    spec: SchemaSpec
    checks: tuple[PlannedCheck, ...]

    @property
    def columns(self) -> list[str]:
        return list(self.spec.columns)

    @property
    def value_checks(self) -> list[PlannedCheck]:
        """The checks on column values (what an engine renders in its own terms)."""
        return [p for p in self.checks if p.check not in STRUCTURAL]

    def is_warning(self, column: str | None, check: str, detail: str | None = None) -> bool:
        """Whether failures of ``check`` on ``column`` are warnings, not failures (``detail``
        tells apart two checks of the same name on one column, e.g. a hard range and the
        observed range as a warning)."""
        return any(
            p.column == column
            and p.check == check
            and (detail is None or p.detail == detail)
            and p.obj is not None
            and p.obj.warning
            for p in self.checks
        )


STRUCTURAL = frozenset({"column_in_dataframe", "column_in_schema", "column_ordered"})


def compile_plan(schema: SchemaSpec | pac.DataFrameSchema) -> CheckPlan:
    """Compile ``schema`` into the plan every engine renders.

    Examples:
        >>> from datalife.plan.spec import ColumnSpec, SchemaSpec
        >>> plan = compile_plan(SchemaSpec({"x": ColumnSpec("x", dtype="int64")}, min_rows=1))
        >>> [p.check for p in plan.checks]
        ['column_in_dataframe', 'dtype', 'not_nullable', 'min_rows']
    """
    spec = as_spec(schema)
    return CheckPlan(spec, tuple(plan_checks(spec)))


def rename_candidates(missing: Sequence[str], extra: Sequence[str]) -> dict[str, str]:
    """For each missing column, the unexpected column that looks like its new name."""
    out: dict[str, str] = {}
    pool = list(extra)
    for m in missing:
        near = difflib.get_close_matches(m, pool, n=1, cutoff=0.6)
        if not near and len(pool) == 1 and len(missing) == 1:
            near = pool
        if near:
            out[m] = near[0]
            pool.remove(near[0])
    return out


def describe_failure(check: str, detail: str, column: str | None, obj: Any = None) -> str:
    """A short sentence saying what a failure means."""
    stats: dict[str, Any] = dict(getattr(obj, "statistics", None) or {})
    if check == "column_in_dataframe":
        return "required column is missing"
    if check == "column_in_schema":
        return "column is not in the schema (the schema is strict)"
    if check == "not_nullable":
        return "missing values in a column that does not allow them"
    if check == "unique":
        return "duplicate values where values must be unique"
    if check == "min_rows":
        return f"fewer rows than the schema's minimum ({detail[9:-1]}); an empty dataset fails"
    if check in ("dtype", "coerce_dtype"):
        want = detail.split("'")[1] if "'" in detail else detail
        return (
            f"values that do not parse as {want} (missing-value tokens such as 'NA' and 'n/a' "
            "are read as missing, not as errors)"
        )
    if check == "isin":
        allowed = list(stats.get("allowed_values", []))
        shown = ", ".join(repr(a) for a in allowed[:10])
        return f"unseen categories (allowed: {shown}{', ...' if len(allowed) > 10 else ''})"
    if check == "in_range":
        lo, hi = stats.get("min_value"), stats.get("max_value")
        return f"values outside [{lo}, {hi}]"
    words = {
        "greater_than": "values not > {min_value}",
        "greater_than_or_equal_to": "values below {min_value}",
        "less_than": "values not < {max_value}",
        "less_than_or_equal_to": "values above {max_value}",
        "equal_to": "values not equal to {value}",
        "not_equal_to": "values equal to {value}",
        "notin": "forbidden values",
        "str_matches": "strings not matching {pattern!r}",
        "str_contains": "strings not containing {pattern!r}",
        "str_length": "strings of the wrong length",
    }
    template = words.get(check)
    if template:
        try:
            return template.format(**stats)
        except (KeyError, IndexError):
            return template
    return f"failed {detail}"
