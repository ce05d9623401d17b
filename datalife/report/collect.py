"""Gather what the HTML report and the dataset card show, as JSON-ready data.

:func:`collect` reads a workspace without changing it: the datasets declared in
``datalife.toml``, their current files (hashed), the latest schema version, a fresh
validation of the current files (not recorded), the versions and verdicts recorded in the
lineage log, a statistics profile (the saved one for the current version, else computed),
drift between the most recent versions, the splits found on disk or in the lineage, and the
lineage graph laid out for a picture.

Every section degrades instead of failing: a section that has nothing to show says so and
what to run (``status: "empty"``), and a section that cannot be computed keeps the error
(``status: "error"``) while the rest of the report is still built. Only a missing workspace
or an unknown ``dataset`` name raise.

Examples:
    >>> section = _empty("no splits recorded yet", "datalife split")
    >>> section["status"], section["hint"]
    ('empty', 'run `datalife split`')
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datalife.errors import DatalifeError

if TYPE_CHECKING:
    from datalife.config import Workspace
    from datalife.lineage.graph import LineageGraph

__all__ = ["FORMAT_VERSION", "ReportData", "collect", "resolve_workspace"]

#: Version of the report's JSON layout (``datalife report --format json``).
FORMAT_VERSION = 1
#: Drift comparisons shown per dataset (the most recent consecutive pairs).
MAX_COMPARISONS = 3
#: Largest number of nodes drawn in the lineage picture (the most recent runs are kept).
MAX_LINEAGE_NODES = 80
#: Folders never searched for split outputs.
_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", "lineage", "schemas"}


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _empty(message: str, command: str | None = None) -> dict[str, Any]:
    return {
        "status": "empty",
        "message": message,
        "hint": f"run `{command}`" if command else None,
    }


def _error(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, DatalifeError):
        return {"status": "error", "message": exc.message, "hint": exc.hint}
    return {"status": "error", "message": f"{type(exc).__name__}: {exc}", "hint": None}


def _guarded(fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run one section's collector; any failure becomes an ``error`` section, never a crash."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - one broken section must not take the report down
        return _error(exc)


@dataclass
class ReportData:
    """Everything the report shows, JSON-ready (``to_dict()``).

    Attributes:
        workspace: the workspace root folder's name and path.
        scope: the dataset the report is restricted to, or None for the whole workspace.
        datasets: one entry per dataset: files, schema, validation, versions, statistics, drift.
        splits: the split outputs found (rows per split, class balance, leakage checks).
        lineage: the lineage graph's nodes and edges (for the picture) and log issues.
    """

    workspace: dict[str, str]
    scope: str | None
    generated_at: str
    datalife_version: str
    datasets: list[dict[str, Any]] = field(default_factory=list)
    splits: dict[str, Any] = field(default_factory=dict)
    lineage: dict[str, Any] = field(default_factory=dict)
    monitor: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "datalife-report",
            "format_version": FORMAT_VERSION,
            "generated_at": self.generated_at,
            "datalife_version": self.datalife_version,
            "workspace": dict(self.workspace),
            "scope": self.scope,
            "datasets": self.datasets,
            "splits": self.splits,
            "lineage": self.lineage,
            "monitor": self.monitor,
        }

    def sections(self) -> dict[str, str]:
        """``{section: status}``: ``ok``, ``empty``, ``error`` or ``skipped`` (not asked for)."""
        out: dict[str, str] = {}
        for ds in self.datasets:
            for key in ("validation", "versions", "statistics", "drift"):
                out[f"{ds['name']}.{key}"] = str(ds.get(key, {}).get("status", "empty"))
        out["splits"] = str(self.splits.get("status", "empty"))
        out["lineage"] = str(self.lineage.get("status", "empty"))
        out["monitor"] = str(self.monitor.get("status", "empty"))
        return out

    def problems(self) -> list[str]:
        """One line per section that is empty or could not be computed."""
        lines = []
        if not self.datasets:
            lines.append(
                "datasets: no datasets declared in datalife.toml "
                "(add one with `datalife dataset add NAME GLOB...`)"
            )
        for name, status in self.sections().items():
            if status in ("ok", "skipped"):
                continue
            ds_name, _, key = name.rpartition(".")
            section = (
                self.splits
                if name == "splits"
                else self.lineage
                if name == "lineage"
                else self.monitor
                if name == "monitor"
                else next(d for d in self.datasets if d["name"] == ds_name)[key]
            )
            text = f"{name}: {section.get('message', status)}"
            if section.get("hint"):
                text += f" ({section['hint']})"
            lines.append(text)
        return lines


def resolve_workspace(workspace: Workspace | str | os.PathLike[str] | None) -> Workspace:
    """A :class:`~datalife.config.Workspace` from a workspace, a folder inside one, or None."""
    from datalife.config import Workspace

    if isinstance(workspace, Workspace):
        return workspace
    return Workspace.find(None if workspace is None else Path(workspace))


def _check_dataset(ws: Workspace, dataset: str) -> None:
    from datalife.errors import ConfigError, closest

    if dataset in ws.config.datasets:
        return
    names = sorted(ws.config.datasets)
    near = closest(dataset, names)
    raise ConfigError(
        f"no dataset named {dataset!r} in {ws.config_path.name} "
        f"(datasets: {', '.join(names) or 'none'})",
        path=ws.config_path,
        hint=f"did you mean {near[0]!r}?"
        if near
        else "add it with `datalife dataset add NAME GLOB...`.",
    )


def collect(
    workspace: Workspace | str | os.PathLike[str] | None = None,
    dataset: str | None = None,
    *,
    drift: bool = True,
) -> ReportData:
    """Gather the report's data for a workspace, or for one of its datasets.

    Args:
        workspace: a Workspace, a folder inside one, or None for the current folder's.
        dataset: restrict the report to this dataset (its files, splits and lineage).
        drift: compute drift between versions (profiles each version or batch file).

    Raises:
        WorkspaceNotFound: no workspace there.
        ConfigError: ``dataset`` is not declared in the workspace.
    """
    from datalife._version import __version__

    ws = resolve_workspace(workspace)
    if dataset is not None:
        _check_dataset(ws, dataset)
    data = ReportData(
        workspace={"name": ws.root.name, "root": str(ws.root)},
        scope=dataset,
        generated_at=_now(),
        datalife_version=__version__,
    )
    log = _LogView.read(ws)
    names = [dataset] if dataset is not None else sorted(ws.config.datasets)
    for name in names:
        data.datasets.append(collect_dataset(ws, name, log, drift=drift))
    data.splits = _guarded(lambda: collect_splits(ws, log, dataset))
    data.lineage = _guarded(lambda: collect_lineage(ws, log, dataset))
    data.monitor = _guarded(lambda: collect_monitor(ws, names))
    return data


def collect_monitor(ws: Workspace, names: Sequence[str]) -> dict[str, Any]:
    """Each monitored dataset's history: its time charts, thresholds and alarms (the chart
    markup is built by :mod:`datalife.report.monitor_view`, which escapes every label)."""
    from datalife.monitor.history import history
    from datalife.monitor.run import store_path
    from datalife.report.monitor_view import monitor_section_html

    if not store_path(ws).is_file():
        return _empty("no batches monitored yet", "datalife monitor DATASET BATCH...")
    items = []
    for name in names:
        h = history(name, workspace=ws)
        if h.total:
            items.append({"dataset": name, "batches": h.total, "html": monitor_section_html(h)})
    if not items:
        return _empty("no batches monitored yet", "datalife monitor DATASET BATCH...")
    return {"status": "ok", "items": items}


# -- the lineage log, read once --------------------------------------------------------------


@dataclass
class _LogView:
    """The lineage log's events and graph, read once per report (either may be missing)."""

    events: list[dict[str, Any]]
    graph: LineageGraph | None
    issues: list[str]
    error: dict[str, Any] | None = None

    @classmethod
    def read(cls, ws: Workspace) -> _LogView:
        from datalife import lineage

        try:
            lg = lineage.load(ws, warn=False)
        except Exception as exc:  # noqa: BLE001 - an unreadable log is shown, not fatal
            return cls([], None, [], _error(exc))
        events: list[dict[str, Any]] = []
        if lg.store is not None:
            for _path, _line, event in lg.store.read([]):
                events.append(event)
        return cls(events, lg, [str(i) for i in lg.issues])


# -- datasets --------------------------------------------------------------------------------


def collect_dataset(
    ws: Workspace, name: str, log: _LogView, *, drift: bool = True
) -> dict[str, Any]:
    """One dataset's files, schema, validation, recorded versions, statistics and drift."""
    config = ws.config.datasets[name]
    files = ws.dataset_files(name)
    held: dict[str, Any] = {}  # the current version's Profile, for drift
    entry: dict[str, Any] = {
        "name": name,
        "description": config.description,
        "globs": list(config.files),
        "schema_name": ws.schema_for(name),
    }
    entry["files"] = _guarded(lambda: _files(ws, files))
    version = entry["files"].get("version")
    entry["schema"] = _guarded(lambda: _schema(ws, ws.schema_for(name)))
    if not files:
        globs = ", ".join(config.files)
        entry["validation"] = _empty(f"no files match {globs} yet")
        entry["statistics"] = _empty(f"no files match {globs} yet")
    else:
        entry["validation"] = _guarded(lambda: _validation(ws, files, ws.schema_for(name)))
        entry["statistics"] = _guarded(lambda: _statistics(ws, name, files, version, held))
    entry["versions"] = _guarded(lambda: _versions(ws, name, log, version))
    if not drift:
        entry["drift"] = {"status": "skipped", "message": "drift was not computed", "hint": None}
    else:
        entry["drift"] = _guarded(lambda: _drift(ws, name, files, entry, held.get("profile")))
    return entry


def _files(ws: Workspace, files: Sequence[Path]) -> dict[str, Any]:
    from datalife.storage import dataset_version_id, hash_file

    items: list[dict[str, Any]] = []
    for p in files:
        items.append(
            {"path": ws.relpath(p), "bytes": p.stat().st_size, "content_hash": hash_file(p)}
        )
    if not items:
        return {**_empty("no files match the dataset's globs yet"), "items": [], "version": None}
    version = dataset_version_id([i["content_hash"] for i in items])
    return {"status": "ok", "items": items, "version": version}


def _check_text(check: Any) -> str:
    text = getattr(check, "error", None) or getattr(check, "name", None) or str(check)
    return str(text)


def _schema(ws: Workspace, schema_name: str) -> dict[str, Any]:
    from datalife.errors import SchemaNotFound
    from datalife.schemas.registry import SchemaRegistry

    registry = SchemaRegistry.for_workspace(ws)
    try:
        sv = registry.load(schema_name)
    except SchemaNotFound:
        return _empty(
            f"no schema {schema_name!r} yet", f"datalife schema infer PATH --name {schema_name}"
        )
    columns = []
    for col_name, col in sv.schema.columns.items():
        columns.append(
            {
                "name": str(col_name),
                "dtype": str(col.dtype),
                "nullable": bool(col.nullable),
                "unique": bool(getattr(col, "unique", False)),
                "checks": [_check_text(c) for c in col.checks],
                "description": getattr(col, "description", None),
            }
        )
    return {
        "status": "ok",
        "ref": sv.ref,
        "name": sv.name,
        "version": sv.version,
        "versions": registry.versions(sv.name),
        "description": sv.meta.description,
        "compatibility": str(sv.meta.compatibility),
        "path": ws.relpath(sv.path) if sv.path else None,
        "strict": sv.schema.strict,
        "columns": columns,
    }


def _validation(ws: Workspace, files: Sequence[Path], schema_name: str) -> dict[str, Any]:
    from datalife.errors import SchemaNotFound
    from datalife.validation import validate_files

    try:
        report = validate_files(list(files), schema_name, workspace=ws, record=False)
    except SchemaNotFound:
        return _empty(
            f"no schema {schema_name!r} to validate against",
            f"datalife schema infer PATH --name {schema_name}",
        )
    return {"status": "ok", **report.to_dict()}


def _matches(ws: Workspace, dataset: str, path: str) -> bool:
    from datalife.config import glob_to_regex

    return any(glob_to_regex(g).match(path) for g in ws.config.datasets[dataset].files)


def _validation_inputs(event: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for item in event.get("inputs") or []:
        if not isinstance(item, dict):
            continue
        facet = (item.get("inputFacets") or {}).get("datalife_validation")
        if isinstance(facet, dict):
            yield item, facet


def _versions(ws: Workspace, name: str, log: _LogView, current: str | None) -> dict[str, Any]:
    """The dataset versions the lineage log recorded validations for, oldest first."""
    if log.error is not None:
        return log.error
    versions: dict[str, dict[str, Any]] = {}
    for event in log.events:
        if event.get("eventType") not in ("COMPLETE", "FAIL"):
            continue
        run = str((event.get("run") or {}).get("runId", ""))
        time = str(event.get("eventTime", ""))
        for item, facet in _validation_inputs(event):
            path = str(item.get("name", ""))
            dl = (item.get("facets") or {}).get("datalife_dataset") or {}
            members = [f for f in dl.get("files") or [] if isinstance(f, dict)]
            if not (
                path == name
                or _matches(ws, name, path)
                or any(_matches(ws, name, str(f.get("path", ""))) for f in members)
            ):
                continue
            key = str(facet.get("datasetVersion") or dl.get("contentHash") or path)
            v = versions.setdefault(
                key,
                {"version": key, "first_seen": time, "last_seen": time, "files": {}, "runs": {}},
            )
            v["first_seen"] = min(v["first_seen"], time)
            v["last_seen"] = max(v["last_seen"], time)
            for f in members or [{"path": path, **dl}]:
                v["files"][str(f.get("path"))] = {
                    "path": str(f.get("path")),
                    "content_hash": f.get("contentHash"),
                    "rows": f.get("rows"),
                }
            v["runs"][run] = {
                "run": run,
                "time": time,
                "schema": facet.get("schema"),
                "valid": facet.get("valid"),
                "rows": facet.get("rows"),
                "engine": facet.get("engine"),
                "failures": [_failure(f) for f in facet.get("failures") or []],
            }
    items = []
    for v in sorted(versions.values(), key=lambda v: (v["first_seen"], v["version"])):
        runs = sorted(v["runs"].values(), key=lambda r: r["time"])
        latest = runs[-1]
        items.append(
            {
                "version": v["version"],
                "current": v["version"] == current,
                "first_seen": v["first_seen"],
                "last_seen": v["last_seen"],
                "rows": latest.get("rows"),
                "files": sorted(v["files"].values(), key=lambda f: f["path"]),
                "validations": runs,
                "latest": latest,
            }
        )
    if not items:
        section = _empty(
            "no validations of this dataset recorded in the lineage log yet",
            "datalife validate " + " ".join(ws.config.datasets[name].files),
        )
        section["items"] = []
        return section
    return {"status": "ok", "items": items, "current_recorded": current in versions}


def _failure(f: Any) -> dict[str, Any]:
    if not isinstance(f, dict):
        return {"check": str(f), "failure_count": None, "examples": []}
    return {
        "column": f.get("column"),
        "check": f.get("check"),
        "detail": f.get("detail"),
        "failure_count": f.get("failureCount", f.get("failure_count")),
        "message": f.get("message"),
        "examples": list(f.get("examples") or []),
    }


def _profile_dict(profile: Any) -> dict[str, Any]:
    data: dict[str, Any] = profile.to_dict()
    for col in data.get("columns", []):
        col.pop("state", None)
    return data


def _statistics(
    ws: Workspace, name: str, files: Sequence[Path], version: str | None, held: dict[str, Any]
) -> dict[str, Any]:
    from datalife.stats import Profile, profile_path, stats

    saved = profile_path(ws, version) if version else None
    if saved is not None and saved.is_file():
        with contextlib.suppress(DatalifeError):
            profile = Profile.load(saved)
            held["profile"] = profile
            return {
                "status": "ok",
                "source": "saved",
                "path": ws.relpath(saved),
                **_profile_dict(profile),
            }
    profile = stats(list(files), dataset=name, workspace=ws)
    held["profile"] = profile
    return {"status": "ok", "source": "computed", "path": None, **_profile_dict(profile)}


def _drift(
    ws: Workspace, name: str, files: Sequence[Path], entry: dict[str, Any], current: Any
) -> dict[str, Any]:
    from datalife.report.drift_view import collect_drift

    return collect_drift(ws, name, files, entry, current)


# -- splits ----------------------------------------------------------------------------------


def collect_splits(ws: Workspace, log: _LogView, dataset: str | None) -> dict[str, Any]:
    """The split outputs of the workspace (or of one dataset)."""
    from datalife.report.splits_view import collect_split_dirs

    return collect_split_dirs(ws, log.graph, dataset, skip=_SKIP_DIRS)


# -- lineage ---------------------------------------------------------------------------------


def collect_lineage(ws: Workspace, log: _LogView, dataset: str | None) -> dict[str, Any]:
    """The lineage graph (or a dataset's part of it), ready to be drawn."""
    if log.error is not None:
        return log.error
    lg = log.graph
    if lg is None or len(lg) == 0:
        section = _empty("no lineage recorded yet")
        section["hint"] = "run `datalife validate`, `datalife split` or `datalife run`"
        section["issues"] = log.issues
        return section
    nodes = lineage_nodes(ws, lg, dataset)
    if not nodes:
        section = _empty(
            f"the lineage log has nothing about dataset {dataset!r} yet",
            "datalife validate " + " ".join(ws.config.datasets[str(dataset)].files),
        )
        section["issues"] = log.issues
        return section
    picture = lineage_picture(lg, nodes, MAX_LINEAGE_NODES)
    return {"status": "ok", **picture, "issues": log.issues}


def lineage_nodes(ws: Workspace, lg: LineageGraph, dataset: str | None) -> set[str]:
    """Every node of the graph, or those connected to the dataset's files."""
    if dataset is None:
        return set(lg.graph.nodes)
    graph = lg.graph
    starts = [
        n
        for n, attrs in graph.nodes(data=True)
        if attrs.get("kind") == "dataset"
        and (attrs.get("name") == dataset or _matches(ws, dataset, str(attrs.get("name", ""))))
    ]
    keep: set[str] = set(starts)
    for s in starts:
        keep.update(lg.upstream(s).distances)
        keep.update(lg.downstream(s).distances)
    for n in list(keep):
        for other, keys in graph._succ[n].items():
            if any(str(k).startswith("validated_by") for k in keys):
                keep.add(other)
        for other, keys in graph._pred[n].items():
            if "executed" in keys:
                keep.add(other)
    return keep


def _node_view(lg: LineageGraph, node: str) -> dict[str, Any]:
    attrs = lg.graph.nodes[node]
    kind = str(attrs.get("kind", node.partition(":")[0]))
    view: dict[str, Any] = {"id": node, "kind": kind, "status": None}
    if kind == "dataset":
        digest = str(attrs.get("hash", ""))[:8]
        rows = attrs.get("rows")
        view["title"] = str(attrs.get("name", node))
        view["subtitle"] = " · ".join(
            x for x in ("dataset", digest, f"{rows:,} rows" if rows is not None else "") if x
        )
    elif kind == "run":
        when = str(attrs.get("end") or attrs.get("start") or "")[:16].replace("T", " ")
        view["title"] = f"{attrs.get('job', 'run')} (run {node[4:12]})"
        view["subtitle"] = f"{attrs.get('state', '?')} · {when}"
        view["status"] = attrs.get("state")
    elif kind == "schema":
        view["title"] = lg.label(node)
        view["subtitle"] = "schema version"
    elif kind == "transform":
        view["title"] = str(attrs.get("name", lg.label(node)))
        view["subtitle"] = f"transform · {str(attrs.get('fingerprint', ''))[:8]}"
    else:
        view["title"] = lg.label(node)
        view["subtitle"] = kind
    return view


def _trim(lg: LineageGraph, nodes: set[str], limit: int) -> tuple[set[str], str | None]:
    """At most ``limit`` nodes: drop jobs, then keep the most recent runs' neighbourhoods."""
    if len(nodes) <= limit:
        return nodes, None
    graph = lg.graph
    total = len(nodes)
    kept = {n for n in nodes if graph.nodes[n].get("kind") != "job"}
    if len(kept) <= limit:
        return kept, f"job nodes hidden to fit {total} nodes"
    runs = [n for n in kept if graph.nodes[n].get("kind") == "run"]
    runs.sort(key=lambda r: str(graph.nodes[r].get("start") or ""), reverse=True)
    chosen: set[str] = set()
    shown = 0
    for run in runs:
        around = {run} | (set(graph._pred[run]) | set(graph._succ[run])) & kept
        for n in list(around):
            around.update(
                o
                for o, keys in graph._succ[n].items()
                if o in kept and any(str(k).startswith("validated_by") for k in keys)
            )
        if chosen and len(chosen | around) > limit:
            break
        chosen |= around
        shown += 1
    if not chosen:
        chosen = set(sorted(kept)[:limit])
    return chosen, (
        f"showing the {shown} most recent of {len(runs)} runs ({len(chosen)} of {total} nodes); "
        "`datalife lineage export --format dot` has the whole graph"
    )


def lineage_picture(
    lg: LineageGraph, nodes: set[str], limit: int = MAX_LINEAGE_NODES
) -> dict[str, Any]:
    """Nodes and edges (JSON-ready) for :func:`datalife.report.lineage_svg.lineage_svg`."""
    from datalife.lineage.graph import edge_type

    total_nodes = len(nodes)
    shown, note = _trim(lg, nodes, limit)
    sub = lg.graph.subgraph(shown)
    views = [_node_view(lg, n) for n in sorted(sub.nodes)]
    edges = []
    for u, v, k, attrs in sorted(sub.edges(keys=True, data=True), key=lambda e: e[:3]):
        edges.append(
            {
                "source": u,
                "target": v,
                "type": str(attrs.get("type", edge_type(str(k)))),
                "valid": attrs.get("valid"),
            }
        )
    kinds: dict[str, int] = {}
    for n in nodes:
        kind = str(lg.graph.nodes[n].get("kind", ""))
        kinds[kind] = kinds.get(kind, 0) + 1
    return {
        "nodes": views,
        "edges": edges,
        "total_nodes": total_nodes,
        "kinds": dict(sorted(kinds.items())),
        "note": note,
    }
