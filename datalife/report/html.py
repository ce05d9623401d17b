"""Render the report's data (:meth:`ReportData.to_dict`) as one self-contained HTML page.

The page loads nothing: styles are inline, charts are inline SVG, there are no scripts, and a
Content-Security-Policy ``default-src 'none'`` tells the browser to refuse any request or
script even if something slipped through. Every string from the data is escaped with
:func:`datalife.report.svg.esc`. Long tables show their first rows and fold the rest into
``<details>``, so the page stays readable on a laptop screen.

Examples:
    >>> page = render_html({"workspace": {"name": "<ws>"}, "datasets": []})
    >>> page.startswith("<!DOCTYPE html>") and "&lt;ws&gt;" in page and "<ws>" not in page
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from datalife.report.lineage_svg import lineage_svg
from datalife.report.svg import (
    bar_chart_svg,
    esc,
    fmt_number,
    histogram_svg,
    overlay_histogram_svg,
    paired_bars_svg,
    split_balance_svg,
    stacked_bar_svg,
)

__all__ = ["CSS", "render_html"]

#: Rows shown before a table folds the rest into ``<details>``.
TABLE_ROWS = 25
#: Column charts shown before the rest are folded.
CHART_CARDS = 12
#: Drift metrics shown as table columns, in this order, when the drift report has them.
DRIFT_METRICS = ("linf", "jsd_log2", "psi", "wasserstein_norm", "ks_stat")
#: p-values, shown in one column with the test they come from.
PVALUES = (("ks_pvalue", "KS"), ("chi2_pvalue", "χ²"))

CSS = """
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#ffffff;--soft:#f6f8fa;
--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--accent:#0969da}
*{box-sizing:border-box}
body{margin:0;background:var(--soft);color:var(--fg);
font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:0 20px 40px}
header.top{background:#24292f;color:#fff;padding:18px 0 14px;margin-bottom:18px}
header.top .inner{max-width:1180px;margin:0 auto;padding:0 20px}
header.top h1{margin:0;font-size:22px}
header.top .meta{color:#c9d1d9;font-size:12.5px;margin-top:4px}
nav.toc{display:flex;flex-wrap:wrap;gap:6px 14px;margin-top:10px;font-size:13px}
nav.toc a{color:#9ecbff;text-decoration:none}
nav.toc a:hover{text-decoration:underline}
section.block{background:var(--bg);border:1px solid var(--line);border-radius:8px;
padding:14px 20px 18px;margin:0 0 18px}
h2{font-size:19px;margin:2px 0 8px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:16px;margin:18px 0 8px}
h4{font-size:14px;margin:14px 0 6px}
p{margin:6px 0}
.muted{color:var(--muted)}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
code{background:var(--soft);border-radius:4px;padding:1px 5px}
.tablewrap{overflow-x:auto;margin:6px 0 10px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:5px 9px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--soft);font-weight:600;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tbody tr:hover{background:#f6f8fa}
.badge{display:inline-block;border-radius:999px;padding:1px 10px;font-size:12px;
font-weight:600;border:1px solid transparent;white-space:nowrap}
.badge.ok{background:#dafbe1;color:var(--ok);border-color:#aceebb}
.badge.bad{background:#ffebe9;color:var(--bad);border-color:#ffcecb}
.badge.warn{background:#fff8c5;color:var(--warn);border-color:#f2e08a}
.badge.info{background:#ddf4ff;color:var(--accent);border-color:#b6e3ff}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:10px;margin:8px 0}
.card{border:1px solid var(--line);border-radius:8px;padding:8px 12px;background:var(--bg)}
.card .label{color:var(--muted);font-size:12px}
.card .value{font-size:18px;font-weight:600;overflow-wrap:anywhere}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:12px;margin:8px 0}
.chart{border:1px solid var(--line);border-radius:8px;padding:8px 10px;background:var(--bg);min-width:0}
.chart h4{margin:0 0 4px;font-size:13px;overflow-wrap:anywhere}
.chart .facts{color:var(--muted);font-size:12px;margin-bottom:4px}
.empty{border:1px dashed var(--line);border-radius:8px;padding:10px 14px;color:var(--muted);
background:var(--soft)}
.empty.error{border-color:#ffcecb;background:#fff5f5;color:var(--bad)}
details{margin:6px 0}
details>summary{cursor:pointer;color:var(--accent);font-size:13px}
.scroll{overflow:auto;max-height:720px;border:1px solid var(--line);border-radius:8px;
background:#fff;padding:6px}
ul.plain{margin:4px 0;padding-left:18px}
footer{color:var(--muted);font-size:12px;text-align:center;margin:24px 0}
@media print{body{background:#fff}section.block{border:none}}
"""

_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)


def _num(value: Any, digits: int = 4) -> str:
    if isinstance(value, bool) or value is None:
        return esc(fmt_number(None) if value is None else str(value))
    if isinstance(value, int | float):
        return esc(fmt_number(value, digits))
    return esc(value)


def _short(digest: Any, n: int = 12) -> str:
    return esc(str(digest or "")[:n]) or "—"


def _time(value: Any) -> str:
    text = str(value or "")
    return esc(text[:19].replace("T", " ")) if text else "—"


def _plural(n: int, noun: str) -> str:
    """``1 file``, ``2 files``.

    Examples:
        >>> _plural(1, "file"), _plural(3, "file")
        ('1 file', '3 files')
    """
    return f"{fmt_number(n)} {noun}{'' if n == 1 else 's'}"


def _badge(text: str, kind: str) -> str:
    return f"<span class='badge {kind}'>{esc(text)}</span>"


def _verdict(valid: Any) -> str:
    if valid is True:
        return _badge("valid", "ok")
    if valid is False:
        return _badge("invalid", "bad")
    return _badge("not checked", "info")


def _placeholder(section: Mapping[str, Any]) -> str:
    """An empty or failed section: what is missing and what to run."""
    status = section.get("status", "empty")
    cls = "empty error" if status == "error" else "empty"
    prefix = "Could not be computed: " if status == "error" else ""
    hint = section.get("hint")
    text = (
        f"<div class='{cls}' data-status='{esc(status)}'>{prefix}{esc(section.get('message', ''))}"
    )
    if hint:
        text += f" — {_hint(str(hint))}"
    return text + "</div>"


def _hint(hint: str) -> str:
    """A hint with its `backticked` commands shown as code."""
    parts = hint.split("`")
    return "".join(esc(p) if i % 2 == 0 else f"<code>{esc(p)}</code>" for i, p in enumerate(parts))


def _table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    numeric: Sequence[int] = (),
    limit: int = TABLE_ROWS,
    css: str = "",
) -> str:
    """A table; rows are already-escaped HTML cells. Rows past ``limit`` fold into details."""

    def head() -> str:
        cells = "".join(
            f"<th class='num'>{esc(h)}</th>" if i in numeric else f"<th>{esc(h)}</th>"
            for i, h in enumerate(headers)
        )
        return f"<thead><tr>{cells}</tr></thead>"

    def body(chunk: Sequence[Sequence[str]]) -> str:
        out = []
        for row in chunk:
            cells = "".join(
                f"<td class='num'>{c}</td>" if i in numeric else f"<td>{c}</td>"
                for i, c in enumerate(row)
            )
            out.append(f"<tr>{cells}</tr>")
        return "<tbody>" + "".join(out) + "</tbody>"

    cls = f" class='{css}'" if css else ""
    html = f"<div class='tablewrap'><table{cls}>{head()}{body(rows[:limit])}</table></div>"
    rest = rows[limit:]
    if rest:
        html += (
            f"<details><summary>show {len(rest):,} more rows</summary>"
            f"<div class='tablewrap'><table{cls}>{head()}{body(rest)}</table></div></details>"
        )
    return html


def _anchor(*parts: str) -> str:
    raw = "-".join(parts)
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in raw)


# -- page ------------------------------------------------------------------------------------


def render_html(data: Mapping[str, Any]) -> str:
    """The whole page for the report data (as produced by ``ReportData.to_dict()``)."""
    ws = data.get("workspace") or {}
    scope = data.get("scope")
    title = f"datalife report: {ws.get('name', '')}" + (f" · {scope}" if scope else "")
    datasets: list[Mapping[str, Any]] = list(data.get("datasets") or [])
    toc = []
    for ds in datasets:
        a = _anchor("ds", str(ds["name"]))
        toc.append(f"<a href='#{a}'>{esc(ds['name'])}</a>")
        for key, label in (
            ("validation", "versions & validation"),
            ("statistics", "statistics"),
            ("drift", "drift"),
        ):
            toc.append(f"<a href='#{a}-{key}'>{esc(label)}</a>")
    toc += ["<a href='#splits'>splits</a>", "<a href='#lineage'>lineage</a>"]
    meta = (
        f"generated {_time(data.get('generated_at'))} UTC by datalife "
        f"{esc(data.get('datalife_version', ''))} · workspace <span class='mono'>"
        f"{esc(ws.get('root', ''))}</span>"
    )
    body = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        f"<meta http-equiv='Content-Security-Policy' content=\"{_CSP}\">",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        "<meta name='generator' content='datalife'>",
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>",
        f"<header class='top'><div class='inner'><h1>{esc(title)}</h1>",
        f"<div class='meta'>{meta}</div><nav class='toc'>{''.join(toc)}</nav></div></header>",
        "<main>",
        _overview(datasets, data.get("splits") or {}, data.get("lineage") or {}),
    ]
    if not datasets:
        body.append(
            "<section class='block' id='datasets' data-section='datasets'><h2>Datasets</h2>"
            + _placeholder(
                {
                    "message": "no datasets declared in datalife.toml",
                    "hint": "add one with `datalife dataset add NAME GLOB...`",
                }
            )
            + "</section>"
        )
    for ds in datasets:
        body.append(_dataset(ds))
    body.append(_splits(data.get("splits") or {}))
    body.append(_lineage(data.get("lineage") or {}))
    body.append(
        "</main><footer>datalife report · one self-contained file: no scripts, no network"
        "</footer></body></html>"
    )
    return "\n".join(body)


def _overview(
    datasets: Sequence[Mapping[str, Any]], splits: Mapping[str, Any], lineage: Mapping[str, Any]
) -> str:
    cards = []
    for ds in datasets:
        stats = ds.get("statistics") or {}
        val = ds.get("validation") or {}
        versions = (ds.get("versions") or {}).get("items") or []
        verdict = _verdict(val.get("valid")) if val.get("status") == "ok" else _badge("—", "info")
        rows = stats.get("rows") if stats.get("status") == "ok" else val.get("rows")
        drift = ds.get("drift") or {}
        comps = drift.get("comparisons") or []
        drifted = comps[0].get("drifted") if comps else None
        between = " between batches" if drift.get("basis") == "batches" else ""
        drift_badge = (
            _badge(f"drift{between}", "bad")
            if drifted is True
            else _badge(f"no drift{between}", "ok")
            if drifted is False
            else _badge("drift not assessed", "info")
        )
        version = (ds.get("files") or {}).get("version")
        cards.append(
            f"<div class='card'><div class='label'>dataset</div><div class='value'>"
            f"<a href='#{_anchor('ds', str(ds['name']))}'>{esc(ds['name'])}</a></div>"
            f"<div class='muted'>{_num(rows)} rows · version <span class='mono'>"
            f"{_short(version)}</span></div>"
            f"<div>{verdict} {drift_badge}</div>"
            f"<div class='muted'>{_plural(len(versions), 'recorded version')}</div></div>"
        )
    split_items = splits.get("items") or []
    cards.append(
        "<div class='card'><div class='label'>split outputs</div>"
        f"<div class='value'>{len(split_items)}</div>"
        f"<div class='muted'>{esc(split_items[0]['dir']) if split_items else 'none yet'}</div></div>"
    )
    nodes = lineage.get("total_nodes", 0) if lineage.get("status") == "ok" else 0
    kinds = lineage.get("kinds") or {}
    cards.append(
        "<div class='card'><div class='label'>lineage</div>"
        f"<div class='value'>{_num(nodes)} nodes</div>"
        f"<div class='muted'>{_num(kinds.get('run', 0))} runs · "
        f"{_num(kinds.get('dataset', 0))} datasets</div></div>"
    )
    return (
        "<section class='block' id='overview' data-section='overview'><h2>Overview</h2>"
        f"<div class='cards'>{''.join(cards)}</div></section>"
    )


# -- a dataset -------------------------------------------------------------------------------


def _dataset(ds: Mapping[str, Any]) -> str:
    name = str(ds["name"])
    a = _anchor("ds", name)
    schema = ds.get("schema") or {}
    head = [
        f"<section class='block dataset' id='{a}' data-section='dataset' "
        f"data-dataset='{esc(name)}'><h2>Dataset {esc(name)}</h2>"
    ]
    if ds.get("description"):
        head.append(f"<p>{esc(ds['description'])}</p>")
    schema_text = (
        f"schema <code>{esc(schema['ref'])}</code> (versions "
        f"{esc(', '.join(str(v) for v in schema.get('versions', [])))})"
        if schema.get("status") == "ok"
        else f"schema <code>{esc(ds.get('schema_name', ''))}</code>: not registered yet"
    )
    globs = ", ".join(f"<code>{esc(g)}</code>" for g in ds.get("globs", []))
    head.append(f"<p class='muted'>files {globs} · {schema_text}</p>")
    return "".join(
        [
            *head,
            _validation(ds, a),
            _statistics(ds.get("statistics") or {}, a),
            _drift(ds.get("drift") or {}, a),
            "</section>",
        ]
    )


def _examples(examples: Sequence[Mapping[str, Any]], limit: int = 3) -> str:
    def one(e: Mapping[str, Any]) -> str:
        where = ""
        if e.get("file") and e.get("line") is not None:
            where = f"{e['file']}:{e['line']}"
        elif e.get("file") and e.get("row") is not None:
            where = f"{e['file']} row {e['row']}"
        elif e.get("row") is not None:
            where = f"row {e['row']}"
        value = e.get("value")
        shown = "null" if value is None else repr(value) if isinstance(value, str) else str(value)
        place = f" <span class='muted mono'>{esc(where)}</span>" if where else ""
        return f"<code>{esc(shown)}</code>{place}"

    if not examples:
        return "—"
    head = "<br>".join(one(e) for e in examples[:limit])
    rest = examples[limit:]
    if rest:
        head += (
            f"<details><summary>{len(rest)} more</summary>"
            + "<br>".join(one(e) for e in rest)
            + "</details>"
        )
    return head


def _failures_table(failures: Sequence[Mapping[str, Any]]) -> str:
    rows = [
        [
            esc(f.get("column") or "(dataset)"),
            f"<code>{esc(f.get('detail') or f.get('check') or '')}</code>",
            _num(f.get("failure_count")),
            esc(f.get("message") or ""),
            _examples(f.get("examples") or []),
        ]
        for f in failures
    ]
    return _table(
        ["column", "check", "failing rows", "what it means", "failing examples"],
        rows,
        numeric=(2,),
        css="failures",
    )


def _validation(ds: Mapping[str, Any], a: str) -> str:
    out = [f"<div id='{a}-validation' data-section='validation'><h3>Versions and validation</h3>"]
    files = ds.get("files") or {}
    val = ds.get("validation") or {}
    if val.get("status") != "ok":
        out.append(_placeholder(val))
    else:
        verdict = _verdict(val.get("valid"))
        n_checks = len(val.get("checks") or [])
        out.append(
            f"<h4>Current files {verdict}</h4><p>version <span class='mono'>"
            f"{_short(val.get('dataset_version'), 16)}</span> · {_num(val.get('rows'))} rows "
            f"checked against <code>{esc(val.get('schema', ''))}</code> · {n_checks} checks, "
            f"{len(val.get('failures') or [])} failed · {esc(val.get('engine', ''))} engine</p>"
        )
        if val.get("failures"):
            out.append(_failures_table(val["failures"]))
        for note in val.get("notes") or []:
            out.append(f"<p class='muted'>note: {esc(note)}</p>")
        checks = val.get("checks") or []
        if checks:
            out.append(
                f"<details><summary>all {len(checks)} checks</summary>"
                + _table(
                    ["column", "check", "result"],
                    [
                        [
                            esc(c.get("column") or "(dataset)"),
                            f"<code>{esc(c.get('detail') or c.get('check'))}</code>",
                            _badge("passed", "ok") if c.get("passed") else _badge("failed", "bad"),
                        ]
                        for c in checks
                    ],
                    limit=10_000,
                )
                + "</details>"
            )
    items = files.get("items") or []
    if items:
        table = _table(
            ["file", "bytes", "BLAKE3 content hash"],
            [
                [
                    esc(f["path"]),
                    _num(f.get("bytes")),
                    f"<span class='mono'>{_short(f.get('content_hash'), 16)}</span>",
                ]
                for f in items
            ],
            numeric=(1,),
            limit=10,
        )
        out.append(
            f"<details><summary>{_plural(len(items), 'current file')}</summary>{table}</details>"
        )
    out.append(_versions(ds.get("versions") or {}))
    out.append("</div>")
    return "".join(out)


def _versions(section: Mapping[str, Any]) -> str:
    out = ["<h4>Recorded versions</h4>"]
    if section.get("status") != "ok":
        out.append(_placeholder(section))
        return "".join(out)
    items = list(reversed(section.get("items") or []))  # newest first
    rows = []
    for v in items:
        latest = v.get("latest") or {}
        current = " " + _badge("current", "info") if v.get("current") else ""
        rows.append(
            [
                f"<span class='mono'>{_short(v.get('version'))}</span>{current}",
                _time(v.get("first_seen")),
                _time(v.get("last_seen")),
                _num(v.get("rows")),
                _num(len(v.get("files") or [])),
                f"<code>{esc(latest.get('schema') or '')}</code> {_verdict(latest.get('valid'))}",
                _num(len(v.get("validations") or [])),
            ]
        )
    out.append(
        _table(
            ["version", "first seen", "last validated", "rows", "files", "latest verdict", "runs"],
            rows,
            numeric=(3, 4, 6),
            limit=10,
        )
    )
    if not section.get("current_recorded"):
        out.append(
            "<p class='muted'>The current files are not in the lineage log yet: "
            "<code>datalife validate</code> records them.</p>"
        )
    for v in items:
        latest = v.get("latest") or {}
        if latest.get("valid") is False and latest.get("failures"):
            out.append(
                f"<details><summary>failures of version {_short(v.get('version'))} "
                f"(run {esc(str(latest.get('run', ''))[:8])}, {_time(latest.get('time'))})"
                f"</summary>{_failures_table(latest['failures'])}</details>"
            )
    return "".join(out)


# -- statistics ------------------------------------------------------------------------------


def _column_summary(c: Mapping[str, Any]) -> list[str]:
    kind = c.get("kind")
    missing = f"{_num(c.get('missing'))} ({(c.get('missing_share') or 0):.1%})"
    distinct = _num(c.get("distinct")) + ("~" if c.get("distinct_method") == "hll" else "")
    if kind == "numeric":
        spread = f"{_num(c.get('min'))} … {_num(c.get('max'))}"
        center = f"mean {_num(c.get('mean'))}, std {_num(c.get('std'))}"
    elif kind == "timestamp":
        spread = f"{_time(c.get('min'))} … {_time(c.get('max'))}"
        center = ""
    elif kind in ("string", "boolean"):
        top = c.get("top") or []
        spread = ", ".join(f"{esc(t['value'])} ({t['share']:.0%})" for t in top[:3]) if top else "—"
        center = (
            f"length {_num(c.get('length_min'))}–{_num(c.get('length_max'))}"
            if c.get("length_min") is not None
            else ""
        )
    else:
        spread, center = "—", ""
    return [
        f"<b>{esc(c.get('name'))}</b>",
        f"<span class='mono'>{esc(c.get('dtype', ''))}</span>",
        missing,
        distinct,
        spread,
        center,
    ]


def _mostly_unique(c: Mapping[str, Any]) -> bool:
    """A text column whose values almost never repeat (ids, free text): top values say nothing."""
    top = c.get("top") or []
    count = c.get("count") or 0
    return bool(top) and count >= 1000 and (top[0].get("count") or 0) <= max(1, count // 1000)


def _column_chart(c: Mapping[str, Any]) -> str:
    name = str(c.get("name", ""))
    kind = c.get("kind")
    hist = c.get("histogram")
    if kind in ("numeric", "timestamp") and hist:
        chart = histogram_svg(hist["edges"], hist["counts"], title=f"histogram of {name}")
        if kind == "numeric":
            q = c.get("quantiles") or {}
            facts = (
                f"p5 {_num(q.get('p5'))} · median {_num(q.get('p50'))} · p95 {_num(q.get('p95'))}"
            )
        else:
            facts = f"{_time(c.get('min'))} … {_time(c.get('max'))}"
    elif kind in ("string", "boolean") and _mostly_unique(c):
        most = c["top"][0].get("count") or 0
        chart = (
            "<div class='empty'>almost every value is different (the most frequent appears "
            f"{_num(most)} time{'s' if most != 1 else ''}): no chart of top values</div>"
        )
        facts = f"{_num(c.get('distinct'))} distinct values"
        if c.get("length_min") is not None:
            facts += f" · length {_num(c.get('length_min'))}–{_num(c.get('length_max'))}"
    elif kind in ("string", "boolean") and c.get("top"):
        top = c["top"]
        chart = bar_chart_svg(
            [(str(t["value"]), float(t["count"])) for t in top[:8]],
            title=f"top values of {name}",
            total=float(c.get("count") or 0) or None,
        )
        facts = f"{_num(c.get('distinct'))} distinct values"
    else:
        chart = "<div class='empty'>no values to draw</div>"
        facts = ""
    missing = c.get("missing") or 0
    if missing:
        facts += f" · {_num(missing)} missing"
    return (
        f"<div class='chart' data-column='{esc(name)}'><h4>{esc(name)} "
        f"<span class='muted'>{esc(kind or '')}</span></h4>"
        f"<div class='facts'>{facts}</div>{chart}</div>"
    )


def _statistics(section: Mapping[str, Any], a: str) -> str:
    out = [f"<div id='{a}-statistics' data-section='statistics'><h3>Statistics</h3>"]
    if section.get("status") != "ok":
        out.append(_placeholder(section))
        out.append("</div>")
        return "".join(out)
    columns = section.get("columns") or []
    where = (
        f"saved profile <code>{esc(section.get('path'))}</code>"
        if section.get("source") == "saved"
        else "profiled now from the current files"
    )
    out.append(
        f"<p class='muted'>{_num(section.get('rows'))} rows, {len(columns)} columns · {where}. "
        "Distinct counts marked ~ are HyperLogLog estimates (standard error 1.6%).</p>"
    )
    out.append(
        _table(
            ["column", "type", "missing", "distinct", "range / top values", "centre"],
            [_column_summary(c) for c in columns],
            numeric=(2, 3),
        )
    )
    cards = [_column_chart(c) for c in columns]
    out.append(f"<div class='charts'>{''.join(cards[:CHART_CARDS])}</div>")
    if cards[CHART_CARDS:]:
        out.append(
            f"<details><summary>charts of {len(cards) - CHART_CARDS} more columns</summary>"
            f"<div class='charts'>{''.join(cards[CHART_CARDS:])}</div></details>"
        )
    out.append("</div>")
    return "".join(out)


# -- drift -----------------------------------------------------------------------------------


def _drift(section: Mapping[str, Any], a: str) -> str:
    out = [f"<div id='{a}-drift' data-section='drift'><h3>Drift</h3>"]
    if section.get("status") != "ok":
        out.append(_placeholder(section))
        out.append("</div>")
        return "".join(out)
    if section.get("note"):
        out.append(f"<p class='muted'>{_hint(str(section['note']))}.</p>")
    for i, comp in enumerate(section.get("comparisons") or []):
        body = _comparison(comp)
        base, cur = comp["baseline"], comp["current"]
        label = f"{esc(base['label'])} → {esc(cur['label'])}"
        if i == 0:
            out.append(f"<h4>{label} {_drift_badge(comp.get('drifted'))}</h4>{body}")
        else:
            out.append(
                f"<details><summary>{label} {_drift_badge(comp.get('drifted'))}</summary>"
                f"{body}</details>"
            )
    out.append("</div>")
    return "".join(out)


def _drift_badge(drifted: Any) -> str:
    if drifted is True:
        return _badge("drift", "bad")
    if drifted is False:
        return _badge("no drift", "ok")
    return _badge("metrics not available", "info")


def _metric_names(columns: Sequence[Mapping[str, Any]]) -> list[str]:
    present = {
        k for c in columns if c.get("metrics") for k, v in c["metrics"].items() if v is not None
    }
    return [m for m in DRIFT_METRICS if m in present]


def _pvalue(m: Mapping[str, Any]) -> str:
    for key, test in PVALUES:
        if isinstance(m.get(key), int | float):
            return f"{_num(m[key], 2)} <span class='muted'>({test})</span>"
    return "—"


def _column_verdict(m: Mapping[str, Any]) -> str:
    status = m.get("status")
    if m.get("drifted") is True or status == "drift":
        return _badge("drift", "bad")
    if status == "ok" or (m.get("drifted") is False and status is None):
        return _badge("ok", "ok")
    if status == "not_computable":
        return _badge("not computable", "warn") + (
            f"<br><span class='muted'>{esc(m.get('reason') or '')}</span>"
            if m.get("reason")
            else ""
        )
    if status:
        return _badge(str(status).replace("_", " "), "info")
    return "—"


def _decided_by(m: Mapping[str, Any]) -> str:
    method, value, threshold = m.get("method"), m.get("value"), m.get("threshold")
    if not method:
        return "—"
    if isinstance(value, int | float) and isinstance(threshold, int | float):
        over = value > threshold
        text = f"<code>{esc(method)}</code> {_num(value, 3)} {'&gt;' if over else '≤'} {_num(threshold, 3)}"
        if over and not m.get("drifted"):
            text += " <span class='muted'>(not significant)</span>"
        return text
    return f"<code>{esc(method)}</code>"


def _worst(worst: Any) -> str:
    if not isinstance(worst, Mapping):
        return "—"
    b, c = worst.get("baseline_share"), worst.get("current_share")
    shares = (
        f" {b:.1%} → {c:.1%}" if isinstance(b, int | float) and isinstance(c, int | float) else ""
    )
    if "value" in worst:
        return f"<code>{esc(worst['value'])}</code>{esc(shares)}"
    if "bin" in worst and isinstance(worst["bin"], Sequence):
        lo, hi = ([*list(worst["bin"]), None, None])[:2]
        if lo is None and hi is None:
            where = "all values"
        elif lo is None:
            where = f"below {_num(hi, 3)}"
        elif hi is None:
            where = f"from {_num(lo, 3)} up"
        else:
            where = f"[{_num(lo, 3)}, {_num(hi, 3)})"
        return f"{where}{esc(shares)}"
    return "—"


def _comparison(comp: Mapping[str, Any]) -> str:
    base, cur = comp["baseline"], comp["current"]
    out = [
        f"<p class='muted'>baseline {esc(base['label'])} ({_num(base.get('rows'))} rows) · "
        f"current {esc(cur['label'])} ({_num(cur.get('rows'))} rows)</p>"
    ]
    if comp.get("added") or comp.get("removed"):
        out.append(
            "<p>"
            + (
                "added columns: " + ", ".join(f"<code>{esc(c)}</code>" for c in comp["added"])
                if comp.get("added")
                else ""
            )
            + (" · " if comp.get("added") and comp.get("removed") else "")
            + (
                "removed columns: " + ", ".join(f"<code>{esc(c)}</code>" for c in comp["removed"])
                if comp.get("removed")
                else ""
            )
            + "</p>"
        )
    columns = comp.get("columns") or []
    metrics = _metric_names(columns)
    if comp.get("metrics_message"):
        out.append(f"<p class='muted'>{esc(comp['metrics_message'])}.</p>")
    if any(c.get("metrics") for c in columns):
        rows = []
        for c in columns:
            m = c.get("metrics") or {}
            rows.append(
                [
                    f"<b>{esc(c['column'])}</b>",
                    _column_verdict(m),
                    _decided_by(m),
                    _worst(m.get("worst")),
                    *[_num(m.get(k), 3) for k in metrics],
                    _pvalue(m),
                ]
            )
        out.append(
            _table(
                ["column", "verdict", "decided by", "moved most", *metrics, "p-value"],
                rows,
                numeric=tuple(range(4, 5 + len(metrics))),
            )
        )
        out.append(
            "<p class='muted'>A column drifts when an effect size passes its threshold (the "
            "schema's drift settings, else datalife's defaults) and the test (KS for numbers, "
            "χ² for categories) is significant; an effect over its threshold on too few rows "
            "is marked not significant. <code>linf</code>: the largest change of a category's "
            "share; <code>jsd_log2</code>: Jensen–Shannon divergence, log base 2; "
            "<code>wasserstein_norm</code>: W1 / std of the baseline. "
            "See <code>docs/stats.md</code>.</p>"
        )
    charts = []
    names = (str(base["label"]), str(cur["label"]))
    for c in columns:
        ov = c.get("overlay")
        if not ov:
            continue
        title = f"{c['column']}: {names[0]} vs {names[1]}"
        if ov["kind"] == "categorical":
            svg = paired_bars_svg(
                ov["values"], ov["baseline"], ov["current"], title=title, names=names
            )
        else:
            svg = overlay_histogram_svg(
                ov["edges"], ov["baseline"], ov["current"], title=title, labels=names
            )
        m = c.get("metrics") or {}
        flag = " " + _badge("drift", "bad") if m.get("drifted") is True else ""
        charts.append(
            f"<div class='chart' data-column='{esc(c['column'])}'><h4>{esc(c['column'])}{flag}"
            f"</h4>{svg}</div>"
        )
    if charts:
        out.append(f"<div class='charts'>{''.join(charts[:CHART_CARDS])}</div>")
        if charts[CHART_CARDS:]:
            out.append(
                f"<details><summary>{len(charts) - CHART_CARDS} more columns</summary>"
                f"<div class='charts'>{''.join(charts[CHART_CARDS:])}</div></details>"
            )
    return "".join(out)


# -- splits ----------------------------------------------------------------------------------


def _splits(section: Mapping[str, Any]) -> str:
    out = ["<section class='block' id='splits' data-section='splits'><h2>Split balance</h2>"]
    if section.get("status") != "ok":
        out.append(_placeholder(section))
        out.append("</section>")
        return "".join(out)
    for i, item in enumerate(section.get("items") or []):
        body = _split_item(item)
        title = f"<code>{esc(item['dir'])}</code> <span class='muted'>{_time(item.get('modified'))}</span>"
        if i == 0:
            out.append(f"<h3>{title}</h3>{body}")
        else:
            out.append(f"<details><summary>{title}</summary>{body}</details>")
    out.append("</section>")
    return "".join(out)


def _split_item(item: Mapping[str, Any]) -> str:
    params = item.get("parameters") or {}
    out = []
    bits = []
    if params.get("mode"):
        bits.append(f"mode <b>{esc(params['mode'])}</b>")
    if params.get("ratios"):
        bits.append("ratios " + esc(" / ".join(str(r) for r in params["ratios"])))
    if item.get("stratify"):
        bits.append(
            "stratified by " + ", ".join(f"<code>{esc(s)}</code>" for s in item["stratify"])
        )
    if params.get("group"):
        bits.append(f"grouped by <code>{esc(params['group'])}</code>")
    if params.get("key"):
        bits.append(f"keyed by <code>{esc(params['key'])}</code>")
    if params.get("seed") is not None:
        bits.append(f"seed {esc(params['seed'])}")
    if item.get("schema"):
        bits.append(f"schema <code>{esc(item['schema'])}</code>")
    out.append(f"<p>{_num(item.get('total_rows'))} rows · {' · '.join(bits)}</p>")
    checks = []
    groups = item.get("groups")
    if groups:
        overlap = groups.get("overlap", 0)
        checks.append(
            _badge(f"group overlap {overlap}", "ok" if overlap == 0 else "bad")
            + f" <span class='muted'>{_num(groups.get('count'))} groups of "
            f"<code>{esc(groups.get('column', ''))}</code></span>"
        )
    dups = item.get("duplicates")
    if dups and dups.get("checked"):
        shared = dups.get("shared_rows", 0)
        checks.append(
            _badge(f"{shared} duplicate rows shared across splits", "ok" if shared == 0 else "bad")
        )
    elif dups is not None:
        checks.append(_badge("duplicates not checked", "info"))
    if not item.get("has_report"):
        checks.append(_badge("no split_report.json: counted from the Parquet files", "info"))
    if checks:
        out.append("<p>" + " ".join(checks) + "</p>")
    sizes = item.get("sizes") or []
    if sizes:
        chart = split_balance_svg(
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
        out.append(
            f"<h4>Rows per split <span class='muted'>(dashed line: target)</span></h4>{chart}"
        )
    classes = item.get("classes") or []
    if classes:
        out.append(
            _class_balance(classes, [str(s["split"]) for s in sizes] or ["train", "dev", "test"])
        )
    dev = item.get("largest_deviation")
    if dev:
        out.append(
            f"<p class='muted'>largest deviation: class <code>{esc(dev.get('class'))}</code> in "
            f"{esc(dev.get('split'))} has share {_num(dev.get('share'))} vs "
            f"{_num(dev.get('expected_share'))} overall ({_num(dev.get('deviation_rows'))} rows "
            "from its target)</p>"
        )
    for w in item.get("warnings") or []:
        out.append(f"<p>{_badge('warning', 'warn')} {esc(w)}</p>")
    for p in item.get("problems") or []:
        out.append(f"<p>{_badge('problem', 'bad')} {esc(p)}</p>")
    files = item.get("files") or {}
    if files:
        out.append(
            "<details><summary>files</summary>"
            + _table(
                ["split", "file", "rows", "bytes"],
                [
                    [
                        esc(s),
                        f"<span class='mono'>{esc(f.get('path'))}</span>",
                        _num(f.get("rows")),
                        _num(f.get("bytes")),
                    ]
                    for s, f in files.items()
                ],
                numeric=(2, 3),
            )
            + "</details>"
        )
    return "".join(out)


def _class_balance(classes: Sequence[Mapping[str, Any]], splits: Sequence[str]) -> str:
    shown = list(classes[:10])
    labels = [str(c["class"]) for c in shown]
    if len(classes) > 10:
        labels.append(f"{len(classes) - 10} other classes")
    rows: list[tuple[str, list[float]]] = []

    def counts(get: Any) -> list[float]:
        values = [float(get(c)) for c in shown]
        if len(classes) > 10:
            values.append(float(sum(get(c) for c in classes[10:])))
        return values

    rows.append(("all", counts(lambda c: c.get("rows", 0))))
    for s in splits:
        rows.append((s, counts(lambda c, s=s: (c.get("splits") or {}).get(s, 0))))
    chart = stacked_bar_svg(rows, labels, title="class shares: all rows and each split")
    table_rows = []
    for c in classes:
        total = c.get("rows", 0) or 0
        cells = [esc(c["class"]), _num(total)]
        for s in splits:
            n = (c.get("splits") or {}).get(s, 0)
            cells.append(f"{_num(n)}")
        table_rows.append(cells)
    table = _table(["class", "all", *splits], table_rows, numeric=tuple(range(1, 2 + len(splits))))
    return (
        "<h4>Class balance <span class='muted'>(equal bars = the same class mix in every split)"
        f"</span></h4>{chart}<details><summary>class counts</summary>{table}</details>"
    )


# -- lineage ---------------------------------------------------------------------------------


def _lineage(section: Mapping[str, Any]) -> str:
    out = ["<section class='block' id='lineage' data-section='lineage'><h2>Lineage</h2>"]
    if section.get("status") != "ok":
        out.append(_placeholder(section))
    else:
        kinds = section.get("kinds") or {}
        summary = ", ".join(f"{_num(n)} {esc(k)}{'s' if n != 1 else ''}" for k, n in kinds.items())
        out.append(
            f"<p class='muted'>{summary}. Arrows follow the data: inputs → runs → outputs; "
            "dashed arrows point to the schema version that validated a dataset. Hover a box "
            "for its node id (use it with <code>datalife lineage show</code>).</p>"
        )
        if section.get("note"):
            out.append(f"<p class='muted'>{esc(section['note'])}.</p>")
        svg = lineage_svg(section.get("nodes") or [], section.get("edges") or [])
        out.append(f"<div class='scroll'>{svg}</div>")
    issues = section.get("issues") or []
    if issues:
        out.append(
            "<h4>Log issues</h4><ul class='plain'>"
            + "".join(f"<li>{esc(i)}</li>" for i in issues[:50])
            + "</ul>"
        )
    out.append("</section>")
    return "".join(out)
