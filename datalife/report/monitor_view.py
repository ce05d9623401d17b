"""The monitoring section of the HTML report: a time chart per metric, its threshold, its alarms.

:func:`metric_chart_svg` draws one series of :class:`~datalife.monitor.History`: the values as
a line over the batches, the threshold in force at each batch as a dashed step line (absent
while warming up), and each alarm as a red dot with a tooltip naming the batch, the value, the
threshold and its rule. :func:`monitor_section_html` puts one chart per series of a history in a
``<section>``. Self-contained SVG in the style of :mod:`datalife.report.svg`: no JavaScript,
every data-derived text escaped.

Examples:
    >>> svg = metric_chart_svg(
    ...     [0.1, 0.12, 0.5], [None, 0.2, 0.2], [False, False, True], ["b1", "b2", "<b3>"],
    ...     title="x.psi",
    ... )
    >>> svg.startswith("<svg") and svg.count("class='alarm'") == 1 and "&lt;b3&gt;" in svg
    True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from datalife.report.svg import AXIS_COLOR, BAR_COLOR, TEXT_COLOR, _open, esc, fmt_number

__all__ = ["ALARM_COLOR", "THRESHOLD_COLOR", "metric_chart_svg", "monitor_section_html"]

THRESHOLD_COLOR = "#b07aa1"
ALARM_COLOR = "#d62728"


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def metric_chart_svg(
    values: Sequence[float | None],
    thresholds: Sequence[float | None],
    alarms: Sequence[bool],
    batches: Sequence[str],
    *,
    title: str = "metric",
    rule: str | None = None,
    width: int = 480,
    height: int = 160,
) -> str:
    """One metric over the batches: values, the threshold line, alarms marked."""
    n = len(values)
    numbers = [float(v) for v in (*values, *thresholds) if v is not None and _finite(v)]
    if n == 0 or not numbers:
        return (
            _open(width, height, title)
            + f"<text x='{width / 2:.0f}' y='{height / 2:.0f}' text-anchor='middle' "
            f"fill='{AXIS_COLOR}'>no values to draw</text></svg>"
        )
    left, right, top, bottom = 44.0, 10.0, 18.0, 24.0
    plot_w, plot_h = width - left - right, height - top - bottom
    lo, hi = min(0.0, *numbers), max(numbers)
    if hi <= lo:
        hi = lo + 1.0
    hi += 0.05 * (hi - lo)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - lo) / (hi - lo))

    parts = [_open(width, height, title)]
    parts.append(
        f"<text x='{left}' y='12' fill='{TEXT_COLOR}' font-size='11' font-weight='600'>"
        f"{esc(title)}</text>"
    )
    base = top + plot_h
    parts.append(
        f"<line x1='{left}' y1='{base}' x2='{width - right}' y2='{base}' stroke='{AXIS_COLOR}'/>"
        f"<line x1='{left}' y1='{top}' x2='{left}' y2='{base}' stroke='{AXIS_COLOR}'/>"
    )
    for edge in (lo, hi):
        parts.append(
            f"<text x='{left - 4}' y='{y(edge) + 4:.1f}' text-anchor='end' fill='{TEXT_COLOR}' "
            f"font-size='10'>{esc(fmt_number(edge, 3))}</text>"
        )
    # the threshold: a dashed step line over the batches that had one
    steps: list[str] = []
    for i, t in enumerate(thresholds):
        if t is None or not _finite(t):
            if len(steps) > 1:
                parts.append(_polyline(steps, THRESHOLD_COLOR, dashed=True))
            steps = []
            continue
        x0 = x(i) - (plot_w / (2 * (n - 1)) if n > 1 else 0)
        x1 = x(i) + (plot_w / (2 * (n - 1)) if n > 1 else 0)
        steps += [f"{max(x0, left):.1f},{y(t):.1f}", f"{min(x1, width - right):.1f},{y(t):.1f}"]
    if len(steps) > 1:
        parts.append(_polyline(steps, THRESHOLD_COLOR, dashed=True))
    # the values
    line = [
        f"{x(i):.1f},{y(float(v)):.1f}"
        for i, v in enumerate(values)
        if v is not None and _finite(v)
    ]
    if len(line) > 1:
        parts.append(_polyline(line, BAR_COLOR))
    for i, v in enumerate(values):
        if v is None or not _finite(v):
            continue
        name = batches[i] if i < len(batches) else f"batch {i + 1}"
        limit = thresholds[i] if i < len(thresholds) else None
        alarm = i < len(alarms) and alarms[i]
        tip = f"{name}: {fmt_number(v)}" + (
            f" (threshold {fmt_number(limit)})" if limit is not None and _finite(limit) else ""
        )
        if alarm:
            tip += " ALARM" + (f": {rule}" if rule else "")
            parts.append(
                f"<circle class='alarm' cx='{x(i):.1f}' cy='{y(float(v)):.1f}' r='4.5' "
                f"fill='{ALARM_COLOR}'><title>{esc(tip)}</title></circle>"
            )
        else:
            parts.append(
                f"<circle cx='{x(i):.1f}' cy='{y(float(v)):.1f}' r='2.5' fill='{BAR_COLOR}'>"
                f"<title>{esc(tip)}</title></circle>"
            )
    first = batches[0] if batches else "1"
    last = batches[-1] if batches else str(n)
    parts.append(
        f"<text x='{left}' y='{height - 6}' fill='{TEXT_COLOR}' font-size='10'>"
        f"{esc(_short(first))}</text>"
        f"<text x='{width - right}' y='{height - 6}' text-anchor='end' fill='{TEXT_COLOR}' "
        f"font-size='10'>{esc(_short(last))}</text>"
    )
    parts.append(
        f"<line x1='{width - right - 150}' y1='9' x2='{width - right - 132}' y2='9' "
        f"stroke='{THRESHOLD_COLOR}' stroke-dasharray='4 3'/>"
        f"<text x='{width - right - 128}' y='12' fill='{TEXT_COLOR}' font-size='10'>threshold</text>"
        f"<circle cx='{width - right - 68}' cy='9' r='4' fill='{ALARM_COLOR}'/>"
        f"<text x='{width - right - 60}' y='12' fill='{TEXT_COLOR}' font-size='10'>alarm</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def _short(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


def _polyline(points: list[str], color: str, *, dashed: bool = False) -> str:
    dash = " stroke-dasharray='4 3'" if dashed else ""
    return (
        f"<polyline points='{' '.join(points)}' fill='none' stroke='{color}' "
        f"stroke-width='1.5'{dash}/>"
    )


def monitor_section_html(history: Any, *, only_alarmed: bool = False) -> str:
    """A ``<section>`` with one chart per series of a :class:`~datalife.monitor.History`."""
    names = [str(b.get("name") or b.get("seq")) for b in history.batches]
    charts = []
    for s in history.series:
        if only_alarmed and not any(s.alarms):
            continue
        charts.append(
            "<figure class='monitor-chart'>"
            + metric_chart_svg(s.values, s.thresholds, s.alarms, names, title=s.key, rule=s.rule)
            + (f"<figcaption>{esc(s.rule)}</figcaption>" if s.rule else "")
            + "</figure>"
        )
    alarms = sum(int(b.get("alarms") or 0) for b in history.batches)
    head = (
        f"<h2>Monitoring: {esc(history.dataset)}</h2>"
        f"<p>{len(history.batches)} batches shown of {history.total} in {esc(history.store)}; "
        f"{alarms} alarm{'s' if alarms != 1 else ''}.</p>"
    )
    return f"<section class='monitor'>{head}{''.join(charts)}</section>"
