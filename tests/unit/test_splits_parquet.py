"""The parallel Parquet writer of the split files: same bytes as pyarrow's own writer,
whatever the thread count, the batch sizes or the order the row groups finish in."""

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

import datalife.splits._parquet as parquet
from datalife.splits._parquet import (
    WRITE_OPTIONS,
    Encoder,
    ParquetSink,
    decode_struct,
    encode_struct,
    split_file,
)


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
    """What pyarrow's one-thread writer gives for the same row groups and metadata."""
    out = io.BytesIO()
    writer = pq.ParquetWriter(out, t.schema, **WRITE_OPTIONS)
    for start in range(0, max(t.num_rows, 1), rows):
        writer.write_table(t.slice(start, rows).combine_chunks(), row_group_size=rows)
    writer.add_key_value_metadata(metadata)
    writer.close()
    return out.getvalue()


def sink_bytes(
    t: pa.Table, rows: int, metadata: dict[str, str], *, workers: int, batch: int
) -> bytes:
    out = io.BytesIO()
    with Encoder(workers) as encoder:
        sink = ParquetSink(out, t.schema, encoder, row_group_rows=rows)
        for b in t.to_batches(max_chunksize=batch):
            # half the batches as (batch, selected rows), the rest whole
            if b.num_rows % 2:
                sink.put(b, np.arange(b.num_rows, dtype=np.int64))
            else:
                sink.put(b)
        sink.finish(metadata)
    return out.getvalue()


@given(
    n=st.integers(0, 3000),
    rows=st.integers(1, 1500),
    batch=st.integers(1, 700),
    workers=st.integers(1, 4),
)
def test_same_bytes_as_pyarrow_whatever_the_threads_and_batches(
    n: int, rows: int, batch: int, workers: int
) -> None:
    t = table(n, seed=n)
    meta = {"datalife": '{"split": "train"}'}
    got = sink_bytes(t, rows, meta, workers=workers, batch=batch)
    assert got == sink_bytes(t, rows, meta, workers=1, batch=max(1, n))
    back = pq.read_table(io.BytesIO(got))
    assert back.equals(t)
    assert pq.read_metadata(io.BytesIO(got)).metadata[b"datalife"] == meta["datalife"].encode()
    if n:  # an empty table: pyarrow writes no row group, the sink one empty piece
        assert got == pyarrow_bytes(t, rows, meta)


def test_row_groups_are_readable_one_by_one(tmp_path: Path) -> None:
    import duckdb

    t = table(2500)
    path = tmp_path / "t.parquet"
    path.write_bytes(sink_bytes(t, 1000, {"k": "v"}, workers=3, batch=333))
    pf = pq.ParquetFile(path)
    assert [pf.metadata.row_group(i).num_rows for i in range(3)] == [1000, 1000, 500]
    for i in range(3):
        assert pf.read_row_group(i).equals(t.slice(1000 * i, 1000))
    query = f"SELECT count(*), sum(id), count(x) FROM '{path}'"
    total = duckdb.connect().execute(query).fetchall()
    assert total == [(2500, sum(range(2500)), pa.compute.count(t["x"]).as_py())]


def test_thrift_round_trip_of_real_footers() -> None:
    data = pyarrow_bytes(table(500), 100, {"datalife": "{}"})
    _, footer = split_file(data)  # checks encode(decode(raw)) == raw
    raw = encode_struct(footer)
    assert decode_struct(raw) == footer
    with pytest.raises(ValueError, match="not a Parquet file"):
        split_file(b"PAR1 not really")


def test_a_row_group_larger_than_the_guess_still_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parquet, "_guess_size", lambda t: 64)
    t = table(1200)
    meta = {"datalife": "{}"}
    assert sink_bytes(t, 500, meta, workers=2, batch=256) == pyarrow_bytes(t, 500, meta)


def test_an_encoding_error_reaches_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    real = pq.ParquetWriter.write_table
    calls = {"n": 0}

    def failing(self: Any, *args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        real(self, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetWriter, "write_table", failing)
    with pytest.raises(OSError, match="No space left"):
        sink_bytes(table(3000), 500, {}, workers=2, batch=100)


def test_numpy_huge_pages_are_off_while_encoders_are_open() -> None:
    toggle = np._core.multiarray._set_madvise_hugepage  # type: ignore[attr-defined]

    def current() -> bool:
        value = bool(toggle(True))
        toggle(value)
        return value

    before = current()
    toggle(True)
    try:
        outer = Encoder(1)
        inner = Encoder(1)
        assert current() is False
        outer.close()
        assert current() is False  # the inner encoder is still open
        inner.close()
        inner.close()  # closing twice restores once
        assert current() is True
    finally:
        toggle(before)
