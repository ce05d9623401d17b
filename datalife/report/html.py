"""Render the report's data (:meth:`ReportData.to_dict`) as one self-contained HTML page.

The page is rendered from the Jinja2 templates in ``datalife/report/templates`` with
autoescaping on: every value from the data is escaped unless it is already
:class:`markupsafe.Markup` (the inline SVG charts this module draws). ``page.html.j2`` lays
out the page and includes one template per section, in the order of :data:`SECTIONS`; a new
section is a template in ``templates/sections/`` and an entry there (and in :func:`_toc` if it
has an anchor of its own).

The page loads nothing: styles are inline, charts are inline SVG, there are no scripts, and a
Content-Security-Policy ``default-src 'none'`` tells the browser to refuse any request or
script even if something slipped through. Long tables show their first rows and fold the rest
into ``<details>``, so the page stays readable on a laptop screen.

Examples:
    >>> page = render_html({"workspace": {"name": "<ws>"}, "datasets": []})
    >>> page.startswith("<!DOCTYPE html>") and "&lt;ws&gt;" in page and "<ws>" not in page
    True
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from importlib.resources import files
from typing import TYPE_CHECKING, Any, Final

from markupsafe import Markup, escape

from datalife.report.lineage_svg import lineage_svg
from datalife.report.svg import (
    bar_chart_svg,
    fmt_number,
    histogram_svg,
    overlay_histogram_svg,
    paired_bars_svg,
    split_balance_svg,
    stacked_bar_svg,
)

if TYPE_CHECKING:
    import jinja2

__all__ = ["CSS", "SECTIONS", "render_html"]

#: Rows shown before a table folds the rest into ``<details>``.
TABLE_ROWS = 25
#: Column charts shown before the rest are folded.
CHART_CARDS = 12
#: Drift metrics shown as table columns, in this order, when the drift report has them.
DRIFT_METRICS = ("linf", "jsd_log2", "psi", "wasserstein_norm", "ks_stat")
#: p-values, shown in one column with the test they come from.
PVALUES = (("ks_pvalue", "KS"), ("chi2_pvalue", "χ²"))
#: The page's sections, top to bottom: ``templates/sections/<name>.html.j2`` each.
SECTIONS: Final = ("overview", "datasets", "splits", "monitor", "lineage")

_TEMPLATES = files("datalife.report") / "templates"
CSS = "\n" + _TEMPLATES.joinpath("report.css").read_text(encoding="utf-8")

_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)


# -- filters: plain text out, escaped by the templates ------------------------------------------


def _num(value: object, digits: int = 4) -> str:
    if isinstance(value, bool) or value is None:
        return fmt_number(None) if value is None else str(value)
    if isinstance(value, int | float):
        return fmt_number(value, digits)
    return str(value)


def _short(digest: object, n: int = 12) -> str:
    return str(digest or "")[:n] or "—"


def _when(value: object) -> str:
    text = str(value or "")
    return text[:19].replace("T", " ") if text else "—"


def _plural(n: int, noun: str) -> str:
    """``1 file``, ``2 files``.

    Examples:
        >>> _plural(1, "file"), _plural(3, "file")
        ('1 file', '3 files')
    """
    return f"{fmt_number(n)} {noun}{'' if n == 1 else 's'}"


def _anchor(*parts: object) -> str:
    raw = "-".join(str(p) for p in parts)
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in raw)


def _hint(hint: str) -> Markup:
    """A hint with its `backticked` commands shown as code.

    Examples:
        >>> str(_hint("run `datalife <x>` now"))
        'run <code>datalife &lt;x&gt;</code> now'
    """
    parts = hint.split("`")
    return Markup("").join(
        escape(p) if i % 2 == 0 else Markup("<code>{}</code>").format(p)
        for i, p in enumerate(parts)
    )


def _example_place(e: Mapping[str, Any]) -> str:
    if e.get("file") and e.get("line") is not None:
        return f"{e['file']}:{e['line']}"
    if e.get("file") and e.get("row") is not None:
        return f"{e['file']} row {e['row']}"
    if e.get("row") is not None:
        return f"row {e['row']}"
    return ""


def _example_value(value: object) -> str:
    return "null" if value is None else repr(value) if isinstance(value, str) else str(value)


# -- globals: decisions and charts the templates ask for ------------------------------------------


def _trusted(html: str) -> Markup:
    """HTML this package made (the SVG charts, escaping every value they draw; constants)."""
    return Markup(html)  # noqa: S704 - only ever given the output of svg.py/lineage_svg.py or constants


def _markup(template: str, *args: object) -> Markup:
    """``template`` (trusted HTML) with ``args`` escaped into its ``{}``."""
    return _trusted(template).format(*args)


def _codes(values: Sequence[object]) -> Markup:
    return Markup(", ").join(Markup("<code>{}</code>").format(v) for v in values)


def _mostly_unique(c: Mapping[str, Any]) -> bool:
    """A text column whose values almost never repeat (ids, free text): top values say nothing."""
    top = c.get("top") or []
    count = c.get("count") or 0
    return bool(top) and count >= 1000 and (top[0].get("count") or 0) <= max(1, count // 1000)


def _column_svg(c: Mapping[str, Any]) -> Markup:
    """A column's chart: its histogram (numbers, times) or its top values (text, flags)."""
    name = str(c.get("name", ""))
    hist = c.get("histogram")
    if c.get("kind") in ("numeric", "timestamp") and hist:
        return _trusted(histogram_svg(hist["edges"], hist["counts"], title=f"histogram of {name}"))
    return _trusted(
        bar_chart_svg(
            [(str(t["value"]), float(t["count"])) for t in c["top"][:8]],
            title=f"top values of {name}",
            total=float(c.get("count") or 0) or None,
        )
    )


def _metric_names(columns: Sequence[Mapping[str, Any]]) -> list[str]:
    present = {
        k for c in columns if c.get("metrics") for k, v in c["metrics"].items() if v is not None
    }
    return [m for m in DRIFT_METRICS if m in present]


def _bin_range(bounds: Sequence[object]) -> str:
    lo, hi = ([*list(bounds), None, None])[:2]
    if lo is None and hi is None:
        return "all values"
    if lo is None:
        return f"below {_num(hi, 3)}"
    if hi is None:
        return f"from {_num(lo, 3)} up"
    return f"[{_num(lo, 3)}, {_num(hi, 3)})"


def _overlay_svg(c: Mapping[str, Any], baseline: object, current: object) -> Markup:
    """A drifting column's baseline and current distributions, one over the other."""
    ov = c["overlay"]
    names = (str(baseline), str(current))
    title = f"{c['column']}: {names[0]} vs {names[1]}"
    if ov["kind"] == "categorical":
        svg = paired_bars_svg(ov["values"], ov["baseline"], ov["current"], title=title, names=names)
    else:
        svg = overlay_histogram_svg(
            ov["edges"], ov["baseline"], ov["current"], title=title, labels=names
        )
    return _trusted(svg)


def _split_sizes_svg(sizes: Sequence[Mapping[str, Any]]) -> Markup:
    return _trusted(
        split_balance_svg(
            [
                (
                    str(s["split"]),
                    int(s["rows"]),
                    float(s["target"] if s.get("target") is not None else s["rows"]),
                )
                for s in sizes
            ],
            title="rows per split (dashed: target)",
        )
    )


def _class_balance_svg(classes: Sequence[Mapping[str, Any]], splits: Sequence[str]) -> Markup:
    """The ten largest classes' shares of all rows and of each split (the rest as one)."""
    shown = list(classes[:10])
    labels = [str(c["class"]) for c in shown]
    if len(classes) > 10:
        labels.append(f"{len(classes) - 10} other classes")

    def counts(split: str | None) -> list[float]:
        """Rows of each shown class (all rows when ``split`` is None), the rest summed."""

        def get(c: Mapping[str, Any]) -> float:
            return float(
                c.get("rows", 0) if split is None else (c.get("splits") or {}).get(split, 0)
            )

        values = [get(c) for c in shown]
        if len(classes) > 10:
            values.append(float(sum(get(c) for c in classes[10:])))
        return values

    rows = [("all", counts(None)), *((s, counts(s)) for s in splits)]
    return _trusted(stacked_bar_svg(rows, labels, title="class shares: all rows and each split"))


def _lineage_graph_svg(section: Mapping[str, Any]) -> Markup:
    return _trusted(lineage_svg(section.get("nodes") or [], section.get("edges") or []))


# -- the page ------------------------------------------------------------------------------------


@functools.cache
def _environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("datalife.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(num=_num, short=_short, when=_when, hint=_hint, example_place=_example_place)
    env.filters["example_value"] = _example_value
    env.globals.update(
        TABLE_ROWS=TABLE_ROWS,
        CHART_CARDS=CHART_CARDS,
        PVALUES=PVALUES,
        anchor=_anchor,
        plural=_plural,
        markup=_markup,
        codes=_codes,
        mostly_unique=_mostly_unique,
        column_svg=_column_svg,
        metric_names=_metric_names,
        bin_range=_bin_range,
        overlay_svg=_overlay_svg,
        split_sizes_svg=_split_sizes_svg,
        class_balance_svg=_class_balance_svg,
        lineage_graph_svg=_lineage_graph_svg,
    )
    return env


def _toc(datasets: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(anchor, label) of the table of contents: each dataset and its parts, then the rest."""
    toc = []
    for ds in datasets:
        a = _anchor("ds", ds["name"])
        toc.append((a, str(ds["name"])))
        toc += [
            (f"{a}-validation", "versions & validation"),
            (f"{a}-statistics", "statistics"),
            (f"{a}-drift", "drift"),
        ]
    return [*toc, ("splits", "splits"), ("monitor", "monitoring"), ("lineage", "lineage")]


def render_html(data: Mapping[str, Any]) -> str:
    """The whole page for the report data (as produced by ``ReportData.to_dict()``)."""
    ws = data.get("workspace") or {}
    scope = data.get("scope")
    datasets: list[Mapping[str, Any]] = list(data.get("datasets") or [])
    page = _environment().get_template("page.html.j2")
    return page.render(
        data=data,
        workspace=ws,
        title=f"datalife report: {ws.get('name', '')}" + (f" · {scope}" if scope else ""),
        csp=_trusted(_CSP),
        css=_trusted(CSS),
        toc=_toc(datasets),
        sections=SECTIONS,
        datasets=datasets,
        splits=data.get("splits") or {},
        lineage=data.get("lineage") or {},
        monitor=data.get("monitor") or {},
    )
