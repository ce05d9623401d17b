"""The lineage log as a ``networkx.MultiDiGraph``, with provenance queries.

Nodes (ids are readable strings):

| kind | id | attributes |
|---|---|---|
| dataset | ``dataset:<path or name>@<hash12>`` | name, hash, storage, rows, bytes, first_seen, last_seen |
| run | ``run:<uuid>`` | job, state, start, end, error |
| job | ``job:<name>`` | name |
| schema | ``schema:<name>@<version>`` | name, version |
| transform | ``transform:<name>@<fingerprint12>`` | name, fingerprint, code_version |

Edges (direction = data flow; the edge key is the type, ``validated_by:<run>`` for validations):
``consumed`` dataset→run, ``produced`` run→dataset, ``executed`` job→run, ``ran``
transform→run, ``part_of`` file→dataset made of files, ``validated_by`` dataset→schema
(attributes: run, valid, failures, time), ``parent`` run→child run.

Every attribute is a plain str/int/bool, so GraphML round-trips the graph exactly. Richer
per-node details (schema fields, column lineage, run parameters) live beside the graph and
are shown by :meth:`LineageGraph.show`.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datalife.errors import AmbiguousNode, LineageError, NodeNotFound, closest
from datalife.lineage.build import HASH_LEN as _HASH_LEN
from datalife.lineage.build import build_graph
from datalife.lineage.store import LineageStore, LogIssue, warn_issues

if TYPE_CHECKING:
    import networkx as nx

    from datalife.lineage.queries import (
        ColumnProvenance,
        History,
        LineageResult,
        Provenance,
        Validation,
    )

__all__ = ["EDGE_TYPES", "FLOW_EDGES", "KINDS", "LineageGraph", "build_graph", "edge_type"]

KINDS = ("dataset", "run", "job", "schema", "transform")
EDGE_TYPES = ("consumed", "produced", "executed", "ran", "part_of", "validated_by", "parent")
FLOW_EDGES = frozenset({"consumed", "produced", "executed", "ran", "part_of"})


def edge_type(key: str) -> str:
    """The type of an edge from its key (``validated_by:<run>`` -> ``validated_by``)."""
    return key.partition(":")[0]


class LineageGraph:
    """The lineage of a workspace: a ``networkx.MultiDiGraph`` (:attr:`graph`) and queries.

    Build it with :func:`datalife.lineage.load`. Node arguments of every query accept a
    path (its current version), ``path@hash`` (a hash prefix), ``schema@version``, a node id,
    or an unambiguous prefix of one.

    Attributes:
        graph: the networkx graph; run any networkx algorithm on it.
        issues: problems met while reading the log (each names file and line).
        root: the workspace root (paths are resolved against it), if known.
    """

    def __init__(
        self,
        graph: nx.MultiDiGraph,
        *,
        issues: list[LogIssue] | None = None,
        root: str | Path | None = None,
        details: Mapping[str, Any] | None = None,
        store: LineageStore | None = None,
    ) -> None:
        self.graph = graph
        self.issues = list(issues or [])
        self.root = Path(root) if root is not None else None
        self.store = store
        details = details or {}
        self._run_info: dict[str, dict[str, Any]] = dict(details.get("run_info") or {})
        self._columns: dict[str, dict[str, list[tuple[str, str]]]] = dict(
            details.get("columns") or {}
        )
        self._fields: dict[str, tuple[tuple[str, str], ...]] = dict(details.get("fields") or {})
        self._by_name: dict[str, list[str]] = details.get("by_name") or {}
        self._names: dict[str, list[str]] | None = None
        self.snapshot: Any = None  # how datalife.lineage.load used the snapshot, if it did
        self._sorted: tuple[list[str], list[tuple[str, str]]] | None = None

    # -- construction ----------------------------------------------------------------------

    @classmethod
    def from_store(
        cls, store: LineageStore, *, root: str | Path | None = None, warn: bool = True
    ) -> LineageGraph:
        """Read every log file of ``store`` and build the graph (bad lines become issues)."""
        issues: list[LogIssue] = []

        def events() -> Iterator[tuple[str, int, dict[str, Any]]]:
            last, shown = None, ""
            for path, lineno, ev in store.read(issues):
                if path is not last:
                    last, shown = path, store.display(path)
                yield shown, lineno, ev

        graph, details = build_graph(events(), issues)
        if warn and issues:
            warn_issues(issues)
        return cls(graph, issues=issues, root=root or store.root, details=details, store=store)

    @classmethod
    def from_events(
        cls, events: Iterable[Mapping[str, Any]], *, root: str | Path | None = None
    ) -> LineageGraph:
        """Build a graph from in-memory RunEvents (e.g. in tests or from another source)."""
        issues: list[LogIssue] = []
        graph, details = build_graph(
            (("<memory>", i, dict(ev)) for i, ev in enumerate(events, 1)), issues
        )
        return cls(graph, issues=issues, root=root, details=details)

    def __repr__(self) -> str:
        g = self.graph
        return f"LineageGraph({g.number_of_nodes()} nodes, {g.number_of_edges()} edges)"

    def __contains__(self, node: object) -> bool:
        return node in self.graph

    def __len__(self) -> int:
        return int(self.graph.number_of_nodes())

    # -- nodes -----------------------------------------------------------------------------

    def kind(self, node: str) -> str:
        return str(self.graph.nodes[node].get("kind", node.partition(":")[0]))

    def label(self, node: str) -> str:
        """A short readable label: ``path@hash12``, ``job 1b2c3d4e``, ``penguins@1``."""
        attrs = self.graph.nodes[node]
        if "label" in attrs:
            return str(attrs["label"])
        return node.partition(":")[2]

    def nodes(self, kind: str | None = None) -> list[str]:
        """Node ids, optionally only those of one kind."""
        if kind is None:
            return list(self.graph.nodes)
        return [n for n, k in self.graph.nodes(data="kind") if k == kind]

    def fields(self, node: str) -> list[tuple[str, str]] | None:
        """The recorded ``(column, type)`` list of a dataset version, if any."""
        f = self._fields.get(node)
        return list(f) if f is not None else None

    def run_info(self, node: str) -> dict[str, Any]:
        """Parameters, code and parent of a run node."""
        return dict(self._run_info.get(node, {}))

    def column_lineage(self, node: str) -> dict[str, list[tuple[str, str]]]:
        """``{out column: [(input dataset node, input column), ...]}`` recorded for a dataset."""
        return {k: list(v) for k, v in self._columns.get(node, {}).items()}

    def versions(self, name: str) -> list[str]:
        """The dataset version nodes recorded under ``name`` (a path or dataset name), oldest first."""
        nodes = self._by_name.get(name) or self._by_name.get(self._relpath(name)) or []
        attrs = self.graph.nodes
        return sorted(nodes, key=lambda n: (attrs[n].get("first_seen", ""), n))

    def producers(self, node: str) -> list[str]:
        """Runs that produced a dataset node, latest successful first."""
        runs = [p for p, keys in self.graph._pred[node].items() if "produced" in keys]
        return sorted(runs, key=self._run_order, reverse=True)

    def consumers(self, node: str) -> list[str]:
        """Runs that consumed a dataset node."""
        return [s for s, keys in self.graph._succ[node].items() if "consumed" in keys]

    def inputs_of(self, run: str) -> list[str]:
        return [p for p, keys in self.graph._pred[run].items() if "consumed" in keys]

    def outputs_of(self, run: str) -> list[str]:
        return [s for s, keys in self.graph._succ[run].items() if "produced" in keys]

    def _run_order(self, run: str) -> tuple[int, str]:
        a = self.graph.nodes[run]
        return (1 if a.get("state") == "COMPLETE" else 0, str(a.get("end") or a.get("start") or ""))

    # -- resolving names -------------------------------------------------------------------

    def resolve(self, name: str) -> str:
        """The node id that ``name`` designates.

        Raises:
            NodeNotFound: nothing matches (the message lists the closest names).
            AmbiguousNode: several nodes match (the message lists them).
        """
        return self.resolve_with_note(name)[0]

    def resolve_with_note(self, name: str) -> tuple[str, str | None]:
        """Like :meth:`resolve`, plus a note when the choice needs explaining (or None)."""
        if not isinstance(name, str) or not name:
            raise NodeNotFound.from_name(str(name), [], len(self.graph))
        graph = self.graph
        if name in graph:
            return name, None
        kind, bare = None, name
        head, sep, rest = name.partition(":")
        if sep and head in KINDS:
            kind, bare = head, rest
            if kind == "run" and f"run:{rest}" in graph:
                return f"run:{rest}", None
        candidates = self._by_plain_name(bare, kind)
        if not candidates and "@" in bare:
            base, _, ver = bare.rpartition("@")
            candidates = [
                n for n in self._by_plain_name(base, kind) if self._version_matches(n, ver)
            ]
            if candidates and ver == "latest":
                return max(candidates, key=lambda n: graph.nodes[n].get("version", 0)), None
            if candidates:
                return self._one(name, candidates)
        if candidates:
            kinds = {self.kind(c) for c in candidates}
            if kinds == {"dataset"}:
                return self._current_version(bare, candidates)
            if kinds == {"schema"} and len(candidates) > 1:
                latest = max(candidates, key=lambda n: graph.nodes[n].get("version", 0))
                return latest, f"{bare}: showing the latest schema version, {self.label(latest)}"
            return self._one(name, candidates)
        matches = self._prefix_matches(name)
        if matches:
            return self._one(name, matches)
        raise NodeNotFound.from_name(name, self._suggestions(bare), len(graph))

    def _one(self, name: str, candidates: list[str]) -> tuple[str, str | None]:
        unique = sorted(set(candidates))
        if len(unique) == 1:
            return unique[0], None
        raise AmbiguousNode.from_candidates(name, unique)

    def _version_matches(self, node: str, ver: str) -> bool:
        attrs = self.graph.nodes[node]
        kind = attrs.get("kind")
        if kind == "dataset":
            return bool(ver) and str(attrs.get("hash", "")).startswith(ver)
        if kind == "schema":
            return ver == "latest" or str(attrs.get("version", "")) == ver
        if kind == "transform":
            return bool(ver) and str(attrs.get("fingerprint", "")).startswith(ver)
        return False

    def _names_index(self) -> dict[str, list[str]]:
        if self._names is None:
            names: dict[str, list[str]] = {}
            for node, attrs in self.graph.nodes(data=True):
                kind = attrs.get("kind")
                if kind in ("schema", "transform", "job"):
                    names.setdefault(str(attrs.get("name")), []).append(node)
            self._names = names
        return self._names

    def _by_plain_name(self, bare: str, kind: str | None) -> list[str]:
        found: list[str] = []
        if kind in (None, "dataset"):
            found.extend(self._by_name.get(bare) or self._by_name.get(self._relpath(bare)) or [])
        if kind != "dataset":
            found.extend(
                n for n in self._names_index().get(bare, []) if kind is None or self.kind(n) == kind
            )
        return found

    def _relpath(self, name: str) -> str:
        if self.root is None:
            return name
        p = Path(name)
        absolute = Path(os.path.normpath(p if p.is_absolute() else Path.cwd() / p))
        try:
            return absolute.relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return absolute.as_posix()

    def _current_version(self, name: str, candidates: list[str]) -> tuple[str, str | None]:
        """The version of a path on disk now, else the last one recorded."""
        attrs = self.graph.nodes
        if len({attrs[c]["name"] for c in candidates}) > 1:
            return self._one(name, candidates)
        latest = max(candidates, key=lambda n: (attrs[n].get("last_seen", ""), n))
        if len(candidates) == 1 and attrs[latest].get("storage") != "file":
            return latest, None
        on_disk = self.file_path(latest)
        if on_disk is not None and on_disk.is_file():
            from datalife.storage import hash_file

            digest = hash_file(on_disk)
            for c in candidates:
                if attrs[c].get("hash") == digest:
                    return c, None
            return latest, (
                f"{attrs[latest]['name']} has changed since it was last recorded "
                f"(now {digest[:_HASH_LEN]}); showing the last recorded version, {self.label_of(latest)}"
            )
        if len(candidates) > 1:
            return latest, (
                f"{attrs[latest]['name']} has {len(candidates)} recorded versions; showing the "
                f"last one, {self.label_of(latest)} (name another with path@hash)"
            )
        return latest, None

    def label_of(self, node: str) -> str:
        """``name@hash12`` for datasets, the label otherwise."""
        attrs = self.graph.nodes[node]
        if attrs.get("kind") == "dataset":
            digest = str(attrs.get("hash", ""))
            return f"{attrs['name']}@{digest[:_HASH_LEN]}" if digest else str(attrs["name"])
        return self.label(node)

    def file_path(self, node: str) -> Path | None:
        """Where a file dataset lives on disk (None for frames and datasets of several files)."""
        attrs = self.graph.nodes[node]
        if attrs.get("kind") != "dataset" or attrs.get("storage") != "file":
            return None
        name = str(attrs["name"])
        p = Path(name)
        if p.is_absolute():
            return p
        if self.root is None:
            return None
        return self.root / p

    def _prefix_matches(self, prefix: str) -> list[str]:
        if self._sorted is None:
            ids = sorted(self.graph.nodes)
            bare = sorted((n.partition(":")[2], n) for n in ids)
            self._sorted = (ids, bare)
        ids, bare = self._sorted
        out: list[str] = []
        i = bisect.bisect_left(ids, prefix)
        while i < len(ids) and ids[i].startswith(prefix) and len(out) < 1000:
            out.append(ids[i])
            i += 1
        j = bisect.bisect_left(bare, (prefix, ""))
        while j < len(bare) and bare[j][0].startswith(prefix) and len(out) < 2000:
            out.append(bare[j][1])
            j += 1
        return out

    def _suggestions(self, name: str) -> list[str]:
        pool: list[str] = [*self._by_name, *self._names_index()]
        if len(pool) > 20000:
            head = name[:2]
            pool = [p for p in pool if p.startswith(head)][:20000]
        base = name.rpartition("@")[0] or name
        near = closest(base, pool, n=5)
        if not near:
            tail = Path(base).name
            near = [p for p in pool if tail and tail in p][:5]
        return near

    # -- traversal -------------------------------------------------------------------------

    def upstream(self, node: str, depth: int | None = None) -> LineageResult:
        """Everything ``node`` comes from: input datasets, runs, code, jobs, and the schema
        versions that validated each dataset on the way. ``depth`` limits the hops."""
        from datalife.lineage.queries import LineageResult

        start = self.resolve(node)
        return LineageResult(self, "upstream", start, self._walk(start, depth, up=True), depth)

    def downstream(self, node: str, depth: int | None = None) -> LineageResult:
        """Everything derived from ``node`` (for a schema: the data it validated and what
        was derived from it). ``depth`` limits the hops."""
        from datalife.lineage.queries import LineageResult

        start = self.resolve(node)
        return LineageResult(self, "downstream", start, self._walk(start, depth, up=False), depth)

    def impact(self, path: str) -> LineageResult:
        """Everything derived from a (raw) file: what to rebuild if it changes."""
        from datalife.lineage.queries import LineageResult

        start = self.resolve(path)
        return LineageResult(self, "impact", start, self._walk(start, None, up=False), None)

    def _walk(self, start: str, depth: int | None, *, up: bool) -> dict[str, int]:
        graph = self.graph
        pred, succ = graph._pred, graph._succ
        dist = {start: 0}
        frontier = [start]
        if not up and graph.nodes[start].get("kind") == "schema":
            frontier = [
                p
                for p, keys in pred[start].items()
                if any(k.startswith("validated_by") for k in keys)
            ]
            for p in frontier:
                dist[p] = 1
            if depth is not None and depth < 1:
                return {start: 0}
        d = max(dist.values())
        while frontier and (depth is None or d < depth):
            d += 1
            nxt = []
            for n in frontier:
                nbrs = pred[n] if up else succ[n]
                for other, keys in nbrs.items():
                    if other in dist:
                        continue
                    for k in keys:
                        if k in FLOW_EDGES:
                            dist[other] = d
                            nxt.append(other)
                            break
                if up and n.startswith("dataset:"):  # never scan a job's or code's many runs
                    for other, keys in succ[n].items():
                        if other not in dist and any(k.startswith("validated_by") for k in keys):
                            dist[other] = d
            frontier = nxt
        return dist

    # -- the other queries (in queries.py) -------------------------------------------------

    def provenance(self, path: str) -> Provenance:
        """The chain from an artifact back to its raw files (see :class:`Provenance`)."""
        from datalife.lineage.queries import build_provenance

        node, note = self.resolve_with_note(path)
        return build_provenance(self, node, note)

    def validated_by(self, path: str) -> list[Validation]:
        """Every validation of a dataset version (directly, or of a dataset it is part of)."""
        from datalife.lineage.queries import validations_of

        return validations_of(self, self.resolve(path))

    def history(self, dataset: str) -> History:
        """The versions of a path or named dataset over time."""
        from datalife.lineage.queries import build_history

        return build_history(self, dataset)

    def column_provenance(self, node: str, column: str) -> ColumnProvenance:
        """Which raw columns a (derived) column comes from, through recorded column lineage."""
        from datalife.lineage.queries import build_column_provenance

        return build_column_provenance(self, self.resolve(node), column)

    def show(self, node: str) -> dict[str, Any]:
        """Everything recorded about one node: attributes, edges, fields, parameters."""
        from datalife.lineage.queries import describe_node

        resolved, note = self.resolve_with_note(node)
        info = describe_node(self, resolved)
        if note:
            info["note"] = note
        return info

    def summary(self) -> dict[str, Any]:
        """Counts per kind, runs per state, the latest runs, and log issues."""
        from datalife.lineage.queries import summarize

        return summarize(self)

    def to_dict(self) -> dict[str, Any]:
        """The whole graph as JSON-ready nodes and edges (``export --format json``)."""
        from datalife.lineage.export import graph_to_dict

        return graph_to_dict(self)

    def iter_runs(self) -> Iterator[str]:
        for n, kind in self.graph.nodes(data="kind"):
            if kind == "run":
                yield n

    def require(self, node: str, kind: str) -> str:
        """Resolve ``node`` and check its kind."""
        resolved = self.resolve(node)
        if self.kind(resolved) != kind:
            raise LineageError(
                f"{node!r} is a {self.kind(resolved)} node ({resolved}), not a {kind}",
                hint=f"name a {kind} node.",
            )
        return resolved
