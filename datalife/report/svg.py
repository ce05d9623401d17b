"""Small inline SVG charts for the HTML report: no JavaScript, no external resources.

Every function returns an ``<svg>`` element as a string. Every piece of text that could come
from the data (column names, category values, file names) goes through :func:`esc`, so a value
such as ``<script>`` is drawn as text, never run. Charts carry ``role="img"``, an
``aria-label`` and a ``<title>`` per bar (the browser's tooltip), and scale with their
container (``viewBox`` plus ``width="100%"``).

Examples:
    >>> svg = histogram_svg([0.0, 1.0, 2.0], [3, 1], title="x <b>")
    >>> svg.startswith("<svg") and "x &lt;b&gt;" in svg and "<b>" not in svg
    True
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

__all__ = [
    "BASELINE_COLOR",
    "CURRENT_COLOR",
    "PALETTE",
    "bar_chart_svg",
    "esc",
    "fmt_number",
    "histogram_svg",
    "overlay_histogram_svg",
    "paired_bars_svg",
    "rebin",
    "split_balance_svg",
    "stacked_bar_svg",
]

#: A colour-blind-friendly categorical palette (Okabe-Ito, then Tableau's softer tones).
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
BAR_COLOR = "#4e79a7"
BASELINE_COLOR = "#9db4cf"
CURRENT_COLOR = "#e8743b"
AXIS_COLOR = "#8b949e"
TEXT_COLOR = "#3d444d"
FONT = "font-family='system-ui,-apple-system,Segoe UI,Roboto,sans-serif'"


def esc(value: object) -> str:
    """``value`` as text safe inside SVG/HTML elements and quoted attributes.

    Examples:
        >>> esc('<script>alert("1")</script>')
        '&lt;script&gt;alert(&quot;1&quot;)&lt;/script&gt;'
    """
    return html.escape(str(value), quote=True)


def fmt_number(value: float | int | None, digits: int = 4) -> str:
    """A short, readable number: ``12,345``, ``2009``, ``0.0123``, ``1.2e+15``; ``—`` for None.

    Thousands separators start at 10,000, so years and small counts read naturally.

    Examples:
        >>> fmt_number(12345), fmt_number(2009), fmt_number(3.14159), fmt_number(None)
        ('12,345', '2009', '3.142', '—')
        >>> fmt_number(2.5e-7), fmt_number(4200.0), fmt_number(float("nan"))
        ('2.5e-07', '4200', 'nan')
    """
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) or (
        isinstance(value, float) and value.is_integer() and abs(value) < 1e15
    ):
        n = int(value)
        return f"{n:,}" if abs(n) >= 10_000 else str(n)
    if not math.isfinite(value):
        return str(value)
    magnitude = abs(value)
    if magnitude >= 1e9 or magnitude < 1e-4:
        return f"{value:.{max(digits - 1, 1)}g}"
    text = f"{value:.{digits}g}"
    if "e" in text:
        text = f"{value:,.{max(digits - 3, 0)}f}"
    return text


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "…"


def _tail(text: str, limit: int) -> str:
    """The end of ``text`` (file names matter more than their folders)."""
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


def _open(width: float, height: float, label: str, *, fluid: bool = True) -> str:
    size = f"width='100%' style='max-width:{width:.0f}px'" if fluid else f"width='{width:.0f}'"
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width:.0f} {height:.0f}' "
        f"{size} role='img' aria-label='{esc(label)}' {FONT} font-size='11'>"
        f"<title>{esc(label)}</title>"
    )


def _edge_label(edge: float | str) -> str:
    if isinstance(edge, str):
        return edge.replace("T00:00:00", "").replace("T", " ")[:16]
    return fmt_number(edge, 3)


def histogram_svg(
    edges: Sequence[float] | Sequence[str],
    counts: Sequence[int | float],
    *,
    title: str = "histogram",
    width: int = 320,
    height: int = 130,
    color: str = BAR_COLOR,
) -> str:
    """Bars of ``counts`` over the bins ``edges`` (``len(edges) == len(counts) + 1``).

    Edges may be numbers or ISO timestamps (strings); only the first and last are labelled.
    """
    n = len(counts)
    if n == 0 or len(edges) != n + 1:
        return _empty_svg(title, width, height)
    left, right, top, bottom = 8.0, 8.0, 16.0, 22.0
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(max(float(c) for c in counts), 1.0)
    bar_w = plot_w / n
    parts = [_open(width, height, title)]
    parts.append(
        f"<text x='{left}' y='11' fill='{TEXT_COLOR}' font-size='10'>max {fmt_number(peak)}</text>"
    )
    for i, c in enumerate(counts):
        h = plot_h * float(c) / peak
        x = left + i * bar_w
        tip = f"[{_edge_label(edges[i])}, {_edge_label(edges[i + 1])}): {fmt_number(c)}"
        parts.append(
            f"<rect x='{x + 0.5:.2f}' y='{top + plot_h - h:.2f}' width='{max(bar_w - 1, 0.5):.2f}' "
            f"height='{max(h, 0):.2f}' fill='{color}'><title>{esc(tip)}</title></rect>"
        )
    base_y = top + plot_h
    parts.append(
        f"<line x1='{left}' y1='{base_y}' x2='{width - right}' y2='{base_y}' stroke='{AXIS_COLOR}'/>"
    )
    parts.append(
        f"<text x='{left}' y='{height - 6}' fill='{TEXT_COLOR}'>{esc(_edge_label(edges[0]))}</text>"
    )
    parts.append(
        f"<text x='{width - right}' y='{height - 6}' text-anchor='end' fill='{TEXT_COLOR}'>"
        f"{esc(_edge_label(edges[-1]))}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def _empty_svg(title: str, width: int, height: int) -> str:
    return (
        _open(width, height, title)
        + f"<text x='{width / 2:.0f}' y='{height / 2:.0f}' text-anchor='middle' "
        f"fill='{AXIS_COLOR}'>no values to draw</text></svg>"
    )


def rebin(
    edges: Sequence[float], counts: Sequence[int | float], new_edges: Sequence[float]
) -> list[float]:
    """Spread ``counts`` over ``new_edges``, assuming values are uniform within each bin.

    A zero-width bin (a constant column) puts its whole count in the new bin holding it.

    Examples:
        >>> rebin([0.0, 2.0], [4], [0.0, 1.0, 2.0])
        [2.0, 2.0]
        >>> rebin([5.0, 5.0], [3], [0.0, 5.0, 10.0])
        [0.0, 3.0]
    """
    out = [0.0] * (len(new_edges) - 1)
    if not out:
        return out
    for i, c in enumerate(counts):
        lo, hi = float(edges[i]), float(edges[i + 1])
        if c == 0:
            continue
        if hi <= lo:
            j = _bin_of(lo, new_edges)
            out[j] += float(c)
            continue
        for j in range(len(out)):
            a, b = max(lo, float(new_edges[j])), min(hi, float(new_edges[j + 1]))
            if b > a:
                out[j] += float(c) * (b - a) / (hi - lo)
    return out


def _bin_of(x: float, edges: Sequence[float]) -> int:
    for j in range(len(edges) - 1):
        if x < float(edges[j + 1]):
            return j
    return len(edges) - 2


def overlay_histogram_svg(
    edges: Sequence[float] | Sequence[str],
    baseline: Sequence[float],
    current: Sequence[float],
    *,
    title: str = "baseline vs current",
    width: int = 340,
    height: int = 140,
    labels: tuple[str, str] = ("baseline", "current"),
) -> str:
    """Two histograms on the same bins, each as shares of its own total, drawn over each other.

    The baseline is filled; the current side is an outlined, half-transparent bar on top.
    """
    n = len(baseline)
    if n == 0 or len(current) != n or len(edges) != n + 1:
        return _empty_svg(title, width, height)
    tb, tc = sum(baseline) or 1.0, sum(current) or 1.0
    pb = [b / tb for b in baseline]
    pc = [c / tc for c in current]
    left, right, top, bottom = 8.0, 8.0, 20.0, 22.0
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(max(pb), max(pc), 1e-12)
    bar_w = plot_w / n
    parts = [_open(width, height, title)]
    parts.append(_legend(left, 12.0, labels))
    for i in range(n):
        x = left + i * bar_w
        tip = (
            f"[{_edge_label(edges[i])}, {_edge_label(edges[i + 1])}): "
            f"{labels[0]} {pb[i]:.1%}, {labels[1]} {pc[i]:.1%}"
        )
        hb = plot_h * pb[i] / peak
        hc = plot_h * pc[i] / peak
        parts.append(
            f"<g><title>{esc(tip)}</title>"
            f"<rect x='{x + 0.5:.2f}' y='{top + plot_h - hb:.2f}' width='{max(bar_w - 1, 0.5):.2f}' "
            f"height='{hb:.2f}' fill='{BASELINE_COLOR}'/>"
            f"<rect x='{x + 1.5:.2f}' y='{top + plot_h - hc:.2f}' width='{max(bar_w - 3, 0.5):.2f}' "
            f"height='{hc:.2f}' fill='{CURRENT_COLOR}' fill-opacity='0.35' "
            f"stroke='{CURRENT_COLOR}' stroke-width='1.2'/></g>"
        )
    base_y = top + plot_h
    parts.append(
        f"<line x1='{left}' y1='{base_y}' x2='{width - right}' y2='{base_y}' stroke='{AXIS_COLOR}'/>"
    )
    parts.append(
        f"<text x='{left}' y='{height - 6}' fill='{TEXT_COLOR}'>{esc(_edge_label(edges[0]))}</text>"
        f"<text x='{width - right}' y='{height - 6}' text-anchor='end' fill='{TEXT_COLOR}'>"
        f"{esc(_edge_label(edges[-1]))}</text></svg>"
    )
    return "".join(parts)


def _legend(x: float, y: float, labels: tuple[str, str]) -> str:
    a, b = (esc(_tail(label, 21)) for label in labels)
    offset = x + 16 + 6.2 * min(len(labels[0]), 21) + 12
    return (
        f"<rect x='{x}' y='{y - 8}' width='10' height='9' fill='{BASELINE_COLOR}'/>"
        f"<text x='{x + 14}' y='{y}' fill='{TEXT_COLOR}'>{a}</text>"
        f"<rect x='{offset}' y='{y - 8}' width='10' height='9' fill='{CURRENT_COLOR}' "
        f"fill-opacity='0.35' stroke='{CURRENT_COLOR}'/>"
        f"<text x='{offset + 14}' y='{y}' fill='{TEXT_COLOR}'>{b}</text>"
    )


def bar_chart_svg(
    items: Sequence[tuple[str, float]],
    *,
    title: str = "top values",
    width: int = 340,
    total: float | None = None,
    color: str = BAR_COLOR,
) -> str:
    """Horizontal bars, one per ``(label, count)``; shares of ``total`` are printed beside."""
    if not items:
        return _empty_svg(title, width, 60)
    row_h, label_w, value_w = 18.0, 104.0, 108.0
    height = row_h * len(items) + 6
    peak = max(max(v for _, v in items), 1e-12)
    plot_w = width - label_w - value_w
    parts = [_open(width, height, title)]
    for i, (label, value) in enumerate(items):
        y = 3 + i * row_h
        w = plot_w * value / peak
        share = f" ({value / total:.1%})" if total else ""
        parts.append(
            f"<g><title>{esc(label)}: {esc(fmt_number(value))}{esc(share)}</title>"
            f"<text x='{label_w - 6}' y='{y + 12}' text-anchor='end' fill='{TEXT_COLOR}'>"
            f"{esc(_truncate(label, 15))}</text>"
            f"<rect x='{label_w}' y='{y + 2}' width='{max(w, 1):.2f}' height='{row_h - 5}' "
            f"fill='{color}' rx='2'/>"
            f"<text x='{label_w + max(w, 1) + 4:.2f}' y='{y + 12}' fill='{TEXT_COLOR}'>"
            f"{esc(fmt_number(value))}{esc(share)}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def paired_bars_svg(
    labels: Sequence[str],
    baseline: Sequence[float],
    current: Sequence[float],
    *,
    title: str = "category shares",
    width: int = 340,
    names: tuple[str, str] = ("baseline", "current"),
) -> str:
    """Category shares side by side: a baseline bar and a current bar per category."""
    if not labels:
        return _empty_svg(title, width, 60)
    row_h, label_w = 24.0, 110.0
    top = 18.0
    height = top + row_h * len(labels) + 4
    peak = max(max(baseline, default=0.0), max(current, default=0.0), 1e-12)
    plot_w = width - label_w - 76
    parts = [_open(width, height, title), _legend(8.0, 11.0, names)]
    for i, label in enumerate(labels):
        y = top + i * row_h
        wb = plot_w * baseline[i] / peak
        wc = plot_w * current[i] / peak
        tip = f"{label}: {names[0]} {baseline[i]:.1%}, {names[1]} {current[i]:.1%}"
        parts.append(
            f"<g><title>{esc(tip)}</title>"
            f"<text x='{label_w - 6}' y='{y + 14}' text-anchor='end' fill='{TEXT_COLOR}'>"
            f"{esc(_truncate(label, 15))}</text>"
            f"<rect x='{label_w}' y='{y + 3}' width='{max(wb, 0.5):.2f}' height='8' "
            f"fill='{BASELINE_COLOR}'/>"
            f"<rect x='{label_w}' y='{y + 12}' width='{max(wc, 0.5):.2f}' height='8' "
            f"fill='{CURRENT_COLOR}' fill-opacity='0.6'/>"
            f"<text x='{label_w + max(wb, wc) + 4:.2f}' y='{y + 15}' fill='{TEXT_COLOR}' "
            f"font-size='10'>{baseline[i]:.0%} → {current[i]:.0%}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def stacked_bar_svg(
    rows: Sequence[tuple[str, Sequence[float]]],
    categories: Sequence[str],
    *,
    title: str = "shares",
    width: int = 560,
    legend: bool = True,
) -> str:
    """One 100% stacked horizontal bar per row (e.g. the whole data and each split).

    ``rows`` are ``(row label, counts per category)``; each bar shows the categories' shares
    of its row, so equal-looking bars mean a balanced split.
    """
    if not rows or not categories:
        return _empty_svg(title, width, 60)
    label_w, row_h = 70.0, 26.0
    legend_rows = math.ceil(len(categories) / 4) if legend else 0
    height = 6 + row_h * len(rows) + legend_rows * 16 + 4
    plot_w = width - label_w - 10
    parts = [_open(width, height, title)]
    for i, (label, counts) in enumerate(rows):
        y = 4 + i * row_h
        total = sum(counts)
        parts.append(
            f"<text x='{label_w - 8}' y='{y + 15}' text-anchor='end' fill='{TEXT_COLOR}' "
            f"font-weight='600'>{esc(_truncate(label, 10))}</text>"
        )
        x = label_w
        for j, c in enumerate(counts):
            if total <= 0 or c <= 0:
                continue
            w = plot_w * c / total
            color = PALETTE[j % len(PALETTE)]
            tip = f"{label} · {categories[j]}: {fmt_number(c)} rows ({c / total:.1%})"
            parts.append(
                f"<g><title>{esc(tip)}</title><rect x='{x:.2f}' y='{y}' width='{w:.2f}' "
                f"height='{row_h - 6}' fill='{color}' stroke='#fff' stroke-width='1'/>"
            )
            if w > 38:
                parts.append(
                    f"<text x='{x + w / 2:.2f}' y='{y + 14}' text-anchor='middle' fill='#fff' "
                    f"font-size='10'>{c / total:.0%}</text>"
                )
            parts.append("</g>")
            x += w
        if total <= 0:
            parts.append(f"<text x='{label_w}' y='{y + 15}' fill='{AXIS_COLOR}'>no rows</text>")
    if legend:
        ly = 6 + row_h * len(rows) + 8
        for j, cat in enumerate(categories):
            col, line = j % 4, j // 4
            lx = label_w + col * (plot_w / 4)
            parts.append(
                f"<rect x='{lx:.1f}' y='{ly + line * 16 - 8}' width='10' height='10' "
                f"fill='{PALETTE[j % len(PALETTE)]}'/>"
                f"<text x='{lx + 14:.1f}' y='{ly + line * 16 + 1}' fill='{TEXT_COLOR}'>"
                f"{esc(_truncate(cat, 22))}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def split_balance_svg(
    sizes: Sequence[tuple[str, int, float]],
    *,
    title: str = "rows per split",
    width: int = 560,
) -> str:
    """Rows per split against the target: a bar per split with a tick at its target.

    ``sizes`` are ``(split, rows, target rows)``.
    """
    if not sizes:
        return _empty_svg(title, width, 60)
    label_w, row_h, value_w = 70.0, 24.0, 150.0
    height = 6 + row_h * len(sizes)
    peak = max(max(max(r, t) for _, r, t in sizes), 1e-12)
    plot_w = width - label_w - value_w
    parts = [_open(width, height, title)]
    for i, (split, rows, target) in enumerate(sizes):
        y = 4 + i * row_h
        w = plot_w * rows / peak
        tx = label_w + plot_w * target / peak
        dev = rows - target
        tip = f"{split}: {rows:,} rows, target {target:,.1f} ({dev:+,.1f})"
        parts.append(
            f"<g><title>{esc(tip)}</title>"
            f"<text x='{label_w - 8}' y='{y + 14}' text-anchor='end' fill='{TEXT_COLOR}' "
            f"font-weight='600'>{esc(split)}</text>"
            f"<rect x='{label_w}' y='{y + 2}' width='{max(w, 1):.2f}' height='{row_h - 8}' "
            f"fill='{PALETTE[i % len(PALETTE)]}' rx='2'/>"
            f"<line x1='{tx:.2f}' y1='{y}' x2='{tx:.2f}' y2='{y + row_h - 4}' stroke='#24292f' "
            f"stroke-width='2' stroke-dasharray='3,2'/>"
            f"<text x='{label_w + plot_w + 14}' y='{y + 14}' fill='{TEXT_COLOR}'>"
            f"{rows:,} (target {target:,.0f})</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)
