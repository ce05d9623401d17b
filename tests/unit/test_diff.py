"""The typed schema diff."""

from __future__ import annotations

import json
from pathlib import Path

import pandera.pandas as pa
import pytest

from datalife.schemas.diff import CHANGE_KINDS, diff
from datalife.schemas.registry import SchemaRegistry


def _kinds(old: pa.DataFrameSchema, new: pa.DataFrameSchema) -> list[tuple[str, str | None, str]]:
    return [(c.kind, c.column, c.effect) for c in diff(old, new).changes]


def S(columns: dict[str, pa.Column], **kw: object) -> pa.DataFrameSchema:
    kw.setdefault("strict", True)
    return pa.DataFrameSchema(columns, **kw)  # type: ignore[arg-type]


def test_identical_schemas_have_no_changes() -> None:
    s = S({"x": pa.Column(int, pa.Check.in_range(0, 10)), "y": pa.Column(str, nullable=True)})
    d = diff(s, s)
    assert not d
    assert len(d) == 0
    assert "no changes" in d.to_text()


@pytest.mark.parametrize(
    ("old", "new", "kind", "effect"),
    [
        ("int32", "int64", "dtype_widened", "loosened"),
        ("int64", "float64", "dtype_widened", "loosened"),
        ("float64", "float32", "dtype_narrowed", "tightened"),
        ("int64", "int8", "dtype_narrowed", "tightened"),
        ("str", "int64", "dtype_changed", "changed"),
        ("int64", "Int64", "dtype_changed", "neutral"),
        ("str", "category", "dtype_changed", "neutral"),
    ],
)
def test_dtype_widening_is_told_apart_from_narrowing(
    old: str, new: str, kind: str, effect: str
) -> None:
    a = S({"x": pa.Column(old, coerce=True)})
    b = S({"x": pa.Column(new, coerce=True)})
    assert _kinds(a, b) == [(kind, "x", effect)]


def test_a_dtype_change_without_coerce_is_a_change_of_accepted_frames() -> None:
    a, b = S({"x": pa.Column("int32")}), S({"x": pa.Column("int64")})
    (change,) = diff(a, b).changes
    assert change.kind == "dtype_widened"
    assert change.effect == "changed"
    assert "no coerce" in change.description


@pytest.mark.parametrize(
    ("old", "new", "kind"),
    [
        (pa.Check.in_range(0, 10), pa.Check.in_range(0, 20), "check_loosened"),
        (pa.Check.in_range(0, 10), pa.Check.in_range(1, 10), "check_tightened"),
        (pa.Check.in_range(0, 10), pa.Check.in_range(5, 15), "check_changed"),
        (pa.Check.in_range(0, 10, include_max=False), pa.Check.in_range(0, 10), "check_loosened"),
        (pa.Check.ge(0), pa.Check.ge(-1), "check_loosened"),
        (pa.Check.lt(5), pa.Check.lt(4), "check_tightened"),
        (pa.Check.isin([1, 2]), pa.Check.isin([1, 2, 3]), "check_loosened"),
        (pa.Check.isin([1, 2]), pa.Check.isin([1]), "check_tightened"),
        (pa.Check.isin([1, 2]), pa.Check.isin([1, 3]), "check_changed"),
        (pa.Check.notin([1, 2]), pa.Check.notin([1]), "check_loosened"),
    ],
)
def test_numeric_checks(old: pa.Check, new: pa.Check, kind: str) -> None:
    a, b = S({"x": pa.Column(int, old)}), S({"x": pa.Column(int, new)})
    (change,) = diff(a, b).changes
    assert change.kind == kind
    assert change.check == old.name
    assert change.old == dict(old.statistics or {})
    assert change.new == dict(new.statistics or {})


@pytest.mark.parametrize(
    ("old", "new", "kind", "effect"),
    [
        (pa.Check.str_length(1, 5), pa.Check.str_length(0, 8), "check_loosened", "loosened"),
        (pa.Check.str_length(1, 5), pa.Check.str_length(2, 5), "check_tightened", "tightened"),
        (pa.Check.str_startswith("ab"), pa.Check.str_startswith("a"), "check_loosened", "loosened"),
        (pa.Check.str_endswith("b"), pa.Check.str_endswith("ab"), "check_tightened", "tightened"),
        (pa.Check.str_matches("^a"), pa.Check.str_matches("^[ab]"), "check_changed", "unknown"),
    ],
)
def test_string_checks(old: pa.Check, new: pa.Check, kind: str, effect: str) -> None:
    a, b = S({"s": pa.Column(str, old)}), S({"s": pa.Column(str, new)})
    assert _kinds(a, b) == [(kind, "s", effect)]


def test_flags_nullable_required_unique_coerce() -> None:
    a = S({"x": pa.Column(float, nullable=False, required=True, unique=False, coerce=False)})
    b = S({"x": pa.Column(float, nullable=True, required=False, unique=True, coerce=True)})
    assert _kinds(a, b) == [
        ("nullable_changed", "x", "loosened"),
        ("required_changed", "x", "loosened"),
        ("unique_changed", "x", "tightened"),
        ("coerce_changed", "x", "loosened"),
    ]


def test_added_removed_and_checks_added_removed() -> None:
    a = S({"x": pa.Column(int), "gone": pa.Column(float)})
    b = S(
        {
            "x": pa.Column(int, pa.Check.ge(0)),
            "opt": pa.Column(str, required=False),
            "req": pa.Column(int),
        }
    )
    assert _kinds(a, b) == [
        ("check_added", "x", "tightened"),
        ("column_removed", "gone", "changed"),
        ("column_added", "opt", "loosened"),
        ("column_added", "req", "tightened"),
    ]
    assert _kinds(b, a)[0] == ("check_removed", "x", "loosened")


def test_removing_a_column_from_a_non_strict_schema_loosens() -> None:
    a = pa.DataFrameSchema({"x": pa.Column(int), "y": pa.Column(int)})
    b = pa.DataFrameSchema({"x": pa.Column(int)})
    assert _kinds(a, b) == [("column_removed", "y", "loosened")]


def test_a_probable_rename_is_one_change() -> None:
    a = S({"bill_len": pa.Column(float, pa.Check.ge(0)), "x": pa.Column(int)})
    b = S({"bill_length": pa.Column(float, pa.Check.ge(0)), "x": pa.Column(int)})
    (change,) = diff(a, b).changes
    assert change.kind == "column_renamed"
    assert (change.old_column, change.column) == ("bill_len", "bill_length")
    assert "probably renamed" in change.description


def test_changes_follow_the_column_order_with_removed_columns_in_place() -> None:
    a = S({"a": pa.Column(int), "b": pa.Column(int), "c": pa.Column(int)})
    b = S(
        {
            "c": pa.Column(int, pa.Check.ge(0)),
            "a": pa.Column(int, pa.Check.ge(0)),
            "zz": pa.Column(str),
        }
    )
    assert [c.column for c in diff(a, b).changes] == ["c", "a", "b", "zz"]


def test_dataframe_level_changes() -> None:
    a = pa.DataFrameSchema({"x": pa.Column(int), "y": pa.Column(int)}, strict=False)
    b = pa.DataFrameSchema(
        {"x": pa.Column(int), "y": pa.Column(int)}, strict=True, ordered=True, unique=["x", "y"]
    )
    assert _kinds(a, b) == [
        ("strict_changed", None, "tightened"),
        ("ordered_changed", None, "tightened"),
        ("dataframe_unique_changed", None, "tightened"),
    ]


def test_a_custom_check_added_has_an_unknown_effect() -> None:
    import datalife

    @datalife.register_check("diff_test_even", element_wise=False)
    def diff_test_even(series):  # type: ignore[no-untyped-def]
        return series % 2 == 0

    a = S({"x": pa.Column(int)})
    b = S({"x": pa.Column(int, pa.Check.diff_test_even())})
    (change,) = diff(a, b).changes
    assert (change.kind, change.effect) == ("check_added", "unknown")
    assert "custom check" in change.description


def test_text_and_json_forms(workspace: Path) -> None:
    reg = SchemaRegistry(workspace)
    v1 = reg.load("penguins@1")
    schema = v1.schema.update_columns(
        {"island": {"checks": [pa.Check.isin(["Biscoe", "Dream", "Torgersen", "Anvers"])]}}
    )
    v2 = reg.save(schema, "penguins")
    d = diff("penguins@1", "penguins@2", workspace=workspace)
    assert d.old == "penguins@1"
    assert d.new == "penguins@2"
    text = d.to_text()
    assert text.splitlines()[0] == "penguins@1 → penguins@2: 1 change"
    assert "island" in text
    assert "+ 'Anvers'" in text
    data = json.loads(json.dumps(d.to_dict()))
    assert data["changes"] == [
        {
            "kind": "check_loosened",
            "column": "island",
            "effect": "loosened",
            "description": "isin + 'Anvers'",
            "check": "isin",
            "old": {"allowed_values": ["Biscoe", "Dream", "Torgersen"]},
            "new": {"allowed_values": ["Biscoe", "Dream", "Torgersen", "Anvers"]},
        }
    ]
    assert all(c["kind"] in CHANGE_KINDS for c in data["changes"])
    assert v2.version == 2
