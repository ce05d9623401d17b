"""Comparison checks counted by the SQL engine agree with pandera on nulls, NaN and infinities."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.parquet as pq
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import datalife

LO, HI = -2.0, 3.0
FLOATS = [None, math.nan, math.inf, -math.inf, LO, HI, LO - 0.5, HI + 0.5, 0.0, 1.5]
INTS = [None, -3, -2, -1, 0, 2, 3, 4, 10]


@st.composite
def comparison(draw: st.DrawFn) -> pa.Check:
    kind = draw(st.sampled_from(["gt", "ge", "lt", "le", "in_range"]))
    if kind == "in_range":
        return pa.Check.in_range(
            LO, HI, include_min=draw(st.booleans()), include_max=draw(st.booleans())
        )
    bound = draw(st.sampled_from([LO, HI, 0.5]))
    check: pa.Check = getattr(pa.Check, kind)(bound)
    return check


def failures(report: datalife.ValidationReport) -> dict[tuple[str | None, str], int]:
    return {(f.column, f.check): f.failure_count for f in report.failures}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    floats=st.lists(st.sampled_from(FLOATS), min_size=1, max_size=30),
    ints=st.lists(st.sampled_from(INTS), min_size=1, max_size=30),
    f_check=comparison(),
    i_check=comparison(),
    statistics=st.booleans(),
)
# a row group whose only number passes while a NaN sits beside it: its Parquet min and max
# (written without the NaN) must not make DuckDB treat the NaN as that number
@example(
    floats=[math.nan, 0.0],
    ints=[None, 1],
    f_check=pa.Check.gt(3.0),
    i_check=pa.Check.ge(0.5),
    statistics=True,
)
@example(
    floats=[math.nan, -2.0],
    ints=[0, None],
    f_check=pa.Check.in_range(-2.0, 3.0, include_min=True, include_max=False),
    i_check=pa.Check.lt(3.0),
    statistics=True,
)
# a NaN beside a number above the upper bound, in one row group: the upper comparison holds
# for the NaN too (DuckDB orders NaN above every number); only ``x <= 'inf'`` keeps it out,
# and the row group's max (the number, not the NaN) must not settle that bound as true
@example(
    floats=[math.nan, 3.5, 0.0],
    ints=[1, None, 2],
    f_check=pa.Check.le(3.0),
    i_check=pa.Check.gt(0.5),
    statistics=True,
)
@example(
    floats=[math.nan, math.inf, 1.0],
    ints=[None, 4, 0],
    f_check=pa.Check.in_range(-2.0, 3.0),
    i_check=pa.Check.le(3.0),
    statistics=True,
)
def test_comparison_counts_on_files_equal_pandera_in_memory(
    tmp_path: Path,
    floats: list[float | None],
    ints: list[int | None],
    f_check: pa.Check,
    i_check: pa.Check,
    statistics: bool,
) -> None:
    n = min(len(floats), len(ints))
    frame = pd.DataFrame(
        {
            "f": pd.array(floats[:n], dtype="float64"),
            "i": pd.array(ints[:n], dtype="Int64"),
        }
    )
    schema = pa.DataFrameSchema(
        {
            "f": pa.Column("float64", f_check, nullable=True),
            "i": pa.Column("Int64", i_check, nullable=True),
        },
        name="cmp",
    )
    path = tmp_path / "cmp.parquet"
    # built from the lists, not the frame: a NaN stays NaN in the file (pandas holds it as NaN,
    # missing, like the None next to it)
    table = pa_arrow.table(
        {
            "f": pa_arrow.array(floats[:n], pa_arrow.float64()),
            "i": pa_arrow.array(ints[:n], pa_arrow.int64()),
        }
    )
    nans = sum(1 for x in floats[:n] if x is not None and math.isnan(x))
    assert table.column("f").is_nan().to_pylist().count(True) == nans
    pq.write_table(table, path, row_group_size=7, write_statistics=statistics)
    on_file = datalife.validate(path, schema, record=False)
    in_memory = datalife.validate(frame, schema, record=False)
    assert failures(on_file) == failures(in_memory)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(-(2**40), 2**40), max_size=40), st.integers(0, 2**31))
def test_duplicate_keys_as_32_bit_offsets_equal_the_64_bit_keys(keys: list[int], span: int) -> None:
    """Keys within 2**32 of the smallest are sorted as unsigned 32-bit offsets from it."""
    import numpy as np

    from datalife.engines.duckdb.keys import duplicates_of as _duplicates_of

    low = min(keys, default=0)
    narrow = [low + (k - low) % (span + 1) for k in keys]  # within [low, low + span]
    wide = _duplicates_of(np.array(narrow, dtype=np.int64))
    offsets = _duplicates_of(np.array([k - low for k in narrow], dtype=np.uint32), low)
    assert (
        wide[0]
        == offsets[0]
        == len(narrow) - len(set(narrow)) + sum(1 for v in set(narrow) if narrow.count(v) > 1)
    )
    assert (wide[1] is None) == (offsets[1] is None)
    if wide[1] is not None and offsets[1] is not None:
        assert wide[1].tolist() == offsets[1].tolist()


def test_key_outside_the_footer_range_falls_back_to_64_bits() -> None:
    import duckdb

    from datalife.engines.duckdb.keys import fetch_keys as _fetch_keys

    con = duckdb.connect()
    union = "SELECT * FROM (VALUES (5), (2**33), (5), (NULL)) t(k)"
    keys = _fetch_keys(con, union, "k", low=0)  # 2**33 does not fit: 64-bit keys
    assert keys.dtype.itemsize == 8
    assert sorted(keys.tolist()) == [5, 5, 2**33]
    narrow = _fetch_keys(con, "SELECT * FROM (VALUES (7), (9), (7)) t(k)", "k", low=7)
    assert narrow.dtype.name == "uint32"
    assert sorted(narrow.tolist()) == [0, 0, 2]
