"""The mergeable summaries behind profiles: buckets, time grid, HyperLogLog, value tables."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from datalife.stats.engine import _hll_sql
from datalife.stats.sketch import (
    INITIAL_SUB_BUCKETS,
    HyperLogLog,
    LogSketch,
    TimeGrid,
    ValueTable,
    grid_shift_for,
    log_keys,
    shortest_decimals,
)
from datalife.stats.wide import log_key_sql

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@given(st.lists(finite, min_size=1, max_size=50))
def test_sql_bucket_keys_equal_the_python_ones(values: list[float]) -> None:
    """DuckDB and Python both take log2 from the C library: the same keys."""
    con = duckdb.connect()
    key = log_key_sql("x", INITIAL_SUB_BUCKETS)
    got = [
        r[0]
        for r in con.execute(
            f"SELECT {key} FROM (SELECT unnest(?::DOUBLE[]) AS x)", [values]
        ).fetchall()
    ]
    assert got == log_keys(values).tolist()


@given(finite.filter(lambda x: x != 0))
def test_a_value_lies_within_its_bucket(x: float) -> None:
    sketch = LogSketch.from_counts(log_keys([x]), [1])
    lo, hi = sketch.bounds()
    # log2 is rounded, so a value within a few ulps of an edge may sit just across it
    assert lo[0] <= x or math.isclose(lo[0], x, rel_tol=1e-12)
    assert x <= hi[0] or math.isclose(hi[0], x, rel_tol=1e-12)
    assert (hi[0] - lo[0]) <= abs(x) * sketch.relative_error() * (1 + 1e-9)
    assert sketch.relative_error() == pytest.approx(2 ** (1 / INITIAL_SUB_BUCKETS) - 1)


def test_powers_of_two_and_extremes_match_between_sql_and_python() -> None:
    xs = [2.0**52 - 1, 2.0**52, 8.0, math.nextafter(8.0, 0), 5e-324, 1.7976931348623157e308]
    con = duckdb.connect()
    key = log_key_sql("x", INITIAL_SUB_BUCKETS)
    got = [
        r[0]
        for r in con.execute(
            f"SELECT {key} FROM (SELECT unnest(?::DOUBLE[]) AS x)", [xs]
        ).fetchall()
    ]
    assert got == log_keys(xs).tolist()
    assert log_keys([8.0], 1).tolist() == [1103]


@given(st.lists(finite, min_size=1, max_size=300), st.lists(finite, max_size=300))
def test_merge_of_sketches_equals_sketch_of_union(a: list[float], b: list[float]) -> None:
    cap = 16
    sa = LogSketch.from_values(a, max_buckets=cap)
    sb = LogSketch.from_values(b, max_buckets=cap)
    whole = LogSketch.from_values(a + b, max_buckets=cap)
    merged = sa.merge(sb)
    assert merged.sub_buckets == whole.sub_buckets
    assert merged.keys.tolist() == whole.keys.tolist()
    assert merged.counts.tolist() == whole.counts.tolist()
    assert merged.keys.size <= cap or merged.sub_buckets == 1


def test_integers_keep_their_own_bucket_and_value() -> None:
    s = LogSketch.from_values([2007, 2008, 2008, 2009, -3, 0])
    assert s.points(-3, 2009).tolist() == [-3.0, 0.0, 2007.0, 2008.0, 2009.0]
    assert s.counts.tolist() == [1, 1, 1, 2, 1]


def test_quantiles_follow_the_inverted_cdf_to_bucket_resolution() -> None:
    rng = np.random.default_rng(7)
    x = np.round(rng.lognormal(3, 1, 5000), 2)
    s = LogSketch.from_values(x.tolist())
    for q in (0.01, 0.25, 0.5, 0.9, 0.99):
        exact = float(np.quantile(x, q, method="inverted_cdf"))
        assert s.quantile(q, float(x.min()), float(x.max())) == pytest.approx(
            exact, rel=2 / s.sub_buckets
        )


def test_shortest_decimal_in_a_bucket() -> None:
    lo = np.array([35.69921875, 2007.0, 0.0999, 1234.5])
    hi = np.array([35.701171875, 2007.0625, 0.1001, 1300.0])
    assert shortest_decimals(lo, hi).tolist() == [35.7, 2007.0, 0.1, 1240.0]


def test_time_grid_shift_and_merge_match_the_whole() -> None:
    assert grid_shift_for(0, 10, 4) == 2
    assert grid_shift_for(5, 5, 1) == 0
    a = np.array([0, 100, 5_000], dtype=np.int64)
    b = np.array([-2_000, 7], dtype=np.int64)

    def grid(x: np.ndarray, cap: int) -> TimeGrid:
        j = grid_shift_for(int(x.min()), int(x.max()), cap)
        return TimeGrid.from_counts(j, x >> j, np.ones_like(x), cap)

    whole = grid(np.concatenate([a, b]), 8)
    merged = grid(a, 8).merge(grid(b, 8), -2_000, 5_000)
    assert merged.shift == whole.shift
    assert merged.keys.tolist() == whole.keys.tolist()
    assert merged.counts.tolist() == whole.counts.tolist()


def _registers(values: list[str]) -> HyperLogLog:
    con = duckdb.connect()
    sql = _hll_sql("v", "(SELECT unnest(?::VARCHAR[]) AS v)", 12)
    rows = con.execute(sql, [values]).fetchall()
    return HyperLogLog.from_minimums([r[0] for r in rows], [r[1] for r in rows])


def test_hyperloglog_ranks_from_minimums() -> None:
    # remainder 0b1 in 52 bits: rank 52; remainder 0: rank 53; top bit set: rank 1
    hll = HyperLogLog.from_minimums([0, 1, 2], [1, 0, 1 << 51])
    assert hll.registers[:3].tolist() == [52, 53, 1]


@pytest.mark.parametrize("n", [1, 10, 1000, 50_000])
def test_hyperloglog_estimates_within_its_error(n: int) -> None:
    est = _registers([f"v{i}" for i in range(n)]).estimate()
    assert abs(est - n) <= max(1, 4 * 0.0163 * n)


def test_hyperloglog_merge_is_the_union_and_survives_encoding() -> None:
    a = _registers([f"v{i}" for i in range(3000)])
    b = _registers([f"v{i}" for i in range(2000, 6000)])
    union = _registers([f"v{i}" for i in range(6000)])
    merged = a.merge(b)
    assert merged.registers.tolist() == union.registers.tolist()
    assert HyperLogLog.decode(merged.encode()).registers.tolist() == merged.registers.tolist()
    with pytest.raises(ValueError):
        HyperLogLog.decode(merged.encode(), precision=10)


def test_value_table_merge_complete_is_exact() -> None:
    a = ValueTable.from_counts({"x": 3, "y": 1}, 10)
    b = ValueTable.from_counts({"y": 4, "z": 2}, 10)
    m = a.merge(b, 10)
    assert m.items == (("y", 5), ("x", 3), ("z", 2))
    assert m.complete
    assert m.count_error == 0


@given(
    st.lists(
        st.lists(st.sampled_from("abcdefghij"), min_size=1, max_size=40), min_size=2, max_size=5
    ),
    st.integers(min_value=1, max_value=6),
)
def test_value_table_merge_keeps_its_stated_bounds(parts: list[list[str]], cap: int) -> None:
    def counts(values: list[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for v in values:
            out[v] = out.get(v, 0) + 1
        return out

    merged = ValueTable.from_counts(counts(parts[0]), cap)
    for part in parts[1:]:
        merged = merged.merge(ValueTable.from_counts(counts(part), cap), cap)
    truth = counts([v for p in parts for v in p])
    listed = dict(merged.items)
    assert len(listed) <= cap
    for value, n in listed.items():
        assert n <= truth[value] <= n + merged.count_error
    for value, n in truth.items():
        if value not in listed:
            assert n <= merged.unlisted_max
    if merged.complete:
        assert listed == truth
