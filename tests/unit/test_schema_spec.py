"""The light reader of schema bodies agrees with pandera's deserialization."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pandera.pandas as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from datalife.plan.spec import SchemaSpec
from datalife.schemas.io import deserialize_body, parse_schema_text, serialize_body

REPO = Path(__file__).resolve().parents[2]

NUMBER = st.one_of(st.integers(-1000, 1000), st.floats(-1e6, 1e6, allow_nan=False, width=32))
WORD = st.text("abcxyz_-", min_size=1, max_size=6)
DTYPES = [
    "int64",
    "int32",
    "uint8",
    "Int64",
    "float64",
    "Float64",
    "bool",
    "boolean",
    "string[python]",
    "string[pyarrow]",
    "object",
    "category",
]


@st.composite
def checks(draw: st.DrawFn, dtype: str) -> list[pa.Check]:
    out: list[pa.Check] = []
    numeric = dtype.lower().startswith(("int", "uint", "float"))
    text = dtype.startswith(("string", "object", "category"))
    for _ in range(draw(st.integers(0, 3))):
        if numeric:
            lo = draw(NUMBER)
            hi = lo + draw(st.integers(1, 1000))
            out.append(
                draw(
                    st.sampled_from(
                        [
                            pa.Check.in_range(lo, hi, include_min=draw(st.booleans())),
                            pa.Check.ge(lo),
                            pa.Check.gt(lo),
                            pa.Check.le(hi),
                            pa.Check.lt(hi),
                            pa.Check.eq(lo),
                            pa.Check.ne(lo),
                            pa.Check.isin(draw(st.lists(st.integers(-5, 5), max_size=4))),
                            pa.Check.notin(draw(st.lists(st.integers(-5, 5), max_size=4))),
                        ]
                    )
                )
            )
        elif text:
            word = draw(WORD)
            out.append(
                draw(
                    st.sampled_from(
                        [
                            pa.Check.isin(draw(st.lists(WORD, max_size=4, unique=True))),
                            pa.Check.notin(draw(st.lists(WORD, min_size=1, max_size=4))),
                            pa.Check.str_matches(f"^{word}[0-9]*$"),
                            pa.Check.str_contains(word),
                            pa.Check.str_startswith(word),
                            pa.Check.str_endswith(word),
                        ]
                    )
                )
            )
    # pandera keys flat checks by name: one check of each kind per column
    unique: dict[str, pa.Check] = {}
    for c in out:
        unique.setdefault(str(c.name), c)
    return list(unique.values())


@st.composite
def schemas(draw: st.DrawFn) -> pa.DataFrameSchema:
    names = draw(
        st.lists(
            st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True),
            min_size=1,
            max_size=5,
            unique=True,
        )
    )
    cols = {}
    for n in names:
        dtype = draw(st.sampled_from(DTYPES))
        cols[n] = pa.Column(
            dtype,
            checks=draw(checks(dtype)),
            nullable=draw(st.booleans()),
            unique=draw(st.booleans()),
            coerce=draw(st.booleans()),
            required=draw(st.booleans()),
            description=draw(st.one_of(st.none(), st.text("ab c", max_size=8))),
        )
    unique = draw(
        st.one_of(st.none(), st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True))
    )
    return pa.DataFrameSchema(
        cols,
        strict=draw(st.sampled_from([True, False, "filter"])),
        ordered=draw(st.booleans()),
        coerce=draw(st.booleans()),
        unique=unique,
        name="prop",
    )


@given(schema=schemas())
def test_light_reading_equals_pandera_reading(schema: pa.DataFrameSchema) -> None:
    body = serialize_body(schema)
    light = SchemaSpec.from_body(body)
    # every body of this shape is one datalife writes: the light reader must take it
    assert light is not None, body
    read = SchemaSpec.from_pandera(deserialize_body(body, "prop.yaml"))
    assert light == read
    assert list(light.columns) == list(read.columns)  # dicts compare without order
    assert light == SchemaSpec.from_pandera(schema)


def _body(**column: Any) -> dict[str, Any]:
    return {"schema_type": "dataframe", "columns": {"x": {"dtype": "int64", **column}}}


@pytest.mark.parametrize(
    "body",
    [
        _body(str_length={"min_value": 1, "max_value": 3}),  # a check this reader leaves to pandera
        _body(divisible_by={"factor": 3}),  # a custom check
        _body(in_range={"min_value": 5, "max_value": 1}),  # pandera's empty-interval error
        _body(in_range={"min_value": 1}),
        _body(isin={"allowed_values": [1], "ignore_na": False}),  # a non-default option
        _body(nullable="yes"),
        _body(regex=True),
        _body(checks=[{"value": 1, "options": {"check_name": "ge"}}]),  # list form
        {"columns": {"x": {"dtype": "str"}}},  # an alias pandera maps by pandas version
        {"columns": {"t": {"dtype": "datetime64[ns]", "ge": "2024-01-01"}}},
        {"columns": {}, "index": [{"dtype": "int64"}]},
        {"columns": {}, "checks": [{"options": {"check_name": "custom"}}]},
        {"columns": {}, "add_missing_columns": True},
        {"columns": {}, "api": "polars"},
        {"columns": {}, "frobnicate": 1},
    ],
)
def test_anything_unusual_is_left_to_pandera(body: dict[str, Any]) -> None:
    assert SchemaSpec.from_body(body) is None


def test_schema_files_of_this_repository_are_read_without_pandera() -> None:
    for path in sorted((REPO / "schemas").glob("*/*.yaml")):
        sv = parse_schema_text(path.read_text(), str(path))
        assert sv._schema is None, f"{path} was read by pandera"
        assert sv.spec == SchemaSpec.from_pandera(sv.schema)


def test_unusual_body_is_read_by_pandera_at_load() -> None:
    text = "format_version: 1\nname: t\nversion: 1\nschema:\n  columns:\n    x:\n      dtype: str\n"
    sv = parse_schema_text(text, "t.yaml")
    assert sv._schema is not None
    assert sv.columns == ["x"]


def test_validating_files_imports_no_pandera(tmp_path: Path) -> None:
    (tmp_path / "datalife.toml").write_text("")
    (tmp_path / "schemas" / "t").mkdir(parents=True)
    (tmp_path / "schemas" / "t" / "1.yaml").write_text(
        "format_version: 1\nname: t\nversion: 1\nschema:\n  columns:\n"
        "    x:\n      dtype: int64\n      in_range: {min_value: 0, max_value: 5}\n"
    )
    (tmp_path / "d.csv").write_text("x\n1\n9\n")
    code = (
        "import sys, datalife\n"
        "r = datalife.validate('d.csv', 't@1', record=False)\n"
        "assert not r.valid and r.failures[0].failure_count == 1, r\n"
        "heavy = sorted(m for m in ('pandera', 'pandas', 'pyarrow') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "", out.stdout
