"""Parquet files encoded in parallel, byte for byte the same whatever the number of threads.

pyarrow's Parquet writer encodes one file on one thread. A split's train file holds most of
the rows, so its encoding alone would set the pace. Here every row group (a fixed number of
rows, cut at the same places whatever the batch sizes) is encoded on its own, in a pool of
threads, as a complete one-row-group Parquet file in memory; the pieces are appended to the
output in row order and one footer describing all of them is written at the end.

The footer is Parquet's ``FileMetaData``, a Thrift compact-protocol struct. Each piece's footer
is decoded generically (every field kept as it was), the row groups' absolute file offsets are
moved by where the piece landed in the output, and the first piece's footer, with all the row
groups, the total row count and the extra key-value metadata, is encoded again. Decoding then
encoding a footer gives back the same bytes (checked on every file), so nothing pyarrow wrote is
lost or reinterpreted. Because each row group's bytes depend only on its rows, the output is
the same whatever the thread count or the order in which the pieces finish.

Examples:
    >>> import io, pyarrow as pa, pyarrow.parquet as pq
    >>> out = io.BytesIO()
    >>> schema = pa.schema([("x", pa.int64())])
    >>> with Encoder(workers=2) as encoder:
    ...     sink = ParquetSink(out, schema, encoder, row_group_rows=3)
    ...     sink.put(pa.record_batch([pa.array([1, 2, 3, 4, 5])], schema=schema))
    ...     sink.finish({"note": "hi"})
    >>> meta = pq.read_metadata(io.BytesIO(out.getvalue()))
    >>> [meta.row_group(i).num_rows for i in range(meta.num_row_groups)], meta.metadata[b"note"]
    ([3, 2], b'hi')
    >>> pq.read_table(io.BytesIO(out.getvalue()))["x"].to_pylist()
    [1, 2, 3, 4, 5]
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Mapping

    import numpy.typing as npt
    import pyarrow as pa

__all__ = ["Encoder", "ParquetSink", "decode_struct", "encode_struct"]

MAGIC = b"PAR1"

# Thrift compact protocol type codes
_STOP, _TRUE, _FALSE, _I8, _I16, _I32, _I64, _DOUBLE, _BINARY, _LIST, _SET, _MAP, _STRUCT = range(
    13
)

#: a decoded struct: its fields in wire order, as (field id, compact type, value)
Struct = list[tuple[int, int, Any]]

# field ids of the Parquet footer (parquet.thrift) that this module reads or changes
_FMD_NUM_ROWS, _FMD_ROW_GROUPS, _FMD_KV = 3, 4, 5
_RG_COLUMNS, _RG_FILE_OFFSET, _RG_ORDINAL = 1, 5, 7
_CC_META = 3
#: absolute file offsets: ColumnChunk.file_offset, offset_index_offset, column_index_offset
_CC_OFFSETS = (2, 4, 6)
#: ColumnMetaData.data_page_offset, index_page_offset, dictionary_page_offset,
#: bloom_filter_offset
_CMD_OFFSETS = (9, 10, 11, 14)


#: pyarrow writer options of every split file, besides the row group size. A column chunk's
#: dictionary stops growing at 64 KiB (pyarrow's default: 1 MiB) and its later pages are
#: written PLAIN: low-cardinality columns (classes, flags, small codes: what dictionaries pay
#: for) keep theirs, while an id, a float or free text stops hashing values into a dictionary
#: it would give up anyway (the key split of 10M rows: 5.3 -> 4.6 CPU-seconds of encoding).
WRITE_OPTIONS: dict[str, Any] = {"compression": "snappy", "dictionary_pagesize_limit": 64 << 10}


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        b = self.data[self.pos]
        self.pos += 1
        return b

    def varint(self) -> int:
        out = shift = 0
        while True:
            b = self.byte()
            out |= (b & 0x7F) << shift
            if b < 0x80:
                return out
            shift += 7

    def zigzag(self) -> int:
        v = self.varint()
        return (v >> 1) ^ -(v & 1)

    def raw(self, n: int) -> bytes:
        out = self.data[self.pos : self.pos + n]
        if len(out) != n:
            raise ValueError("truncated Thrift data")
        self.pos += n
        return out

    def element(self, t: int) -> Any:
        if t in (_TRUE, _FALSE):  # a boolean inside a container: one byte, kept as it is
            return self.byte()
        return self.value(t)

    def value(self, t: int) -> Any:
        if t in (_TRUE, _FALSE):
            return t == _TRUE
        if t == _I8:
            return self.byte()
        if t in (_I16, _I32, _I64):
            return self.zigzag()
        if t == _DOUBLE:
            return self.raw(8)
        if t == _BINARY:
            return self.raw(self.varint())
        if t in (_LIST, _SET):
            head = self.byte()
            size, et = head >> 4, head & 0x0F
            if size == 15:
                size = self.varint()
            return (et, [self.element(et) for _ in range(size)])
        if t == _MAP:
            size = self.varint()
            if size == 0:
                return (0, 0, [])
            kv = self.byte()
            kt, vt = kv >> 4, kv & 0x0F
            return (kt, vt, [(self.element(kt), self.element(vt)) for _ in range(size)])
        if t == _STRUCT:
            return self.struct()
        raise ValueError(f"unknown Thrift compact type {t}")

    def struct(self) -> Struct:
        fields: Struct = []
        last = 0
        while True:
            head = self.byte()
            if head == _STOP:
                return fields
            t, delta = head & 0x0F, head >> 4
            fid = last + delta if delta else self.zigzag()
            fields.append((fid, t, self.value(t)))
            last = fid


class _Writer:
    def __init__(self) -> None:
        self.out = bytearray()

    def varint(self, v: int) -> None:
        while v >= 0x80:
            self.out.append((v & 0x7F) | 0x80)
            v >>= 7
        self.out.append(v)

    def zigzag(self, v: int) -> None:
        self.varint((v << 1) ^ (v >> 63))

    def element(self, t: int, v: Any) -> None:
        if t in (_TRUE, _FALSE):
            self.out.append(v)
        else:
            self.value(t, v)

    def value(self, t: int, v: Any) -> None:
        if t in (_TRUE, _FALSE):
            return
        if t == _I8:
            self.out.append(v)
        elif t in (_I16, _I32, _I64):
            self.zigzag(v)
        elif t == _DOUBLE:
            self.out += v
        elif t == _BINARY:
            self.varint(len(v))
            self.out += v
        elif t in (_LIST, _SET):
            et, items = v
            if len(items) < 15:
                self.out.append((len(items) << 4) | et)
            else:
                self.out.append(0xF0 | et)
                self.varint(len(items))
            for item in items:
                self.element(et, item)
        elif t == _MAP:
            kt, vt, pairs = v
            self.varint(len(pairs))
            if pairs:
                self.out.append((kt << 4) | vt)
                for k, val in pairs:
                    self.element(kt, k)
                    self.element(vt, val)
        elif t == _STRUCT:
            self.struct(v)
        else:
            raise ValueError(f"unknown Thrift compact type {t}")

    def struct(self, fields: Struct) -> None:
        last = 0
        for fid, t, v in fields:
            if t in (_TRUE, _FALSE):
                t = _TRUE if v else _FALSE
            if 0 < fid - last <= 15:
                self.out.append(((fid - last) << 4) | t)
            else:
                self.out.append(t)
                self.zigzag(fid)
            self.value(t, v)
            last = fid
        self.out.append(_STOP)


def decode_struct(data: bytes) -> Struct:
    """A Thrift compact-protocol struct, every field kept (see :func:`encode_struct`).

    Examples:
        >>> decode_struct(bytes([0x15, 0x04, 0x18, 0x02, 0x68, 0x69, 0x00]))
        [(1, 5, 2), (2, 8, b'hi')]
    """
    reader = _Reader(data)
    fields = reader.struct()
    if reader.pos != len(data):
        raise ValueError("trailing bytes after a Thrift struct")
    return fields


def encode_struct(fields: Struct) -> bytes:
    """The compact-protocol bytes of a struct from :func:`decode_struct` (its inverse).

    Examples:
        >>> encode_struct([(1, 5, 2), (2, 8, b"hi")]).hex()
        '15041802686900'
    """
    writer = _Writer()
    writer.struct(fields)
    return bytes(writer.out)


def _get(fields: Struct, fid: int) -> Any:
    for f, _, v in fields:
        if f == fid:
            return v
    raise KeyError(fid)


def _set(fields: Struct, fid: int, t: int, value: Any) -> Struct:
    """``fields`` with field ``fid`` set (added in field-id order if absent)."""
    out = [(f, ft, value if f == fid else v) for f, ft, v in fields]
    if any(f == fid for f, _, _ in fields):
        return out
    out.append((fid, t, value))
    out.sort(key=lambda item: item[0])
    return out


def _shift(fields: Struct, ids: tuple[int, ...], delta: int) -> Struct:
    # 0 means "not set" for these offsets (a real one is past the leading magic bytes)
    return [(f, t, v + delta if f in ids and t == _I64 and v > 0 else v) for f, t, v in fields]


def _moved_row_group(rg: Struct, delta: int, ordinal: int) -> Struct:
    """A RowGroup whose column chunks start ``delta`` bytes later in the file."""
    out: Struct = []
    for fid, t, v in rg:
        if fid == _RG_COLUMNS:
            et, chunks = v
            moved = []
            for cc in chunks:
                cc = _shift(cc, _CC_OFFSETS, delta)
                cc = [
                    (f, ft, _shift(val, _CMD_OFFSETS, delta) if f == _CC_META else val)
                    for f, ft, val in cc
                ]
                moved.append(cc)
            out.append((fid, t, (et, moved)))
        elif fid == _RG_FILE_OFFSET and t == _I64 and v > 0:
            out.append((fid, t, v + delta))
        elif fid == _RG_ORDINAL:
            out.append((fid, t, ordinal))
        else:
            out.append((fid, t, v))
    return out


def split_file(data: bytes | pa.Buffer) -> tuple[memoryview, Struct]:
    """A complete Parquet file's data pages (between the magic bytes and the footer) and its
    decoded footer (checked to encode back to the same bytes)."""
    view = memoryview(data)
    n = len(view)
    if n < 12 or bytes(view[:4]) != MAGIC or bytes(view[-4:]) != MAGIC:
        raise ValueError("not a Parquet file")
    size = int.from_bytes(view[-8:-4], "little")
    start = n - 8 - size
    raw = bytes(view[start : n - 8])
    footer = decode_struct(raw)
    if encode_struct(footer) != raw:
        raise ValueError("the Parquet footer does not round-trip through the Thrift codec")
    return view[4:start], footer


#: a sink's rows from one batch: the batch, and which of its rows (None: all of them)
Segment = tuple["pa.RecordBatch", "npt.NDArray[np.int64] | None"]
#: a sink materialises its selected rows after this many batches without a full row group
#: (so it never keeps more input batches alive than this)
MAX_LAZY_BATCHES = 8
#: row groups in flight (submitted, not yet written) beyond one per encoding thread
EXTRA_IN_FLIGHT = 0


def _indices(rows: npt.NDArray[np.int64]) -> pa.Array:
    import pyarrow as pa

    data = np.ascontiguousarray(rows, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(data), [None, pa.py_buffer(data)])


_POOL: list[pa.MemoryPool | None] = []


def memory_pool() -> pa.MemoryPool | None:
    """The memory pool of the row groups: pyarrow's jemalloc pool where pyarrow has one.

    Every row group is gathered and encoded in fresh memory. pyarrow's default pool
    (mimalloc) hands freed memory back to the kernel within milliseconds, so the next row
    group faults it in again and the kernel zeroes it: 1-2 CPU-seconds at 10M rows. jemalloc
    keeps freed pages for a second and reuses them (measured: system time 1.4-1.9 s instead
    of 2.6-3.7 s, 0.4-0.6 s less wall time). None: the default pool.
    """
    if not _POOL:
        import pyarrow as pa

        try:
            _POOL.append(pa.jemalloc_memory_pool())
        except NotImplementedError:  # a pyarrow built without jemalloc
            _POOL.append(None)
    return _POOL[0]


def _take(segment: Segment) -> pa.RecordBatch:
    import pyarrow.compute as pc

    batch, rows = segment
    return batch if rows is None else pc.take(batch, _indices(rows), memory_pool=memory_pool())


def _gather(segments: list[Segment], schema: pa.Schema) -> pa.Table:
    """The segments' rows as one table of contiguous columns (one chunk each)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if all(rows is None for _, rows in segments):
        table = pa.Table.from_batches([b for b, _ in segments], schema=schema)
    else:
        # one take over all the batches gathers straight into single-chunk columns
        batches: list[pa.RecordBatch] = []
        index: list[npt.NDArray[np.int64]] = []
        start = 0
        for batch, rows in segments:
            if not batches or batch is not batches[-1]:
                if batches:
                    start += batches[-1].num_rows
                batches.append(batch)
            n = batch.num_rows
            index.append(np.arange(start, start + n) if rows is None else rows + start)
        table = pc.take(
            pa.Table.from_batches(batches, schema=schema),
            _indices(np.concatenate(index)),
            memory_pool=memory_pool(),
        )
    return table.combine_chunks(memory_pool=memory_pool())


#: what pyarrow's FixedSizeBufferWriter says when a write does not fit
_OUT_OF_BOUNDS = "out of bounds"


def _guess_size(table: pa.Table) -> int:
    """A buffer size the encoded row group fits in (only the bytes written use memory)."""
    return int(table.nbytes + table.nbytes // 4 + (1 << 20))


class _Buffers:
    """Output buffers, reused from one row group to the next (fresh memory for every row
    group would cost as much kernel time zeroing pages as the encoding itself)."""

    def __init__(self) -> None:
        self._free: queue.SimpleQueue[pa.Buffer] = queue.SimpleQueue()

    def get(self, size: int) -> pa.Buffer:
        import pyarrow as pa

        try:
            buf = self._free.get_nowait()
        except queue.Empty:
            return pa.allocate_buffer(size, memory_pool=memory_pool())
        return buf if buf.size >= size else pa.allocate_buffer(size, memory_pool=memory_pool())

    def put(self, buf: pa.Buffer | None) -> None:
        if buf is not None:
            self._free.put(buf)


def _encode_piece(
    segments: list[Segment], schema: pa.Schema, row_group_rows: int, buffers: _Buffers
) -> tuple[pa.Buffer, pa.Buffer | None]:
    """One row group as a complete in-memory Parquet file (runs in a pool thread): the file,
    and the reusable buffer holding it (None if it has none).

    The rows are gathered into one contiguous table first, so the bytes do not depend on
    how the rows arrived (batch sizes, which rows came from which batch).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = _gather(segments, schema)
    segments.clear()  # frees the input batches now rather than when the task ends
    options = {
        "row_group_size": max(row_group_rows, 1),
        "memory_pool": memory_pool(),
        **WRITE_OPTIONS,
    }
    buf = buffers.get(_guess_size(table))
    try:
        writer = pa.FixedSizeBufferWriter(buf)
        pq.write_table(table, writer, **options)
        return buf.slice(0, writer.tell()), buf
    except OSError as exc:
        buffers.put(buf)
        if _OUT_OF_BOUNDS not in str(exc):
            raise
    # larger than the guess (never seen: Parquet is smaller than Arrow but for tiny tables,
    # which the margin covers): a growing buffer of its own
    out = pa.BufferOutputStream()
    pq.write_table(table, out, **options)
    return out.getvalue(), None


class Encoder:
    """A pool of threads encoding row groups, shared by the sinks of one write.

    At most ``workers + EXTRA_IN_FLIGHT`` row groups are in flight (submitted and not yet
    written to their file), which bounds the memory they hold: :meth:`submit` waits for a
    slot.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
        self._slots = threading.BoundedSemaphore(self.workers + EXTRA_IN_FLIGHT)
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="datalife-parquet")
        self._buffers = _Buffers()
        self._small_pages = _SmallPages.enter()

    def __enter__(self) -> Encoder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def submit(
        self, segments: list[Segment], schema: pa.Schema, rows: int
    ) -> Future[tuple[pa.Buffer, pa.Buffer | None]]:
        self._slots.acquire()
        try:
            return self._pool.submit(_encode_piece, segments, schema, rows, self._buffers)
        except BaseException:
            self._slots.release()
            raise

    def release(self, buf: pa.Buffer | None = None) -> None:
        """A piece was written (or dropped): its slot, and its buffer, are free."""
        self._buffers.put(buf)
        self._slots.release()

    def drop_buffers(self) -> None:
        """Free the reusable output buffers (no row group is in flight)."""
        self._buffers = _Buffers()

    def close(self) -> None:
        """Drop the pieces not started yet, wait for the running ones, and hand the memory
        the pool keeps back to the system."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._buffers = _Buffers()
        pool = memory_pool()
        if pool is not None:
            pool.release_unused()
        if self._small_pages:
            self._small_pages = False
            _SmallPages.exit()


class _SmallPages:
    """numpy without transparent huge pages while any :class:`Encoder` is open.

    numpy asks the kernel for huge pages for every array of 4 MiB or more. A split allocates
    and frees such arrays for every batch (routing, gathering), and the kernel zeroes each
    2 MiB page as a whole when it is first touched: on the 10M-row key split, 12 % of the CPU
    time went to the kernel's page clearing, and the split takes 0.3-0.5 s less without. The
    first encoder to open turns them off, the last to close restores numpy's setting.
    """

    _lock = threading.Lock()
    _open = 0
    _previous: bool | None = None

    @classmethod
    def _toggle(cls) -> Any:
        core = getattr(np, "_core", None)
        return getattr(getattr(core, "multiarray", None), "_set_madvise_hugepage", None)

    @classmethod
    def enter(cls) -> bool:
        with cls._lock:
            cls._open += 1
            toggle = cls._toggle()
            if cls._open == 1 and toggle is not None:
                cls._previous = bool(toggle(False))
        return True

    @classmethod
    def exit(cls) -> None:
        with cls._lock:
            cls._open -= 1
            toggle = cls._toggle()
            if cls._open == 0 and toggle is not None and cls._previous is not None:
                toggle(cls._previous)
                cls._previous = None


class ParquetSink:
    """One Parquet file, in row groups of exactly ``row_group_rows`` rows (the last one
    shorter), encoded by an :class:`Encoder` and written in order by a thread of the sink's
    own; the same rows give the same bytes (pyarrow's, as its one-thread writer gives them).

    Rows arrive as (batch, selected rows) and are gathered only in the encoding thread, unless
    a sink receives so few rows per batch that it would keep many batches alive.
    """

    def __init__(
        self,
        out: IO[bytes],
        schema: pa.Schema,
        encoder: Encoder,
        *,
        row_group_rows: int,
        sync: bool = False,
    ) -> None:
        self.out = out
        self.schema = schema
        self.encoder = encoder
        self.row_group_rows = row_group_rows
        self.sync = sync
        self._last_submitted = False
        self.rows = 0  # rows received
        self.error: BaseException | None = None
        self._pending: deque[Segment] = deque()
        self._pending_rows = 0
        self._lazy = 0  # pending segments still referring to a whole input batch
        self._submitted = 0  # pieces submitted
        self._written = 4  # bytes written so far
        self._row_groups: list[Struct] = []
        self._template: Struct | None = None
        self._written_rows = 0
        self._queue: queue.SimpleQueue[Future[tuple[pa.Buffer, pa.Buffer | None]] | None] = (
            queue.SimpleQueue()
        )
        out.write(MAGIC)
        self._thread: threading.Thread | None = threading.Thread(
            target=self._write_pieces, name="datalife-parquet-write", daemon=True
        )
        self._thread.start()

    def put(self, batch: pa.RecordBatch, rows: npt.NDArray[np.int64] | None = None) -> None:
        """Add ``batch``'s rows (or the ``rows`` of it, in that order); full row groups go to
        the encoder. Re-raises a failed write."""
        if self.error is not None:
            raise self.error
        n = batch.num_rows if rows is None else len(rows)
        if n == 0:
            return
        self._pending.append((batch, rows))
        self._pending_rows += n
        self.rows += n
        if rows is not None:
            self._lazy += 1
        while self._pending_rows >= self.row_group_rows:
            self._submit(self._cut(self.row_group_rows))
        if self._lazy > MAX_LAZY_BATCHES:
            self._pending = deque((_take(s), None) for s in self._pending)
            self._lazy = 0

    def _cut(self, k: int) -> list[Segment]:
        """The first ``k`` pending rows."""
        out: list[Segment] = []
        need = k
        while need:
            batch, rows = self._pending[0]
            n = batch.num_rows if rows is None else len(rows)
            if n <= need:
                out.append(self._pending.popleft())
                self._lazy -= rows is not None
                need -= n
            elif rows is None:
                out.append((batch.slice(0, need), None))
                self._pending[0] = (batch.slice(need), None)
                need = 0
            else:
                out.append((batch, rows[:need]))
                self._pending[0] = (batch, rows[need:])
                need = 0
        self._pending_rows -= k
        return out

    def _submit(self, segments: list[Segment]) -> None:
        self._submitted += 1
        self._queue.put(self.encoder.submit(segments, self.schema, self.row_group_rows))

    def close_rows(self) -> None:
        """No more rows: the last, shorter row group goes to the encoder (an empty file gets
        one empty piece, for its footer)."""
        if self._last_submitted:
            return
        if self._pending_rows or self._submitted == 0:
            self._submit(list(self._pending))
        self._pending.clear()
        self._pending_rows = self._lazy = 0
        self._last_submitted = True
        self._queue.put(None)  # the writer thread ends after the last piece

    def _write_pieces(self) -> None:
        while True:
            future = self._queue.get()
            if future is None:
                if self.sync and self.error is None and self._last_submitted:
                    self._sync_pages()
                return
            buf = None
            try:
                piece, buf = future.result()
                if self.error is None:
                    self.append_piece(piece)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                self.error = self.error or exc
            finally:
                self.encoder.release(buf)

    def _sync_pages(self) -> None:
        """Flush the pages written so far to the disk (``sync=True``), from the writer thread:
        the caller's later ``fsync`` of the finished file then has only the footer left, and
        the wait for the disk overlaps whatever the caller does meanwhile. A failure here is
        left to that ``fsync`` to report."""
        with contextlib.suppress(OSError, ValueError, AttributeError):
            self.out.flush()
            os.fdatasync(self.out.fileno())

    def join(self) -> None:
        """Wait until every submitted piece is written (or dropped)."""
        if self._thread is not None:
            if not self._last_submitted:
                self._queue.put(None)
            self._thread.join()
            self._thread = None

    def append_piece(self, piece: bytes | pa.Buffer) -> None:
        """Append an encoded piece's pages and keep its row groups (called in order)."""
        pages, footer = split_file(piece)
        if self._template is None:
            self._template = footer
        delta = self._written - 4
        for rg in _get(footer, _FMD_ROW_GROUPS)[1]:
            self._row_groups.append(_moved_row_group(rg, delta, len(self._row_groups)))
        self._written_rows += _get(footer, _FMD_NUM_ROWS)
        self.out.write(pages)
        self._written += len(pages)

    def write_footer(self, metadata: Mapping[str, str]) -> None:
        """Write the footer: every row group, and ``metadata`` added to the key-value pairs.

        Call after :meth:`close_rows` and :meth:`join`; re-raises a failed write.
        """
        if self.error is not None:
            raise self.error
        if self._template is None or self._written_rows != self.rows:
            raise RuntimeError("the Parquet sink is not complete")
        footer = _set(self._template, _FMD_NUM_ROWS, _I64, self._written_rows)
        footer = _set(footer, _FMD_ROW_GROUPS, _LIST, (_STRUCT, self._row_groups))
        # first, then pyarrow's own: the order pyarrow's ParquetWriter.add_key_value_metadata
        # gives, so the file is byte for byte what pyarrow would write on one thread
        kv: list[Struct] = [
            [(1, _BINARY, k.encode()), (2, _BINARY, v.encode())] for k, v in metadata.items()
        ]
        with contextlib.suppress(KeyError):
            kv += _get(footer, _FMD_KV)[1]
        footer = _set(footer, _FMD_KV, _LIST, (_STRUCT, kv))
        raw = encode_struct(footer)
        self.out.write(raw)
        self.out.write(len(raw).to_bytes(4, "little"))
        self.out.write(MAGIC)

    def finish(self, metadata: Mapping[str, str]) -> None:
        """Encode and write everything, then the footer."""
        self.close_rows()
        self.join()
        self.write_footer(metadata)
