"""The split files written by pyarrow's own Parquet writer, one thread per file.

Each file receives rows as (batch, selected rows); they are cut into row groups of exactly
``row_group_rows`` rows (the last one shorter) whatever the batch sizes, gathered into one
contiguous table and handed to :class:`pyarrow.parquet.ParquetWriter` in a thread of the
file's own. The same rows therefore give the same bytes, whatever the number of threads or
the batch sizes: what pyarrow's writer gives for those row groups.

Examples:
    >>> import io, pyarrow as pa, pyarrow.parquet as pq
    >>> out = io.BytesIO()
    >>> schema = pa.schema([("x", pa.int64())])
    >>> sink = ParquetSink(out, schema, row_group_rows=3)
    >>> sink.put(pa.record_batch([pa.array([1, 2, 3, 4, 5])], schema=schema))
    >>> sink.finish({"note": "hi"})
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
from typing import IO, TYPE_CHECKING, Any, Final

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Mapping

    import numpy.typing as npt
    import pyarrow as pa

__all__ = ["WRITE_OPTIONS", "ParquetSink", "SmallPages", "memory_pool"]

#: pyarrow writer options of every split file, besides the row group size. A column chunk's
#: dictionary stops growing at 64 KiB (pyarrow's default: 1 MiB) and its later pages are
#: written PLAIN: low-cardinality columns (classes, flags, small codes: what dictionaries pay
#: for) keep theirs, while an id, a float or free text stops hashing values into a dictionary
#: it would give up anyway (the key split of 10M rows: 5.3 -> 4.6 CPU-seconds of encoding).
WRITE_OPTIONS: Final[Mapping[str, object]] = {
    "compression": "snappy",
    "dictionary_pagesize_limit": 64 << 10,
}

#: a file's rows from one batch: the batch, and which of its rows (None: all of them)
Segment = tuple["pa.RecordBatch", "npt.NDArray[np.int64] | None"]
#: a file materialises its selected rows after this many batches without a full row group
#: (so it never keeps more input batches alive than this)
MAX_LAZY_BATCHES = 8
#: row groups waiting for a file's writer thread (bounds the memory they hold)
QUEUED_ROW_GROUPS = 2

_POOL: list[pa.MemoryPool | None] = []


def memory_pool() -> pa.MemoryPool | None:
    """The memory pool of the row groups: pyarrow's jemalloc pool where pyarrow has one.

    Every row group is gathered and encoded in fresh memory. pyarrow's default pool
    (mimalloc) hands freed memory back to the kernel within milliseconds, so the next row
    group faults it in again and the kernel zeroes it: 1-2 CPU-seconds at 10M rows. jemalloc
    keeps freed pages for a second and reuses them. None: the default pool.
    """
    if not _POOL:
        import pyarrow as pa

        try:
            _POOL.append(pa.jemalloc_memory_pool())
        except NotImplementedError:  # a pyarrow built without jemalloc
            _POOL.append(None)
    return _POOL[0]


def _indices(rows: npt.NDArray[np.int64]) -> pa.Array:
    import pyarrow as pa

    data = np.ascontiguousarray(rows, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(data), [None, pa.py_buffer(data)])


def _take(segment: Segment) -> pa.RecordBatch:
    import pyarrow.compute as pc

    batch, rows = segment
    return batch if rows is None else pc.take(batch, _indices(rows), memory_pool=memory_pool())


def _gather(segments: list[Segment], schema: pa.Schema) -> pa.Table:
    """The segments' rows as one table of contiguous columns (one chunk each), so that the
    bytes written do not depend on how the rows arrived."""
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


class SmallPages:
    """numpy without transparent huge pages while any writer is open.

    numpy asks the kernel for huge pages for every array of 4 MiB or more. A split allocates
    and frees such arrays for every batch (routing, gathering), and the kernel zeroes each
    2 MiB page as a whole when it is first touched: on the 10M-row key split, 12 % of the CPU
    time went to the kernel's page clearing. The first writer to open turns them off, the
    last to close restores numpy's setting.
    """

    _lock = threading.Lock()
    _open = 0
    _previous: bool | None = None

    @staticmethod
    def _toggle() -> Any:
        core = getattr(np, "_core", None)
        return getattr(getattr(core, "multiarray", None), "_set_madvise_hugepage", None)

    @classmethod
    def enter(cls) -> None:
        with cls._lock:
            cls._open += 1
            toggle = cls._toggle()
            if cls._open == 1 and toggle is not None:
                cls._previous = bool(toggle(False))

    @classmethod
    def exit(cls) -> None:
        with cls._lock:
            cls._open -= 1
            toggle = cls._toggle()
            if cls._open == 0 and toggle is not None and cls._previous is not None:
                toggle(cls._previous)
                cls._previous = None


class ParquetSink:
    """One Parquet file in row groups of exactly ``row_group_rows`` rows (the last one
    shorter), written by pyarrow's ``ParquetWriter`` in a thread of the sink's own.

    Rows arrive as (batch, selected rows) and are gathered only in the writer thread, unless
    a sink receives so few rows per batch that it would keep many batches alive.
    ``sync=True`` flushes the pages to the disk before the footer is written, so the
    caller's later ``fsync`` has only the footer left.
    """

    def __init__(
        self, out: IO[bytes], schema: pa.Schema, *, row_group_rows: int, sync: bool = False
    ) -> None:
        import pyarrow.parquet as pq

        self.out = out
        self.schema = schema
        self.row_group_rows = max(row_group_rows, 1)
        self.sync = sync
        self.rows = 0  # rows received
        self.error: BaseException | None = None
        self._pending: deque[Segment] = deque()
        self._pending_rows = 0
        self._lazy = 0  # pending segments still referring to a whole input batch
        self._submitted = 0
        self._closed_rows = False
        self._writer = pq.ParquetWriter(out, schema, memory_pool=memory_pool(), **WRITE_OPTIONS)
        self._queue: queue.Queue[list[Segment] | None] = queue.Queue(QUEUED_ROW_GROUPS)
        self._thread: threading.Thread | None = threading.Thread(
            target=self._write_row_groups, name="datalife-parquet-write", daemon=True
        )
        self._thread.start()

    def put(self, batch: pa.RecordBatch, rows: npt.NDArray[np.int64] | None = None) -> None:
        """Add ``batch``'s rows (or the ``rows`` of it, in that order); full row groups go to
        the writer thread. Re-raises a failed write."""
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
        while True:  # wait for room, unless the writer thread has failed
            if self.error is not None:
                raise self.error
            with contextlib.suppress(queue.Full):
                self._queue.put(segments, timeout=0.1)
                return

    def _write_row_groups(self) -> None:
        while True:
            segments = self._queue.get()
            if segments is None:
                return
            if self.error is not None:
                continue  # drain: the caller re-raises the error
            try:
                table = _gather(segments, self.schema)
                segments.clear()  # frees the input batches now
                self._writer.write_table(table, row_group_size=self.row_group_rows)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                self.error = exc

    def close_rows(self) -> None:
        """No more rows: the last, shorter row group goes to the writer thread (an empty file
        gets one empty row group, as pyarrow writes an empty table)."""
        if self._closed_rows:
            return
        if self._pending_rows or self._submitted == 0:
            self._submit(list(self._pending))
        self._pending.clear()
        self._pending_rows = self._lazy = 0
        self._closed_rows = True
        self._queue.put(None)

    def join(self) -> None:
        """Wait until every submitted row group is written (or dropped)."""
        if self._thread is not None:
            if not self._closed_rows:
                self.error = self.error or RuntimeError("the Parquet file was abandoned")
                self._queue.put(None)
            self._thread.join()
            self._thread = None

    def write_footer(self, metadata: Mapping[str, str]) -> None:
        """Write the footer, with ``metadata`` added to the key-value pairs.

        Call after :meth:`close_rows` and :meth:`join`; re-raises a failed write.
        """
        if self.error is not None:
            raise self.error
        if self.sync:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                self.out.flush()
                os.fdatasync(self.out.fileno())
        self._writer.add_key_value_metadata(dict(metadata))
        self._writer.close()

    def close(self) -> None:
        """Close pyarrow's writer if the footer was not written: an abandoned file (the
        caller removes it) gets pyarrow's footer now, while its file is still open, rather
        than from the writer's finaliser once the file is closed."""
        self.join()
        if self._writer.is_open:
            with contextlib.suppress(Exception):
                self._writer.close()

    def finish(self, metadata: Mapping[str, str]) -> None:
        """Write every row group, then the footer."""
        self.close_rows()
        self.join()
        self.write_footer(metadata)
