"""Arrow arrays and numpy arrays, read straight from the Arrow buffers, and key mode's hash of
each value. pyarrow's own ``to_numpy`` imports pandas, which costs the CLI a few tenths of a
second of start-up."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from datalife.io import duckdb_connect
from datalife.splits._assign import int_key_hash

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd
    import pyarrow as pa

__all__ = ["chunked_numpy", "float64_arrow", "hash_values", "int64_arrow", "to_arrow"]


_NUMPY_TYPES: dict[str, type[np.generic]] = {
    "int8": np.int8,
    "int16": np.int16,
    "int32": np.int32,
    "int64": np.int64,
    "uint8": np.uint8,
    "uint16": np.uint16,
    "uint32": np.uint32,
    "uint64": np.uint64,
    "float": np.float32,
    "double": np.float64,
}


def _chunk_numpy(chunk: Any) -> npt.NDArray[Any]:
    kind = str(chunk.type)
    n = len(chunk)
    if kind == "bool":
        data = chunk.buffers()[1]
        if data is None or n == 0:
            return np.zeros(n, dtype=bool)
        bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little")
        return bits[chunk.offset : chunk.offset + n].astype(bool)
    dtype = _NUMPY_TYPES.get(kind)
    if dtype is None:
        return np.asarray(chunk.to_numpy(zero_copy_only=False))
    data = chunk.buffers()[1]
    if data is None or n == 0:
        return np.zeros(n, dtype=dtype)
    size = np.dtype(dtype).itemsize
    return np.frombuffer(data, dtype=dtype, count=n, offset=chunk.offset * size)


def int64_arrow(values: npt.NDArray[Any]) -> pa.Array:
    """A numpy integer array as an Arrow int64 array (zero copy, without importing pandas)."""
    import pyarrow as pa

    data = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(data), [None, pa.py_buffer(data)])


def float64_arrow(values: npt.NDArray[Any]) -> pa.Array:
    """A numpy float array as an Arrow float64 array (zero copy, without importing pandas)."""
    import pyarrow as pa

    data = np.ascontiguousarray(values, dtype=np.float64)
    return pa.Array.from_buffers(pa.float64(), len(data), [None, pa.py_buffer(data)])


def chunked_numpy(values: Any) -> npt.NDArray[Any]:
    """A (chunked) Arrow array of numbers or booleans as one numpy array (values under nulls
    are unspecified: fill or mask them first).

    Read straight from the Arrow buffers: pyarrow's own ``to_numpy`` imports pandas, which
    costs the CLI a few tenths of a second of start-up.
    """
    chunks = values.chunks if hasattr(values, "chunks") else [values]
    if not chunks:
        return np.zeros(0, dtype=np.int64)
    parts = [_chunk_numpy(c) for c in chunks]
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def to_arrow(series: pd.Series[Any]) -> pa.ChunkedArray:
    """A pandas column as a (chunked) Arrow array; mixed-type object columns become text."""
    import pandas as pd
    import pyarrow as pa

    try:
        arr = pa.Array.from_pandas(series)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        arr = pa.array([None if pd.isna(v) else str(v) for v in series], type=pa.large_string())
    if isinstance(arr, pa.ChunkedArray):
        return arr
    return pa.chunked_array([arr])


def hash_values(values: pa.ChunkedArray, seed: int) -> npt.NDArray[np.uint64]:
    """Key mode's hash of each value (see :mod:`datalife.splits._assign`); nulls hash to 0.

    Integers: ``mix64(key ^ mix64(seed))``. Anything else: the first 8 bytes, read as a
    little-endian integer, of ``md5(f"{seed}:{text}")`` where ``text`` is DuckDB's
    ``CAST(value AS VARCHAR)``.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(values.type):
        values = pc.cast(values, values.type.value_type)
    if pa.types.is_integer(values.type):
        filled = pc.fill_null(values, 0) if values.null_count else values
        dtype = np.int64 if pa.types.is_signed_integer(values.type) else np.uint64
        chunks = filled.chunks if hasattr(filled, "chunks") else [filled]
        out = np.empty(len(filled), dtype=np.uint64)
        at = 0
        for chunk in chunks:  # chunk by chunk: no copy of the whole column
            ints = np.asarray(_chunk_numpy(chunk), dtype=dtype)
            out[at : at + len(ints)] = int_key_hash(ints, seed)
            at += len(ints)
        return out

    con = duckdb_connect()
    try:
        con.register("__datalife_keys", pa.table({"k": values}))
        out = con.sql(
            f"SELECT coalesce(md5_number_upper('{int(seed)}:' || CAST(k AS VARCHAR)), 0) AS h "
            "FROM __datalife_keys"
        ).fetchnumpy()["h"]
    finally:
        con.close()
    return np.asarray(out, dtype=np.uint64)
