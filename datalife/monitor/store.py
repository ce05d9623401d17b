"""The monitoring history: an embedded DuckDB database file in the workspace.

Default path ``lineage/monitor.duckdb`` (``[monitor] store = ...`` in ``datalife.toml``), next to
the lineage log and the saved profiles: what happened to the data, kept with the workspace. It is
a binary file; commit it (or keep it in LFS, or ignore it) as you keep any database.

Tables (``format_version`` 1, in table ``meta``):

- ``batches``: one row per monitored batch, keyed by ``(dataset, batch_id)`` where ``batch_id``
  is the content hash of the batch's files: monitoring a batch twice finds it and adds nothing;
  ``report`` holds the batch's full result as JSON;
- ``metrics``: one row per value: ``(dataset, seq, slice, column, metric, value, threshold,
  kind, rule, alarm)``; ``slice`` is ``''`` for the whole batch;
- ``refs``: the reference's profile and slice summary, so a reference is read once.

A batch is written in **one transaction**: a crash, a kill or a full disk at any moment leaves
the store as it was before the batch or with the whole batch, never part of it (DuckDB writes a
transaction to its write-ahead log at commit). Only one process writes at a time (DuckDB locks the
file); another one waits up to ``lock_timeout`` seconds, then gets a
:class:`~datalife.monitor.errors.MonitorStoreError` naming the lock holder.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datalife.io import duckdb_connect
from datalife.monitor.errors import MonitorStoreError

if TYPE_CHECKING:
    import duckdb

__all__ = ["DEFAULT_STORE", "FORMAT_VERSION", "MetricRow", "Store", "open_store"]

FORMAT_VERSION = 1
#: the default of ``[monitor] store`` (``datalife.config.MonitorConfig.store``)
DEFAULT_STORE = "lineage/monitor.duckdb"

#: (slice, column, metric, value, threshold, kind, rule, alarm)
MetricRow = tuple[str, str, str, float | None, float | None, str, str, bool]

_DDL = (
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    "CREATE TABLE IF NOT EXISTS batches (dataset VARCHAR NOT NULL, seq INTEGER NOT NULL, "
    "batch_id VARCHAR NOT NULL, name VARCHAR, recorded_at TIMESTAMP, rows BIGINT, "
    "reference_id VARCHAR, schema_ref VARCHAR, alarms INTEGER, report VARCHAR, "
    "PRIMARY KEY (dataset, batch_id))",
    "CREATE TABLE IF NOT EXISTS metrics (dataset VARCHAR NOT NULL, seq INTEGER NOT NULL, "
    'slice VARCHAR NOT NULL, "column" VARCHAR NOT NULL, metric VARCHAR NOT NULL, '
    "value DOUBLE, threshold DOUBLE, kind VARCHAR, rule VARCHAR, alarm BOOLEAN)",
    "CREATE TABLE IF NOT EXISTS refs (dataset VARCHAR NOT NULL, reference_id VARCHAR NOT NULL, "
    "slices_key VARCHAR NOT NULL, profile VARCHAR, summary VARCHAR, "
    "PRIMARY KEY (dataset, reference_id, slices_key))",
)


def _lit(x: Any) -> str:
    from datalife.io import sql_str

    if x is None:
        return "NULL"
    if isinstance(x, bool):
        return "TRUE" if x else "FALSE"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        return repr(x) if math.isfinite(x) else "NULL"
    return sql_str(str(x))


class Store:
    """An open history store (use :func:`open_store`)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, read_only: bool) -> None:
        self.con = con
        self.path = path
        self.read_only = read_only

    # -- batches ----------------------------------------------------------------------------

    def find_batch(self, dataset: str, batch_id: str) -> tuple[int, dict[str, Any]] | None:
        """``(seq, report)`` of a batch already recorded, else None."""
        row = self.con.execute(
            "SELECT seq, report FROM batches WHERE dataset = ? AND batch_id = ?",
            [dataset, batch_id],
        ).fetchone()
        if row is None:
            return None
        return int(row[0]), json.loads(row[1])

    def next_seq(self, dataset: str) -> int:
        row = self.con.execute(
            "SELECT coalesce(max(seq), 0) + 1 FROM batches WHERE dataset = ?", [dataset]
        ).fetchone()
        assert row is not None
        return int(row[0])

    def recent(self, dataset: str, window: int) -> dict[tuple[str, str, str], list[float]]:
        """The last ``window`` batches' values of every series, oldest first."""
        rows = self.con.execute(
            'SELECT slice, "column", metric, list(value ORDER BY seq) FROM metrics '
            "WHERE dataset = ? AND seq > (SELECT coalesce(max(seq), 0) FROM batches "
            "WHERE dataset = ?) - ? AND value IS NOT NULL GROUP BY ALL",
            [dataset, dataset, window],
        ).fetchall()
        return {(r[0], r[1], r[2]): list(r[3]) for r in rows}

    def add_batch(
        self,
        dataset: str,
        seq: int,
        batch_id: str,
        *,
        name: str,
        rows: int,
        reference_id: str,
        schema_ref: str | None,
        alarms: int,
        report: dict[str, Any],
        metrics: Sequence[MetricRow],
    ) -> None:
        """Record one batch and its values in one transaction (all or nothing)."""
        from datalife.storage import fault_point

        self.con.execute("BEGIN TRANSACTION")
        try:
            self.con.execute(
                "INSERT INTO batches VALUES (?, ?, ?, ?, now()::TIMESTAMP, ?, ?, ?, ?, ?)",
                [
                    dataset,
                    seq,
                    batch_id,
                    name,
                    rows,
                    reference_id,
                    schema_ref,
                    alarms,
                    json.dumps(report, allow_nan=False, sort_keys=True),
                ],
            )
            prefix = f"({_lit(dataset)}, {seq}, "
            for start in range(0, len(metrics), 1000):
                chunk = metrics[start : start + 1000]
                values = ", ".join(prefix + ", ".join(_lit(x) for x in m) + ")" for m in chunk)
                self.con.execute(f"INSERT INTO metrics VALUES {values}")
                fault_point("monitor:metrics", self.path)
            fault_point("monitor:commit", self.path)
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    # -- references -------------------------------------------------------------------------

    def get_reference(self, dataset: str, reference_id: str, key: str) -> tuple[str, str] | None:
        row = self.con.execute(
            "SELECT profile, summary FROM refs WHERE dataset = ? AND reference_id = ? "
            "AND slices_key = ?",
            [dataset, reference_id, key],
        ).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def put_reference(
        self, dataset: str, reference_id: str, key: str, profile: str, summary: str
    ) -> None:
        self.con.execute(
            "INSERT OR REPLACE INTO refs VALUES (?, ?, ?, ?, ?)",
            [dataset, reference_id, key, profile, summary],
        )

    def datasets(self) -> list[str]:
        return [r[0] for r in self.con.execute("SELECT DISTINCT dataset FROM batches").fetchall()]

    def close(self) -> None:
        self.con.close()


def _explain(exc: Exception, path: Path) -> MonitorStoreError:
    text = str(exc)
    first = text.splitlines()[0] if text else type(exc).__name__
    if "lock" in text.lower():
        return MonitorStoreError(
            f"{path}: the monitoring history is locked by another process",
            path=path,
            details=[first],
            hint="wait for the other `datalife monitor` to finish (only one process writes at "
            "a time), or stop it.",
        )
    return MonitorStoreError(
        f"{path}: the monitoring history cannot be read: it is not a DuckDB database, or it "
        "is damaged",
        path=path,
        details=[first],
        hint="restore it from a backup (or git), or move it aside and monitor the batches "
        "again: the history is rebuilt from them.",
    )


def open_store(path: str | Path, *, read_only: bool = False, lock_timeout: float = 10.0) -> Store:
    """Open (and, for writing, create) the history store at ``path``.

    Raises:
        MonitorStoreError: a corrupt file, a newer format, or a lock held past ``lock_timeout``.
    """
    import duckdb

    p = Path(path)
    if read_only and not p.exists():
        raise MonitorStoreError(
            f"{p}: no monitoring history yet",
            path=p,
            hint="monitor a batch first: `datalife monitor DATASET BATCH...`.",
        )
    if not read_only:
        p.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + lock_timeout
    while True:
        try:
            con = duckdb_connect(str(p), read_only=read_only)
            break
        except duckdb.Error as exc:
            if "lock" in str(exc).lower() and time.monotonic() < deadline:
                time.sleep(0.2)
                continue
            raise _explain(exc, p) from exc
    try:
        if not read_only:
            for ddl in _DDL:
                con.execute(ddl)
            con.execute(
                "INSERT OR IGNORE INTO meta VALUES ('format_version', ?)", [str(FORMAT_VERSION)]
            )
        row = con.execute("SELECT value FROM meta WHERE key = 'format_version'").fetchone()
    except duckdb.Error as exc:
        con.close()
        raise _explain(exc, p) from exc
    version = int(row[0]) if row and str(row[0]).isdigit() else None
    if version is None or version > FORMAT_VERSION:
        con.close()
        raise MonitorStoreError(
            f"{p}: monitoring history format {row[0] if row else 'unknown'} is not one this "
            f"datalife reads ({FORMAT_VERSION})",
            path=p,
            hint="upgrade datalife, or point `[monitor] store` at another file.",
        )
    return Store(con, p, read_only)


@contextmanager
def store_at(path: str | Path, *, read_only: bool = False) -> Iterator[Store]:
    """:func:`open_store` as a context manager that closes the store."""
    store = open_store(path, read_only=read_only)
    try:
        yield store
    finally:
        store.close()
