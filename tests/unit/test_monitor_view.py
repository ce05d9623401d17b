"""The monitoring chart of the HTML report (datalife.report.monitor_view)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from datalife.monitor.history import History, Series
from datalife.report.monitor_view import metric_chart_svg, monitor_section_html


def test_chart_marks_alarms_and_draws_the_threshold_where_there_is_one() -> None:
    svg = metric_chart_svg(
        [0.1, 0.11, 0.1, 0.9],
        [None, None, 0.2, 0.2],
        [False, False, False, True],
        ["b1", "b2", "b3", "b4"],
        title="x.psi",
        rule="learned: median + 3·1.4826·MAD",
    )
    root = ET.fromstring(svg)  # well-formed XML
    ns = "{http://www.w3.org/2000/svg}"
    alarms = [c for c in root.iter(f"{ns}circle") if c.get("class") == "alarm"]
    assert len(alarms) == 1
    tip = alarms[0].find(f"{ns}title")
    assert tip is not None and tip.text is not None
    assert tip.text.startswith("b4: 0.9 (threshold 0.2) ALARM: learned")
    dashed = [p for p in root.iter(f"{ns}polyline") if p.get("stroke-dasharray")]
    assert len(dashed) == 1
    xs = [float(pt.split(",")[0]) for pt in (dashed[0].get("points") or "").split()]
    assert min(xs) > 44  # starts at batch 3, not at the first batch (warming up)


def test_text_from_data_is_escaped_and_empty_series_say_so() -> None:
    svg = metric_chart_svg([1.0], [None], [False], ["<script>x</script>"], title="<b>")
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&lt;b&gt;" in svg
    assert "no values to draw" in metric_chart_svg([], [], [], [], title="t")


def test_section_has_one_chart_per_series() -> None:
    h = History(
        "obs",
        "lineage/monitor.duckdb",
        2,
        [{"seq": 1, "name": "a.csv", "alarms": 0}, {"seq": 2, "name": "b.csv", "alarms": 1}],
        [
            Series("", "x", "psi", [0.1, 0.5], [None, 0.2], [False, True], "learned", "rule"),
            Series("", "c", "linf", [0.0, 0.0], [None, 0.01], [False, False], "learned", "r2"),
        ],
    )
    html = monitor_section_html(h)
    assert html.count("<figure") == 2 and "1 alarm." in html
    assert len(re.findall("class='alarm'", html)) == 1
    assert monitor_section_html(h, only_alarmed=True).count("<figure") == 1
