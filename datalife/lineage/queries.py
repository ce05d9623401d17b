"""Query results of a :class:`~datalife.lineage.graph.LineageGraph`.

Each result is a small object with ``to_dict()`` (the CLI's ``--format json``) and a
readable ``str()`` (the CLI's text output).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datalife.errors import AmbiguousNode, LineageError, closest

if TYPE_CHECKING:
    from datalife.lineage.graph import LineageGraph

__all__ = [
    "ColumnProvenance",
    "History",
    "LineageResult",
    "Provenance",
    "Validation",
    "VersionInfo",
]


def node_summary(lg: LineageGraph, node: str) -> dict[str, Any]:
    """The JSON-ready description of one node (id, kind, label and its attributes)."""
    attrs = dict(lg.graph.nodes[node])
    out: dict[str, Any] = {"id": node, "kind": attrs.pop("kind", ""), "label": lg.label_of(node)}
    attrs.pop("label", None)
    out.update(attrs)
    return out


class LineageResult:
    """The nodes found by ``upstream``, ``downstream`` or ``impact``, with their distance.

    Iterating gives node ids (nearest first); ``in`` tests membership; :attr:`subgraph` is
    the networkx subgraph they span (including the start node).
    """

    def __init__(
        self,
        lg: LineageGraph,
        query: str,
        start: str,
        distances: dict[str, int],
        depth: int | None,
    ) -> None:
        self.lineage = lg
        self.query = query
        self.start = start
        self.depth = depth
        self.distances = distances
        self.nodes = sorted((n for n in distances if n != start), key=lambda n: (distances[n], n))

    def __iter__(self) -> Iterator[str]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    def __contains__(self, node: object) -> bool:
        return node in self.distances and node != self.start

    def __repr__(self) -> str:
        return f"<{self.query} of {self.start}: {len(self.nodes)} nodes>"

    def of_kind(self, kind: str) -> list[str]:
        return [n for n in self.nodes if self.lineage.kind(n) == kind]

    @property
    def datasets(self) -> list[str]:
        return self.of_kind("dataset")

    @property
    def runs(self) -> list[str]:
        return self.of_kind("run")

    @property
    def subgraph(self) -> Any:
        return self.lineage.graph.subgraph(self.distances)

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "node": node_summary(self.lineage, self.start),
            "depth": self.depth,
            "count": len(self.nodes),
            "nodes": [
                {**node_summary(self.lineage, n), "distance": self.distances[n]} for n in self.nodes
            ],
        }

    def __str__(self) -> str:
        lg = self.lineage
        lines = [f"{self.query} of {lg.label_of(self.start)}: {len(self.nodes)} nodes"]
        order = ("dataset", "run", "transform", "schema", "job")
        by_kind: dict[str, list[str]] = {}
        for n in self.nodes:
            by_kind.setdefault(lg.kind(n), []).append(n)
        for kind in sorted(by_kind, key=lambda k: order.index(k) if k in order else 99):
            lines.append(f"{kind}s ({len(by_kind[kind])}):")
            for n in by_kind[kind]:
                lines.append(f"  {_describe(lg, n)}  [{self.distances[n]}]")
        return "\n".join(lines)


def _describe(lg: LineageGraph, node: str) -> str:
    attrs = lg.graph.nodes[node]
    kind = attrs.get("kind")
    if kind == "dataset":
        bits = [lg.label_of(node)]
        if "rows" in attrs:
            bits.append(f"{attrs['rows']:,} rows")
        if attrs.get("storage") == "memory":
            bits.append("in memory")
        return ", ".join(bits[:1]) + (f" ({', '.join(bits[1:])})" if len(bits) > 1 else "")
    if kind == "run":
        when = str(attrs.get("end") or attrs.get("start") or "")[:19].replace("T", " ")
        return f"run {node[4:12]} {attrs.get('job')} {attrs.get('state')} {when}".rstrip()
    return lg.label_of(node)


# -- validations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Validation:
    """One recorded validation of a dataset version against a schema version."""

    dataset: str
    schema: str
    valid: bool | None
    failures: int | None
    run: str
    time: str
    via: str | None = None  # the dataset (of several files) that was validated, if not itself

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "schema": self.schema,
            "valid": self.valid,
            "failures": self.failures,
            "run": self.run,
            "time": self.time,
            "via": self.via,
        }

    def __str__(self) -> str:
        verdict = {True: "valid", False: "INVALID", None: "checked"}[self.valid]
        fails = f", {self.failures} failing rows" if self.failures else ""
        via = f" (as part of {self.via})" if self.via else ""
        return f"{self.schema}: {verdict}{fails} in run {self.run[4:12]} at {self.time[:19]}{via}"


def validations_of(lg: LineageGraph, node: str) -> list[Validation]:
    graph = lg.graph
    out: list[Validation] = []
    targets = [(node, None)] + [
        (s, s) for s, keys in graph._succ[node].items() if "part_of" in keys
    ]
    for ds, via in targets:
        for schema, keys in graph._succ[ds].items():
            for key, attrs in keys.items():
                if not key.startswith("validated_by"):
                    continue
                out.append(
                    Validation(
                        dataset=node,
                        schema=lg.label(schema),
                        valid=attrs.get("valid"),
                        failures=attrs.get("failures"),
                        run=str(attrs.get("run", "")),
                        time=str(attrs.get("time", "")),
                        via=lg.label_of(via) if via else None,
                    )
                )
    out.sort(key=lambda v: v.time)
    return out


# -- provenance ----------------------------------------------------------------------------


class Provenance:
    """Where an artifact came from: a tree from it back to raw files.

    :attr:`tree` is nested dicts: a dataset has ``validated_by``, ``members`` (files of a
    dataset made of several files) and ``produced_by`` (the run that wrote it, with its
    ``code``, ``parameters`` and ``inputs``, each a dataset again). A dataset met twice is
    shown once and then as ``{"id": ..., "seen": true}``.
    """

    def __init__(self, lg: LineageGraph, node: str, tree: dict[str, Any], note: str | None) -> None:
        self.lineage = lg
        self.node = node
        self.tree = tree
        self.note = note

    def _walk(self, item: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        item = item or self.tree
        yield item
        for m in item.get("members", ()):
            yield from self._walk(m)
        run = item.get("produced_by")
        if run:
            for i in run.get("inputs", ()):
                yield from self._walk(i)

    def raw_files(self) -> list[dict[str, Any]]:
        """The leaves: recorded datasets that no recorded run produced, with their hashes."""
        out, seen = [], set()
        for item in self._walk():
            if item.get("seen") or item["id"] in seen:
                continue
            if not item.get("produced_by") and not item.get("members"):
                seen.add(item["id"])
                out.append(
                    {
                        "id": item["id"],
                        "name": item.get("name"),
                        "hash": item.get("hash"),
                        "rows": item.get("rows"),
                    }
                )
        return out

    def schemas(self) -> list[str]:
        """Every schema version that validated a step of the chain."""
        found = {v["schema"] for item in self._walk() for v in item.get("validated_by", ())}
        return sorted(found)

    def code(self) -> list[str]:
        """Every transform that ran along the chain (``name@fingerprint``)."""
        found = set()
        for item in self._walk():
            run = item.get("produced_by")
            if run:
                found.update(run.get("code", ()))
        return sorted(found)

    def to_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "note": self.note,
            "raw_files": self.raw_files(),
            "schemas": self.schemas(),
            "code": self.code(),
            "tree": self.tree,
        }

    def __str__(self) -> str:
        lines: list[str] = []
        _render_dataset(self.tree, lines, "", "", True)
        if self.note:
            lines.append(f"note: {self.note}")
        return "\n".join(lines)


def _dataset_line(item: dict[str, Any]) -> str:
    text = str(item["label"])
    extras = []
    if item.get("rows") is not None:
        extras.append(f"{item['rows']:,} rows")
    if item.get("storage") == "memory":
        extras.append("in memory")
    if not item.get("produced_by") and not item.get("members") and not item.get("seen"):
        extras.append("raw")
    if extras:
        text += f" ({', '.join(extras)})"
    for v in item.get("validated_by", ()):
        mark = {True: "✓", False: "✗", None: "?"}[v["valid"]]
        text += f"  {mark} {v['schema']}"
    if item.get("seen"):
        text += "  (see above)"
    return text


def _render_dataset(
    item: dict[str, Any], lines: list[str], prefix: str, branch: str, root: bool
) -> None:
    lines.append(("" if root else prefix + branch) + _dataset_line(item))
    child_prefix = "" if root else prefix + ("    " if branch == "└── " else "│   ")
    children: list[tuple[str, Any]] = [("member", m) for m in item.get("members", ())]
    if item.get("produced_by"):
        children.append(("run", item["produced_by"]))
    for i, (what, child) in enumerate(children):
        last = i == len(children) - 1
        b = "└── " if last else "├── "
        if what == "member":
            _render_dataset(child, lines, child_prefix, b, False)
        else:
            _render_run(child, lines, child_prefix, b)


def _render_run(run: dict[str, Any], lines: list[str], prefix: str, branch: str) -> None:
    when = str(run.get("time") or "")[:19].replace("T", " ")
    head = f"produced by {run['job']} run {run['id'][4:12]} ({run['state']}{', ' + when if when else ''})"
    if run.get("other_runs"):
        head += f" [+{run['other_runs']} other runs]"
    lines.append(prefix + branch + head)
    inner = prefix + ("    " if branch == "└── " else "│   ")
    rows: list[tuple[str, Any]] = [("code", c) for c in run.get("code", ())]
    if run.get("parameters"):
        params = ", ".join(f"{k}={v}" for k, v in sorted(run["parameters"].items()))
        rows.append(("params", params))
    rows.extend(("input", i) for i in run.get("inputs", ()))
    for i, (what, value) in enumerate(rows):
        b = "└── " if i == len(rows) - 1 else "├── "
        if what == "code":
            lines.append(inner + b + f"code: {value}")
        elif what == "params":
            lines.append(inner + b + f"parameters: {value}")
        else:
            _render_dataset(value, lines, inner, b, False)


def build_provenance(lg: LineageGraph, node: str, note: str | None) -> Provenance:
    seen: set[str] = set()
    kind = lg.kind(node)
    if kind == "run":
        tree = _dataset_stub(lg, node)
        tree["produced_by"] = _run_entry(lg, node, seen, 0)
        return Provenance(lg, node, tree, note)
    if kind != "dataset":
        raise LineageError(
            f"provenance is for datasets and runs; {node} is a {kind}",
            hint="use `datalife lineage downstream` for what a schema or transform produced.",
        )
    return Provenance(lg, node, _dataset_entry(lg, node, seen, 0), note)


def _dataset_stub(lg: LineageGraph, node: str) -> dict[str, Any]:
    attrs = lg.graph.nodes[node]
    out: dict[str, Any] = {"id": node, "label": lg.label_of(node)}
    for key in ("name", "hash", "rows", "storage"):
        if key in attrs:
            out[key] = attrs[key]
    return out


_MAX_DEPTH = 200


def _dataset_entry(lg: LineageGraph, node: str, seen: set[str], depth: int) -> dict[str, Any]:
    entry = _dataset_stub(lg, node)
    if node in seen:
        entry["seen"] = True
        return entry
    seen.add(node)
    validations = [
        {"schema": v.schema, "valid": v.valid, "failures": v.failures, "run": v.run, "via": v.via}
        for v in validations_of(lg, node)
    ]
    if validations:
        entry["validated_by"] = _latest_per_schema(validations)
    if depth > _MAX_DEPTH:
        entry["truncated"] = True
        return entry
    members = [p for p, keys in lg.graph._pred[node].items() if "part_of" in keys]
    if members:
        entry["members"] = [_dataset_entry(lg, m, seen, depth + 1) for m in sorted(members)]
    producers = lg.producers(node)
    if producers:
        run = _run_entry(lg, producers[0], seen, depth + 1)
        if len(producers) > 1:
            run["other_runs"] = len(producers) - 1
        entry["produced_by"] = run
    return entry


def _latest_per_schema(validations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    latest: dict[str, dict[str, Any]] = {}
    for v in validations:  # sorted by time already
        if v["via"] is None:
            del v["via"]
        latest[v["schema"]] = v
    return list(latest.values())


def _run_entry(lg: LineageGraph, run: str, seen: set[str], depth: int) -> dict[str, Any]:
    attrs = lg.graph.nodes[run]
    info = lg.run_info(run)
    entry: dict[str, Any] = {
        "id": run,
        "job": attrs.get("job"),
        "state": attrs.get("state"),
        "time": attrs.get("end") or attrs.get("start"),
    }
    code = [lg.label(t) for t in info.get("code", ())]
    if code:
        entry["code"] = code
    if info.get("parameters"):
        entry["parameters"] = info["parameters"]
    if attrs.get("error"):
        entry["error"] = attrs["error"]
    entry["inputs"] = [_dataset_entry(lg, i, seen, depth + 1) for i in sorted(lg.inputs_of(run))]
    return entry


# -- history -------------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionInfo:
    """One version of a dataset: when it was first and last seen, who made it, its verdicts."""

    node: str
    hash: str
    first_seen: str
    last_seen: str
    rows: int | None
    produced_by: list[str]
    consumed_by: int
    validations: list[Validation] = field(default_factory=list)
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "name": self.name,
            "hash": self.hash,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "rows": self.rows,
            "produced_by": self.produced_by,
            "consumed_by": self.consumed_by,
            "validations": [v.to_dict() for v in self.validations],
        }


@dataclass(frozen=True)
class History:
    """The versions of one path or dataset name, oldest first."""

    name: str
    versions: list[VersionInfo]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "versions": [v.to_dict() for v in self.versions]}

    def __str__(self) -> str:
        n = len(self.versions)
        lines = [f"{self.name}: {n} version{'' if n == 1 else 's'}"]
        for v in self.versions:
            verdicts = ", ".join(
                f"{x.schema} {'✓' if x.valid else '✗' if x.valid is False else '?'}"
                for x in v.validations
            )
            made = (
                f"made by {', '.join(r[4:12] for r in v.produced_by)}" if v.produced_by else "raw"
            )
            rows = f"{v.rows:,} rows, " if v.rows is not None else ""
            path = f"{v.name}  " if v.name and v.name != self.name else ""
            lines.append(
                f"  {v.hash[:12]}  {v.first_seen[:19].replace('T', ' ')}  {path}{rows}{made}"
                + (f"  {verdicts}" if verdicts else "")
            )
        return "\n".join(lines)


def build_history(lg: LineageGraph, dataset: str) -> History:
    """The versions of a path or dataset name, oldest first.

    A workspace dataset whose files were only ever recorded one by one (``datalife validate
    data/2007.csv``) has the versions of those files. A name shared by a dataset and its
    schema (or a job) means the dataset: history is about data.
    """
    versions = lg.versions(dataset)
    if not versions:
        versions = _workspace_dataset_versions(lg, dataset)
        if versions:
            return History(dataset, [_version_info(lg, v) for v in versions])
    if not versions:
        try:
            node: str | None = lg.resolve(dataset)
        except AmbiguousNode:  # only other kinds share the name (a schema and a job)
            node = None
        if node is None or lg.kind(node) != "dataset":
            other = f" ({node} is a {lg.kind(node)} of that name)" if node else ""
            raise LineageError(
                f"no version of a dataset named {dataset!r} is recorded{other}",
                hint="history is about data: name a recorded path or dataset (`datalife lineage "
                "show` lists them); `datalife validate` records the files it reads.",
            )
        versions = lg.versions(str(lg.graph.nodes[node]["name"]))
    name = str(lg.graph.nodes[versions[0]]["name"])
    return History(name, [_version_info(lg, v) for v in versions])


def _version_info(lg: LineageGraph, v: str) -> VersionInfo:
    attrs = lg.graph.nodes[v]
    return VersionInfo(
        node=v,
        hash=str(attrs.get("hash", "")),
        first_seen=str(attrs.get("first_seen", "")),
        last_seen=str(attrs.get("last_seen", "")),
        rows=attrs.get("rows"),
        produced_by=lg.producers(v),
        consumed_by=len(lg.consumers(v)),
        validations=validations_of(lg, v),
        name=str(attrs.get("name", "")),
    )


def _workspace_dataset_versions(lg: LineageGraph, dataset: str) -> list[str]:
    """Recorded file versions matching the globs of workspace dataset ``dataset``, oldest first."""
    if lg.root is None:
        return []
    from datalife.config import Workspace
    from datalife.errors import DatalifeError

    try:
        found = Workspace.locate(lg.root)
        ws = Workspace.load(found) if found is not None else None
    except DatalifeError:  # a broken config: history still answers by recorded names
        return []
    if ws is None or dataset not in ws.config.datasets:
        return []
    attrs = lg.graph.nodes
    nodes = [
        n
        for n, a in attrs(data=True)
        if a.get("kind") == "dataset"
        and a.get("storage") == "file"
        and dataset in ws.datasets_for(ws.root / str(a.get("name", "")))
    ]
    return sorted(nodes, key=lambda n: (attrs[n].get("first_seen", ""), n))


# -- columns -------------------------------------------------------------------------------


@dataclass
class ColumnProvenance:
    """Where one column of a dataset version comes from.

    ``sources`` are the columns it was computed from (each a :class:`ColumnProvenance`
    again); a column with no sources is a raw column.
    """

    dataset: str
    column: str
    label: str
    run: str | None = None
    sources: list[ColumnProvenance] = field(default_factory=list)

    def raw_columns(self) -> list[tuple[str, str]]:
        """The leaves: ``(dataset node, column)`` pairs the column ultimately comes from."""
        if not self.sources:
            return [(self.dataset, self.column)]
        out: list[tuple[str, str]] = []
        for s in self.sources:
            for pair in s.raw_columns():
                if pair not in out:
                    out.append(pair)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "column": self.column,
            "run": self.run,
            "raw_columns": [{"dataset": d, "column": c} for d, c in self.raw_columns()],
            "sources": [s.to_dict() for s in self.sources],
        }

    def __str__(self) -> str:
        lines: list[str] = []
        self._render(lines, "", "", True)
        return "\n".join(lines)

    def _render(self, lines: list[str], prefix: str, branch: str, root: bool) -> None:
        via = f"  (run {self.run[4:12]})" if self.run else ""
        leaf = "  raw" if not self.sources else ""
        lines.append(("" if root else prefix + branch) + f"{self.label}.{self.column}{via}{leaf}")
        inner = "" if root else prefix + ("    " if branch == "└── " else "│   ")
        for i, s in enumerate(self.sources):
            s._render(lines, inner, "└── " if i == len(self.sources) - 1 else "├── ", False)


def build_column_provenance(lg: LineageGraph, node: str, column: str) -> ColumnProvenance:
    """The provenance of ``column`` of dataset version ``node``.

    Raises:
        LineageError: the dataset version has no such column, or nothing tells which columns
            it has (no fields recorded, no column lineage, and the file at that version is
            not on disk): an answer would be invented.
    """
    if lg.kind(node) != "dataset":
        raise LineageError(
            f"column provenance is for datasets; {node} is a {lg.kind(node)}",
            column=column,
            hint="name a dataset by path, path@hash or dataset name.",
        )
    lineage = lg.column_lineage(node)
    if column not in lineage:
        names = known_columns(lg, node)
        label = lg.label_of(node)
        if names is None:
            raise LineageError(
                f"cannot tell whether {label} has a column {column!r}: no fields or column "
                "lineage were recorded for it, and the file at that version is not on disk",
                column=column,
                hint="record the dataset's fields (run.output(..., fields=[...])), or ask about "
                "a version whose file is on disk.",
            )
        if column not in names:
            near = closest(column, names)
            shown = ", ".join(names) if names else "none"
            raise LineageError(
                f"{label} has no column {column!r} (columns: {shown})",
                column=column,
                hint=f"did you mean {', '.join(near)}?" if near else "check the column name.",
            )
    return _column(lg, node, column, set())


def known_columns(lg: LineageGraph, node: str) -> list[str] | None:
    """The columns of a dataset version, from what is known for certain, or None.

    In order: the recorded fields; the file itself when it is on disk at that version (CSV
    header, Parquet schema, first JSON line); the union of the members' columns for a
    dataset made of files. A derived column named in the column lineage is also a column.
    """
    found: list[str] | None = None
    fields = lg.fields(node)
    if fields is not None:
        found = [name for name, _ in fields]
    if found is None:
        found = _columns_on_disk(lg, node)
    if found is None:
        members = sorted(p for p, keys in lg.graph._pred[node].items() if "part_of" in keys)
        if members:
            union: list[str] = []
            for member in members:
                cols = known_columns(lg, member)
                if cols is None:
                    union = []
                    break
                union.extend(c for c in cols if c not in union)
            found = union or None
    if found is None:
        return None
    return found + [c for c in lg.column_lineage(node) if c not in found]


def _columns_on_disk(lg: LineageGraph, node: str) -> list[str] | None:
    """The column names in the file of ``node`` when it is on disk with the recorded hash."""
    path = lg.file_path(node)
    digest = str(lg.graph.nodes[node].get("hash", ""))
    if path is None or not digest or not path.is_file():
        return None
    from datalife.storage import hash_file

    try:
        if hash_file(path) != digest:
            return None
        return _header(path)
    except (OSError, ValueError):
        return None


def _header(path: Path) -> list[str] | None:
    import csv
    import json

    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return [str(n) for n in pq.read_schema(path).names]
    if suffix in (".csv", ".tsv"):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh, delimiter="\t" if suffix == ".tsv" else ","), None)
        return None if header is None else [str(h) for h in header]
    if suffix in (".jsonl", ".ndjson"):
        with open(path, encoding="utf-8") as fh:
            first = fh.readline()
        record = json.loads(first) if first.strip() else None
        return [str(k) for k in record] if isinstance(record, dict) else None
    return None


def _column(
    lg: LineageGraph, node: str, column: str, seen: set[tuple[str, str]]
) -> ColumnProvenance:
    result = ColumnProvenance(node, column, lg.label_of(node) if node in lg.graph else node)
    if (node, column) in seen or node not in lg.graph:
        return result
    seen.add((node, column))
    lineage = lg.column_lineage(node)
    producers = lg.producers(node)
    if column in lineage:
        result.run = producers[0] if producers else None
        for src_node, src_col in lineage[column]:
            if src_node not in lg.graph:  # an input named in the lineage but not recorded
                versions = lg.versions(src_node.removeprefix("dataset:"))
                src_node = versions[-1] if versions else src_node
            result.sources.append(_column(lg, src_node, src_col, seen))
        return result
    members = [p for p, keys in lg.graph._pred[node].items() if "part_of" in keys]
    if members:
        result.sources = [_column(lg, m, column, seen) for m in sorted(members)]
        return result
    if producers:  # no recorded lineage for the column: it passes through unchanged
        run = producers[0]
        inputs = lg.inputs_of(run)
        having = [
            i for i in inputs if (f := lg.fields(i)) is not None and column in {n for n, _ in f}
        ]
        if not having and len(inputs) == 1 and lg.fields(inputs[0]) is None:
            having = inputs
        if having:
            result.run = run
            result.sources = [_column(lg, i, column, seen) for i in sorted(having)]
    return result


# -- show / summary ------------------------------------------------------------------------


def describe_node(lg: LineageGraph, node: str) -> dict[str, Any]:
    graph = lg.graph
    info = node_summary(lg, node)
    incoming = [
        {"type": attrs.get("type", key), "from": src, **_edge_extra(attrs)}
        for src, keys in graph._pred[node].items()
        for key, attrs in keys.items()
    ]
    outgoing = [
        {"type": attrs.get("type", key), "to": dst, **_edge_extra(attrs)}
        for dst, keys in graph._succ[node].items()
        for key, attrs in keys.items()
    ]
    info["in"] = sorted(incoming, key=lambda e: (e["type"], e["from"]))
    info["out"] = sorted(outgoing, key=lambda e: (e["type"], e["to"]))
    fields = lg.fields(node)
    if fields is not None:
        info["fields"] = [{"name": n, "type": t} for n, t in fields]
    lineage = lg.column_lineage(node)
    if lineage:
        info["column_lineage"] = {
            out: [{"dataset": d, "column": c} for d, c in srcs] for out, srcs in lineage.items()
        }
    info.update(lg.run_info(node))
    return info


def _edge_extra(attrs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in attrs.items() if k != "type"}


def summarize(lg: LineageGraph) -> dict[str, Any]:
    graph = lg.graph
    kinds = Counter(k for _, k in graph.nodes(data="kind"))
    runs = [(n, a) for n, a in graph.nodes(data=True) if a.get("kind") == "run"]
    states = Counter(str(a.get("state")) for _, a in runs)
    runs.sort(key=lambda na: str(na[1].get("start") or na[1].get("end") or ""), reverse=True)
    latest = []
    for n, a in runs[:20]:
        latest.append(
            {
                "id": n,
                "job": a.get("job"),
                "state": a.get("state"),
                "start": a.get("start"),
                "end": a.get("end"),
                "inputs": len(lg.inputs_of(n)),
                "outputs": len(lg.outputs_of(n)),
            }
        )
    return {
        "nodes": graph.number_of_nodes(),
        "edges": graph.number_of_edges(),
        "kinds": dict(sorted(kinds.items())),
        "runs": dict(sorted(states.items())),
        "latest_runs": latest,
        "log_files": [lg.store.display(p) for p in lg.store.files()] if lg.store else [],
        "snapshot": getattr(lg.snapshot, "mode", None),
        "issues": [i.to_dict() for i in lg.issues],
    }
