"""Witnesses: concrete datasets that are valid under one schema version and invalid under another.

A witness is built from the two schemas: for each column, datalife generates *candidate*
values from the constants both versions mention (range bounds and their neighbours,
categories, lengths, regex samples, dtype limits, missing values), keeps a base row that the
accepting version takes, then varies one thing at a time (a value, a missing column, an extra
column, a duplicated row, a column order, a column stored as another dtype). Every witness is
checked by running :func:`datalife.validate` (pandera on pandas) on it against both versions
before it is returned, so a printed witness is never a guess.

Examples:
    >>> sample_regex(r"[A-Z]{2}\\d+")[:2]
    ['AZ0', 'ZM12']
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from datalife.engines.report import _plain
from datalife.schemas.domain import ColumnSpace, admits, column_space, dtype_info

if TYPE_CHECKING:
    import pandas as pd
    import pandera.api.pandas.container as pac

    from datalife.engines.report import ValidationReport

__all__ = ["Witness", "WitnessSearch", "candidate_values", "sample_regex"]

_STRUCTURAL = frozenset({"column_in_dataframe", "column_in_schema", "column_ordered"})
# what pandas and pandera raise for values they cannot store or check (pandera has bugs of this
# kind with pandas 3, e.g. coercing a category column); anything else is a real error
_DATA_ERRORS: tuple[type[Exception], ...] = (
    TypeError,
    ValueError,
    OverflowError,
    KeyError,
    IndexError,
    AttributeError,
    NotImplementedError,
)


# -- regex samples -------------------------------------------------------------------------


class _Unsupported(Exception):
    pass


def sample_regex(pattern: str, limit: int = 4, *, search: bool = False) -> list[str]:
    """A few strings that match ``pattern`` (``re.match``; ``re.search`` if ``search``).

    Returns fewer (or none) for constructs it cannot generate (back-references, lookarounds).
    """
    try:
        parsed = re._parser.parse(pattern)  # type: ignore[attr-defined]
        compiled = re.compile(pattern)
    except (re.error, RecursionError, AttributeError):
        return []
    out: list[str] = []
    for variant in range(limit * 2):
        try:
            s = _gen(list(parsed), variant)
        except (_Unsupported, RecursionError, ValueError, OverflowError):
            break
        ok = compiled.search(s) if search else compiled.match(s)
        if ok and s not in out:
            out.append(s)
        if len(out) >= limit:
            break
    return out


_CATEGORY = {
    "CATEGORY_DIGIT": "0123456789",
    "CATEGORY_NOT_DIGIT": "ab_-",
    "CATEGORY_WORD": "ab0_",
    "CATEGORY_NOT_WORD": " -.,",
    "CATEGORY_SPACE": " \t",
    "CATEGORY_NOT_SPACE": "ab0-",
}
_PROBES = "abAB01_- .xyz"


def _class_chars(items: Sequence[Any]) -> list[str]:
    chars: list[str] = []
    negate = False
    for op, arg in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            chars.append(chr(arg))
        elif name == "RANGE":
            lo, hi = arg
            chars.extend(chr(c) for c in (lo, hi, (lo + hi) // 2))
        elif name == "CATEGORY":
            chars.extend(_CATEGORY.get(str(arg), ""))
        else:
            raise _Unsupported(name)
    if negate:
        banned = set(chars)
        return [c for c in _PROBES if c not in banned]
    return chars


def _gen(nodes: Iterable[Any], variant: int) -> str:
    out = []
    for op, arg in nodes:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append(next(c for c in _PROBES if c != chr(arg)))
        elif name == "ANY":
            out.append("ax0"[variant % 3])
        elif name == "IN":
            chars = _class_chars(arg)
            if not chars:
                raise _Unsupported("empty class")
            out.append(chars[variant % len(chars)])
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            lo, hi, sub = arg
            hi = 10**6 if str(hi) == "MAXREPEAT" else int(hi)
            count = min(lo + variant % 3, hi)
            out.extend(_gen(sub, variant + i) for i in range(count))
        elif name in ("SUBPATTERN", "ATOMIC_GROUP"):
            sub = arg[-1] if name == "SUBPATTERN" else arg
            out.append(_gen(sub, variant))
        elif name == "BRANCH":
            alternatives = arg[1]
            out.append(_gen(alternatives[variant % len(alternatives)], variant))
        elif name == "AT":
            continue
        else:
            raise _Unsupported(name)
    return "".join(out)


# -- candidate values ----------------------------------------------------------------------


def _nums(space: ColumnSpace | None) -> list[float | int]:
    if space is None:
        return []
    return [
        c
        for c in space.constants()
        if isinstance(c, int | float) and not isinstance(c, bool) and math.isfinite(c)
    ]


def _strings(space: ColumnSpace | None) -> list[str]:
    if space is None:
        return []
    return [c for c in space.constants() if isinstance(c, str)]


def candidate_values(space: ColumnSpace, other: ColumnSpace | None = None) -> list[Any]:
    """Interesting values of ``space``'s dtype: near the constants of both spaces first.

    Values ``space`` certainly rejects are left out; a missing value comes last when the
    column is nullable.
    """
    fam = space.dtype.family
    raw: list[Any] = []
    if fam in ("int", "uint", "float"):
        consts = _nums(other) + _nums(space)
        for k in consts:
            raw += [k, k + 1, k - 1]
            if fam == "float":
                raw += [k + 0.5, k - 0.5, math.nextafter(k, math.inf), math.nextafter(k, -math.inf)]
            else:
                raw += [math.floor(k), math.ceil(k)]
        raw += [0, 1, -1, 2, 7, 100, 0.5, -0.5, 1.5, 10**6, -(10**6)]
        for s in (other, space):
            if s is not None and s.dtype.integral:
                lo, hi = s.dtype.int_range() or (0, 0)
                raw += [lo, hi, lo - 1, hi + 1]
        raw += [2**31, 2**53 + 1, 1e12, -1e12, 1e300, math.inf, -math.inf]
    elif fam == "bool":
        raw += [False, True]
    elif fam == "str":
        raw += _strings(other) + _strings(space)
        for s in (other, space):
            if s is None:
                continue
            for kind, pattern in s.patterns:
                if kind in ("match", "contains"):
                    samples = sample_regex(pattern, search=kind == "contains")
                    raw += samples + [x + "~" for x in samples]
                else:
                    raw += [pattern, pattern + "x", "x" + pattern]
            for n in (s.len_lo, s.len_hi):
                if n is not None:
                    raw += ["x" * max(n - 1, 0), "x" * n, "x" * (n + 1)]
        raw += [str(k) for k in _nums(other) + _nums(space)]
        raw += ["", "a", "b", "A", "0", "x" * 12, "other"]
        if space.patterns:  # combine the space's own prefixes/suffixes
            starts = [p for k, p in space.patterns if k == "startswith"]
            ends = [p for k, p in space.patterns if k == "endswith"]
            for st in starts or [""]:
                for en in ends or [""]:
                    raw += [st + en, st + "x" + en]
    elif fam == "datetime":
        import pandas as pd

        consts = [
            c for c in (other.constants() if other else []) + space.constants() if _is_time(c)
        ]
        for k in consts:
            t = pd.Timestamp(k)
            raw += [t, t + pd.Timedelta(1, "s"), t - pd.Timedelta(1, "s"), t + pd.Timedelta(1, "D")]
            raw += [t - pd.Timedelta(1, "D")]
        raw += [pd.Timestamp("2020-01-01"), pd.Timestamp("1970-01-01"), pd.Timestamp("2262-01-01")]
    else:
        raw += ["x", 1, 0.5, True, "", 0]
        raw += _strings(other) + _nums(other) + _strings(space) + _nums(space)
    out: list[Any] = []
    seen: set[Any] = set()
    for v in raw:
        ok, rv = space.dtype.represent(v)
        if not ok:
            continue
        key = (type(rv).__name__, repr(rv))
        if key in seen or admits(space, rv) == "no":
            continue
        seen.add(key)
        out.append(rv)
    if space.nullable:
        out.append(None)
    return out


def _is_time(v: Any) -> bool:
    return hasattr(v, "isoformat") and not isinstance(v, str)


# -- witnesses -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Witness:
    """A dataset valid under ``valid_under`` and invalid under ``invalid_under``.

    Attributes:
        valid_under: the version that accepts it (``name@version``).
        invalid_under: the version that rejects it.
        columns: the dataset's columns, in order.
        rows: its rows (``None`` is a missing value); may be empty when only columns matter.
        dtypes: the dtype each column is stored as.
        failures: what ``invalid_under`` reports, one line per failure.
        column: the column the failure is about (None for dataframe-level failures).
        check: the failing check (``in_range``, ``isin``, ``column_in_dataframe``, ...).
        note: what was varied to build it, for a person.
    """

    valid_under: str
    invalid_under: str
    columns: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    dtypes: dict[str, str]
    failures: tuple[str, ...]
    column: str | None
    check: str | None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid_under": self.valid_under,
            "invalid_under": self.invalid_under,
            "columns": list(self.columns),
            "rows": [{k: _plain(v) for k, v in r.items()} for r in self.rows],
            "dtypes": dict(self.dtypes),
            "column": self.column,
            "check": self.check,
            "failures": list(self.failures),
            "note": self.note,
        }

    def to_frame(self) -> pd.DataFrame:
        """The witness as a pandas DataFrame (with the recorded dtypes)."""
        return build_frame(list(self.columns), list(self.rows), self.dtypes)

    def describe(self) -> str:
        """One paragraph for a person."""
        shown = [{k: _plain(v) for k, v in r.items()} for r in self.rows]
        if len(shown) == 1:
            what = f"this row is valid under {self.valid_under} and invalid under {self.invalid_under}: {shown[0]}"
        elif shown:
            what = (
                f"these {len(shown)} rows are valid under {self.valid_under} and invalid under "
                f"{self.invalid_under}: " + ", ".join(str(r) for r in shown)
            )
        else:
            what = (
                f"a dataset with columns {list(self.columns)} and no rows is valid under "
                f"{self.valid_under} and invalid under {self.invalid_under}"
            )
        lines = [what]
        if self.note and not (self.note.startswith("column ") and " = " in self.note):
            lines.append(f"  ({self.note})")
        lines.extend(f"  {self.invalid_under}: {f}" for f in self.failures)
        return "\n".join(lines)


def build_frame(
    columns: Sequence[str], rows: Sequence[dict[str, Any]], dtypes: dict[str, str]
) -> pd.DataFrame:
    """A DataFrame with ``columns`` in order, each stored as ``dtypes[column]`` when given."""
    import pandas as pd

    data: dict[str, Any] = {}
    for c in columns:
        values = [r.get(c) for r in rows]
        data[c] = _series(values, dtypes.get(c))
    return pd.DataFrame(data, columns=list(columns))


def _series(values: list[Any], dtype: str | None) -> pd.Series[Any]:
    import pandas as pd

    if dtype in (None, "None"):
        if all(v is None for v in values):
            return pd.Series(values, dtype=object)
        return pd.Series(values)
    if dtype.lower().startswith(("datetime64", "timestamp")):
        return pd.Series(pd.to_datetime(values), dtype=dtype)
    return pd.Series(values, dtype=dtype)


def _storable(value: Any, dtype: str | None) -> bool:
    try:
        s = _series([value], dtype)
    except (TypeError, ValueError, OverflowError, ImportError):
        return False
    if value is None:
        return bool(s.isna().iloc[0])
    got = s.iloc[0]
    try:
        return bool(got == value) or (
            isinstance(value, float) and isinstance(got, float) and math.isinf(value)
        )
    except (TypeError, ValueError):
        return False


def _strip_unique(schema: pac.DataFrameSchema) -> pac.DataFrameSchema:
    import copy

    s = copy.deepcopy(schema)
    for col in s.columns.values():
        col.unique = False
    s.unique = None
    return s


def _failure_cells(
    schema: pac.DataFrameSchema, frame: pd.DataFrame
) -> tuple[set[tuple[str, int]], set[str]]:
    """(failing (column, row) cells, columns failing as a whole) under pandera, lazily."""
    import warnings

    import pandera.errors as pe

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            schema.validate(frame, lazy=True)
        return set(), set()
    except (pe.SchemaErrors, pe.SchemaError) as exc:
        cases = exc.failure_cases
    except _DATA_ERRORS:  # a check that raises on these values fails them all
        return set(), set(map(str, frame.columns))
    cells: set[tuple[str, int]] = set()
    whole: set[str] = set()
    if cases is None or not len(cases):
        return cells, whole
    for col, check, idx in zip(cases["column"], cases["check"], cases["index"], strict=True):
        if col is None or col != col:
            continue
        name = str(check).split("(", 1)[0]
        if name in _STRUCTURAL:
            continue
        if idx is None or idx != idx:
            whole.add(str(col))
        else:
            cells.add((str(col), int(idx)))
    return cells, whole


@dataclass
class _Pool:
    values: dict[str, list[Any]] = field(default_factory=dict)
    base: dict[str, Any] = field(default_factory=dict)  # a value the valid schema accepts
    alt: dict[str, Any] = field(default_factory=dict)  # a second, different accepted value
    breaking: dict[str, list[Any]] = field(default_factory=dict)  # accepted, then rejected
    whole_fail: set[str] = field(default_factory=set)  # rejected whatever the value


_MISSING = object()


class WitnessSearch:
    """Search for datasets valid under ``valid`` and invalid under ``invalid``.

    Args:
        valid: the accepting schema.
        invalid: the rejecting schema.
        valid_label: e.g. ``penguins@1``.
        invalid_label: e.g. ``penguins@2``.
    """

    def __init__(
        self,
        valid: pac.DataFrameSchema,
        invalid: pac.DataFrameSchema,
        valid_label: str,
        invalid_label: str,
    ) -> None:
        self.valid = valid
        self.invalid = invalid
        self.valid_label = valid_label
        self.invalid_label = invalid_label
        self.spaces_valid = {c: column_space(col, valid) for c, col in valid.columns.items()}
        self.spaces_invalid = {c: column_space(col, invalid) for c, col in invalid.columns.items()}
        self._pool: _Pool | None = None
        self._other_pool: _Pool | None = None
        self.tries = 0

    # -- pools ---------------------------------------------------------------------------

    def _dtype(self, column: str, schema: pac.DataFrameSchema) -> str | None:
        dtype = schema.columns[column].dtype
        return None if dtype is None else str(dtype)

    def _make_pool(
        self,
        accept: pac.DataFrameSchema,
        reject: pac.DataFrameSchema,
        spaces: dict[str, ColumnSpace],
        others: dict[str, ColumnSpace],
    ) -> _Pool:
        pool = _Pool()
        for c, space in spaces.items():
            dtype = self._dtype(c, accept)
            values = [v for v in candidate_values(space, others.get(c)) if _storable(v, dtype)]
            pool.values[c] = values
        cols = [c for c in accept.columns if pool.values.get(c)]
        n = max((len(pool.values[c]) for c in cols), default=0)
        if n == 0:
            return pool
        rows = [{c: pool.values[c][i % len(pool.values[c])] for c in cols} for i in range(n)]
        dtypes = {c: self._dtype(c, accept) or "None" for c in cols}
        frame = build_frame(cols, rows, {k: v for k, v in dtypes.items() if v != "None"})
        bad_a, whole_a = _failure_cells(_strip_unique(accept), frame)
        reject_cols = [c for c in cols if c in reject.columns]
        bad_b, whole_b = (
            _failure_cells(_strip_unique(_only(reject, reject_cols)), frame[reject_cols])
            if reject_cols
            else (set(), set())
        )
        pool.whole_fail = whole_b
        for c in cols:
            if c in whole_a:
                continue
            k = len(pool.values[c])
            ok_a = [i for i in range(min(n, k)) if (c, i) not in bad_a]
            both = [i for i in ok_a if (c, i) not in bad_b and c not in whole_b]
            chosen = both or ok_a
            if chosen:
                pool.base[c] = pool.values[c][chosen[0]]
                for i in chosen[1:] + ok_a:
                    if repr(pool.values[c][i]) != repr(pool.base[c]):
                        pool.alt[c] = pool.values[c][i]
                        break
            if c in reject.columns:
                pool.breaking[c] = [
                    pool.values[c][i] for i in ok_a if (c, i) in bad_b or c in whole_b
                ]
        return pool

    @property
    def pool(self) -> _Pool:
        if self._pool is None:
            self._pool = self._make_pool(
                self.valid, self.invalid, self.spaces_valid, self.spaces_invalid
            )
        return self._pool

    @property
    def other_pool(self) -> _Pool:
        """Values the *invalid* schema accepts (for columns only it declares)."""
        if self._other_pool is None:
            self._other_pool = self._make_pool(
                self.invalid, self.valid, self.spaces_invalid, self.spaces_valid
            )
        return self._other_pool

    # -- frames --------------------------------------------------------------------------

    def _base_columns(self, include: Iterable[str] = (), exclude: Iterable[str] = ()) -> list[str]:
        """Columns of a minimal dataset the valid schema accepts, plus ``include``."""
        excl = set(exclude)
        want = set(include)
        cols = [
            c
            for c, col in self.valid.columns.items()
            if c not in excl
            and (
                col.required
                or c in want
                or (c in self.invalid.columns and self.invalid.columns[c].required)
            )
        ]
        if self.valid.strict is not True:
            cols += [
                c
                for c, col in self.invalid.columns.items()
                if c not in self.valid.columns and c not in excl and (col.required or c in want)
            ]
        return cols

    def _row(self, cols: Sequence[str], pool: _Pool | None = None) -> dict[str, Any] | None:
        p = pool or self.pool
        row: dict[str, Any] = {}
        for c in cols:
            if c in self.valid.columns:
                if c not in p.base:
                    return None
                row[c] = p.base[c]
            else:
                other = self.other_pool
                row[c] = other.base.get(c)
        return row

    def _dtypes(self, cols: Sequence[str]) -> dict[str, str]:
        out = {}
        for c in cols:
            schema = self.valid if c in self.valid.columns else self.invalid
            d = self._dtype(c, schema)
            if d is not None:
                out[c] = d
        return out

    def _verify(
        self,
        cols: Sequence[str],
        rows: Sequence[dict[str, Any]],
        dtypes: dict[str, str],
        accept: Callable[[Any], bool],
        note: str,
    ) -> Witness | None:
        """Run datalife.validate on the dataset under both versions; keep it if it is a witness."""
        from datalife.errors import DatalifeError
        from datalife.validation import validate

        self.tries += 1
        expected: tuple[type[Exception], ...] = (*_DATA_ERRORS, DatalifeError)
        try:
            frame = build_frame(cols, rows, dtypes)
            good = validate(frame, self.valid, record=False)
            if not good.valid:
                return None
            bad = validate(frame, self.invalid, record=False)
        except expected:  # a frame pandas cannot build, or pandera cannot check
            return None
        if bad.valid:
            return None
        target = [f for f in bad.failures if accept(f)]
        if not target:
            return None
        first = target[0]
        return Witness(
            valid_under=self.valid_label,
            invalid_under=self.invalid_label,
            columns=tuple(cols),
            rows=tuple(dict(r) for r in rows),
            dtypes=dict(dtypes),
            failures=tuple(_describe(f) for f in bad.failures),
            column=first.column,
            check=first.check,
            note=note,
        )

    # -- searches ------------------------------------------------------------------------

    def values(self, column: str, *, rows_possible: bool = True, limit: int = 6) -> Witness | None:
        """A dataset whose ``column`` is accepted by the valid version, rejected by the other."""
        cols = self._base_columns(include=[column])
        dtypes = self._dtypes(cols)

        def on_column(f: Any) -> bool:
            return bool(f.column == column and f.check not in _STRUCTURAL)

        base = self._row(cols)
        if base is not None and rows_possible:
            candidates = list(self.pool.breaking.get(column, []))
            if column in self.pool.whole_fail:
                candidates = [base[column], *candidates]
            for value in candidates[:limit]:
                row = {**base, column: value}
                w = self._verify(
                    cols, [row], dtypes, on_column, f"column {column!r} = {_plain(value)!r}"
                )
                if w is not None:
                    return w
        # a dtype mismatch shows on an empty dataset too
        w = self._verify(cols, [], dtypes, on_column, "the dtype alone decides")
        if w is not None:
            return w
        return self._raw_dtype(column, cols, base if rows_possible else None, on_column)

    def _raw_dtype(
        self,
        column: str,
        cols: list[str],
        base: dict[str, Any] | None,
        accept: Callable[[Any], bool],
    ) -> Witness | None:
        """The column stored as another dtype that the valid version coerces."""
        value = base.get(column) if base is not None else self.pool.base.get(column, 0)
        alternatives: list[tuple[str, Any]] = []
        if isinstance(value, bool):
            alternatives += [("int64", int(value)), ("object", str(value))]
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if float(value).is_integer():
                alternatives += [("int64", int(value)), ("float64", float(value))]
            alternatives += [("object", str(value)), ("float32", float(value))]
        elif isinstance(value, str):
            alternatives += [("object", value), ("category", value), ("str", value)]
        elif value is not None:
            alternatives += [("object", value)]
        alternatives += [("int64", 0), ("float64", 0.0), ("object", "0")]
        current = self._dtype(column, self.valid)
        for dtype, v in alternatives:
            if dtype == current:
                continue
            dtypes = self._dtypes(cols)
            dtypes[column] = dtype
            rows = [{**base, column: v}] if base is not None else []
            w = self._verify(cols, rows, dtypes, accept, f"column {column!r} stored as {dtype}")
            if w is not None:
                return w
        return None

    def missing_column(self, column: str) -> Witness | None:
        """A dataset without ``column``."""
        cols = self._base_columns(exclude=[column])
        dtypes = self._dtypes(cols)

        def accept(f: Any) -> bool:
            return bool(f.column == column and f.check == "column_in_dataframe")

        base = self._row(cols)
        if base is not None:
            w = self._verify(cols, [base], dtypes, accept, f"without column {column!r}")
            if w is not None:
                return w
        return self._verify(cols, [], dtypes, accept, f"without column {column!r}")

    def extra_column(self, column: str) -> Witness | None:
        """A dataset that has ``column`` (one the valid version allows), rejected for it."""
        cols = self._base_columns(include=[column])
        if column not in cols:
            cols.append(column)
        base = self._row([c for c in cols if c != column])

        def accept(f: Any) -> bool:
            return bool(f.column == column)

        options: list[tuple[str | None, Any]] = []
        if column in self.valid.columns:
            value = self.pool.base.get(column, _MISSING)
            if value is not _MISSING:
                options.append((self._dtype(column, self.valid), value))
        options += [
            ("object", "x"),
            ("int64", 1),
            ("float64", 0.5),
            ("object", None),
            ("bool", True),
        ]
        for dtype, value in options:
            dtypes = self._dtypes([c for c in cols if c != column])
            if dtype is not None:
                dtypes[column] = dtype
            for rows in ([{**base, column: value}] if base is not None else [], []):
                w = self._verify(cols, rows, dtypes, accept, f"with column {column!r}")
                if w is not None:
                    return w
        return None

    def unexpected_column(self) -> Witness | None:
        """A dataset with a column neither version declares."""
        name = "unexpected_column"
        while name in self.valid.columns or name in self.invalid.columns:
            name += "_"
        cols = self._base_columns()
        base = self._row(cols)
        rows = [{**base, name: "x"}] if base is not None else []

        def accept(f: Any) -> bool:
            return bool(f.check == "column_in_schema")

        dtypes = {**self._dtypes(cols), name: "object"}
        return self._verify([*cols, name], rows, dtypes, accept, f"with an extra column {name!r}")

    def reordered(self) -> Witness | None:
        """The same dataset with its columns in another order."""
        cols = self._base_columns(include=list(self.invalid.columns))
        cols = [c for c in cols if c in self.valid.columns or self.valid.strict is not True]
        if len(cols) < 2:
            return None
        base = self._row(cols)
        dtypes = self._dtypes(cols)

        def accept(f: Any) -> bool:
            return bool(f.check == "column_ordered")

        orders = [list(reversed(cols))] + [
            list(p) for p in itertools.islice(itertools.permutations(cols), 1, 6)
        ]
        for order in orders:
            for rows in ([base] if base is not None else [], []):
                w = self._verify(order, rows, dtypes, accept, f"columns in the order {order}")
                if w is not None:
                    return w
        return None

    def duplicate(self, columns: Sequence[str]) -> Witness | None:
        """Two rows equal on ``columns``, different where the valid version needs uniqueness."""
        cols = self._base_columns(include=columns)
        base = self._row(cols)
        if base is None:
            return None
        second = dict(base)
        frame_unique = self.valid.unique
        needs = {
            c
            for c, col in self.valid.columns.items()
            if col.unique and c in cols and c not in columns
        }
        if frame_unique:
            combo = [frame_unique] if isinstance(frame_unique, str) else list(frame_unique)
            free = [c for c in combo if c not in columns and c in cols]
            if set(combo) <= set(columns) or (not free and combo):
                return None
            needs.update(free[:1])
        for c in needs:
            if c not in self.pool.alt:
                return None
            second[c] = self.pool.alt[c]
        dtypes = self._dtypes(cols)
        target = set(columns)

        def accept(f: Any) -> bool:
            return bool(f.check == "unique" and set(str(f.column or "").split(",")) & target)

        return self._verify(
            cols, [base, second], dtypes, accept, f"two rows with the same {', '.join(columns)}"
        )

    def any_rows(self) -> Witness | None:
        """A few datasets the valid version accepts, tried against the other (for opaque checks)."""

        def accept(f: Any) -> bool:
            return True

        cols = self._base_columns()
        base = self._row(cols)
        dtypes = self._dtypes(cols)
        if base is None:
            return self._verify(cols, [], dtypes, accept, "")
        for c in cols:
            for value in self.pool.values.get(c, [])[:8]:
                row = {**base, c: value}
                w = self._verify(cols, [row], dtypes, accept, f"column {c!r} = {_plain(value)!r}")
                if w is not None:
                    return w
        return None


def _only(schema: pac.DataFrameSchema, columns: Sequence[str]) -> pac.DataFrameSchema:
    """``schema`` restricted to ``columns``, without dataframe-level constraints."""
    import copy

    s = copy.deepcopy(schema)
    drop = [c for c in s.columns if c not in columns]
    s = s.remove_columns(drop) if drop else s
    s.strict = False
    s.ordered = False
    s.checks = []
    return s


def _describe(failure: Any) -> str:
    text: str = failure.describe()
    return text


def report_failures(report: ValidationReport) -> list[str]:
    """One line per failure of a report."""
    return [_describe(f) for f in report.failures]


def value_dtype(value: Any) -> str:
    """A dtype name for a Python value (for describing witnesses)."""
    return dtype_info(type(value).__name__).name or "object"
