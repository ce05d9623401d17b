"""``datalife.stats``: profiles of frames and files, JSON round trips, bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import datalife
from datalife.errors import InputError, ProfileError
from datalife.reading import read_pandas
from datalife.stats import (
    CategoricalColumn,
    NumericColumn,
    OtherColumn,
    Profile,
    TimestampColumn,
    find_profile,
    load_profile,
    profile_path,
    save_profile,
    stats,
)

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


def numeric(p: Profile, name: str) -> NumericColumn:
    col = p[name]
    assert isinstance(col, NumericColumn)
    return col


def categorical(p: Profile, name: str) -> CategoricalColumn:
    col = p[name]
    assert isinstance(col, CategoricalColumn)
    return col


def test_datalife_profile_returns_a_profile() -> None:
    p = datalife.profile(pd.DataFrame({"x": [1, 2]}))
    assert isinstance(p, Profile)
    assert p.rows == 2


def test_numbers_match_numpy_and_pandas() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(10, 3, 2000)
    x[::50] = np.nan
    df = pd.DataFrame({"x": x, "i": rng.integers(-5, 6, 2000)})
    p = stats(df)
    col = numeric(p, "x")
    finite = x[~np.isnan(x)]
    assert col.rows == 2000
    assert col.missing == 40
    assert col.count == 1960
    assert col.min == finite.min()
    assert col.max == finite.max()
    assert col.mean == pytest.approx(finite.mean(), rel=1e-12)
    assert col.std == pytest.approx(finite.std(ddof=1), rel=1e-9)
    assert col.quantile_relative_error is not None
    for name, q in (("p5", 0.05), ("p50", 0.5), ("p95", 0.95)):
        exact = np.quantile(finite, q, method="inverted_cdf")
        assert col.quantiles[name] == pytest.approx(exact, rel=2 * col.quantile_relative_error)
    assert col.histogram is not None
    assert sum(col.histogram.counts) == 1960
    assert len(col.histogram.edges) == 21
    ints = numeric(p, "i")
    assert ints.zeros == int((df["i"] == 0).sum())
    assert ints.mean == pytest.approx(df["i"].mean(), rel=1e-15)
    assert ints.quantiles["p50"] == np.quantile(df["i"], 0.5, method="inverted_cdf")
    assert ints.distinct == 11
    assert ints.distinct_method == "hll"


def test_strings_top_values_lengths_and_exact_distinct() -> None:
    df = pd.DataFrame({"s": ["aa", "b", "aa", None, "ccc", "aa", "b"]})
    col = categorical(stats(df, top_k=2), "s")
    assert col.kind == "string"
    assert [(t.value, t.count) for t in col.top] == [("aa", 3), ("b", 2)]
    assert col.top[0].share == pytest.approx(0.5)
    assert col.distinct == 3
    assert col.distinct_method == "exact"
    assert col.missing == 1
    assert (col.length_min, col.length_max) == (1, 3)
    assert col.length_mean == pytest.approx(11 / 6)


def test_booleans_categories_timestamps_and_other_types() -> None:
    df = pd.DataFrame(
        {
            "b": pd.array([True, False, True, None], dtype="boolean"),
            "c": pd.Categorical(["x", "y", "x", None]),
            "t": pd.to_datetime(
                pd.Series(["2024-01-01", "2024-01-02", None, "2024-03-01 12:00"]), format="ISO8601"
            ),
            "d": pd.to_datetime(pd.Series(["2024-01-01", None, None, None])).dt.tz_localize("UTC"),
            "l": [[1], [2, 3], None, []],
        }
    )
    p = stats(df)
    b = categorical(p, "b")
    assert b.kind == "boolean"
    assert [(t.value, t.count) for t in b.top] == [("true", 2), ("false", 1)]
    assert b.length_mean is None
    assert categorical(p, "c").kind == "string"
    t = p["t"]
    assert isinstance(t, TimestampColumn)
    assert (t.min, t.max, t.missing) == ("2024-01-01T00:00:00", "2024-03-01T12:00:00", 1)
    assert t.histogram is not None
    assert sum(t.histogram.counts) == 3
    assert isinstance(p["d"], TimestampColumn)
    other = p["l"]
    assert isinstance(other, OtherColumn)
    assert other.missing == 1


def test_polars_and_arrow_frames_give_the_same_numbers_as_pandas() -> None:
    df = pd.DataFrame({"x": [1.5, 2.5, None, 4.0], "s": ["a", "b", "a", None]})
    p = stats(df)
    for other in (stats(pl.from_pandas(df)), stats(pa.Table.from_pandas(df, preserve_index=False))):
        assert other.rows == p.rows
        assert numeric(other, "x").model_dump() == numeric(p, "x").model_dump()
        assert categorical(other, "s").top == categorical(p, "s").top


def test_files_profile_like_the_frame_read_from_them() -> None:
    files = sorted(SAMPLE.glob("*.csv"))
    from_files = stats(files)
    from_frame = stats(read_pandas(files))
    assert from_files.rows == from_frame.rows == 344
    assert from_files.source.dataset_version is not None
    assert len(from_files.source.files) == 3
    for name in from_files.column_names:
        a, b = from_files[name], from_frame[name]
        assert (a.count, a.missing, a.distinct) == (b.count, b.missing, b.distinct)
    assert (
        numeric(from_files, "bill_length_mm").quantiles
        == numeric(from_frame, "bill_length_mm").quantiles
    )
    assert numeric(from_files, "bill_length_mm").quantiles["p50"] == 44.4


def test_parquet_and_json_lines(tmp_path: Path) -> None:
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "s": ["a", "b", "b"]})
    df.to_parquet(tmp_path / "d.parquet")
    df.to_json(tmp_path / "d.jsonl", orient="records", lines=True)
    for name in ("d.parquet", "d.jsonl"):
        p = stats(tmp_path / name)
        assert numeric(p, "x").mean == 2.0
        assert categorical(p, "s").top[0].value == "b"


def test_profiles_are_deterministic(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"x": rng.lognormal(0, 2, 30_000), "s": rng.choice(list("abcdef"), 30_000)})
    df.to_parquet(tmp_path / "d.parquet")
    runs = {stats(tmp_path / "d.parquet", threads=2).to_json() for _ in range(3)}
    assert len(runs) == 1
    # several CSV files are loaded in parallel: the float sums must not depend on the load order
    for i in range(12):
        part = pd.DataFrame({"x": rng.normal(0, 1e6, 200) / 7})
        part.to_csv(tmp_path / f"p{i:02}.csv", index=False)
    csvs = sorted(tmp_path.glob("p*.csv"))
    assert len({stats(csvs, threads=2).to_json() for _ in range(8)}) == 1


def test_save_load_round_trip_and_no_nan(tmp_path: Path) -> None:
    df = pd.DataFrame({"empty": [None, None], "one": [1.0, None], "s": [None, None]}).astype(
        {"empty": "float64", "s": "object"}
    )
    p = stats(df)
    assert numeric(p, "empty").mean is None
    assert numeric(p, "one").std is None
    path = p.save(tmp_path / "p.json")
    json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    assert Profile.load(path) == p


def test_corrupted_profiles_raise_a_clear_error(tmp_path: Path) -> None:
    p = stats(pd.DataFrame({"x": [1.0, 2.0, 3.0]}))
    good = p.to_json()
    cases = {
        "truncated.json": good[: len(good) // 2],
        "notprofile.json": json.dumps({"hello": 1}),
        "newer.json": good.replace('"format_version":1', '"format_version":99'),
        "badfield.json": good.replace('"rows":3', '"rows":"three"', 1),
        "inconsistent.json": good.replace('"count":3', '"count":2', 1),
        "nan.json": good.replace('"mean":2.0', '"mean":NaN', 1),
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(ProfileError) as info:
            Profile.load(path)
        assert name in str(info.value)
        assert info.value.exit_code == 2
    with pytest.raises(ProfileError, match="no such profile"):
        Profile.load(tmp_path / "missing.json")


def test_save_per_dataset_version(tmp_path: Path) -> None:
    (tmp_path / "datalife.toml").write_text("format_version = 1\n")
    p = stats(pd.DataFrame({"x": [1, 2, 3]}))
    assert p.source.dataset_version is not None
    path = save_profile(p, tmp_path)
    assert path == profile_path(tmp_path, p.source.dataset_version)
    assert path.parent == tmp_path / "lineage" / "profiles"
    assert find_profile(tmp_path, p.source.dataset_version[:8]) == path
    assert load_profile(p.source.dataset_version[:8], tmp_path) == p


def test_edge_shapes_empty_constant_one_row() -> None:
    empty = stats(pd.DataFrame({"x": pd.Series([], dtype="float64")}))
    assert empty.rows == 0
    assert numeric(empty, "x").histogram is None
    const = numeric(stats(pd.DataFrame({"x": [5.0] * 10})), "x")
    assert (const.std, const.min, const.max) == (0.0, 5.0, 5.0)
    assert const.histogram is not None
    assert const.histogram.counts == [10]
    one = numeric(stats(pd.DataFrame({"x": [7]})), "x")
    assert (one.mean, one.std, one.quantiles["p50"]) == (7.0, None, 7.0)
    # squares overflow 128-bit sums: the floating-point path takes over
    huge = numeric(stats(pd.DataFrame({"i": [2**62] * 20})), "i")
    assert (huge.mean, huge.std, huge.distinct) == (2.0**62, 0.0, 1)
    # values whose moments overflow a double: null, never inf or NaN
    wide = numeric(stats(pd.DataFrame({"x": [1e308, 1.5e308, -1e308]})), "x")
    assert (wide.min, wide.max, wide.std) == (-1e308, 1.5e308, None)


def test_nan_and_infinity_in_parquet(tmp_path: Path) -> None:
    table = pa.table({"x": pa.array([1.0, float("nan"), float("inf"), None, -2.0])})
    import pyarrow.parquet as pq

    pq.write_table(table, tmp_path / "d.parquet")
    col = numeric(stats(tmp_path / "d.parquet"), "x")
    assert (col.missing, col.nan, col.infinite, col.count) == (2, 1, 1, 3)
    assert (col.min, col.max, col.mean) == (-2.0, 1.0, -0.5)


def test_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        stats(tmp_path / "nope.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InputError, match="empty"):
        stats(tmp_path / "empty.csv")
    (tmp_path / "x.xlsx").write_text("a")
    with pytest.raises(InputError, match="unknown data format"):
        stats(tmp_path / "x.xlsx")
    with pytest.raises(InputError, match="cannot profile"):
        stats(42)
    (tmp_path / "late.csv").write_text("n\n" + "1\n" * 30_000 + "abc\n")
    late = stats(tmp_path / "late.csv")
    assert late["n"].kind == "string"
