"""The lineage graph as an SVG picture: a layered left-to-right layout from networkx.

Layers are networkx's ``topological_generations`` (a cyclic graph is layered through its
condensation), so every arrow points right: raw files on the left, the runs that read them
next, then what those runs wrote. Within a layer, nodes are ordered by a few barycenter
sweeps (each node moves towards the average position of its neighbours), which removes
most edge crossings on graphs of this size.

Input is JSON-ready: nodes ``{"id", "kind", "title", "subtitle", "status"}`` and edges
``{"source", "target", "type", "valid"}`` (see :func:`datalife.report.collect.lineage_picture`).

Examples:
    >>> nodes = [
    ...     {"id": "a", "kind": "dataset", "title": "raw.csv", "subtitle": "dataset"},
    ...     {"id": "r", "kind": "run", "title": "clean", "subtitle": "run"},
    ...     {"id": "b", "kind": "dataset", "title": "<b>clean</b>", "subtitle": "dataset"},
    ... ]
    >>> edges = [{"source": "a", "target": "r", "type": "consumed"},
    ...          {"source": "r", "target": "b", "type": "produced"}]
    >>> layered_layout(nodes, edges)
    {'a': (0, 0), 'r': (1, 0), 'b': (2, 0)}
    >>> svg = lineage_svg(nodes, edges)
    >>> "&lt;b&gt;clean" in svg and "<b>" not in svg
    True
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from datalife.report.svg import AXIS_COLOR, FONT, TEXT_COLOR
from datalife.report.svg import esc as _html_esc

# characters XML does not allow (and terminals act on): shown as \xNN text
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def esc(value: object) -> str:
    r"""``value`` as SVG text: HTML-escaped, with control characters shown as ``\xNN``.

    Examples:
        >>> esc("<a href='x'>\x1b[2J</a>")
        '&lt;a href=&#x27;x&#x27;&gt;\\x1b[2J&lt;/a&gt;'
    """
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))
    return _html_esc(text)


__all__ = ["KIND_STYLE", "layered_layout", "lineage_svg"]

#: kind -> (fill, stroke)
KIND_STYLE: dict[str, tuple[str, str]] = {
    "dataset": ("#dbeafe", "#3b82f6"),
    "run": ("#fef3c7", "#d97706"),
    "job": ("#f6f8fa", "#8b949e"),
    "schema": ("#dcfce7", "#16a34a"),
    "transform": ("#f3e8ff", "#9333ea"),
}
_KIND_ORDER = {"job": 0, "transform": 1, "dataset": 2, "run": 3, "schema": 4}
NODE_W, NODE_H, GAP_X, GAP_Y, MARGIN = 200.0, 40.0, 110.0, 14.0, 16.0
LEGEND_H = 30.0


def _digraph(nodes: Sequence[Mapping[str, Any]], edges: Sequence[Mapping[str, Any]]) -> Any:
    import networkx as nx

    g = nx.DiGraph()
    for n in nodes:
        g.add_node(str(n["id"]))
    for e in edges:
        u, v = str(e["source"]), str(e["target"])
        if u != v and u in g and v in g:
            g.add_edge(u, v)
    return g


def _layers(g: Any) -> list[list[str]]:
    import networkx as nx

    if nx.is_directed_acyclic_graph(g):
        return [sorted(gen) for gen in nx.topological_generations(g)]
    cond = nx.condensation(g)
    members = cond.graph["mapping"]  # node -> component
    by_comp: dict[int, list[str]] = {}
    for node, comp in members.items():
        by_comp.setdefault(comp, []).append(node)
    return [
        sorted(n for comp in gen for n in by_comp[comp]) for gen in nx.topological_generations(cond)
    ]


def _pull_sources(g: Any, layers: list[list[str]]) -> list[list[str]]:
    """Move each source node (a job, a raw file) next to the earliest node it feeds.

    Topological generations put every source in the first layer, so a job would sit far to
    the left of its run; one layer before its first successor keeps its arrows short.
    """
    level = {n: i for i, layer in enumerate(layers) for n in layer}
    for n in list(level):
        succ = [level[m] for m in g.successors(n)]
        if g.in_degree(n) == 0 and succ:
            level[n] = max(min(succ) - 1, 0)
    out: list[list[str]] = [[] for _ in layers]
    for n, i in level.items():
        out[i].append(n)
    return [sorted(layer) for layer in out if layer]


def layered_layout(
    nodes: Sequence[Mapping[str, Any]], edges: Sequence[Mapping[str, Any]], sweeps: int = 4
) -> dict[str, tuple[int, int]]:
    """``{node id: (layer, position in layer)}``: layers by topological generation."""
    g = _digraph(nodes, edges)
    if g.number_of_nodes() == 0:
        return {}
    info = {str(n["id"]): n for n in nodes}

    def initial_key(node: str) -> tuple[int, str, str]:
        n = info.get(node, {})
        return (_KIND_ORDER.get(str(n.get("kind")), 9), str(n.get("title", "")), node)

    layers = _pull_sources(g, _layers(g))
    layers = [sorted(layer, key=initial_key) for layer in layers]
    pos = {n: float(i) for layer in layers for i, n in enumerate(layer)}
    for sweep in range(sweeps):
        down = sweep % 2 == 0
        order = layers[1:] if down else list(reversed(layers[:-1]))
        for layer in order:
            bary: dict[str, float] = {}
            for n in layer:
                nbrs = list(g.predecessors(n)) if down else list(g.successors(n))
                bary[n] = sum(pos[m] for m in nbrs) / len(nbrs) if nbrs else pos[n]
            layer.sort(key=lambda n: (bary[n], initial_key(n)))
            for i, n in enumerate(layer):
                pos[n] = float(i)
    return {n: (li, i) for li, layer in enumerate(layers) for i, n in enumerate(layer)}


def _shape(kind: str, x: float, y: float, fill: str, stroke: str, width: float) -> str:
    w, h = NODE_W, NODE_H
    common = f"fill='{fill}' stroke='{stroke}' stroke-width='{width}'"
    if kind == "run":
        return f"<rect x='{x}' y='{y}' width='{w}' height='{h}' rx='{h / 2}' {common}/>"
    if kind == "schema":
        c = 10.0
        pts = (
            f"{x + c},{y} {x + w - c},{y} {x + w},{y + h / 2} {x + w - c},{y + h} "
            f"{x + c},{y + h} {x},{y + h / 2}"
        )
        return f"<polygon points='{pts}' {common}/>"
    if kind == "transform":
        s = 8.0
        pts = f"{x + s},{y} {x + w},{y} {x + w - s},{y + h} {x},{y + h}"
        return f"<polygon points='{pts}' {common}/>"
    dash = " stroke-dasharray='4,3'" if kind == "job" else ""
    return f"<rect x='{x}' y='{y}' width='{w}' height='{h}' rx='5' {common}{dash}/>"


def _fit(text: str, limit: int, *, keep_end: bool = False) -> str:
    if len(text) <= limit:
        return text
    return "…" + text[-(limit - 1) :] if keep_end else text[: limit - 1] + "…"


def lineage_svg(
    nodes: Sequence[Mapping[str, Any]],
    edges: Sequence[Mapping[str, Any]],
    *,
    title: str = "lineage graph",
) -> str:
    """Draw the graph: node boxes styled by kind, arrows in the direction data flows.

    ``validated_by`` edges are dashed (green, or red when the validation failed); a run that
    failed has a red border. Hovering a node shows its full id.
    """
    layout = layered_layout(nodes, edges)
    if not layout:
        return ""
    n_layers = max(li for li, _ in layout.values()) + 1
    per_layer = [0] * n_layers
    for li, _ in layout.values():
        per_layer[li] += 1
    tallest = max(per_layer)
    width = 2 * MARGIN + n_layers * NODE_W + (n_layers - 1) * GAP_X
    width = max(width, 660.0)
    height = LEGEND_H + 2 * MARGIN + tallest * NODE_H + (tallest - 1) * GAP_Y
    xy: dict[str, tuple[float, float]] = {}
    for node, (li, i) in layout.items():
        offset = (tallest - per_layer[li]) * (NODE_H + GAP_Y) / 2
        xy[node] = (
            MARGIN + li * (NODE_W + GAP_X),
            LEGEND_H + MARGIN + offset + i * (NODE_H + GAP_Y),
        )
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width:.0f} {height:.0f}' "
        f"width='100%' style='max-width:{width:.0f}px;min-width:{width * 0.65:.0f}px' "
        f"role='img' aria-label='{esc(title)}' "
        f"{FONT} font-size='11'><title>{esc(title)}</title>",
        "<defs>",
        *(
            f"<marker id='arrow-{name}' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='7' "
            f"markerHeight='7' orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' "
            f"fill='{color}'/></marker>"
            for name, color in (("flow", AXIS_COLOR), ("ok", "#16a34a"), ("bad", "#dc2626"))
        ),
        "</defs>",
        _legend(),
    ]
    drawn = [
        e
        for e in edges
        if str(e["source"]) in xy and str(e["target"]) in xy and e["source"] != e["target"]
    ]
    ports = _ports(drawn, xy)
    for i, e in enumerate(drawn):
        parts.append(_edge(e, xy[str(e["source"])], xy[str(e["target"])], ports[i]))
    info = {str(n["id"]): n for n in nodes}
    for node, (x, y) in xy.items():
        parts.append(_node(info[node], x, y))
    parts.append("</svg>")
    return "".join(parts)


def _ports(
    edges: Sequence[Mapping[str, Any]], xy: Mapping[str, tuple[float, float]]
) -> list[tuple[float, float]]:
    """Per edge, the y offsets of its ends: a node's edges spread along its side, in the order
    of the nodes at their other ends, so arrows into a busy node do not pile up on one point."""
    outgoing: dict[str, list[int]] = {}
    incoming: dict[str, list[int]] = {}
    for i, e in enumerate(edges):
        outgoing.setdefault(str(e["source"]), []).append(i)
        incoming.setdefault(str(e["target"]), []).append(i)
    starts = [NODE_H / 2] * len(edges)
    ends = [NODE_H / 2] * len(edges)
    for idx in outgoing.values():
        idx.sort(key=lambda i: (xy[str(edges[i]["target"])][1], i))
        for k, i in enumerate(idx):
            starts[i] = NODE_H * (k + 1) / (len(idx) + 1)
    for idx in incoming.values():
        idx.sort(key=lambda i: (xy[str(edges[i]["source"])][1], i))
        for k, i in enumerate(idx):
            ends[i] = NODE_H * (k + 1) / (len(idx) + 1)
    return list(zip(starts, ends, strict=True))


def _edge(
    e: Mapping[str, Any],
    a: tuple[float, float],
    b: tuple[float, float],
    port: tuple[float, float] = (NODE_H / 2, NODE_H / 2),
) -> str:
    etype = str(e.get("type", ""))
    x1, y1 = a[0] + NODE_W, a[1] + port[0]
    x2, y2 = b[0] - 2, b[1] + port[1]
    if x2 <= x1:  # same or earlier layer (a cycle): loop around below
        x1, x2 = a[0] + NODE_W / 2, b[0] + NODE_W / 2
        y1, y2 = a[1] + NODE_H, b[1] + NODE_H + 2
        d = f"M{x1:.1f},{y1:.1f} C{x1:.1f},{y1 + 40:.1f} {x2:.1f},{y2 + 40:.1f} {x2:.1f},{y2:.1f}"
    else:
        dx = (x2 - x1) / 2
        d = f"M{x1:.1f},{y1:.1f} C{x1 + dx:.1f},{y1:.1f} {x2 - dx:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
    if etype == "validated_by":
        bad = e.get("valid") is False
        color, marker = ("#dc2626", "bad") if bad else ("#16a34a", "ok")
        style = f"stroke='{color}' stroke-dasharray='5,3'"
    else:
        marker, style = "flow", f"stroke='{AXIS_COLOR}'"
        if etype in ("parent", "part_of"):
            style += " stroke-dasharray='2,3'"
    tip = f"{e['source']} —{etype}→ {e['target']}"
    return (
        f"<path d='{d}' fill='none' {style} stroke-width='1.3' marker-end='url(#arrow-{marker})'>"
        f"<title>{esc(tip)}</title></path>"
    )


def _node(n: Mapping[str, Any], x: float, y: float) -> str:
    kind = str(n.get("kind", ""))
    fill, stroke = KIND_STYLE.get(kind, ("#ffffff", AXIS_COLOR))
    width = 1.2
    status = n.get("status")
    if status in ("FAIL", "ABORT", "invalid"):
        stroke, width = "#dc2626", 2.2
    title = str(n.get("title", n["id"]))
    subtitle = str(n.get("subtitle", kind))
    return (
        f"<g class='node {esc(kind)}'><title>{esc(n['id'])}</title>"
        + _shape(kind, x, y, fill, stroke, width)
        + f"<text x='{x + NODE_W / 2}' y='{y + 16}' text-anchor='middle' fill='{TEXT_COLOR}' "
        f"font-weight='600'>{esc(_fit(title, 30, keep_end=kind == 'dataset'))}</text>"
        f"<text x='{x + NODE_W / 2}' y='{y + 31}' text-anchor='middle' fill='#57606a' "
        f"font-size='10'>{esc(_fit(subtitle, 34))}</text></g>"
    )


def _legend() -> str:
    parts = []
    x = MARGIN
    for kind in ("dataset", "run", "schema", "transform", "job"):
        fill, stroke = KIND_STYLE[kind]
        parts.append(
            f"<rect x='{x}' y='8' width='14' height='12' rx='3' fill='{fill}' stroke='{stroke}'/>"
            f"<text x='{x + 19}' y='18' fill='{TEXT_COLOR}'>{kind}</text>"
        )
        x += 30 + 7 * len(kind)
    parts.append(
        f"<line x1='{x}' y1='14' x2='{x + 26}' y2='14' stroke='#16a34a' stroke-dasharray='5,3' "
        f"stroke-width='1.3'/><text x='{x + 31}' y='18' fill='{TEXT_COLOR}'>validated</text>"
    )
    x += 100
    parts.append(
        f"<line x1='{x}' y1='14' x2='{x + 26}' y2='14' stroke='#dc2626' stroke-dasharray='5,3' "
        f"stroke-width='1.3'/><text x='{x + 31}' y='18' fill='{TEXT_COLOR}'>failed validation</text>"
    )
    return "".join(parts)
