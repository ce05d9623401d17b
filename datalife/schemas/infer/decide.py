"""Decisions per column: dtype, role, nullability and checks, each with its reason."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from datalife.schemas.infer.scan import FLOAT_STORED, INT_STORED, Facts
from datalife.schemas.ranges import RangePolicy, decide_range

if TYPE_CHECKING:
    from datalife.schemas.model import ColumnMeta

__all__ = ["KEY_NAME", "LABEL_NAME", "PREDICTION_NAME", "column_schema", "decide_dtype"]

KEY_NAME = re.compile(r"(^|_)(id|key|uuid|guid|code)$|^id_|Id$|ID$|^(id|key)$", re.IGNORECASE)
LABEL_NAME = re.compile(r"^(target|label|class|y|outcome|diagnosis)$", re.IGNORECASE)
PREDICTION_NAME = re.compile(r"(^|_)(pred|prediction|predicted|yhat|y_hat|score)(_|$)", re.I)
_BOOL_LIKE = [{"yes", "no"}, {"y", "n"}, {"t", "f"}, {"on", "off"}, {"0", "1"}]


def decide_dtype(f: Facts, missing: int) -> None:
    stored = f.stored.upper()
    if stored != "VARCHAR":
        if stored.startswith("TIMESTAMP") or stored == "DATE":
            f.dtype, f.kind = "datetime64[ns]", "timestamp"
        elif f.text and stored in FLOAT_STORED and missing and f.as_int == f.nonnull:
            # "181.0" with missing values: an integer column a writer turned into floats
            f.dtype, f.kind = "Int64", "int"
        elif f.text and stored in FLOAT_STORED:
            f.dtype, f.kind = "float64", "float"
        elif stored.startswith("DECIMAL") or stored in FLOAT_STORED:
            f.dtype, f.kind = FLOAT_STORED.get(stored, "float64"), "float"
        elif stored in INT_STORED and f.text:
            f.dtype, f.kind = ("Int64" if missing else "int64"), "int"
        elif stored in INT_STORED:
            dtype = INT_STORED[stored]
            if missing:
                dtype = (
                    dtype.capitalize() if dtype.startswith("int") else "U" + dtype[1:].capitalize()
                )
            f.dtype, f.kind = dtype, "int"
        elif stored == "BOOLEAN":
            f.dtype, f.kind = ("boolean" if missing else "bool"), "bool"
        else:
            f.dtype, f.kind = "str", "other"
        return
    n = f.nonnull
    if n == 0:
        f.dtype, f.kind = "str", "string"
    elif f.as_int == n and (not f.dotted or missing):
        # "38.0" in a column without missing values was written from floats; with missing
        # values it may be an integer column a writer turned into floats to hold them
        f.dtype, f.kind = ("Int64" if missing else "int64"), "int"
    elif f.as_float == n:
        f.dtype, f.kind = "float64", "float"
    elif f.as_bool == n:
        f.dtype, f.kind = ("boolean" if missing else "bool"), "bool"
    elif f.as_ts == n:
        f.dtype, f.kind = "datetime64[ns]", "timestamp"
    else:
        f.dtype, f.kind = "str", "string"


def _dtype_reason(f: Facts, missing: int) -> str:
    if f.text and f.kind in ("int", "float") and f.stored.upper() != "VARCHAR":
        number = "integers" if f.kind == "int" else "numbers"
        extra = " (nullable integer: the column has missing values)" if f.dtype == "Int64" else ""
        return f"dtype {f.dtype}: all {f.nonnull} non-missing values parse as {number}{extra}"
    if f.stored.upper() != "VARCHAR":
        return f"dtype {f.dtype}: stored as {f.stored}"
    if f.nonnull == 0:
        return "dtype str: every value is missing, nothing to infer from"
    what = {"int": "integers", "float": "numbers", "bool": "true/false", "timestamp": "timestamps"}
    if f.kind in what:
        extra = " (nullable integer: the column has missing values)" if f.dtype == "Int64" else ""
        return f"dtype {f.dtype}: all {f.nonnull} non-missing values parse as {what[f.kind]}{extra}"
    bools = ""
    if f.values and len(f.values) == 2 and {str(v).lower() for v in f.values} in _BOOL_LIKE:
        bools = " (yes/no-like spellings stay text: only true/false is read as a boolean)"
    return f"dtype str: text{bools}"


def _identifier(f: Facts, missing: int) -> str | None:
    """Why ``f`` is an identifier, or None."""
    if f.kind not in ("int", "string") or f.nonnull < 2:
        return None
    named = bool(KEY_NAME.search(f.name))
    about = f.distinct if f.distinct is not None else f.approx_distinct
    if named and f.kind == "int" and 0.2 * f.nonnull <= about < 0.95 * f.nonnull and about >= 20:
        return f"a key-like name with about {about} distinct values in {f.nonnull} (a reference)"
    if f.distinct is None:
        return None
    unique = f.distinct == f.nonnull and missing == 0
    if named and f.distinct >= 0.95 * f.nonnull:
        return "a key-like name" + (" with no repeated values" if unique else ", nearly unique")
    if not unique or f.nonnull < 10:
        return None
    if f.kind == "int" and f.lo is not None and f.hi is not None:
        if f.hi - f.lo + 1 <= 4 * f.nonnull:
            return "integers with no repeats, dense like a sequence"
        return None
    if f.kind == "string" and f.spaced == 0 and (f.max_len or 0) <= 64:
        return "short strings without spaces, none repeated"
    return None


def _role_text(role: str) -> str:
    return role.replace("_", " ")


def column_schema(
    f: Facts, total: int, max_categories: int, policy: RangePolicy, declared: Any
) -> tuple[Any, list[str], ColumnMeta]:
    import pandera.pandas as pa

    from datalife.schemas.model import ColumnMeta, Role

    missing = total - f.nonnull
    reasons = [_dtype_reason(f, missing)]
    nullable = missing > 0
    reasons.append(
        f"nullable: {missing} of {total} values missing"
        if nullable
        else "not nullable: no missing values"
    )
    checks: list[Any] = []
    unique = False
    role: Role | None = None
    range_rule: str | None = None
    why_id = _identifier(f, missing)
    if declared is not None:
        role = declared
        reasons.append(f"role {_role_text(role)}: declared")
    elif f.nonnull == 0:
        reasons.append("role: none (no values)")
    elif why_id is not None:
        role = Role.IDENTIFIER
        reasons.append(f"role identifier: {why_id}")
    elif f.kind == "timestamp":
        role = Role.TIMESTAMP
        reasons.append("role timestamp: dates and times")
    elif f.kind in ("int", "float"):
        role = Role.MEASUREMENT
        reasons.append("role measurement: numbers")
    elif f.kind == "bool":
        role = Role.CATEGORY
        reasons.append("role category: true/false")
    elif f.kind == "string":
        if f.values is not None and f.distinct and f.distinct * 2 <= f.nonnull:
            role = Role.CATEGORY
            reasons.append(f"role category: {f.distinct} distinct values")
        elif f.spaced * 2 >= f.nonnull or (f.avg_len or 0) >= 40:
            role = Role.FREE_TEXT
            reasons.append(
                f"role free text: {f.distinct or f.approx_distinct} distinct values in {f.nonnull}, "
                f"{round(100 * f.spaced / f.nonnull)}% with spaces (no category set, no drift)"
            )
        else:
            role = Role.CATEGORY
            reasons.append(
                f"role category: about {f.distinct or f.approx_distinct} distinct values "
                f"(more than {max_categories}: no fixed set)"
            )
    if declared is None and role is not None and role != Role.IDENTIFIER:
        if LABEL_NAME.search(f.name):
            reasons.append(
                f"looks like a label: declare it (--label {f.name}) for class-balance statistics"
            )
        elif PREDICTION_NAME.search(f.name):
            reasons.append(f"looks like a prediction: declare it (--prediction {f.name})")
    dtype = f.dtype
    if role == Role.IDENTIFIER:
        if f.distinct == f.nonnull and missing == 0:
            unique = True
            reasons.append("unique: an identifier; no range and no drift")
        else:
            reasons.append("not unique: values repeat in this data; no range and no drift")
        range_rule = "identifier: no range (its values are names, not quantities)"
    elif (
        f.kind == "string"
        and f.values is not None
        and f.singletons
        and role in (Role.CATEGORY, Role.LABEL)
    ):
        reasons.append(
            f"category set left open: {f.singletons} of {f.distinct} values seen only once, so "
            "a new batch likely brings values not seen yet (Good-Turing); no isin"
        )
    elif f.kind == "string" and f.values is not None and role in (Role.CATEGORY, Role.LABEL):
        dtype = "category"
        reasons[0] = reasons[0].replace("dtype str", "dtype category", 1)
        checks.append(pa.Check.isin(f.values))
        reasons.append(
            f"category: {f.distinct} distinct values in {f.nonnull} non-missing (≤ {max_categories}, "
            f"each seen {f.nonnull // max(f.distinct or 1, 1)}× on average): isin {f.values}"
        )
    elif f.kind == "timestamp" and f.nonnull:
        range_rule = (
            f"timestamp: no range check, time moves on (observed [{f.t_lo}, {f.t_hi}]); "
            "freshness and drift are checked by `datalife drift`"
        )
        reasons.append(f"range: none ({range_rule})")
    elif f.kind in ("int", "float") and f.nonnull and f.lo is not None and f.hi is not None:
        decision = decide_range(
            f.name, lo=f.lo, hi=f.hi, q25=f.q25, q75=f.q75, integer=f.kind == "int", policy=policy
        )
        range_rule = decision.rule
        if declared is None and role == Role.MEASUREMENT and "a calendar year" in decision.rule:
            role = Role.TIMESTAMP
            reasons = [
                r if not r.startswith("role ") else "role timestamp: a calendar year"
                for r in reasons
            ]
        reasons.append(f"range: {decision.rule}")
        # the hard bounds as ge/le, so no two checks of the column share a name
        if decision.hard_min is not None:
            checks.append(pa.Check.ge(decision.hard_min))
        if decision.hard_max is not None:
            checks.append(pa.Check.le(decision.hard_max))
        if decision.warn_min is not None and decision.warn_max is not None:
            checks.append(
                pa.Check.in_range(decision.warn_min, decision.warn_max, raise_warning=True)
            )
    elif f.kind == "string" and role == Role.FREE_TEXT:
        range_rule = None
    col = pa.Column(
        dtype, checks=checks, nullable=nullable, unique=unique, coerce=True, required=True
    )
    meta = ColumnMeta(role=role, range_rule=range_rule)
    return col, reasons, meta
