"""What a schema checks, independent of the engine that evaluates it.

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

__all__ = ["PlannedCheck", "as_spec", "describe_failure", "plan_checks", "rename_candidates"]


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
    return out


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
