"""Soundness of the compatibility verdicts, property-tested.

For random pairs of schemas built from the supported checks:

- when datalife says every dataset valid under A is valid under B (``True``), data generated
  from A (values drawn near every constant of both schemas, missing values, optional and extra
  columns, shuffled column order), once filtered to what A accepts, validates under B;
- when it says no (``False``), every witness it prints really passes A and fails B.

The data generator here is independent of datalife's witness generator on purpose.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import pandas as pd
import pandera.pandas as pa
import pytest
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st

import datalife
from datalife.schemas.compat import check_direction

warnings.filterwarnings("ignore", category=UserWarning)

COLS = ["a", "b", "c"]
NUM_DTYPES = ["int64", "Int64", "float64", "int32", "int8", "uint8", "float32", "Int8"]
STR_DTYPES = ["str", "category", "object"]
INTS = st.integers(-3, 6)
WORDS = ["a", "b", "c", "dd", "abc"]

Spec = dict[str, Any]


def _num_check(draw: st.DrawFn, floaty: bool) -> tuple[str, dict[str, Any]]:
    def val() -> float:
        v = draw(INTS)
        return v + 0.5 if floaty and draw(st.booleans()) else v

    kind = draw(st.sampled_from(["in_range", "ge", "gt", "le", "lt", "isin", "notin", "eq", "ne"]))
    if kind == "in_range":
        lo, hi = sorted([val(), val()])
        closed = lo == hi  # pandera refuses an empty interval
        return kind, {
            "min_value": lo,
            "max_value": hi,
            "include_min": closed or draw(st.booleans()),
            "include_max": closed or draw(st.booleans()),
        }
    if kind in ("isin", "notin"):
        values = sorted(set(draw(st.lists(INTS, min_size=1, max_size=4))))
        return kind, {"values": values}
    return kind, {"value": val()}


def _str_check(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    kind = draw(
        st.sampled_from(
            ["isin", "notin", "str_length", "str_startswith", "str_endswith", "str_matches", "eq"]
        )
    )
    if kind in ("isin", "notin"):
        return kind, {
            "values": sorted(set(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3))))
        }
    if kind == "str_length":
        lo = draw(st.integers(0, 3))
        return kind, {"min_value": lo, "max_value": lo + draw(st.integers(0, 2))}
    if kind in ("str_startswith", "str_endswith"):
        return kind, {"value": draw(st.sampled_from(["a", "b", "ab", "d"]))}
    if kind == "str_matches":
        return kind, {"value": draw(st.sampled_from(["a", "[ab]", "d+$", "a.*c$", "[a-c]{2}"]))}
    return kind, {"value": draw(st.sampled_from(WORDS))}


@st.composite
def column_specs(draw: st.DrawFn, dtype: str | None = None) -> Spec:
    dtype = dtype or draw(st.sampled_from(NUM_DTYPES + STR_DTYPES))
    numeric = dtype in NUM_DTYPES
    checks = [
        _num_check(draw, dtype.startswith("float")) if numeric else _str_check(draw)
        for _ in range(draw(st.integers(0, 2)))
    ]
    return {
        "dtype": dtype,
        "nullable": draw(st.booleans()),
        "required": draw(st.booleans()),
        "unique": draw(st.integers(0, 5)) == 0,
        "coerce": draw(st.booleans()),
        "checks": checks,
    }


@st.composite
def schema_specs(draw: st.DrawFn) -> Spec:
    names = draw(st.lists(st.sampled_from(COLS), min_size=1, max_size=3, unique=True))
    return {
        "columns": {n: draw(column_specs()) for n in names},
        "strict": draw(st.booleans()),
        "ordered": draw(st.integers(0, 6)) == 0,
        "unique": None,
    }


@st.composite
def mutated(draw: st.DrawFn, spec: Spec) -> Spec:
    """A copy of ``spec`` with a few random edits (so compatible pairs are common)."""
    import copy

    new = copy.deepcopy(spec)
    for _ in range(draw(st.integers(1, 3))):
        op = draw(
            st.sampled_from(
                [
                    "check",
                    "check",
                    "add_check",
                    "drop_check",
                    "flag",
                    "dtype",
                    "add_col",
                    "drop_col",
                    "strict",
                    "unique",
                ]
            )
        )
        cols = new["columns"]
        name = draw(st.sampled_from(sorted(cols))) if cols else None
        if op in ("check", "add_check", "drop_check") and name is not None:
            col = cols[name]
            numeric = col["dtype"] in NUM_DTYPES
            fresh = (
                _num_check(draw, col["dtype"].startswith("float")) if numeric else _str_check(draw)
            )
            if op == "add_check" or not col["checks"]:
                col["checks"].append(fresh)
            elif op == "drop_check":
                col["checks"].pop(draw(st.integers(0, len(col["checks"]) - 1)))
            else:
                col["checks"][draw(st.integers(0, len(col["checks"]) - 1))] = fresh
        elif op == "flag" and name is not None:
            flag = draw(st.sampled_from(["nullable", "required", "unique", "coerce"]))
            cols[name][flag] = not cols[name][flag]
        elif op == "dtype" and name is not None:
            col = cols[name]
            family = NUM_DTYPES if col["dtype"] in NUM_DTYPES else STR_DTYPES
            col["dtype"] = draw(st.sampled_from(family))
            if col["dtype"] == "float64" or spec["columns"].get(name, {}).get("dtype") == "float64":
                col["checks"] = [
                    c for c in col["checks"] if c[0] not in ("isin", "notin", "eq", "ne")
                ]
        elif op == "add_col":
            free = [c for c in COLS if c not in cols]
            if free:
                cols[draw(st.sampled_from(free))] = draw(column_specs())
        elif op == "drop_col" and len(cols) > 1 and name is not None:
            del cols[name]
        elif op == "strict":
            new["strict"] = not new["strict"]
        elif op == "unique" and cols:
            new["unique"] = draw(
                st.lists(st.sampled_from(sorted(cols)), min_size=1, max_size=2, unique=True)
            )
    return new


def build(spec: Spec, name: str) -> pa.DataFrameSchema:
    factories = {
        "ge": lambda p: pa.Check.ge(p["value"]),
        "gt": lambda p: pa.Check.gt(p["value"]),
        "le": lambda p: pa.Check.le(p["value"]),
        "lt": lambda p: pa.Check.lt(p["value"]),
        "eq": lambda p: pa.Check.eq(p["value"]),
        "ne": lambda p: pa.Check.ne(p["value"]),
        "isin": lambda p: pa.Check.isin(p["values"]),
        "notin": lambda p: pa.Check.notin(p["values"]),
        "in_range": lambda p: pa.Check.in_range(**p),
        "str_length": lambda p: pa.Check.str_length(p["min_value"], p["max_value"]),
        "str_startswith": lambda p: pa.Check.str_startswith(p["value"]),
        "str_endswith": lambda p: pa.Check.str_endswith(p["value"]),
        "str_matches": lambda p: pa.Check.str_matches(p["value"]),
    }
    columns = {}
    for col, c in spec["columns"].items():
        checks = []
        for kind, params in c["checks"]:
            p = dict(params)
            if c["dtype"] in STR_DTYPES and kind in ("isin", "notin"):
                p["values"] = [str(v) for v in p["values"]]
            elif c["dtype"] in NUM_DTYPES and isinstance(p.get("value"), str):
                continue
            checks.append(factories[kind](p))
        columns[col] = pa.Column(
            c["dtype"],
            checks,
            nullable=c["nullable"],
            required=c["required"],
            unique=c["unique"],
            coerce=c["coerce"],
        )
    return pa.DataFrameSchema(
        columns,
        strict=spec["strict"],
        ordered=spec["ordered"],
        unique=spec["unique"],
        name=name,
    )


def _pool(*schemas: pa.DataFrameSchema, column: str) -> list[Any]:
    """Values near every constant either schema mentions for ``column`` (any type)."""
    consts: list[Any] = []
    for s in schemas:
        col = s.columns.get(column)
        for check in col.checks if col is not None else []:
            for v in dict(check.statistics).values():
                items = v if isinstance(v, list) else [v]
                consts.extend(
                    x for x in items if isinstance(x, int | float | str) and not isinstance(x, bool)
                )
    out: list[Any] = [None, 0, 1, -1, 0.5, 2**31, "", "a", "b", "zz"]
    for k in consts:
        if isinstance(k, str):
            out += [k, k + "c", "a" + k, k[:-1]]
        else:
            out += [k, k + 1, k - 1, k + 0.5, k - 0.5, math.nextafter(k, math.inf)]
    return out


def _storable(values: list[Any], dtype: str) -> list[Any]:
    ok: list[Any] = []
    for v in values:
        try:
            s = pd.Series([v], dtype=dtype)
        except (TypeError, ValueError, OverflowError):
            continue
        got = s.iloc[0]
        if v is None or (isinstance(v, float) and not isinstance(got, str) and got != v):
            if v is None and s.isna().iloc[0]:
                ok.append(v)
            continue
        if isinstance(v, str) != isinstance(got, str):
            continue
        ok.append(v)
    return ok


def _accepted(values: list[Any], schema: pa.DataFrameSchema, column: str) -> list[Any]:
    """The values pandera accepts in ``column`` alone (so most drawn rows are valid)."""
    import copy

    import pandera.errors as pe

    col = copy.deepcopy(schema.columns[column])
    col.unique = False
    single = pa.DataFrameSchema({column: col})
    frame = pd.DataFrame({column: pd.Series(values, dtype=str(col.dtype))})
    try:
        single.validate(frame, lazy=True)
        return values
    except pe.SchemaErrors as exc:
        cases = exc.failure_cases
    bad = {int(i) for i in cases["index"] if i is not None and i == i}
    if any(i is None or i != i for i in cases["index"]):
        return values  # a dtype-level failure: keep everything, the caller filters rows
    return [v for i, v in enumerate(values) if i not in bad] or values


@st.composite
def datasets(draw: st.DrawFn, a: pa.DataFrameSchema, b: pa.DataFrameSchema) -> pd.DataFrame:
    """A dataset shaped like ``a`` (filtered to ``a``'s valid rows by the caller)."""
    cols = [c for c, col in a.columns.items() if col.required or draw(st.booleans())]
    if a.strict is not True:
        extra = [c for c in [*COLS, "zz"] if c not in a.columns]
        cols += [c for c in extra if draw(st.integers(0, 2)) == 0]
    if not a.ordered:
        cols = draw(st.permutations(cols))
    n = draw(st.integers(0, 8))
    data = {}
    for c in cols:
        if c in a.columns:
            dtype = str(a.columns[c].dtype)
            pool = _accepted(_storable(_pool(a, b, column=c), dtype), a, c)
            values = [draw(st.sampled_from(pool)) for _ in range(n)] if pool else []
            if len(values) < n:
                return pd.DataFrame()
            data[c] = pd.Series(values, dtype=dtype)
        else:
            kind = draw(st.sampled_from(["int64", "object"]))
            pool = [0, 1, 5, -2] if kind == "int64" else ["a", "zz", None, "b"]
            data[c] = pd.Series([draw(st.sampled_from(pool)) for _ in range(n)], dtype=kind)
    return pd.DataFrame(data, columns=cols)


def _valid_part(df: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame | None:
    """Drop the rows pandera rejects until datalife.validate accepts the rest (or give up)."""
    import pandera.errors as pe

    for _ in range(6):
        if datalife.validate(df, schema, record=False).valid:
            return df
        try:
            schema.validate(df, lazy=True)
            return None
        except pe.SchemaErrors as exc:
            idx = {int(i) for i in exc.failure_cases["index"] if i is not None and i == i}
        if not idx:
            return None
        df = df.drop(index=[i for i in idx if i in df.index]).reset_index(drop=True)
    return None


def _explain(a: pa.DataFrameSchema, b: pa.DataFrameSchema) -> str:
    return f"A = {a!r}\nB = {b!r}"


# three times the profile's examples (dev 90, ci 180): each takes a few tens of milliseconds
@settings(max_examples=3 * (settings.default.max_examples if settings.default else 30))
@given(data=st.data(), spec=schema_specs())
def test_verdicts_are_sound(data: st.DataObject, spec: Spec) -> None:
    other = data.draw(st.one_of(mutated(spec), mutated(spec), schema_specs()), label="B spec")
    a, b = build(spec, "A"), build(other, "B")
    if data.draw(st.booleans(), label="swap"):
        a, b = b, a
    note(_explain(a, b))
    direction = check_direction(a, b, labels=("A", "B"))
    verdict = direction.verdict
    note(f"verdict {verdict}: {[x.to_dict() for x in direction.aspects]}")
    if verdict is False:
        witnesses = [x.witness for x in direction.aspects if x.witness is not None]
        assert witnesses
        for w in witnesses:
            frame = w.to_frame()
            assert datalife.validate(frame, a, record=False).valid, (
                f"witness rejected by A: {w.describe()}"
            )
            assert not datalife.validate(frame, b, record=False).valid, (
                f"witness accepted by B: {w.describe()}"
            )
    df = data.draw(datasets(a, b), label="dataset")
    valid = _valid_part(df, a)
    assume(valid is not None)
    assert valid is not None
    if verdict is True:
        report = datalife.validate(valid, b, record=False)
        assert report.valid, (
            f"datalife said every A dataset is valid under B, but this one is not:\n"
            f"{valid!r}\n{report.to_text()}"
        )


@pytest.mark.parametrize(
    ("old", "new", "backward", "forward"),
    [
        (
            {"x": pa.Column(int, pa.Check.in_range(0, 10))},
            {"x": pa.Column(int, pa.Check.in_range(0, 20))},
            True,
            False,
        ),
        (
            {"x": pa.Column(int, pa.Check.isin([1, 2]))},
            {"x": pa.Column(int, pa.Check.in_range(0, 5))},
            True,
            False,
        ),
        (
            {"x": pa.Column("int32", coerce=True)},
            {"x": pa.Column("int64", coerce=True)},
            True,
            "unknown-or-false",
        ),
        (
            {"x": pa.Column(str, pa.Check.str_length(1, 3))},
            {"x": pa.Column(str, pa.Check.str_length(0, 5))},
            True,
            False,
        ),
    ],
)
def test_known_pairs(old: dict[str, Any], new: dict[str, Any], backward: Any, forward: Any) -> None:
    a, b = pa.DataFrameSchema(old, name="a"), pa.DataFrameSchema(new, name="b")
    assert check_direction(a, b).verdict is backward
    got = check_direction(b, a).verdict
    if forward == "unknown-or-false":
        assert got is not True
    else:
        assert got is forward
