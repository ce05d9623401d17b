"""The Parquet writer of the split files: pyarrow's own writer fed fixed row groups, so the
bytes depend only on the rows, never on the batch sizes or which rows came as a selection."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from datalife.splits._writer import WRITE_OPTIONS, ParquetSink, SmallPages


def table(n: int, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "id": np.arange(n, dtype=np.int64),
            "label": pa.array([f"c{i}" for i in rng.integers(0, 5, n)]),
            "x": pa.array(
                [None if i % 7 == 0 else float(v) for i, v in enumerate(rng.normal(size=n))]
            ),
            "text": pa.array([f"row {i} " * int(k) for i, k in enumerate(rng.integers(0, 4, n))]),
            "flag": pa.array(rng.random(n) < 0.3),
            "when": pa.array(np.arange(n).astype("datetime64[us]")),
            "tags": pa.array([[int(i), int(i) + 1][: i % 3] for i in range(n)]),
            "pair": pa.array([{"a": int(i), "b": str(i)} for i in range(n)]),
        }
    )


def pyarrow_bytes(t: pa.Table, rows: int, metadata: dict[str, str]) -> bytes:
    """What pyarrow's writer gives for the same row groups and metadata, written by hand."""
    out = io.BytesIO()
    writer = pq.ParquetWriter(out, t.schema, **WRITE_OPTIONS)
    for start in range(0, max(t.num_rows, 1), rows):
        writer.write_table(t.slice(start, rows).combine_chunks(), row_group_size=rows)
    writer.add_key_value_metadata(metadata)
    writer.close()
    return out.getvalue()


def sink_bytes(t: pa.Table, rows: int, metadata: dict[str, str], *, batch: int) -> bytes:
    out = io.BytesIO()
    sink = ParquetSink(out, t.schema, row_group_rows=rows)
    for b in t.to_batches(max_chunksize=batch):
        # half the batches as (batch, selected rows), the rest whole
        if b.num_rows % 2:
            sink.put(b, np.arange(b.num_rows, dtype=np.int64))
        else:
            sink.put(b)
    sink.finish(metadata)
    return out.getvalue()


@given(n=st.integers(0, 3000), rows=st.integers(1, 1500), batch=st.integers(1, 700))
def test_same_bytes_as_pyarrow_whatever_the_batches(n: int, rows: int, batch: int) -> None:
    t = table(n, seed=n)
    meta = {"datalife": '{"split": "train"}'}
    got = sink_bytes(t, rows, meta, batch=batch)
    assert got == sink_bytes(t, rows, meta, batch=max(1, n))
    assert got == pyarrow_bytes(t, rows, meta)
    assert pq.read_table(io.BytesIO(got)).equals(t)
    assert pq.read_metadata(io.BytesIO(got)).metadata[b"datalife"] == meta["datalife"].encode()


def test_selected_rows_keep_their_order_across_row_groups() -> None:
    t = table(1000)
    out = io.BytesIO()
    sink = ParquetSink(out, t.schema, row_group_rows=128)
    picked = []
    for b in t.to_batches(max_chunksize=100):
        rows = np.arange(b.num_rows, dtype=np.int64)[::3]
        picked += b.column(0).take(pa.array(rows)).to_pylist()
        sink.put(b, rows)
    sink.finish({})
    back = pq.read_table(io.BytesIO(out.getvalue()))
    assert back["id"].to_pylist() == picked
    meta = pq.read_metadata(io.BytesIO(out.getvalue()))
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert sizes == [128] * (len(picked) // 128) + [len(picked) % 128]


def test_row_groups_are_readable_one_by_one(tmp_path: Path) -> None:
    import duckdb

    t = table(2500)
    path = tmp_path / "t.parquet"
    path.write_bytes(sink_bytes(t, 1000, {"k": "v"}, batch=333))
    pf = pq.ParquetFile(path)
    assert [pf.metadata.row_group(i).num_rows for i in range(3)] == [1000, 1000, 500]
    for i in range(3):
        assert pf.read_row_group(i).equals(t.slice(1000 * i, 1000))
    query = f"SELECT count(*), sum(id), count(x) FROM '{path}'"
    total = duckdb.connect().execute(query).fetchall()
    assert total == [(2500, sum(range(2500)), pa.compute.count(t["x"]).as_py())]


def test_a_write_error_reaches_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    real = pq.ParquetWriter.write_table
    calls = {"n": 0}

    def failing(self: Any, *args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        real(self, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetWriter, "write_table", failing)
    with pytest.raises(OSError, match="No space left"):
        sink_bytes(table(3000), 500, {}, batch=100)


def test_numpy_huge_pages_are_off_while_writers_are_open() -> None:
    toggle = np._core.multiarray._set_madvise_hugepage  # type: ignore[attr-defined]

    def current() -> bool:
        value = bool(toggle(True))
        toggle(value)
        return value

    before = current()
    toggle(True)
    try:
        SmallPages.enter()
        SmallPages.enter()
        assert current() is False
        SmallPages.exit()
        assert current() is False  # the other writer is still open
        SmallPages.exit()
        assert current() is True
    finally:
        toggle(before)
