"""The three split files being written: train, dev and test, in fixed row groups, each with
its ``datalife`` provenance in the footer's key-value metadata."""

from __future__ import annotations

from pathlib import Path
from typing import IO, TYPE_CHECKING

from datalife.splits._writer import ParquetSink, SmallPages, memory_pool

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pyarrow as pa

__all__ = ["PROVENANCE_META_KEY", "ROW_GROUP_ROWS", "SplitFiles"]

#: rows per row group written (fixed: byte-identical outputs)
ROW_GROUP_ROWS = 1 << 19
PROVENANCE_META_KEY = "datalife"


class SplitFiles:
    """The three split files (train, dev, test) being written, each by a thread of its own.

    Every file is cut into row groups of exactly :data:`ROW_GROUP_ROWS` rows: the same rows
    give byte-identical files whatever the thread count or the batch sizes. Leaving the
    ``with`` block without :meth:`finish` abandons the files (incomplete: the caller removes
    them).
    """

    def __init__(
        self, targets: dict[int, Path], schema: pa.Schema, *, weight_column: str | None = None
    ) -> None:
        import pyarrow as pa

        SmallPages.enter()
        self._open = True
        self._files: list[IO[bytes]] = []
        self.sinks: dict[int, ParquetSink] = {}
        try:
            for j, path in targets.items():
                s = schema
                if j == 0 and weight_column is not None:
                    s = s.append(pa.field(weight_column, pa.float64()))
                fh = path.open("wb")
                self._files.append(fh)
                self.sinks[j] = ParquetSink(fh, s, row_group_rows=ROW_GROUP_ROWS, sync=True)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> SplitFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def put(self, split: int, batch: pa.RecordBatch, rows: npt.NDArray[np.int64] | None) -> None:
        self.sinks[split].put(batch, rows)

    def close_rows(self) -> None:
        """No more rows: the last row groups go to the writer threads."""
        for sink in self.sinks.values():
            sink.close_rows()

    def finish(self, metadata: dict[int, str]) -> None:
        """Write every row group, then each file's footer with its ``datalife`` metadata
        (re-raises the first failed write)."""
        self.close_rows()
        for sink in self.sinks.values():
            sink.join()
        for j, sink in self.sinks.items():
            sink.write_footer({PROVENANCE_META_KEY: metadata[j]})
        for fh in self._files:
            fh.flush()

    def close(self) -> None:
        for sink in self.sinks.values():
            sink.close()
        for fh in self._files:
            fh.close()
        if self._open:
            self._open = False
            pool = memory_pool()
            if pool is not None:
                pool.release_unused()
            SmallPages.exit()
