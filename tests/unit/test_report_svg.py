"""Inline SVG charts and the lineage layout: escaping, conservation of counts, layering."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datalife.report.drift_view import common_edges, overlay
from datalife.report.lineage_svg import layered_layout, lineage_svg
from datalife.report.svg import (
    bar_chart_svg,
    fmt_number,
    histogram_svg,
    overlay_histogram_svg,
    paired_bars_svg,
    rebin,
    split_balance_svg,
    stacked_bar_svg,
)

EVIL = "<script>alert(1)</script>"


def parse(svg: str) -> ET.Element:
    """The SVG must be well-formed XML (so a browser draws it and no text escapes it)."""
    return ET.fromstring(svg)


def all_text(svg: str) -> str:
    return " ".join(t for t in parse(svg).itertext())


@pytest.mark.parametrize(
    "svg",
    [
        histogram_svg([0.0, 1.0, 2.0], [1, 2], title=EVIL),
        overlay_histogram_svg([0.0, 1.0, 2.0], [1, 2], [2, 1], title=EVIL, labels=(EVIL, EVIL)),
        bar_chart_svg([(EVIL, 3.0), ("b", 1.0)], title=EVIL, total=4.0),
        paired_bars_svg([EVIL], [0.5], [0.25], title=EVIL, names=(EVIL, "x")),
        stacked_bar_svg([(EVIL, [1.0, 2.0])], [EVIL, "b"], title=EVIL),
        split_balance_svg([(EVIL, 3, 2.5)], title=EVIL),
    ],
)
def test_charts_are_xml_and_escape_text(svg: str) -> None:
    root = parse(svg)
    assert root.tag.endswith("svg")
    assert "<script" not in svg
    assert EVIL in all_text(svg) or "…" in all_text(svg)  # drawn as text (maybe truncated)
    assert not any(el.tag.endswith("script") for el in root.iter())


def test_histogram_draws_one_bar_per_bin_with_tooltips() -> None:
    svg = histogram_svg([0.0, 1.0, 2.0, 3.0], [5, 0, 2])
    root = parse(svg)
    rects = [el for el in root.iter() if el.tag.endswith("rect")]
    assert len(rects) == 3
    tips = [el.text for el in root.iter() if el.tag.endswith("title")]
    assert "[0, 1): 5" in tips
    heights = [float(r.get("height", "0")) for r in rects]
    assert heights[0] > heights[2] > heights[1] == 0


def test_timestamp_edges_and_bad_shapes() -> None:
    svg = histogram_svg(["2024-01-01T00:00:00", "2024-02-01T00:00:00"], [3])
    assert "2024-01-01" in all_text(svg)
    assert "no values to draw" in all_text(histogram_svg([0.0, 1.0], [1, 2]))  # mismatched
    assert "no values to draw" in all_text(overlay_histogram_svg([], [], []))
    assert "no values to draw" in all_text(bar_chart_svg([]))
    assert "no values to draw" in all_text(stacked_bar_svg([], []))


def test_fmt_number() -> None:
    assert fmt_number(None) == "—"
    assert fmt_number(12_345) == "12,345"
    assert fmt_number(2009.0) == "2009"
    assert fmt_number(0.000012345) == "1.23e-05"
    assert fmt_number(float("inf")) == "inf"
    assert fmt_number(True) == "True"


finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@given(
    lo=finite,
    widths=st.lists(st.floats(0.0, 1e3), min_size=1, max_size=8),
    counts=st.data(),
    bins=st.integers(1, 30),
)
def test_rebin_keeps_every_count(
    lo: float, widths: list[float], counts: st.DataObject, bins: int
) -> None:
    edges = [lo]
    for w in widths:
        edges.append(edges[-1] + w)
    values = counts.draw(st.lists(st.integers(0, 1000), min_size=len(widths), max_size=len(widths)))
    new = common_edges(edges[0], edges[-1], bins)
    out = rebin(edges, values, new)
    assert len(out) == bins
    assert sum(out) == pytest.approx(sum(values), rel=1e-9, abs=1e-6)
    assert all(x >= 0 for x in out)


def test_overlay_aligns_both_sides_and_handles_kinds() -> None:
    a = {"kind": "numeric", "histogram": {"edges": [0.0, 5.0, 10.0], "counts": [4, 6]}}
    b = {"kind": "numeric", "histogram": {"edges": [5.0, 15.0], "counts": [10]}}
    o = overlay(a, b)
    assert o is not None and o["kind"] == "numeric"
    assert o["edges"][0] == 0.0 and o["edges"][-1] == 15.0
    assert sum(o["baseline"]) == pytest.approx(10) and sum(o["current"]) == pytest.approx(10)
    assert o["current"][0] == 0  # nothing below 5 on the current side
    cat_a = {"kind": "string", "top": [{"value": "x", "share": 0.7}, {"value": EVIL, "share": 0.3}]}
    cat_b = {
        "kind": "string",
        "top": [{"value": "x", "share": 0.2}, {"value": "new", "share": 0.8}],
    }
    c = overlay(cat_a, cat_b)
    assert c is not None and c["values"][:2] == ["new", "x"] and EVIL in c["values"]
    assert c["baseline"][c["values"].index("new")] == 0.0
    ts_a = {
        "kind": "timestamp",
        "histogram": {"edges": ["2024-01-01T00:00:00", "2024-01-02T00:00:00"], "counts": [2]},
    }
    t = overlay(ts_a, ts_a)
    assert t is not None and str(t["edges"][0]).startswith("2024-01-01")
    assert overlay(a, cat_a) is None  # kinds differ
    assert overlay({"kind": "numeric", "histogram": None}, a) is None
    assert overlay({"kind": "other"}, {"kind": "other"}) is None


dag_edges = st.lists(st.tuples(st.integers(0, 14), st.integers(0, 14)), max_size=40)


@given(pairs=dag_edges)
def test_layout_puts_every_edge_left_to_right_on_a_dag(pairs: list[tuple[int, int]]) -> None:
    edges = [{"source": f"n{min(a, b)}", "target": f"n{max(a, b)}"} for a, b in pairs if a != b]
    ids = sorted({e["source"] for e in edges} | {e["target"] for e in edges} | {"lonely"})
    nodes = [{"id": i, "kind": "dataset", "title": i} for i in ids]
    layout = layered_layout(nodes, edges)
    assert set(layout) == set(ids)
    for e in edges:
        assert layout[e["source"]][0] < layout[e["target"]][0]
    # positions within a layer are 0..k-1, each used once
    by_layer: dict[int, list[int]] = {}
    for layer, pos in layout.values():
        by_layer.setdefault(layer, []).append(pos)
    for positions in by_layer.values():
        assert sorted(positions) == list(range(len(positions)))


def test_layout_survives_cycles_and_unknown_ends() -> None:
    nodes = [{"id": x, "kind": "run", "title": x} for x in "abc"]
    edges = [
        {"source": "a", "target": "b"},
        {"source": "b", "target": "a"},
        {"source": "b", "target": "c"},
        {"source": "c", "target": "ghost"},
        {"source": "c", "target": "c"},
    ]
    layout = layered_layout(nodes, edges)
    assert set(layout) == {"a", "b", "c"}
    assert layout["c"][0] > layout["a"][0]
    svg = lineage_svg(nodes, edges)
    parse(svg)
    assert lineage_svg([], []) == ""


def test_lineage_svg_styles_and_escapes() -> None:
    nodes = [
        {"id": "dataset:a.csv@1", "kind": "dataset", "title": EVIL, "subtitle": "dataset"},
        {"id": "run:1", "kind": "run", "title": "validate", "subtitle": "FAIL", "status": "FAIL"},
        {"id": "schema:s@1", "kind": "schema", "title": "s@1", "subtitle": "schema"},
        {"id": "transform:t@1", "kind": "transform", "title": "t", "subtitle": "transform"},
        {"id": "job:validate", "kind": "job", "title": "validate", "subtitle": "job"},
    ]
    edges: list[dict[str, Any]] = [
        {"source": "dataset:a.csv@1", "target": "run:1", "type": "consumed"},
        {
            "source": "dataset:a.csv@1",
            "target": "schema:s@1",
            "type": "validated_by",
            "valid": False,
        },
        {"source": "job:validate", "target": "run:1", "type": "executed"},
        {"source": "transform:t@1", "target": "run:1", "type": "ran"},
    ]
    svg = lineage_svg(nodes, edges)
    root = parse(svg)
    assert "<script" not in svg and EVIL in all_text(svg)
    paths = [el for el in root.iter() if el.tag.endswith("path") and el.get("marker-end")]
    assert len(paths) == 4
    bad = [p for p in paths if p.get("stroke") == "#dc2626"]
    assert len(bad) == 1 and bad[0].get("stroke-dasharray")
    assert re.search(r"stroke='#dc2626' stroke-width='2.2'", svg)  # the failed run's border
    layout = layered_layout(nodes, edges)
    assert layout["job:validate"][0] == layout["run:1"][0] - 1  # jobs sit next to their runs
