"""The Spark split's outputs: each split a directory of Parquet part files written by the
executors with pyarrow, committed into ``--out`` only when every part is written.

Layout of ``--out`` after a Spark split::

    train/part-00000.parquet  train/part-00001.parquet ...
    dev/part-00000.parquet ...
    test/part-00000.parquet ...
    split_report.json

Each part file carries the same ``datalife`` provenance JSON in its footer's key-value
metadata as the single files the DuckDB engine writes (built by
:func:`datalife.splits.result.provenance`), so any part alone says where it came from.

Atomicity: the executors write into a staging directory beside the outputs
(``.spark-split.datalife-<pid>-<random>.tmp/``), each part to a temporary name renamed when
complete (a retried task overwrites its own part, never another's). When every part is
written and the report is in the staging directory, each split directory is swapped into
place (the old one is moved aside under a temporary name, the new one renamed in, the old one
removed), then the report. A killed split leaves its staging directory, or a moved-aside old
split directory, named as :func:`datalife.storage.temp_name` names temporaries: the next split
into the same directory removes what a dead process left, and puts back an old split
directory whose replacement never arrived.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datalife.splits.params import SPLITS

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "SPLIT_COLUMN",
    "PartWriter",
    "commit_staged",
    "part_name",
    "recover_out_dir",
    "staging_dir",
    "write_parts",
]

#: the column holding each row's split (0 train, 1 dev, 2 test) while the rows are on Spark
SPLIT_COLUMN = "__datalife_split"
_STAGING = "spark-split"


def part_name(partition: int) -> str:
    """The file name of a partition's part (``part-00007.parquet``)."""
    return f"part-{partition:05d}.parquet"


class PartWriter:
    """The part files of one Spark partition: one per split that receives rows, written with
    pyarrow's ``ParquetWriter`` (the options of the DuckDB engine's split files), each to a
    temporary name and renamed when complete, with the split's provenance in its footer."""

    def __init__(
        self,
        staging: str,
        partition: int,
        schema: pa.Schema | None,
        metadata: Mapping[int, str],
        attempt: int = 0,
    ) -> None:
        self.staging = Path(staging)
        self.partition = partition
        self.schema = schema
        self.metadata = metadata
        self.attempt = attempt
        self.rows = [0] * len(SPLITS)
        self._writers: dict[int, Any] = {}
        self._files: dict[int, Any] = {}

    def _path(self, split: int) -> Path:
        return self.staging / SPLITS[split] / part_name(self.partition)

    def _temp(self, split: int) -> Path:
        target = self._path(split)
        return target.with_name(f".{target.name}.attempt-{self.attempt}.tmp")

    def put(self, split: int, table: pa.Table) -> None:
        """Append ``table``'s rows (already in the output schema) to the split's part."""
        import pyarrow.parquet as pq

        from datalife.splits._outputs import ROW_GROUP_ROWS
        from datalife.splits._writer import WRITE_OPTIONS

        if table.num_rows == 0:
            return
        writer = self._writers.get(split)
        if writer is None:
            fh = self._temp(split).open("wb")
            self._files[split] = fh
            writer = pq.ParquetWriter(fh, self.schema or table.schema, **WRITE_OPTIONS)
            self._writers[split] = writer
        writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
        self.rows[split] += table.num_rows

    def finish(self) -> None:
        """Write each part's footer (with its split's provenance), flush it to the disk and
        rename it to its final name in the staging directory."""
        from datalife.splits._outputs import PROVENANCE_META_KEY
        from datalife.storage import fault_point

        for split, writer in self._writers.items():
            writer.add_key_value_metadata({PROVENANCE_META_KEY: self.metadata[split]})
            writer.close()
            fh = self._files[split]
            fh.flush()
            target = self._path(split)
            fault_point(f"write:{target.name}", target)  # $DATALIFE_FAULT, on the executor
            os.fsync(fh.fileno())
            fh.close()
            self._temp(split).replace(target)
        self._writers.clear()
        self._files.clear()

    def abandon(self) -> None:
        """Close and remove the unfinished parts (a failed task leaves nothing behind)."""
        for split, writer in self._writers.items():
            with contextlib.suppress(Exception):
                writer.close()
            with contextlib.suppress(Exception):
                self._files[split].close()
            with contextlib.suppress(OSError):
                self._temp(split).unlink()
        self._writers.clear()
        self._files.clear()


def conform(batch: pa.RecordBatch, schema: pa.Schema | None) -> pa.Table:
    """``batch``'s columns (named as ``schema``'s) cast to ``schema``'s types: the values as
    the input held them (Spark hands timestamps over in the session's zone, and strings,
    small integers or unsigned integers in its own types; the cast restores the input's).
    Without a schema (a Spark DataFrame split): the columns as Spark hands them over."""
    import pyarrow as pa

    if schema is None:
        return pa.Table.from_batches([batch]).drop_columns([SPLIT_COLUMN])
    arrays = []
    for f in schema:
        arr = batch.column(batch.schema.get_field_index(f.name))
        arrays.append(arr if arr.type == f.type else arr.cast(f.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def write_parts(
    batches: Iterator[pa.RecordBatch],
    *,
    staging: str,
    schema: pa.Schema | None,
    metadata: Mapping[int, str],
    weight_column: str | None = None,
) -> Iterator[pa.RecordBatch]:
    """The executor side of the write (a ``mapInArrow`` function): route each row of the
    partition to its split's part file; yield one row per split written: (partition, split,
    rows). ``weight_column`` (rebalancing by weight) is written to train's parts only."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyspark import TaskContext

    ctx = TaskContext.get()
    partition = ctx.partitionId() if ctx is not None else 0
    attempt = ctx.attemptNumber() if ctx is not None else 0
    if schema is not None and weight_column is not None:
        schema = schema.append(pa.field(weight_column, pa.float64()))
    # each split's parts take the schema of their (conformed) rows: train's has the weights
    writer = PartWriter(staging, partition, None, metadata, attempt)
    try:
        for batch in batches:
            if batch.num_rows == 0:
                continue
            codes = np.asarray(batch.column(batch.schema.get_field_index(SPLIT_COLUMN)))
            table = conform(batch, schema)
            for j in range(len(SPLITS)):
                mask = codes == j
                if not mask.any():
                    continue
                part = table if mask.all() else pc.filter(table, pa.array(mask))
                if j != 0 and weight_column is not None:
                    part = part.drop_columns([weight_column])
                writer.put(j, part)
        writer.finish()
    except BaseException:
        writer.abandon()
        raise
    yield pa.RecordBatch.from_pydict(
        {
            "partition": pa.array([partition] * len(SPLITS), pa.int32()),
            "split": pa.array(list(range(len(SPLITS))), pa.int8()),
            "rows": pa.array(writer.rows, pa.int64()),
        }
    )


# -- the driver's side: staging, commit, recovery ------------------------------------------


def staging_dir(out_dir: Path) -> Path:
    """A new staging directory beside the outputs, with an empty folder per split."""
    from datalife.storage import temp_name

    staging = out_dir / temp_name(out_dir / _STAGING)
    staging.mkdir()  # the umask's mode: on a cluster the executors may run as another user
    for name in SPLITS:
        (staging / name).mkdir()
    return staging


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def commit_staged(staging: Path, out_dir: Path, report_name: str) -> dict[str, Path]:
    """Swap the staged split directories and report into ``out_dir``; returns the final
    paths. Each split directory replaces the old one by two renames (old aside, new in); the
    moved-aside old one is removed afterwards."""
    from datalife.splits.result import remove_superseded
    from datalife.storage import fault_point, mode_for, new_file_mode, temp_name

    finals: dict[str, Path] = {}
    aside: list[Path] = []
    _fsync_file(staging / report_name)  # everything on the disk before the first swap
    for name in SPLITS:
        new = staging / name
        for part in new.iterdir():
            part.chmod(new_file_mode())
        _fsync_dir(new)
        target = out_dir / name
        fault_point(f"rename:{name}", target)
        if target.is_dir() and not target.is_symlink():
            old = out_dir / temp_name(target)
            target.rename(old)
            aside.append(old)
        new.rename(target)
        fault_point(f"renamed:{name}", target)
        finals[name] = target
    report = out_dir / report_name
    (staging / report_name).chmod(mode_for(report))
    (staging / report_name).replace(report)
    finals["report"] = report
    _fsync_dir(out_dir)
    for old in aside:
        shutil.rmtree(old, ignore_errors=True)
    # the DuckDB engine's train.parquet ... of an earlier split into this folder
    remove_superseded(out_dir, kept="directories")
    shutil.rmtree(staging, ignore_errors=True)
    return finals


def recover_out_dir(out_dir: Path) -> list[Path]:
    """Clean up after a Spark split into ``out_dir`` that was killed: remove its staging
    directory, and put back an old split directory it had moved aside without putting the
    new one in (else remove the old one). Only what dead processes left is touched."""
    from datalife.storage import _alive, _temp_owner

    touched: list[Path] = []
    try:
        entries = list(os.scandir(out_dir))
    except OSError:
        return touched
    for entry in entries:
        if not entry.is_dir(follow_symlinks=False):
            continue
        owner = _temp_owner(entry.name)
        if owner is None or _alive(owner):
            continue
        path = Path(entry.path)
        base = entry.name[1:].split(".datalife-", 1)[0]
        target = out_dir / base
        if base in SPLITS and not target.exists():
            path.rename(target)  # the old outputs, whose replacement never arrived
        else:
            shutil.rmtree(path, ignore_errors=True)
        touched.append(path)
    return touched
