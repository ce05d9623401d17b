"""Building the lineage graph from RunEvents, in one pass over the log.

Events are folded per run id (order does not matter: a union merge may interleave two
branches' lines), then turned into node and edge lists that networkx ingests in bulk.
See :mod:`datalife.lineage.graph` for the node and edge model.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from datalife.lineage.events import TERMINAL
from datalife.lineage.store import IssueKind, LogIssue

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["HASH_LEN", "GraphBuilder", "build_graph"]

HASH_LEN = 12
_HASH_LEN = HASH_LEN
_LOCAL_NS = "datalife://"
_NAME_TYPE = itemgetter("name", "type")
# networkx copies each edge's attributes into a dict of its own: share the templates
_ATTRS: dict[str, dict[str, Any]] = {
    t: {"type": t} for t in ("consumed", "produced", "executed", "ran", "part_of", "parent")
}


@dataclass(slots=True)
class _DatasetRef:
    node: str
    name: str
    schema_ref: str | None
    validation: tuple[bool | None, int] | None  # (valid, failure count)
    columns: dict[str, list[tuple[str, str]]] | None  # out col -> [(input name, col)]


class _RunState:
    __slots__ = (
        "code",
        "end",
        "error",
        "has_start",
        "inputs",
        "job",
        "namespace",
        "outputs",
        "params",
        "parent",
        "seen_at",
        "start",
        "state",
    )

    def __init__(self, job: str, namespace: str, seen_at: tuple[str, int]) -> None:
        self.job = job
        self.namespace = namespace
        self.seen_at = seen_at
        self.start = ""
        self.end = ""
        self.state = ""
        self.has_start = False
        self.error = ""
        self.parent = ""
        self.params: dict[str, Any] | None = None
        self.code: list[tuple[str, str, str | None]] = []
        self.inputs: dict[str, _DatasetRef] = {}
        self.outputs: dict[str, _DatasetRef] = {}


class GraphBuilder:
    """Turns events into node and edge lists in one pass (no networkx until the end)."""

    def __init__(self) -> None:
        self.datasets: dict[str, dict[str, Any]] = {}
        self.by_name: dict[str, list[str]] = {}
        self.fields: dict[str, tuple[tuple[str, str], ...]] = {}
        self._field_pool: dict[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]] = {}
        self.members: dict[str, list[str]] = {}
        self.runs: dict[str, _RunState] = {}

    # -- events ----------------------------------------------------------------------------

    def add(self, path: str, lineno: int, ev: dict[str, Any]) -> None:
        run = ev["run"]
        rid = run["runId"]
        job = ev["job"]
        t = ev["eventTime"]
        st = self.runs.get(rid)
        if st is None:
            st = self.runs[rid] = _RunState(job["name"], job["namespace"], (path, lineno))
        etype = ev.get("eventType", "OTHER")
        if etype == "START":
            st.has_start = True
            if not st.start or t < st.start:
                st.start = t
            if not st.state:
                st.state = "RUNNING"
        elif etype in TERMINAL:
            st.state = etype
            st.end = t
        elif not st.state:
            st.state = "RUNNING"
        facets = run.get("facets")
        if facets:
            self._run_facets(st, facets)
        for ds in ev.get("inputs") or ():
            ref = self._dataset(ds, t, output=False)
            st.inputs[ref.node] = ref
        for ds in ev.get("outputs") or ():
            ref = self._dataset(ds, t, output=True)
            st.outputs[ref.node] = ref

    def _run_facets(self, st: _RunState, facets: dict[str, Any]) -> None:
        dl = facets.get("datalife_run")
        if isinstance(dl, dict) and isinstance(dl.get("parameters"), dict):
            st.params = dl["parameters"]
        code = facets.get("datalife_code")
        if isinstance(code, dict):
            for tr in code.get("transforms") or ():
                if isinstance(tr, dict) and tr.get("name") and tr.get("fingerprint"):
                    item = (str(tr["name"]), str(tr["fingerprint"]), tr.get("version"))
                    if item not in st.code:
                        st.code.append(item)
        err = facets.get("errorMessage")
        if isinstance(err, dict) and err.get("message"):
            st.error = str(err["message"])
        parent = facets.get("parent")
        if isinstance(parent, dict) and isinstance(parent.get("run"), dict):
            st.parent = str(parent["run"].get("runId") or "")

    def _dataset(self, ds: dict[str, Any], t: str, *, output: bool) -> _DatasetRef:
        name = ds["name"]
        ns = ds["namespace"]
        if not ns.startswith(_LOCAL_NS):
            name = f"{ns.rstrip('/')}/{name.lstrip('/')}"
        facets = ds.get("facets") or {}
        dl = facets.get("datalife_dataset")
        digest = ""
        storage = "external"
        rows = size = None
        schema_ref = None
        files = None
        if isinstance(dl, dict):
            digest = str(dl.get("contentHash") or "")
            storage = str(dl.get("storage") or "file")
            rows = dl.get("rows")
            size = dl.get("bytes")
            schema_ref = dl.get("schemaRef")
            files = dl.get("files")
        else:
            version = facets.get("version")
            if isinstance(version, dict):
                digest = str(version.get("datasetVersion") or "")
        node = f"dataset:{name}@{digest[:_HASH_LEN]}" if digest else f"dataset:{name}"
        attrs = self.datasets.get(node)
        if attrs is None:
            attrs = {"kind": "dataset", "name": name, "hash": digest, "storage": storage}
            attrs["first_seen"] = attrs["last_seen"] = t
            self.datasets[node] = attrs
            self.by_name.setdefault(name, []).append(node)
        else:
            if t < attrs["first_seen"]:
                attrs["first_seen"] = t
            if t > attrs["last_seen"]:
                attrs["last_seen"] = t
        if isinstance(rows, int) and "rows" not in attrs:
            attrs["rows"] = rows
        if isinstance(size, int) and "bytes" not in attrs:
            attrs["bytes"] = size
        schema = facets.get("schema")
        if isinstance(schema, dict) and node not in self.fields:
            flist = schema.get("fields")
            if isinstance(flist, list):
                try:  # the common case, at C speed: every field has a name and a type
                    key = tuple(map(_NAME_TYPE, flist))
                    self.fields[node] = self._field_pool.setdefault(key, key)
                except (TypeError, KeyError):  # odd fields (no type, not scalars): slow path
                    key = tuple(
                        (str(f.get("name")), str(f.get("type", "")))
                        for f in flist
                        if isinstance(f, dict)
                    )
                    self.fields[node] = self._field_pool.setdefault(key, key)
        if files and node not in self.members:
            self.members[node] = self._member_nodes(files, t)
        validation = None
        extra = ds.get("outputFacets" if output else "inputFacets")
        if isinstance(extra, dict):
            validation = _validation_of(extra)
            if validation is not None and schema_ref is None:
                v = extra.get("datalife_validation")
                if isinstance(v, dict) and v.get("schema"):
                    schema_ref = str(v["schema"])
        columns = None
        cl = facets.get("columnLineage")
        if isinstance(cl, dict) and isinstance(cl.get("fields"), dict):
            columns = {}
            for out_col, spec in cl["fields"].items():
                srcs = spec.get("inputFields") if isinstance(spec, dict) else None
                columns[str(out_col)] = [
                    (_qualified(f.get("namespace", ""), f.get("name", "")), str(f.get("field")))
                    for f in srcs or ()
                    if isinstance(f, dict)
                ]
        return _DatasetRef(node, name, schema_ref, validation, columns)

    def _member_nodes(self, files: Any, t: str) -> list[str]:
        out = []
        for f in files if isinstance(files, list) else ():
            if not isinstance(f, dict) or not f.get("path") or not f.get("contentHash"):
                continue
            name, digest = str(f["path"]), str(f["contentHash"])
            node = f"dataset:{name}@{digest[:_HASH_LEN]}"
            attrs = self.datasets.get(node)
            if attrs is None:
                attrs = {"kind": "dataset", "name": name, "hash": digest, "storage": "file"}
                attrs["first_seen"] = attrs["last_seen"] = t
                self.datasets[node] = attrs
                self.by_name.setdefault(name, []).append(node)
            else:
                attrs["last_seen"] = max(attrs["last_seen"], t)
                attrs["first_seen"] = min(attrs["first_seen"], t)
            if isinstance(f.get("rows"), int) and "rows" not in attrs:
                attrs["rows"] = f["rows"]
            if isinstance(f.get("bytes"), int) and "bytes" not in attrs:
                attrs["bytes"] = f["bytes"]
            out.append(node)
        return out

    # -- graph -----------------------------------------------------------------------------

    def build(self, issues: list[LogIssue]) -> tuple[nx.MultiDiGraph, dict[str, Any]]:
        import networkx as nx

        nodes: list[tuple[str, dict[str, Any]]] = list(self.datasets.items())
        edges: list[tuple[str, str, str, dict[str, Any]]] = []
        extra_nodes: dict[str, dict[str, Any]] = {}
        run_info: dict[str, dict[str, Any]] = {}
        columns: dict[str, dict[str, list[tuple[str, str]]]] = {}
        unknown: list[LogIssue] = []

        for member_of, members in self.members.items():
            for m in members:
                edges.append((m, member_of, "part_of", _ATTRS["part_of"]))

        for rid, st in self.runs.items():
            rnode = f"run:{rid}"
            attrs: dict[str, Any] = {
                "kind": "run",
                "job": st.job,
                "state": st.state or "RUNNING",
                "label": f"{st.job} {rid[:8]}",
            }
            if st.start:
                attrs["start"] = st.start
            if st.end:
                attrs["end"] = st.end
            if st.error:
                attrs["error"] = st.error[:500]
            if not st.has_start:
                attrs["start_missing"] = True
                path, line = st.seen_at
                unknown.append(
                    LogIssue(
                        path,
                        line,
                        IssueKind.UNKNOWN_RUN,
                        f"{st.state or 'an event'} for run {rid} ({st.job}) that has no START "
                        "event; the run is kept",
                    )
                )
            nodes.append((rnode, attrs))
            jnode = f"job:{st.job}"
            if jnode not in extra_nodes:
                extra_nodes[jnode] = {"kind": "job", "name": st.job, "label": st.job}
            edges.append((jnode, rnode, "executed", _ATTRS["executed"]))
            info: dict[str, Any] = {}
            if st.params is not None:
                info["parameters"] = st.params
            if st.parent:
                info["parent"] = f"run:{st.parent}"
                if st.parent in self.runs:
                    edges.append((f"run:{st.parent}", rnode, "parent", _ATTRS["parent"]))
            if st.code:
                info["code"] = []
            for name, fp, version in st.code:
                tnode = f"transform:{name}@{fp[:_HASH_LEN]}"
                if tnode not in extra_nodes:
                    tattrs = {
                        "kind": "transform",
                        "name": name,
                        "fingerprint": fp,
                        "label": f"{name}@{fp[:_HASH_LEN]}",
                    }
                    if version is not None:
                        tattrs["code_version"] = str(version)
                    extra_nodes[tnode] = tattrs
                edges.append((tnode, rnode, "ran", _ATTRS["ran"]))
                info["code"].append(tnode)
            if info:
                run_info[rnode] = info
            t = st.end or st.start
            input_names: dict[str, str] = {}
            for ref in st.inputs.values():
                edges.append((ref.node, rnode, "consumed", _ATTRS["consumed"]))
                input_names.setdefault(ref.name, ref.node)
                self._validation_edge(ref, rid, t, edges, extra_nodes)
            for ref in st.outputs.values():
                edges.append((rnode, ref.node, "produced", _ATTRS["produced"]))
                self._validation_edge(ref, rid, t, edges, extra_nodes)
                if ref.columns:
                    columns[ref.node] = {
                        out: [(input_names.get(n, f"dataset:{n}"), c) for n, c in srcs]
                        for out, srcs in ref.columns.items()
                    }
        nodes.extend(extra_nodes.items())

        graph = nx.MultiDiGraph()
        graph.add_nodes_from(nodes)
        graph.add_edges_from(edges)
        issues.extend(unknown)
        details = {"run_info": run_info, "columns": columns, "fields": self.fields}
        return graph, details

    @staticmethod
    def _validation_edge(
        ref: _DatasetRef,
        rid: str,
        t: str,
        edges: list[tuple[str, str, str, dict[str, Any]]],
        extra_nodes: dict[str, dict[str, Any]],
    ) -> None:
        if not ref.schema_ref:
            return
        snode = f"schema:{ref.schema_ref}"
        if snode not in extra_nodes:
            name, _, version = ref.schema_ref.partition("@")
            sattrs: dict[str, Any] = {"kind": "schema", "name": name, "label": ref.schema_ref}
            if version.isdigit():
                sattrs["version"] = int(version)
            extra_nodes[snode] = sattrs
        eattrs: dict[str, Any] = {"type": "validated_by", "run": f"run:{rid}"}
        if t:
            eattrs["time"] = t
        if ref.validation is not None:
            valid, failures = ref.validation
            if valid is not None:
                eattrs["valid"] = valid
            eattrs["failures"] = failures
        edges.append((ref.node, snode, f"validated_by:{rid}", eattrs))


def _qualified(namespace: str, name: str) -> str:
    if namespace.startswith(_LOCAL_NS) or not namespace:
        return str(name)
    return f"{namespace.rstrip('/')}/{str(name).lstrip('/')}"


def _validation_of(extra: dict[str, Any]) -> tuple[bool | None, int] | None:
    dl = extra.get("datalife_validation")
    if isinstance(dl, dict):
        failures = sum(
            int(f.get("failureCount") or 0) for f in dl.get("failures") or () if isinstance(f, dict)
        )
        valid = dl.get("valid")
        return (bool(valid) if isinstance(valid, bool) else None, failures)
    dq = extra.get("dataQualityAssertions")
    if isinstance(dq, dict) and isinstance(dq.get("assertions"), list):
        failed = sum(1 for a in dq["assertions"] if isinstance(a, dict) and not a.get("success"))
        return (failed == 0, failed)
    return None


def build_graph(
    events: Iterable[tuple[str, int, dict[str, Any]]],
    issues: list[LogIssue] | None = None,
    builder: GraphBuilder | None = None,
) -> tuple[nx.MultiDiGraph, dict[str, Any]]:
    """Build the graph from ``(file, line, event)`` triples (see :class:`LineageGraph`).

    ``builder`` continues from an earlier state (the snapshot's); it is updated in place.
    """
    builder = builder if builder is not None else GraphBuilder()
    add = builder.add
    # Millions of small containers and no cycles: the cyclic GC would rescan them again and
    # again (it doubles the load time). Pause it while building; the caller's setting returns.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for path, lineno, ev in events:
            add(path, lineno, ev)
        graph, details = builder.build(issues if issues is not None else [])
    finally:
        if was_enabled:
            gc.enable()
    details["by_name"] = builder.by_name
    return graph, details
