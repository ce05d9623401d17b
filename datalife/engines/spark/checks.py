"""The check plan rendered for Spark: each value check as a PySpark Column expression.

Why Column expressions, not Spark SQL text or a transpiled DuckDB rendering: a check's
parameters (numbers, category sets, regular expressions) go to Spark as literal values, with
no quoting to get right (Spark SQL string literals treat backslashes as escapes, so a pattern
such as ``\\d+`` would need re-escaping), and the same expressions run unchanged on a classic
session and through Spark Connect. The DuckDB rendering leans on DuckDB-only forms (ENUM
casts for category sets, ``regexp_full_match``, TRY_CAST's rules) that a transpiler would
map only approximately, and would be one more dependency. pandera's pyspark backend does not
import with pandas 3, so it is not an option either.

A check this module cannot express (a custom check registered with a DuckDB SQL rendering
or only a Python function) is an :class:`~datalife.errors.UnsupportedCheck` listed before any
row is read (:func:`unsupported`).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from datalife.errors import UnsupportedCheck
from datalife.plan.compile import STRUCTURAL, CheckPlan, PlannedCheck

if TYPE_CHECKING:
    from pyspark.sql import Column

__all__ = ["RENDERED", "fails", "passes", "unsupported"]

#: the value checks rendered here (pandera's names and their short aliases)
RENDERED = frozenset(
    {
        "equal_to",
        "eq",
        "not_equal_to",
        "ne",
        "greater_than",
        "gt",
        "greater_than_or_equal_to",
        "ge",
        "less_than",
        "lt",
        "less_than_or_equal_to",
        "le",
        "in_range",
        "between",
        "isin",
        "notin",
        "str_matches",
        "str_contains",
        "str_startswith",
        "str_endswith",
        "str_length",
    }
)
_HANDLED = frozenset({"dtype", "coerce_dtype", "not_nullable", "unique", "min_rows"})


def unsupported(plan: CheckPlan) -> None:
    """Raise :class:`UnsupportedCheck` listing every check of ``plan`` the Spark engine
    cannot evaluate (before anything runs)."""
    bad: list[PlannedCheck] = []
    for p in plan.checks:
        if p.check in STRUCTURAL or p.check in _HANDLED:
            continue
        if p.column is None or p.check not in RENDERED:
            bad.append(p)
    if bad:
        listed = ", ".join(f"{p.detail} on {p.column or 'the dataset'}" for p in bad)
        raise UnsupportedCheck(
            f"the Spark engine cannot evaluate {len(bad)} check(s): {listed}",
            column=bad[0].column,
            details=[f"{p.column or '(dataset)'}: {p.detail}" for p in bad],
            hint="validate with --engine duckdb (custom checks run there, in SQL or in "
            "Python batches), or express the check with pandera's built-in checks.",
        )


def _lit(value: Any) -> Column:
    from pyspark.sql import functions as F  # noqa: N812

    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, decimal.Decimal):
        value = float(value)
    if isinstance(value, dt.datetime | dt.date):
        return F.lit(value)
    return F.lit(value)


def _values(values: Sequence[Any], family: str | None) -> list[Any]:
    """A set's values as the column's family compares them (text columns: as text)."""
    out = []
    for x in values:
        x = x.item() if hasattr(x, "item") and not isinstance(x, str | bytes) else x
        out.append(str(x) if family == "VARCHAR" and not isinstance(x, str) else x)
    return out


def passes(p: PlannedCheck, v: Column, family: str | None = None) -> Column:
    """TRUE where the (non-missing) value ``v`` passes ``p``."""
    from pyspark.sql import functions as F  # noqa: N812

    s: dict[str, Any] = dict(p.obj.statistics if p.obj is not None else {})
    name = p.check
    if name in ("equal_to", "eq"):
        return v == _lit(s["value"])
    if name in ("not_equal_to", "ne"):
        return v != _lit(s["value"])
    if name in ("greater_than", "gt"):
        return v > _lit(s["min_value"])
    if name in ("greater_than_or_equal_to", "ge"):
        return v >= _lit(s["min_value"])
    if name in ("less_than", "lt"):
        return v < _lit(s["max_value"])
    if name in ("less_than_or_equal_to", "le"):
        return v <= _lit(s["max_value"])
    if name in ("in_range", "between"):
        lo, hi = _lit(s["min_value"]), _lit(s["max_value"])
        low = (v >= lo) if s.get("include_min", True) else (v > lo)
        high = (v <= hi) if s.get("include_max", True) else (v < hi)
        return low & high
    if name in ("isin", "notin"):
        values = _values(
            list(s["allowed_values" if name == "isin" else "forbidden_values"]), family
        )
        inside = v.isin(values) if values else F.lit(False)
        return inside if name == "isin" else ~inside
    if name in ("str_matches", "str_contains"):
        pattern = s["pattern"]
        pattern = pattern if isinstance(pattern, str) else pattern.pattern
        # Java's find(): str_matches is anchored at the start, as pandera's re.match
        return v.rlike("^(?:" + pattern + ")" if name == "str_matches" else pattern)
    if name == "str_startswith":
        return v.startswith(str(s["string"]))
    if name == "str_endswith":
        return v.endswith(str(s["string"]))
    if name == "str_length":
        out = F.lit(True)
        n = F.length(v)
        if s.get("exact_value") is not None:
            out = out & (n == int(s["exact_value"]))
        if s.get("min_value") is not None:
            out = out & (n >= int(s["min_value"]))
        if s.get("max_value") is not None:
            out = out & (n <= int(s["max_value"]))
        return out
    raise UnsupportedCheck(f"check {p.detail} has no Spark rendering", column=p.column)


def fails(p: PlannedCheck, v: Column, is_float: bool, family: str | None = None) -> Column:
    """TRUE where a present value fails ``p`` (missing values, NaN in floats included, are
    left to the nullability check, as in every engine)."""
    from pyspark.sql import functions as F  # noqa: N812

    present = v.isNotNull()
    if is_float:
        present = present & ~F.isnan(v)
    return present & ~F.coalesce(passes(p, v, family), F.lit(False))
