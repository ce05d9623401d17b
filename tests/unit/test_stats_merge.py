"""Property: the merge of partition profiles is the profile of the concatenation."""

from __future__ import annotations

import itertools
import math
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datalife.errors import ProfileError
from datalife.stats import (
    CategoricalColumn,
    NumericColumn,
    Profile,
    TimestampColumn,
    merge_profiles,
    stats,
)

SMALL: dict[str, Any] = {"max_buckets": 16, "max_values": 3, "top_k": 3}

floats = st.one_of(
    st.none(),
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
    st.sampled_from([0.0, 1.5, -2.25, float("inf")]),
)
rows = st.tuples(
    floats,
    st.one_of(st.none(), st.integers(min_value=-1000, max_value=1000)),
    st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d", "e", "ff"])),
    st.one_of(st.none(), st.booleans()),
    st.one_of(
        st.none(),
        st.integers(min_value=-(10**6), max_value=10**6).map(
            lambda s: datetime(2024, 1, 1) + timedelta(seconds=s * 97)
        ),
    ),
)


def frame(data: list[tuple[Any, ...]]) -> pd.DataFrame:
    def column(i: int, dtype: str) -> pd.Series:
        return pd.Series([r[i] for r in data], dtype=dtype)

    return pd.DataFrame(
        {
            "f": column(0, "Float64"),
            "i": column(1, "Int64"),
            "s": column(2, "string"),
            "b": column(3, "boolean"),
            "t": pd.to_datetime(column(4, "object")).astype("datetime64[us]"),
        }
    )


def close(a: float | None, b: float | None, scale: float) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9 * max(scale, 1.0))


def check_merged(merged: Profile, whole: Profile, df: pd.DataFrame, *, several: bool) -> None:
    assert merged.rows == whole.rows
    assert merged.column_names == whole.column_names
    for name in whole.column_names:
        m, w = merged[name], whole[name]
        assert (m.rows, m.missing, m.count, m.kind) == (w.rows, w.missing, w.count, w.kind)
        if isinstance(w, NumericColumn):
            assert isinstance(m, NumericColumn)
            assert (m.min, m.max, m.zeros, m.nan, m.infinite) == (
                w.min,
                w.max,
                w.zeros,
                w.nan,
                w.infinite,
            )
            scale = max(abs(w.min or 0), abs(w.max or 0))
            assert close(m.mean, w.mean, scale)
            assert close(m.std, w.std, scale)
            # buckets, quantiles, histogram and distinct registers: exactly equal
            assert m.state.sketch == w.state.sketch
            assert m.quantiles == w.quantiles
            assert m.histogram == w.histogram
            assert m.state.hll == w.state.hll
            assert m.distinct == w.distinct
        elif isinstance(w, TimestampColumn):
            assert isinstance(m, TimestampColumn)
            assert (m.min, m.max) == (w.min, w.max)
            assert m.state.grid == w.state.grid
            assert m.histogram == w.histogram
            assert m.state.hll == w.state.hll
        elif isinstance(w, CategoricalColumn):
            assert isinstance(m, CategoricalColumn)
            assert m.state.hll == w.state.hll
            assert m.state.length_sum == w.state.length_sum
            assert (m.length_min, m.length_max) == (w.length_min, w.length_max)
            truth: dict[Any, int] = (
                df[name].dropna().astype(str).str.lower().value_counts().to_dict()
            )
            values = m.state.values
            for value, n in values.items:
                assert n <= truth[value] <= n + values.count_error
            listed = dict(values.items)
            for value, n in truth.items():
                if value not in listed:
                    assert n <= values.unlisted_max
            if values.complete:
                assert listed == truth
                assert m.distinct == w.distinct == len(truth)
            elif several:  # a merge of several parts: distinct from the merged registers
                assert m.distinct_method == "hll"


@settings(max_examples=20)
@given(
    st.lists(rows, min_size=1, max_size=60),
    st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=3),
)
def test_merge_of_parts_equals_profile_of_concatenation(
    data: list[tuple[Any, ...]], cuts: list[int]
) -> None:
    df = frame(data)
    bounds = sorted({0, len(df), *(c % (len(df) + 1) for c in cuts)})
    parts = [df.iloc[a:b] for a, b in itertools.pairwise(bounds)]
    profiles = [stats(p, threads=1, **SMALL) for p in parts]
    whole = stats(df, threads=1, **SMALL)
    merged = merge_profiles(profiles)
    check_merged(merged, whole, df, several=len(parts) > 1)
    assert merged.to_json() == merge_profiles(profiles).to_json()


def test_merge_is_order_independent_for_counts_and_buckets() -> None:
    df = frame(
        [(float(i), i, "abc"[i % 3], i % 2 == 0, datetime(2024, 1, 1 + i % 28)) for i in range(90)]
    )
    parts = [stats(df.iloc[i : i + 30], **SMALL) for i in (0, 30, 60)]
    a = merge_profiles(parts)
    b = merge_profiles(parts[::-1])
    for name in a.column_names:
        assert getattr(a[name], "state", None) == getattr(b[name], "state", None) or name == "f"


def test_merging_a_column_present_in_one_part_counts_the_rest_as_missing() -> None:
    a = stats(pd.DataFrame({"x": [1.0, 2.0], "y": ["a", "b"]}))
    b = stats(pd.DataFrame({"x": [3.0]}))
    m = a.merge(b)
    assert m.rows == 3
    assert (m["y"].missing, m["y"].count) == (1, 2)


def test_merging_different_kinds_is_an_error() -> None:
    a = stats(pd.DataFrame({"x": [1.0, 2.0]}))
    b = stats(pd.DataFrame({"x": ["one"]}))
    with pytest.raises(ProfileError, match="kind differs"):
        merge_profiles([a, b])
    with pytest.raises(ProfileError, match="no profiles"):
        merge_profiles([])


def test_merged_file_profiles_keep_the_dataset_version(tmp_path: object) -> None:
    from pathlib import Path

    root = Path(str(tmp_path))
    for i in range(2):
        pd.DataFrame({"x": [i, i + 1]}).to_csv(root / f"{i}.csv", index=False)
    whole = stats([root / "0.csv", root / "1.csv"])
    merged = merge_profiles([stats(root / "0.csv"), stats(root / "1.csv")])
    assert merged.source.dataset_version == whole.source.dataset_version
