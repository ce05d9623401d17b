"""Exports of the lineage graph: openlineage (JSON lines), graphml, dot, mermaid, json.

- ``openlineage``: the log's readable RunEvents as written, one per line, for Marquez or
  any OpenLineage consumer.
- ``graphml``: ``networkx.read_graphml(path, force_multigraph=True)`` gives back the same
  graph (nodes, edge keys, attributes).
- ``dot``: Graphviz (``dot -Tsvg lineage.dot``); ``mermaid``: a ``flowchart`` that GitHub
  renders inside a ```` ```mermaid ```` block; ``json``: nodes and edges with every detail.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator
from typing import TYPE_CHECKING, Any

from datalife.errors import LineageError

if TYPE_CHECKING:
    from datalife.lineage.graph import LineageGraph

__all__ = ["EXPORT_FORMATS", "export_lines", "graph_to_dict", "to_dot", "to_graphml", "to_mermaid"]

EXPORT_FORMATS = ("openlineage", "graphml", "dot", "mermaid", "json")
GRAPH_FORMAT_VERSION = 1

_STYLE = {  # kind -> (graphviz shape, fill colour)
    "dataset": ("box", "#dbeafe"),
    "run": ("ellipse", "#fef3c7"),
    "job": ("plaintext", "#ffffff"),
    "schema": ("hexagon", "#dcfce7"),
    "transform": ("parallelogram", "#f3e8ff"),
}


def _selected(lg: LineageGraph, nodes: Collection[str] | None) -> Any:
    return lg.graph if nodes is None else lg.graph.subgraph(nodes)


def graph_to_dict(lg: LineageGraph, nodes: Collection[str] | None = None) -> dict[str, Any]:
    """Nodes (with fields, column lineage and run details) and edges, JSON-ready."""
    from datalife.lineage.queries import node_summary

    g = _selected(lg, nodes)
    out_nodes = []
    for n in sorted(g.nodes):
        item = node_summary(lg, n)
        fields = lg.fields(n)
        if fields is not None:
            item["fields"] = [{"name": f, "type": t} for f, t in fields]
        lineage = lg.column_lineage(n)
        if lineage:
            item["column_lineage"] = {
                c: [{"dataset": d, "column": s} for d, s in src] for c, src in lineage.items()
            }
        item.update(lg.run_info(n))
        out_nodes.append(item)
    edges = [
        {"source": u, "target": v, "key": k, **attrs}
        for u, v, k, attrs in sorted(g.edges(keys=True, data=True), key=lambda e: e[:3])
    ]
    return {
        "format": "datalife-lineage-graph",
        "format_version": GRAPH_FORMAT_VERSION,
        "nodes": out_nodes,
        "edges": edges,
    }


def to_graphml(lg: LineageGraph, nodes: Collection[str] | None = None) -> Iterator[str]:
    """GraphML lines (networkx's writer; every attribute is a str/int/bool)."""
    import networkx as nx

    yield from nx.generate_graphml(_selected(lg, nodes), prettyprint=True)


_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def _visible(text: str) -> str:
    """Control characters (but newline) as ``\\xNN`` text."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _dot_str(text: str) -> str:
    r"""A DOT quoted string: backslashes, quotes, newlines and control characters escaped.

    Examples:
        >>> _dot_str('a"b\\l\nc\x00')
        '"a\\"b\\\\l\\nc\\\\x00"'
    """
    text = _visible(text)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(lg: LineageGraph, nodes: Collection[str] | None = None) -> Iterator[str]:
    """Graphviz DOT lines."""
    g = _selected(lg, nodes)
    yield "digraph lineage {"
    yield "  rankdir=LR;"
    yield '  node [fontname="Helvetica", fontsize=10, style=filled];'
    yield '  edge [fontname="Helvetica", fontsize=8];'
    for n in sorted(g.nodes):
        kind = lg.kind(n)
        shape, fill = _STYLE.get(kind, ("box", "#ffffff"))
        label = _dot_str(f"{kind}\n{lg.label_of(n)}")
        yield f'  {_dot_str(n)} [label={label}, shape={shape}, fillcolor="{fill}"];'
    for u, v, k, attrs in sorted(g.edges(keys=True, data=True), key=lambda e: e[:3]):
        etype = str(attrs.get("type", k))
        style = ", style=dashed" if etype in ("validated_by", "parent") else ""
        if etype == "validated_by" and attrs.get("valid") is False:
            style += ', color="#dc2626"'
        yield f"  {_dot_str(u)} -> {_dot_str(v)} [label={_dot_str(etype)}{style}];"
    yield "}"


_MERMAID_ENTITIES = {
    "#": "#35;",
    "&": "#amp;",
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "%": "#37;",  # no %%{init}%% directive or %% comment can come from a label
    "`": "#96;",  # no markdown string
    "|": "#124;",
    "\n": " ",
    "\r": " ",
}


def _mermaid_label(text: str) -> str:
    r"""Text safe inside a quoted Mermaid label: one line, no directive, no markup.

    Examples:
        >>> _mermaid_label('%%{init: {"theme": "dark"}}%%\n<b>x</b>')
        '#37;#37;{init: {#quot;theme#quot;: #quot;dark#quot;}}#37;#37; #lt;b#gt;x#lt;/b#gt;'
    """
    return "".join(_MERMAID_ENTITIES.get(c, c) for c in _visible(text))


_MERMAID_SHAPE = {
    "dataset": ('[("', '")]'),
    "run": ('(["', '"])'),
    "job": ('["', '"]'),
    "schema": ('{{"', '"}}'),
    "transform": ('[/"', '"/]'),
}


def to_mermaid(lg: LineageGraph, nodes: Collection[str] | None = None) -> Iterator[str]:
    """A Mermaid ``flowchart LR`` (paste it inside a ```` ```mermaid ```` block on GitHub)."""
    g = _selected(lg, nodes)
    ids: dict[str, str] = {}
    yield "flowchart LR"
    by_kind: dict[str, list[str]] = {}
    for i, n in enumerate(sorted(g.nodes)):
        ids[n] = f"n{i}"
        kind = lg.kind(n)
        left, right = _MERMAID_SHAPE.get(kind, ('["', '"]'))
        yield f"  n{i}{left}{_mermaid_label(lg.label_of(n))}{right}"
        by_kind.setdefault(kind, []).append(f"n{i}")
    for u, v, k, attrs in sorted(g.edges(keys=True, data=True), key=lambda e: e[:3]):
        etype = str(attrs.get("type", k))
        arrow = "-.->" if etype in ("validated_by", "parent") else "-->"
        yield f'  {ids[u]} {arrow}|"{_mermaid_label(etype)}"| {ids[v]}'
    for kind, members in sorted(by_kind.items()):
        _, fill = _STYLE.get(kind, ("box", "#ffffff"))
        yield f"  classDef {kind} fill:{fill},stroke:#333"
        yield f"  class {','.join(members)} {kind}"


def export_lines(lg: LineageGraph, fmt: str, nodes: Collection[str] | None = None) -> Iterator[str]:
    """The export in format ``fmt``, as lines of text (each without its newline).

    Raises:
        LineageError: an unknown format, or ``openlineage`` without a log to read.
    """
    if fmt == "json":
        yield json.dumps(graph_to_dict(lg, nodes), indent=2, sort_keys=False)
    elif fmt == "graphml":
        yield from to_graphml(lg, nodes)
    elif fmt == "dot":
        yield from to_dot(lg, nodes)
    elif fmt == "mermaid":
        yield from to_mermaid(lg, nodes)
    elif fmt == "openlineage":
        if lg.store is None:
            raise LineageError("this graph was not read from a lineage log; nothing to export")
        runs = None if nodes is None else {n[4:] for n in nodes if n.startswith("run:")}
        for raw in lg.store.raw_lines([]):
            line = raw.decode("utf-8").rstrip("\n")
            if runs is None or _run_id(line) in runs:
                yield line
    else:
        raise LineageError(
            f"unknown export format {fmt!r}", hint=f"use one of {', '.join(EXPORT_FORMATS)}."
        )


def _run_id(line: str) -> str:
    try:
        return str(json.loads(line)["run"]["runId"])
    except (ValueError, KeyError, TypeError):
        return ""
