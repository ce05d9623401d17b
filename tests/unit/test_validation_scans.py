"""Out-of-core counts on Parquet: one filtered scan per column, or one pass over every column
when the files are many, give pandera's counts in memory (several checks on one column, a
float32 column with NaN and infinities, several files)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.parquet as pq
import pytest

import datalife
from datalife.engines.duckdb import validate as duckdb_engine

# (f, k, n) of each file
PARTS: list[tuple[list[float | None], list[str | None], list[int]]] = [
    (
        [0.5, math.nan, -1.0, 11.0, None, math.inf, 10.0],
        ["a", "b", "z", None, "a", "b", "y"],
        [1, 2, 3, 4, 5, 6, 7],
    ),
    (
        [-math.inf, 3.0, math.nan, 12.5, 0.0, None, -0.5],
        ["b", "b", "a", "x", "a", None, "a"],
        [8, 9, 10, 11, 12, 12, 14],
    ),
]


def failures(report: datalife.ValidationReport) -> dict[tuple[str | None, str], int]:
    return {(f.column, f.check): f.failure_count for f in report.failures}


@pytest.mark.parametrize("max_scans", [256, 0], ids=["per-column", "one-pass"])
def test_parquet_counts_equal_pandera_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, max_scans: int
) -> None:
    monkeypatch.setattr(duckdb_engine, "_MAX_SCANS", max_scans)
    schema = pa.DataFrameSchema(
        {
            "f": pa.Column("float32", [pa.Check.ge(0.0), pa.Check.le(10.0)], nullable=True),
            "k": pa.Column("str", pa.Check.isin(["a", "b"]), nullable=True),
            "n": pa.Column("int64", [pa.Check.gt(1), pa.Check.lt(13)], unique=True),
        },
        name="scans",
    )
    paths, frames = [], []
    for i, (fs, ks, ns) in enumerate(PARTS):
        table = pa_arrow.table(
            {
                "f": pa_arrow.array(fs, pa_arrow.float32()),
                "k": pa_arrow.array(ks, pa_arrow.string()),
                "n": pa_arrow.array(ns, pa_arrow.int64()),
            }
        )
        path = tmp_path / f"part{i}.parquet"
        pq.write_table(table, path, row_group_size=3)
        paths.append(path)
        frames.append(
            pd.DataFrame(
                {
                    "f": pd.Series(fs, dtype="float32"),
                    "k": pd.Series(ks, dtype="str"),
                    "n": pd.Series(ns, dtype="int64"),
                }
            )
        )
    on_file = datalife.validate(paths, schema, record=False)
    in_memory = datalife.validate(pd.concat(frames, ignore_index=True), schema, record=False)
    assert failures(on_file) == failures(in_memory)
    assert failures(on_file) == {
        ("f", "greater_than_or_equal_to"): 3,  # -1, -inf, -0.5 (NaN and null are missing)
        ("f", "less_than_or_equal_to"): 3,  # 11, inf, 12.5
        ("k", "isin"): 3,  # z, y, x
        ("n", "greater_than"): 1,
        ("n", "less_than"): 1,
        ("n", "unique"): 2,
    }
    assert [s["rows"] for s in on_file.to_dict()["sources"]] == [7, 7]
    # the examples are the first failing rows in file order, naming the file they are in
    (ge,) = [f for f in on_file.failures if f.check == "greater_than_or_equal_to"]
    assert [(e.file, e.row) for e in ge.examples] == [
        (str(paths[0]), 2),
        (str(paths[1]), 0),
        (str(paths[1]), 6),
    ]
