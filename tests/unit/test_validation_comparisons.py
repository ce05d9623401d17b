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
