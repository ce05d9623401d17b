"""Profiles of many columns computed in groups equal the per-column ones, field for field."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datalife.stats import ProfileSettings
from datalife.stats.engine import batch_columns, open_scan, profile_scan


def _both(data: Any, profile_settings: ProfileSettings | None = None) -> tuple[Any, Any]:
    """The profile of ``data`` computed column by column and in groups, on the same scan."""
    s = profile_settings or ProfileSettings()
    with open_scan(data) as scan:
        one = profile_scan(scan, s, batched=False).to_dict()
        grouped = profile_scan(scan, s, batched=True).to_dict()
    return one, grouped


def _assert_same(one: dict[str, Any], grouped: dict[str, Any]) -> None:
    assert [c["name"] for c in one["columns"]] == [c["name"] for c in grouped["columns"]]
    for a, b in zip(one["columns"], grouped["columns"], strict=True):
        assert a == b, a["name"]  # bit-identical, float moments included
    assert one == grouped


def _wide_frame(n: int, seed: int, *, overflow: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols: dict[str, Any] = {}
    for j in range(70):
        kind = j % 7
        if kind == 0:
            cols[f"i{j}"] = rng.integers(-50, 50, n)
        elif kind == 1:
            x = rng.normal(0, 1e3, n)
            x[::37] = np.nan
            x[1:3] = [np.inf, -np.inf]
            x[3] = 0.0
            cols[f"f{j}"] = x
        elif kind == 2:
            words: list[Any] = ["a", "bb", "c c", None]
            cols[f"s{j}"] = pd.Series([words[i] for i in rng.integers(0, 4, n)], dtype="object")
        elif kind == 3:
            flags: list[Any] = [True, False, None]
            cols[f"b{j}"] = pd.array([flags[i] for i in rng.integers(0, 3, n)], dtype="boolean")
        elif kind == 4:
            seconds = rng.integers(0, 10**9, n)
            cols[f"t{j}"] = pd.to_datetime("2020-01-01") + pd.to_timedelta(seconds, unit="s")
        elif kind == 5:
            values = rng.integers(0, 10**6, n).tolist()
            ints = [None if r < 0.1 else v for r, v in zip(rng.random(n), values, strict=True)]
            cols[f"n{j}"] = pd.array(ints, dtype="Int64")
        else:
            cols[f"u{j}"] = [f"id-{i}" for i in rng.permutation(n)]
    cols["empty_float"] = pd.Series([np.nan] * n, dtype="float64")
    cols["empty_text"] = pd.Series([None] * n, dtype=object)
    cols["empty_time"] = pd.Series([pd.NaT] * n, dtype="datetime64[ns]")
    cols["dates"] = pd.Series(pd.date_range("2021-01-01", periods=n, freq="h").date)
    cols["lists"] = [[1, 2]] * n
    cols["decimal_like"] = np.round(rng.random(n) * 100, 2)
    if overflow:
        # squares past HUGEINT: this column goes the floating-point way
        cols["huge"] = np.resize(np.array([2**62, -(2**62), 3], dtype=np.int64), n)
    return pd.DataFrame(cols)


def test_the_shape_decides_the_path() -> None:
    assert not batch_columns(10, 2_000_000)
    assert batch_columns(1_000, 10_000)
    assert not batch_columns(1_000, 1_000_000)


def test_a_wide_frame_profiles_the_same_in_groups() -> None:
    one, grouped = _both(_wide_frame(2_500, 1))
    _assert_same(one, grouped)
    assert len(one["columns"]) == 76


def test_an_overflowing_integer_sum_falls_back_and_stays_the_same() -> None:
    one, grouped = _both(_wide_frame(600, 2, overflow=True))
    _assert_same(one, grouped)
    huge = next(c for c in grouped["columns"] if c["name"] == "huge")
    assert huge["max"] == float(2**62)


def test_files_profile_the_same_in_groups(tmp_path: Path) -> None:
    frame = _wide_frame(1_500, 3).drop(columns=["lists", "dates"])
    frame.to_parquet(tmp_path / "wide.parquet")
    _assert_same(*_both(tmp_path / "wide.parquet"))
    frame.to_csv(tmp_path / "wide.csv", index=False)
    _assert_same(*_both(tmp_path / "wide.csv"))


def test_cut_value_tables_and_few_buckets_are_the_same() -> None:
    frame = _wide_frame(3_000, 4)
    _assert_same(*_both(frame, ProfileSettings(top_k=3, max_values=5, max_buckets=16)))


def test_no_rows() -> None:
    frame = _wide_frame(10, 5).iloc[:0]
    one, grouped = _both(frame)
    _assert_same(one, grouped)
    assert grouped["rows"] == 0


def test_progress_counts_columns() -> None:
    seen: list[tuple[int, int]] = []
    frame = _wide_frame(50, 6)
    with open_scan(frame) as scan:
        profile_scan(scan, ProfileSettings(), progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1] == (len(frame.columns), len(frame.columns))
    assert all(a <= b for (a, _), (b, _) in itertools.pairwise(seen))


_cells = st.one_of(
    st.none(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    numbers=st.lists(st.lists(_cells, min_size=4, max_size=4), min_size=0, max_size=40),
    texts=st.lists(st.sampled_from(["x", "y", "", "z z", None]), min_size=40, max_size=40),
)
def test_any_small_frame_profiles_the_same_in_groups(
    numbers: list[list[Any]], texts: list[Any]
) -> None:
    rows = len(numbers)
    frame = pd.DataFrame(
        {
            "ints": pd.array(
                [r[0] if isinstance(r[0], int) else None for r in numbers], dtype="Int64"
            ),
            "floats": pd.Series(
                [float(r[1]) if r[1] is not None else np.nan for r in numbers], dtype="float64"
            ),
            "more": pd.Series(
                [float(r[2]) if r[2] is not None else np.nan for r in numbers], dtype="float64"
            ),
            "text": pd.Series(texts[:rows], dtype=object),
        }
    )
    _assert_same(*_both(frame))


@pytest.mark.parametrize("columns", [1, 19, 20, 21])
def test_group_edges(columns: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # groups of 20 columns instead of 200: the same edges, a tenth of the work
    monkeypatch.setattr("datalife.stats.engine.COLUMNS_PER_GROUP", 20)
    rng = np.random.default_rng(columns)
    frame = pd.DataFrame({f"c{j}": rng.normal(size=30) for j in range(columns)})
    _assert_same(*_both(frame))
