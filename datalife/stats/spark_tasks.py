"""What runs on the Spark executors when Spark computes a profile: one partial profile per
partition, computed by DuckDB with :func:`datalife.stats.engine.profile_scan`, and the merging
of partial profiles.

This module is imported by the executors' Python workers (``mapInArrow`` pickles its functions
by reference), so it imports only what a partition needs, inside the functions, and nothing of
pyspark beyond ``TaskContext``. The executors need ``datalife`` and ``duckdb`` installed.

A partition's Arrow record batches stream into a table of an on-disk temporary DuckDB database
(one thread, a memory limit, a spill directory), so a large partition spills instead of
exhausting the worker's memory; the rows keep their order, so that the floating-point sums
are the same on every run.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "CONVERSION_MARK",
    "OUTPUT_SCHEMA",
    "ROW_HASH",
    "SOURCE_INDEX",
    "PartialSpec",
    "merge_partials",
    "profile_partition",
]

#: the hidden column holding each row's 64-bit hash (a Spark DataFrame's content hash)
ROW_HASH = "__datalife_row_hash__"
#: the hidden column holding the index of the file a row was read from
SOURCE_INDEX = "__datalife_source__"
#: in an executor's error: a text value does not fit the type sniffed from the file's head
CONVERSION_MARK = "datalife-conversion-error"
#: what each task returns: its first partition, the partial profile (JSON), and the sum of
#: its rows' hashes (decimal text; empty when not hashed)
OUTPUT_SCHEMA = "part int, profile string, hash_sum string"


@dataclass(frozen=True)
class PartialSpec:
    """How a partition is profiled.

    Attributes:
        settings: the :class:`~datalife.stats.ProfileSettings` as JSON.
        select: the SQL select list over the partition's relation ``part`` that gives the
            columns with their types (None: every column as Spark gives it).
        columns: ``(name, DuckDB type)`` of the result, for a partition with no rows (None:
            an empty partition returns nothing).
        memory_limit: DuckDB's memory limit per task.
        hashed: the partition has the :data:`ROW_HASH` column, to be summed.
    """

    settings: str
    select: str | None
    columns: tuple[tuple[str, str], ...] | None
    memory_limit: str
    hashed: bool


def _partition_id() -> int:
    from pyspark import TaskContext

    ctx = TaskContext.get()
    return ctx.partitionId() if ctx is not None else 0


def _hash_sum(batch: pa.RecordBatch) -> int:
    """The exact sum of the batch's row hashes (int64 halves summed apart: no overflow)."""
    import numpy as np

    h = batch.column(ROW_HASH).to_numpy(zero_copy_only=False).astype(np.int64)
    return int(np.sum(h >> 32, dtype=np.int64)) * (1 << 32) + int(
        np.sum(h & 0xFFFFFFFF, dtype=np.int64)
    )


def _row(part: int, profile: str, hash_sum: str) -> pa.RecordBatch:
    import pyarrow as pa

    return pa.RecordBatch.from_pydict(
        {"part": [part], "profile": [profile], "hash_sum": [hash_sum]},
        schema=pa.schema(
            [("part", pa.int32()), ("profile", pa.string()), ("hash_sum", pa.string())]
        ),
    )


def profile_partition(spec: PartialSpec, batches: Iterator[pa.RecordBatch]) -> Iterator[Any]:
    """The partial profile of one partition (one output row; none for an empty partition
    whose columns are not known)."""
    import shutil
    import tempfile
    from pathlib import Path

    import duckdb
    import pyarrow as pa

    from datalife.io import duckdb_connect, sql_ident, sql_str
    from datalife.stats.engine import Scan, profile_scan
    from datalife.stats.profile import ProfileSettings, ProfileSource

    part = _partition_id()
    settings = ProfileSettings.model_validate_json(spec.settings)
    first = next(batches, None)
    if first is None and spec.columns is None:
        return
    total = [0]

    def counted() -> Iterator[pa.RecordBatch]:
        for b in itertools.chain([first], batches) if first is not None else ():
            if spec.hashed:
                total[0] += _hash_sum(b)
            yield b

    tmp = Path(tempfile.mkdtemp(prefix="datalife-profile-"))
    con = duckdb_connect(str(tmp / "part.duckdb"))
    try:
        con.execute(f"SET memory_limit = {sql_str(spec.memory_limit)}")
        con.execute(f"SET temp_directory = {sql_str(str(tmp / 'spill'))}")
        con.execute("SET threads = 1")
        con.execute("SET preserve_insertion_order = true")
        # a time zone-aware timestamp converted to a naive one means UTC, on every executor
        con.execute("SET TimeZone = 'UTC'")
        if first is None:
            assert spec.columns is not None
            cols = ", ".join(f"{sql_ident(n)} {t}" for n, t in spec.columns)
            con.execute(f"CREATE TABLE src ({cols})")
        else:
            reader = pa.RecordBatchReader.from_batches(first.schema, counted())
            con.register("part", reader)
            hidden = {ROW_HASH, SOURCE_INDEX}
            select = spec.select or ", ".join(
                sql_ident(n) for n in first.schema.names if n not in hidden
            )
            try:
                con.execute(f"CREATE TABLE src AS SELECT {select} FROM part")
            except duckdb.Error as exc:
                if CONVERSION_MARK in str(exc) or isinstance(exc, duckdb.ConversionException):
                    raise ValueError(f"{CONVERSION_MARK}: {exc}") from None
                raise
            con.unregister("part")
        con.execute("SET preserve_insertion_order = false")
        columns = [(str(r[0]), str(r[1])) for r in con.execute("DESCRIBE src").fetchall()]
        scan = Scan(con, columns, ProfileSource(), [], 1)
        profile = profile_scan(scan, settings)
    finally:
        con.close()
        shutil.rmtree(tmp, ignore_errors=True)
    yield _row(part, profile.to_json(), str(total[0]) if spec.hashed else "")


def merge_partials(batches: Iterator[pa.RecordBatch]) -> Iterator[Any]:
    """The rows of one group of partial profiles merged into one (in partition order, so
    the floating-point result is the same on every run)."""
    rows: list[tuple[int, str, str]] = []
    for b in batches:
        d = b.to_pydict()
        rows.extend(zip(d["part"], d["profile"], d["hash_sum"], strict=True))
    if not rows:
        return
    rows.sort(key=lambda r: r[0])
    merged, hash_sum = combine(rows)
    yield _row(rows[0][0], merged.to_json(), hash_sum)


def combine(rows: list[tuple[int, str, str]]) -> tuple[Any, str]:
    """Partial profiles (``(part, JSON, hash sum)``, in order) as one profile and one sum."""
    from datalife.stats.merge import merge_profiles
    from datalife.stats.profile import Profile

    profiles = [Profile.model_validate(json.loads(r[1])) for r in rows]
    sums = [int(r[2]) for r in rows if r[2]]
    return merge_profiles(profiles), (str(sum(sums)) if sums else "")
