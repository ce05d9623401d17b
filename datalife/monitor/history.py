"""Reading the history back: metrics over batches (``datalife monitor history``).

One query per table, with the series aggregated into lists inside DuckDB, so a history of
10,000 batches answers in milliseconds (``benchmarks/monitor.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datalife.config import Workspace

__all__ = ["History", "Series", "history"]


@dataclass
class Series:
    """One metric of one column in one slice, over the batches shown (aligned with them)."""

    slice: str
    column: str
    metric: str
    values: list[float | None]
    thresholds: list[float | None]
    alarms: list[bool]
    #: the threshold's kind and rule at the latest batch shown
    kind: str | None = None
    rule: str | None = None

    @property
    def key(self) -> str:
        name = f"{self.column}.{self.metric}" if self.column else self.metric
        return f"[{self.slice}] {name}" if self.slice else name

    def to_dict(self) -> dict[str, Any]:
        return {
            "slice": self.slice,
            "column": self.column,
            "metric": self.metric,
            "values": self.values,
            "thresholds": self.thresholds,
            "alarms": self.alarms,
            "kind": self.kind,
            "rule": self.rule,
        }


@dataclass
class History:
    """Batches (oldest first) and the series over them."""

    dataset: str
    store: str
    total: int
    batches: list[dict[str, Any]]
    series: list[Series]

    def __getitem__(self, key: str) -> Series:
        for s in self.series:
            if s.key == key:
                return s
        raise KeyError(f"no series {key!r} (series: {', '.join(s.key for s in self.series)})")

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "store": self.store,
            "total_batches": self.total,
            "batches": self.batches,
            "series": [s.to_dict() for s in self.series],
        }


def history(
    dataset: str,
    *,
    workspace: Workspace | str | Path | None = None,
    store: str | Path | None = None,
    slice: str = "",
    columns: Sequence[str] = (),
    metrics: Sequence[str] = (),
    last: int | None = None,
    thresholded_only: bool = True,
) -> History:
    """The history of ``dataset``: its batches and the chosen series.

    Args:
        slice: ``""`` for the whole batch, or a slice value such as ``"species=Adelie"``.
        columns, metrics: keep only these (default: all).
        last: only the most recent N batches (default: all).
        thresholded_only: leave out values recorded without a threshold (rows, support).
    """
    from datalife.monitor.store import open_store

    path, root = _store_location(workspace, store)
    st = open_store(path, read_only=True)
    try:
        con = st.con
        total_row = con.execute(
            "SELECT count(*), coalesce(max(seq), 0) FROM batches WHERE dataset = ?", [dataset]
        ).fetchone()
        assert total_row is not None
        total, top = int(total_row[0]), int(total_row[1])
        low = top - last if last is not None else 0
        batches = [
            {
                "seq": r[0],
                "batch_id": r[1],
                "name": r[2],
                "recorded_at": r[3].isoformat(timespec="seconds") if r[3] else None,
                "rows": r[4],
                "alarms": r[5],
            }
            for r in con.execute(
                "SELECT seq, batch_id, name, recorded_at, rows, alarms FROM batches "
                "WHERE dataset = ? AND seq > ? ORDER BY seq",
                [dataset, low],
            ).fetchall()
        ]
        where = ["dataset = ?", "seq > ?", "slice = ?"]
        params: list[Any] = [dataset, low, slice]
        if columns:
            where.append(f'"column" IN ({", ".join("?" for _ in columns)})')
            params += list(columns)
        if metrics:
            where.append(f"metric IN ({', '.join('?' for _ in metrics)})")
            params += list(metrics)
        if thresholded_only and not metrics:
            where.append("kind <> 'none'")
        rows = con.execute(
            'SELECT "column", metric, list(seq ORDER BY seq), list(value ORDER BY seq), '
            "list(threshold ORDER BY seq), list(alarm ORDER BY seq), arg_max(kind, seq), "
            "arg_max(rule, seq) "
            f"FROM metrics WHERE {' AND '.join(f'({w})' for w in where)} "
            'GROUP BY ALL ORDER BY "column", metric',
            params,
        ).fetchall()
    finally:
        st.close()
    position = {b["seq"]: i for i, b in enumerate(batches)}
    series = []
    n = len(batches)
    dense = n > 0 and batches[-1]["seq"] - batches[0]["seq"] == n - 1
    for column, metric, seqs, values, thresholds, alarms, kind, rule in rows:
        if dense and len(seqs) == n:  # a value at every batch: the lists are the series
            series.append(Series(slice, column, metric, values, thresholds, alarms, kind, rule))
            continue
        s = Series(slice, column, metric, [None] * n, [None] * n, [False] * n, kind, rule)
        for q, v, t, a in zip(seqs, values, thresholds, alarms, strict=True):
            i = position.get(q)
            if i is not None:
                s.values[i], s.thresholds[i], s.alarms[i] = v, t, bool(a)
        series.append(s)
    try:
        shown = path.resolve().relative_to(root).as_posix()
    except ValueError:
        shown = path.as_posix()
    return History(dataset, shown, total, batches, series)


def _store_location(workspace: Any, store: str | Path | None) -> tuple[Path, Path]:
    """The store's path and the workspace root, reading ``datalife.toml`` with ``tomllib``
    alone: reading the history should not pay for the whole config model's imports (a tenth
    of a second); anything unusual goes through :class:`~datalife.config.Workspace`, which
    reports config errors properly."""
    import tomllib

    from datalife.globs import PYPROJECT, find_config
    from datalife.monitor.store import DEFAULT_STORE

    if workspace is not None and not isinstance(workspace, str | Path):  # a Workspace
        from datalife.monitor.run import store_path

        return store_path(workspace, store), Path(workspace.root)
    start = Path(workspace or Path.cwd()).resolve()
    config = find_config(start.parent if start.is_file() else start)
    value: Any = None
    if config is not None:
        try:
            data = tomllib.loads(config.read_text(encoding="utf-8"))
            if config.name == PYPROJECT:
                data = data.get("tool", {}).get("datalife", {})
            section = data.get("monitor", {})
            value = store if store is not None else section.get("store", DEFAULT_STORE)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, AttributeError):
            value = None
    if config is None or not isinstance(value, str | Path):
        from datalife.config import Workspace
        from datalife.monitor.run import store_path

        ws = Workspace.find(workspace)  # raises WorkspaceNotFound or ConfigError
        return store_path(ws, store), ws.root
    root = config.parent.resolve()
    p = Path(value)
    return (p if p.is_absolute() else root / p), root
