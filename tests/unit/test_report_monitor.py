"""The report's monitoring section: a time chart per metric once batches are monitored."""

from __future__ import annotations

from pathlib import Path

from datalife.monitor import monitor
from datalife.report.collect import collect
from datalife.report.html import render_html


def test_monitoring_section_is_empty_then_charts(workspace: Path) -> None:
    before = collect(workspace, drift=False)
    assert before.monitor["status"] == "empty"
    assert "datalife monitor" in str(before.monitor["hint"])
    for batch in ("2007", "2008"):
        monitor("penguins", [workspace / "sample_data" / f"{batch}.csv"], workspace=workspace)
    data = collect(workspace, drift=False)
    assert data.monitor["status"] == "ok"
    (item,) = data.monitor["items"]
    assert item["dataset"] == "penguins" and item["batches"] == 2
    page = render_html(data.to_dict())
    assert "id='monitor'" in page and "monitor-chart" in page and "<svg" in page
    assert page.count("<h2>Monitoring") == 1
