"""Lineage: an append-only OpenLineage run log, and a networkx graph to query it.

Record a step of your own::

    from datalife import lineage

    with lineage.run("clean") as run:          # START now; COMPLETE or FAIL at the end
        run.input("raw/2009.csv")
        run.code("clean", fingerprint="9f8e7d6c")
        run.parameters({"drop_na": True})
        ...                                      # do the work, write the file
        run.output("clean/2009.parquet", column_lineage={"bill_ratio": ["bill_length_mm"]})

and ask where things came from::

    lg = lineage.load()                          # the workspace holding the current folder
    print(lg.provenance("clean/2009.parquet"))
    lg.impact("raw/2009.csv").datasets
    lg.graph                                     # the networkx.MultiDiGraph itself

Importing this package is cheap: no networkx, pandas, pyarrow or duckdb (networkx is
imported when a graph is built).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datalife.lineage.events import FORMAT_VERSION
from datalife.lineage.recorder import NullRun, Run, current_run, run
from datalife.lineage.store import LineageStore, LineageWarning, LogIssue
from datalife.lineage.verify import VerifyReport, verify_graph  # before def verify (shadowing)

if TYPE_CHECKING:
    from datalife.config import Workspace
    from datalife.lineage.graph import LineageGraph

__all__ = [
    "FORMAT_VERSION",
    "LineageGraph",
    "LineageStore",
    "LineageWarning",
    "LogIssue",
    "NullRun",
    "Run",
    "VerifyReport",
    "current_run",
    "load",
    "run",
    "store_for",
    "verify",
]


def store_for(workspace: Workspace | str | os.PathLike[str] | None = None) -> LineageStore:
    """The lineage log of a workspace (a Workspace, a folder inside one, or the current one)."""
    from datalife.config import Workspace

    if isinstance(workspace, Workspace):
        ws = workspace
    else:
        ws = Workspace.find(None if workspace is None else Path(workspace))
    return LineageStore(ws.lineage_dir, ws.root)


def load(
    workspace: Workspace | str | os.PathLike[str] | None = None,
    *,
    warn: bool = True,
    snapshot: bool = True,
) -> LineageGraph:
    """Read a workspace's lineage log into a :class:`LineageGraph`.

    A missing ``lineage/`` folder is an empty graph. Lines that cannot be used are skipped
    and listed in ``graph.issues`` (and, with ``warn``, emitted as :class:`LineageWarning`).

    Args:
        workspace: a Workspace, a folder inside one, or None for the current folder's.
        warn: emit one warning per file and kind of problem.
        snapshot: use (and refresh) the derived snapshot of large logs in the user's cache
            (see :mod:`datalife.lineage.snapshot`); the log stays the source of truth.
    """
    from datalife.lineage.graph import LineageGraph
    from datalife.lineage.snapshot import enabled, load_with_snapshot

    store = store_for(workspace)
    if snapshot and enabled() and store.files():
        lg, info = load_with_snapshot(store, root=store.root)
        lg.snapshot = info
        if warn and lg.issues:
            from datalife.lineage.store import warn_issues

            warn_issues(lg.issues)
        return lg
    return LineageGraph.from_store(store, root=store.root, warn=warn)


def verify(workspace: Workspace | str | os.PathLike[str] | None = None) -> VerifyReport:
    """Recompute the hash of every recorded file that should still exist (see ``verify.py``).

    Only files inside the workspace, or in the ``roots`` its config declares, are read.
    """
    from datalife.config import Workspace

    if isinstance(workspace, Workspace):
        ws = workspace
    else:
        ws = Workspace.find(None if workspace is None else Path(workspace))
    return verify_graph(load(ws, warn=False), roots=ws.config.roots)


def __getattr__(name: str) -> Any:
    if name == "LineageGraph":
        return importlib.import_module("datalife.lineage.graph").LineageGraph
    raise AttributeError(f"module 'datalife.lineage' has no attribute {name!r}")
