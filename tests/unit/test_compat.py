"""Compatibility verdicts per mode, witnesses, unknown custom checks, transitive modes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandera.pandas as pa
import pytest

import datalife
from datalife.schemas.candidates import candidate_values, sample_regex
from datalife.schemas.compat import check_direction, compatibility, mode_pairs
from datalife.schemas.domain import column_space
from datalife.schemas.registry import SchemaRegistry


def S(columns: dict[str, pa.Column], **kw: Any) -> pa.DataFrameSchema:
    kw.setdefault("strict", True)
    return pa.DataFrameSchema(columns, **kw)


def _witness_ok(w: Any, valid: pa.DataFrameSchema, invalid: pa.DataFrameSchema) -> None:
    frame = w.to_frame()
    assert datalife.validate(frame, valid, record=False).valid
    assert not datalife.validate(frame, invalid, record=False).valid


@pytest.mark.parametrize(
    ("old", "new", "backward", "forward"),
    [
        # ranges and categories
        (
            {"x": pa.Column(int, pa.Check.in_range(0, 10))},
            {"x": pa.Column(int, pa.Check.in_range(0, 20))},
            True,
            False,
        ),
        (
            {"x": pa.Column(int, pa.Check.in_range(0, 10))},
            {"x": pa.Column(int, pa.Check.in_range(0, 10))},
            True,
            True,
        ),
        ({"x": pa.Column(int, pa.Check.gt(0))}, {"x": pa.Column(int, pa.Check.ge(1))}, True, True),
        (
            {"x": pa.Column(float, pa.Check.gt(0))},
            {"x": pa.Column(float, pa.Check.ge(0))},
            True,
            False,
        ),
        (
            {"s": pa.Column(str, pa.Check.isin(["a", "b"]))},
            {"s": pa.Column(str, pa.Check.isin(["a", "b", "c"]))},
            True,
            False,
        ),
        (
            {"s": pa.Column(str, pa.Check.isin(["a"]))},
            {"s": pa.Column(str, pa.Check.str_length(1, 1))},
            True,
            False,
        ),
        # missing values, presence
        ({"x": pa.Column(float, nullable=True)}, {"x": pa.Column(float)}, False, True),
        (
            {"x": pa.Column(int)},
            {"x": pa.Column(int), "y": pa.Column(int, required=False)},
            True,
            False,
        ),
        ({"x": pa.Column(int)}, {"x": pa.Column(int), "y": pa.Column(int)}, False, False),
        (
            {"x": pa.Column(int), "y": pa.Column(int, required=False)},
            {"x": pa.Column(int), "y": pa.Column(int)},
            False,
            True,
        ),
        # uniqueness
        ({"x": pa.Column(int)}, {"x": pa.Column(int, unique=True)}, False, True),
        # dtypes: widening with coerce, exact without
        (
            {"x": pa.Column("int32", coerce=True)},
            {"x": pa.Column("int64", coerce=True)},
            True,
            None,
        ),
        ({"x": pa.Column("int32")}, {"x": pa.Column("int64")}, False, False),
        (
            {"x": pa.Column("int64", pa.Check.in_range(0, 100), coerce=True)},
            {"x": pa.Column("int8", coerce=True)},
            True,
            None,
        ),
        (
            {"x": pa.Column("str", coerce=True)},
            {"x": pa.Column("category", coerce=True)},
            True,
            True,
        ),
    ],
)
def test_known_verdicts(
    old: dict[str, Any], new: dict[str, Any], backward: Any, forward: Any
) -> None:
    a, b = S(old, name="s"), S(new, name="s")
    report = compatibility(a, b)
    assert report.verdicts["BACKWARD"] is backward
    if forward is not None:
        assert report.verdicts["FORWARD"] is forward
    assert report.verdicts["FULL"] == (
        backward and forward if forward is not None else report.verdicts["FULL"]
    )
    assert report.verdicts["NONE"] is True
    for aspect in report.backward.aspects:
        if aspect.witness is not None:
            _witness_ok(aspect.witness, a, b)
    for aspect in report.forward.aspects:
        if aspect.witness is not None:
            _witness_ok(aspect.witness, b, a)


def test_a_breaking_change_names_the_change_and_carries_a_witness() -> None:
    a = S({"x": pa.Column(int, pa.Check.in_range(0, 10)), "y": pa.Column(str)}, name="t")
    b = S({"x": pa.Column(int, pa.Check.in_range(0, 5)), "y": pa.Column(str)}, name="t")
    report = compatibility(a, b, policy="BACKWARD")
    assert not report.ok
    (cv,) = report.changes
    assert cv.change.kind == "check_tightened"
    assert cv.compatible == {"backward": False, "forward": True}
    assert cv.breaking
    w = cv.witnesses["backward"]
    assert w.rows[0]["x"] in (6, 7, 8, 9, 10)
    assert w.column == "x"
    assert w.check == "in_range"
    assert "this row is valid under t (old) and invalid under t (new)" in w.describe()
    data = json.loads(json.dumps(report.to_dict()))
    assert data["compatibility"]["BACKWARD"] is False
    assert data["compatibility"]["FORWARD"] is True
    change = data["changes"][0]
    assert change["kind"] == "check_tightened"
    assert change["column"] == "x"
    assert change["compatible"] == {"backward": False, "forward": True}
    assert change["witness"]["rows"][0]["x"] == w.rows[0]["x"]
    assert "breaks BACKWARD" in report.to_text()


def test_a_missing_column_witness_and_an_extra_column_witness() -> None:
    a = S({"x": pa.Column(int)}, name="w")
    b = S({"x": pa.Column(int), "y": pa.Column(float)}, name="w")
    back = check_direction(a, b)
    (aspect,) = back.aspects
    assert aspect.kind == "presence"
    assert aspect.witness is not None
    assert aspect.witness.columns == ("x",)
    assert aspect.witness.check == "column_in_dataframe"
    fwd = check_direction(b, a)
    (aspect,) = fwd.aspects
    assert aspect.kind == "removed"
    assert aspect.witness is not None
    assert aspect.witness.check == "column_in_schema"


def test_becoming_strict_and_ordered_and_unique_have_witnesses() -> None:
    a = pa.DataFrameSchema({"x": pa.Column(int), "y": pa.Column(int)}, strict=False)
    b = pa.DataFrameSchema(
        {"x": pa.Column(int), "y": pa.Column(int)}, strict=True, ordered=True, unique=["x", "y"]
    )
    d = check_direction(a, b)
    kinds = {x.kind: x for x in d.aspects}
    assert set(kinds) == {"strict", "ordered", "frame_unique"}
    for aspect in kinds.values():
        assert aspect.status == "incompatible"
        assert aspect.witness is not None
        _witness_ok(aspect.witness, a, b)
    assert len(kinds["frame_unique"].witness.rows) == 2  # type: ignore[union-attr]


def test_no_longer_coercing_is_shown_with_data_stored_as_another_dtype() -> None:
    a = S({"x": pa.Column("float64", coerce=True)})
    b = S({"x": pa.Column("float64")})
    (aspect,) = check_direction(a, b).aspects
    assert aspect.witness is not None
    assert aspect.witness.dtypes["x"] != "float64"
    _witness_ok(aspect.witness, a, b)


def test_a_custom_check_is_unknown_and_treated_as_breaking() -> None:
    @datalife.register_check("compat_test_positive_even")
    def compat_test_positive_even(series):  # type: ignore[no-untyped-def]
        return (series > 0) & (series % 2 == 0)

    a = S({"x": pa.Column(int, pa.Check.in_range(1, 2))}, name="c")
    b = S(
        {"x": pa.Column(int, [pa.Check.in_range(1, 2), pa.Check.compat_test_positive_even()])},
        name="c",
    )
    # 1 is valid under a and odd: the search finds it, so this one is decided
    assert compatibility(a, b).verdicts["BACKWARD"] is False
    only_even = S({"x": pa.Column(int, pa.Check.isin([2, 4]))}, name="c")
    with_custom = S(
        {"x": pa.Column(int, [pa.Check.isin([2, 4]), pa.Check.compat_test_positive_even()])},
        name="c",
    )
    report = compatibility(only_even, with_custom, policy="BACKWARD")
    assert report.verdicts["BACKWARD"] == "unknown"
    assert not report.ok
    (aspect,) = report.backward.aspects
    assert "cannot be decided structurally" in aspect.reason
    assert "unknown for BACKWARD (treated as breaking)" in report.to_text()
    assert report.to_dict()["compatibility"]["BACKWARD"] == "unknown"
    # the same custom check on both sides is no change at all
    assert compatibility(with_custom, with_custom).verdicts["FULL"] is True


def test_transitive_modes_compare_with_every_earlier_version(workspace: Path) -> None:
    reg = SchemaRegistry(workspace)
    v1 = reg.load("penguins@1")
    body = v1.schema.columns["body_mass_g"]
    wide = v1.schema.update_columns({"body_mass_g": {"checks": [pa.Check.in_range(2000, 7000)]}})
    v2 = reg.save(wide, "penguins")
    narrow = v1.schema.update_columns({"body_mass_g": {"checks": [pa.Check.in_range(2800, 7000)]}})
    v3 = reg.save(narrow, "penguins")
    report = compatibility(v2, v3, history=[v1])
    assert report.verdicts["BACKWARD"] is False  # 2000..2799 are gone since v2
    assert report.verdicts["FORWARD"] is True
    assert report.verdicts["FORWARD_TRANSITIVE"] is False  # 6301..7000 were not valid in v1
    assert report.verdicts["BACKWARD_TRANSITIVE"] is False
    assert [ref for ref, _, _ in report.history] == ["penguins@1"]
    assert body.dtype is not None


def test_mode_pairs() -> None:
    assert mode_pairs("BACKWARD") == (True, False, False)
    assert mode_pairs("FULL_TRANSITIVE") == (True, True, True)
    assert mode_pairs("NONE") == (False, False, False)


def test_penguins_loosening_is_backward_compatible(workspace: Path) -> None:
    reg = SchemaRegistry(workspace)
    v1 = reg.load("penguins@1")
    loose = v1.schema.update_columns(
        {"island": {"checks": [pa.Check.isin(["Biscoe", "Dream", "Torgersen", "Anvers"])]}}
    ).add_columns({"tag": pa.Column("Int64", nullable=True, required=False, coerce=True)})
    v2 = reg.save(loose, "penguins")
    report = compatibility(v1, v2)
    assert report.policy == "BACKWARD"
    assert report.ok
    assert report.verdicts["FORWARD"] is False
    for aspect in report.forward.aspects:
        assert aspect.witness is not None
        _witness_ok(aspect.witness, v2.schema, v1.schema)


def test_regex_samples_match() -> None:
    import re

    for pattern in [r"[A-Z]{2}\d+", r"(ab|cd)+x?", r"a.c", r"[^0-9]+", r"\w+@\w+\.com", r"(a)\1"]:
        samples = sample_regex(pattern)
        assert samples, pattern
        assert all(re.match(pattern, s) for s in samples)
        assert len(set(samples)) == len(samples)
    assert all(re.search("b+c", s) for s in sample_regex("b+c", search=True))
    assert sample_regex("[é]+") and all(set(s) == {"é"} for s in sample_regex("[é]+"))
    assert sample_regex("(?=a)b") == []  # nothing matches
    assert sample_regex("(") == []  # not a regex


def test_regex_samples_are_the_same_on_every_run_and_inside_hypothesis_tests() -> None:
    import subprocess
    import sys

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from datalife.schemas import candidates

    code = "from datalife.schemas.candidates import sample_regex; print(sample_regex(r'[a-z]+@x'))"
    runs = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    }
    assert len(runs) == 1
    expected = runs.pop().strip()
    candidates._sample_regex.cache_clear()

    @settings(max_examples=2, database=None)
    @given(st.integers())
    def inside(_: int) -> None:
        candidates._sample_regex.cache_clear()
        assert repr(sample_regex(r"[a-z]+@x")) == expected

    inside()


def test_no_private_regex_parser() -> None:
    from pathlib import Path

    import datalife

    for path in Path(datalife.__file__).parent.rglob("*.py"):
        assert "_parser" not in path.read_text(encoding="utf-8").replace("argparser", ""), path


def test_candidate_values_respect_the_space() -> None:
    space = column_space(pa.Column("Int8", [pa.Check.in_range(-3, 5)], nullable=True))
    other = column_space(pa.Column("int8", [pa.Check.in_range(0, 2)]))
    values = candidate_values(space, other)
    assert None in values
    assert all(v is None or -3 <= v <= 5 for v in values)
    assert {-1, 3} <= set(values)  # just outside the other's bounds
