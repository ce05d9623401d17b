"""What a schema column accepts, in a form that can be compared and reasoned about.

A pandera column is turned into a :class:`ColumnSpace`: its dtype (:class:`DTypeInfo`), whether
it takes missing values, and the constraints of the checks datalife understands (bounds,
allowed and forbidden values, string lengths, patterns). Checks it does not understand
(custom checks, regexes it cannot compare) are kept as *opaque*: reasoning about them says
"unknown" instead of guessing.

:func:`admits` evaluates one value against a space (``"yes"``, ``"no"`` or ``"maybe"`` when an
opaque check or an incomparable type is involved); :func:`nonnull_empty` says whether a
space provably accepts no non-missing value. Both are used by :mod:`datalife.schemas.diff` to
classify changes and by :mod:`datalife.schemas.compat` to prove compatibility.

Examples:
    >>> import pandera.pandas as pa
    >>> space = column_space(pa.Column("int64", [pa.Check.in_range(0, 10)]))
    >>> admits(space, 3), admits(space, 11), admits(space, 2.5), admits(space, None)
    ('yes', 'no', 'no', 'no')
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pandera.api.pandas.components as pcc
    import pandera.api.pandas.container as pac

__all__ = [
    "BOUND_CHECKS",
    "SUPPORTED_CHECKS",
    "ColumnSpace",
    "DTypeInfo",
    "admits",
    "check_key",
    "column_space",
    "conversion",
    "dtype_info",
    "effective_coerce",
    "int_bounds",
    "interval_relation",
    "nonnull_empty",
    "set_relation",
]

Tri = Literal["yes", "no", "maybe"]

#: Checks whose meaning datalife understands (everything else is opaque).
BOUND_CHECKS = frozenset(
    {
        "in_range",
        "greater_than",
        "greater_than_or_equal_to",
        "less_than",
        "less_than_or_equal_to",
    }
)
SUPPORTED_CHECKS = BOUND_CHECKS | {
    "equal_to",
    "not_equal_to",
    "isin",
    "notin",
    "str_length",
    "str_matches",
    "str_contains",
    "str_startswith",
    "str_endswith",
}
PATTERN_KINDS = {
    "str_matches": "match",
    "str_contains": "contains",
    "str_startswith": "startswith",
    "str_endswith": "endswith",
}

_INT_NAMES = {f"int{b}": b for b in (8, 16, 32, 64)}
_UINT_NAMES = {f"uint{b}": b for b in (8, 16, 32, 64)}
_FLOAT_NAMES = {"float16": 16, "float32": 32, "float64": 64, "float": 64, "double": 64}


@dataclass(frozen=True)
class DTypeInfo:
    """The family of a pandera dtype and what it can hold.

    ``family`` is one of ``int``, ``uint``, ``float``, ``bool``, ``str`` (str, string,
    category), ``datetime``, ``timedelta``, ``object``, ``any`` (no dtype) or ``other``.
    """

    name: str | None
    family: str
    bits: int = 0
    holds_null: bool = True
    categorical: bool = False

    @property
    def numeric(self) -> bool:
        return self.family in ("int", "uint", "float")

    @property
    def integral(self) -> bool:
        return self.family in ("int", "uint")

    def int_range(self) -> tuple[int, int] | None:
        """The values an integer dtype can store, or None."""
        if self.family == "int":
            return -(2 ** (self.bits - 1)), 2 ** (self.bits - 1) - 1
        if self.family == "uint":
            return 0, 2**self.bits - 1
        return None

    def represent(self, value: Any) -> tuple[bool, Any]:
        """``(True, v)`` with ``value`` as this dtype stores it, or ``(False, None)`` if it cannot."""
        fam = self.family
        if fam in ("any", "object"):
            return True, value
        if fam in ("int", "uint"):
            if isinstance(value, bool):
                value = int(value)
            if not isinstance(value, numbers.Real):
                return False, None
            f = float(value)
            if math.isnan(f) or math.isinf(f) or not f.is_integer():
                return False, None
            iv = int(f)
            lo, hi = self.int_range() or (iv, iv)
            return (True, iv) if lo <= iv <= hi else (False, None)
        if fam == "float":
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                return False, None
            f = float(value)
            if math.isnan(f):
                return False, None
            if self.bits == 32 and not math.isinf(f) and abs(f) > 3.4028234663852886e38:
                return True, math.copysign(math.inf, f)
            return True, f
        if fam == "bool":
            return (True, value) if isinstance(value, bool) else (False, None)
        if fam == "str":
            return (True, value) if isinstance(value, str) else (False, None)
        if fam == "datetime":
            if isinstance(value, str) or not hasattr(value, "isoformat"):
                return False, None
            import pandas as pd

            try:
                return True, pd.Timestamp(value)
            except (TypeError, ValueError):
                return False, None
        return True, value


def dtype_info(dtype: Any) -> DTypeInfo:
    """Classify a pandera dtype (or a dtype name).

    Examples:
        >>> dtype_info("Int64")
        DTypeInfo(name='Int64', family='int', bits=64, holds_null=True, categorical=False)
        >>> dtype_info("category").family, dtype_info(None).family
        ('str', 'any')
    """
    if dtype is None:
        return DTypeInfo(None, "any")
    name = str(dtype)
    low = name.lower()
    nullable_ext = name[:1].isupper()  # Int64, UInt8, Float64, ... (pandas extension types)
    if low in _INT_NAMES:
        return DTypeInfo(name, "int", _INT_NAMES[low], holds_null=nullable_ext)
    if low in _UINT_NAMES:
        return DTypeInfo(name, "uint", _UINT_NAMES[low], holds_null=nullable_ext)
    if low in ("int", "integer"):
        return DTypeInfo(name, "int", 64, holds_null=False)
    if low in _FLOAT_NAMES:
        return DTypeInfo(name, "float", _FLOAT_NAMES[low])
    if low == "bool":
        return DTypeInfo(name, "bool", 1, holds_null=False)
    if low == "boolean":
        return DTypeInfo(name, "bool", 1)
    if low == "category":
        return DTypeInfo(name, "str", categorical=True)
    if low.startswith(("str", "string")):
        return DTypeInfo(name, "str")
    if low == "object":
        return DTypeInfo(name, "object")
    if low.startswith(("datetime64", "timestamp")):
        return DTypeInfo(name, "datetime")
    if low.startswith("timedelta"):
        return DTypeInfo(name, "timedelta")
    return DTypeInfo(name, "other")


def conversion(old: DTypeInfo, new: DTypeInfo) -> str:
    """How values of ``old`` relate to ``new``.

    ``same``; ``equivalent`` (the same values: int64/Int64, str/category); ``widening`` (every
    ``old`` value is a ``new`` value: int32→int64, int→float, anything→object or no dtype);
    ``narrowing`` (the reverse); ``changed`` (neither, e.g. str→int).

    Examples:
        >>> conversion(dtype_info("int32"), dtype_info("int64"))
        'widening'
        >>> conversion(dtype_info("float64"), dtype_info("int64"))
        'narrowing'
        >>> conversion(dtype_info("str"), dtype_info("category"))
        'equivalent'
    """
    if old.name == new.name:
        return "same"
    if _widens(old, new) and _widens(new, old):
        return "equivalent"
    if _widens(old, new):
        return "widening"
    if _widens(new, old):
        return "narrowing"
    return "changed"


def _widens(a: DTypeInfo, b: DTypeInfo) -> bool:
    """Every value of ``a`` is a value of ``b`` (nullability aside)."""
    if b.family == "any":
        return True
    if a.family == "any":
        return False
    if b.family == "object":
        return True
    if a.family == b.family and a.family in ("str", "bool", "datetime", "timedelta"):
        return True
    if a.family == "bool" and b.numeric:
        return True
    if a.family == "int":
        return (b.family == "int" and b.bits >= a.bits) or b.family == "float"
    if a.family == "uint":
        return (
            (b.family == "uint" and b.bits >= a.bits)
            or (b.family == "int" and b.bits > a.bits)
            or b.family == "float"
        )
    if a.family == "float":
        return b.family == "float" and b.bits >= a.bits
    return False


# -- checks ------------------------------------------------------------------------------


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((str(k), _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple | set | frozenset):
        items = [_freeze(v) for v in value]
        return tuple(items)
    if isinstance(value, re.Pattern):
        return value.pattern
    return value


def check_key(check: Any) -> tuple[str, Any]:
    """An identity for a pandera check: its name and parameters."""
    return str(check.name), _freeze(dict(check.statistics or {}))


def is_effective(check: Any) -> bool:
    """False for checks that only warn (they never make data invalid)."""
    return not getattr(check, "raise_warning", False)


def is_understood(check: Any) -> bool:
    """True if datalife knows what ``check`` accepts (a supported built-in, applied per value)."""
    return (
        check.name in SUPPORTED_CHECKS
        and getattr(check, "ignore_na", True)
        and getattr(check, "groupby", None) is None
    )


@dataclass
class ColumnSpace:
    """What one column accepts: dtype, missing values and value constraints."""

    dtype: DTypeInfo
    nullable: bool  # missing values are accepted (and the dtype can hold them)
    lower: tuple[Any, bool] | None = None  # (bound, inclusive)
    upper: tuple[Any, bool] | None = None
    allowed: list[Any] | None = None  # None: any value
    forbidden: list[Any] = field(default_factory=list)
    len_lo: int | None = None
    len_hi: int | None = None
    patterns: list[tuple[str, str]] = field(default_factory=list)  # (kind, pattern)
    opaque: list[tuple[str, Any]] = field(default_factory=list)  # check keys not understood
    incomparable: bool = False  # bounds of types that cannot be compared with each other

    @property
    def has_value_checks(self) -> bool:
        return bool(
            self.lower is not None
            or self.upper is not None
            or self.allowed is not None
            or self.forbidden
            or self.len_lo is not None
            or self.len_hi is not None
            or self.patterns
            or self.opaque
            or self.incomparable
        )

    def constants(self) -> list[Any]:
        """Every constant the constraints mention (for generating interesting values)."""
        out: list[Any] = []
        for b in (self.lower, self.upper):
            if b is not None:
                out.append(b[0])
        out.extend(self.allowed or [])
        out.extend(self.forbidden)
        return out


def _tighter_lower(a: tuple[Any, bool] | None, b: tuple[Any, bool]) -> tuple[Any, bool]:
    if a is None:
        return b
    if b[0] > a[0]:
        return b
    if b[0] == a[0]:
        return a[0], a[1] and b[1]
    return a


def _tighter_upper(a: tuple[Any, bool] | None, b: tuple[Any, bool]) -> tuple[Any, bool]:
    if a is None:
        return b
    if b[0] < a[0]:
        return b
    if b[0] == a[0]:
        return a[0], a[1] and b[1]
    return a


def _unique(values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if not any(_same(v, o) for o in out):
            out.append(v)
    return out


def _same(a: Any, b: Any) -> bool:
    try:
        return (bool(a == b) and type(a) is type(b)) or (_is_num(a) and _is_num(b) and a == b)
    except (TypeError, ValueError):
        return False


def _is_num(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def effective_coerce(column: Any, schema: Any = None) -> bool:
    """Whether ``column`` coerces values to its dtype (its own flag or the schema's)."""
    return bool(getattr(column, "coerce", False) or getattr(schema, "coerce", False))


def column_space(column: pcc.Column, schema: pac.DataFrameSchema | None = None) -> ColumnSpace:
    """The :class:`ColumnSpace` of a pandera column."""
    info = dtype_info(column.dtype)
    space = ColumnSpace(dtype=info, nullable=bool(column.nullable) and info.holds_null)
    for check in column.checks:
        if not is_effective(check):
            continue
        if not is_understood(check):
            space.opaque.append(check_key(check))
            continue
        _apply(space, check.name, dict(check.statistics or {}), check)
    return space


def _apply(space: ColumnSpace, name: str, s: dict[str, Any], check: Any) -> None:
    try:
        if name == "in_range":
            space.lower = _tighter_lower(space.lower, (s["min_value"], s.get("include_min", True)))
            space.upper = _tighter_upper(space.upper, (s["max_value"], s.get("include_max", True)))
        elif name == "greater_than":
            space.lower = _tighter_lower(space.lower, (s["min_value"], False))
        elif name == "greater_than_or_equal_to":
            space.lower = _tighter_lower(space.lower, (s["min_value"], True))
        elif name == "less_than":
            space.upper = _tighter_upper(space.upper, (s["max_value"], False))
        elif name == "less_than_or_equal_to":
            space.upper = _tighter_upper(space.upper, (s["max_value"], True))
        elif name in ("isin", "equal_to"):
            values = list(s["allowed_values"]) if name == "isin" else [s["value"]]
            if space.allowed is None:
                space.allowed = _unique(values)
            else:
                space.allowed = [v for v in space.allowed if any(_same(v, w) for w in values)]
        elif name in ("notin", "not_equal_to"):
            values = list(s["forbidden_values"]) if name == "notin" else [s["value"]]
            space.forbidden = _unique([*space.forbidden, *values])
        elif name == "str_length":
            lo, hi, exact = s.get("min_value"), s.get("max_value"), s.get("exact_value")
            if exact is not None:
                lo = hi = exact
            if lo is not None:
                space.len_lo = int(lo) if space.len_lo is None else max(space.len_lo, int(lo))
            if hi is not None:
                space.len_hi = int(hi) if space.len_hi is None else min(space.len_hi, int(hi))
        elif name in PATTERN_KINDS:
            key = "string" if name in ("str_startswith", "str_endswith") else "pattern"
            pattern = s[key]
            pattern = pattern.pattern if isinstance(pattern, re.Pattern) else str(pattern)
            space.patterns.append((PATTERN_KINDS[name], pattern))
    except (TypeError, KeyError):
        # bounds of different types (e.g. a string bound next to a number): give up on them
        space.incomparable = True
        space.opaque.append(check_key(check))


# -- evaluating values -------------------------------------------------------------------


def _pattern_ok(kind: str, pattern: str, value: str) -> bool:
    if kind == "match":
        return re.match(pattern, value) is not None
    if kind == "contains":
        return re.search(pattern, value) is not None
    if kind == "startswith":
        return value.startswith(pattern)
    return value.endswith(pattern)


def admits(space: ColumnSpace, value: Any, *, ignore_opaque: bool = False) -> Tri:
    """Whether a column with ``space`` accepts ``value`` (``None`` stands for a missing value).

    ``"no"`` is certain (a constraint datalife understands rejects it); ``"yes"`` is certain
    unless ``ignore_opaque``; ``"maybe"`` means an opaque check or an incomparable type decides.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "yes" if space.nullable else "no"
    ok, v = space.dtype.represent(value)
    if not ok:
        return "no"
    result: Tri = "yes"
    try:
        if space.lower is not None:
            lo, inc = space.lower
            if not (v > lo or (inc and v == lo)):
                return "no"
        if space.upper is not None:
            hi, inc = space.upper
            if not (v < hi or (inc and v == hi)):
                return "no"
        if space.allowed is not None and not any(_eq(v, a) for a in space.allowed):
            return "no"
        if any(_eq(v, f) for f in space.forbidden):
            return "no"
        if space.len_lo is not None or space.len_hi is not None or space.patterns:
            if not isinstance(v, str):
                result = "maybe"
            else:
                if space.len_lo is not None and len(v) < space.len_lo:
                    return "no"
                if space.len_hi is not None and len(v) > space.len_hi:
                    return "no"
                for kind, pattern in space.patterns:
                    if not _pattern_ok(kind, pattern, v):
                        return "no"
    except (TypeError, ValueError, re.error):
        result = "maybe"
    if space.incomparable or (space.opaque and not ignore_opaque):
        return "maybe" if result == "yes" else result
    return result


def _eq(a: Any, b: Any) -> bool:
    """Equality as pandas' ``isin`` sees it: numbers by value, otherwise same type and value."""
    if _is_num(a) and _is_num(b):
        return bool(a == b)
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, str) != isinstance(b, str):
        return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def int_bounds(space: ColumnSpace) -> tuple[int | None, int | None] | None:
    """Inclusive integer bounds of an integer column (None: unbounded), or None if not integral."""
    if not space.dtype.integral:
        return None
    rng = space.dtype.int_range()
    assert rng is not None
    lo: int | None = rng[0]
    hi: int | None = rng[1]
    try:
        if space.lower is not None:
            b, inc = space.lower
            if not _is_num(b):
                return None
            cand = math.ceil(b) if inc else math.floor(b) + 1
            lo = cand if lo is None else max(lo, cand)
        if space.upper is not None:
            b, inc = space.upper
            if not _is_num(b):
                return None
            cand = math.floor(b) if inc else math.ceil(b) - 1
            hi = cand if hi is None else min(hi, cand)
    except (OverflowError, ValueError):
        return None
    return lo, hi


def finite_values(space: ColumnSpace, limit: int = 4096) -> list[Any] | None:
    """Every non-missing value the space may accept, when that set is known and small.

    The list may contain values an opaque check would reject (it is a superset), never fewer.
    """
    if space.allowed is not None:
        out = []
        for v in space.allowed:
            ok, rv = space.dtype.represent(v)
            if ok and admits(space, rv, ignore_opaque=True) != "no":
                out.append(rv)
        return _unique(out)
    if space.dtype.family == "bool":
        return [v for v in (False, True) if admits(space, v, ignore_opaque=True) != "no"]
    bounds = int_bounds(space)
    lo, hi = bounds if bounds is not None else (None, None)
    if lo is not None and hi is not None:
        if hi < lo:
            return []
        if hi - lo < limit:
            return [v for v in range(lo, hi + 1) if admits(space, v, ignore_opaque=True) != "no"]
    return None


def nonnull_empty(space: ColumnSpace) -> bool:
    """True only if the space provably accepts no non-missing value."""
    if space.incomparable:
        return False
    try:
        if space.lower is not None and space.upper is not None:
            (lo, li), (hi, hi_inc) = space.lower, space.upper
            if lo > hi or (lo == hi and not (li and hi_inc)):
                return True
    except TypeError:
        return False
    if space.len_lo is not None and space.len_hi is not None and space.len_lo > space.len_hi:
        return True
    values = finite_values(space)
    return values is not None and not values


# -- relations between two constraints (for the diff) -----------------------------------


def interval_relation(
    old: tuple[tuple[Any, bool] | None, tuple[Any, bool] | None],
    new: tuple[tuple[Any, bool] | None, tuple[Any, bool] | None],
) -> str:
    """``loosened`` if ``new`` contains ``old``, ``tightened`` if inside it, ``neutral``, ``changed``."""
    try:
        wider = _contains(new, old)
        narrower = _contains(old, new)
    except TypeError:
        return "changed"
    if wider and narrower:
        return "neutral"
    if wider:
        return "loosened"
    if narrower:
        return "tightened"
    return "changed"


def _contains(
    outer: tuple[tuple[Any, bool] | None, tuple[Any, bool] | None],
    inner: tuple[tuple[Any, bool] | None, tuple[Any, bool] | None],
) -> bool:
    (olo, ohi), (ilo, ihi) = outer, inner
    if olo is not None:
        if ilo is None:
            return False
        if ilo[0] < olo[0] or (ilo[0] == olo[0] and ilo[1] and not olo[1]):
            return False
    if ohi is not None:
        if ihi is None:
            return False
        if ihi[0] > ohi[0] or (ihi[0] == ohi[0] and ihi[1] and not ohi[1]):
            return False
    return True


def set_relation(old: Sequence[Any], new: Sequence[Any]) -> str:
    """How an allowed-values set changed: ``loosened`` (grew), ``tightened``, ``neutral``, ``changed``."""
    added = [v for v in new if not any(_eq(v, o) for o in old)]
    removed = [v for v in old if not any(_eq(v, n) for n in new)]
    if not added and not removed:
        return "neutral"
    if not removed:
        return "loosened"
    if not added:
        return "tightened"
    return "changed"
