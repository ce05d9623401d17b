"""The dataset card: a Markdown datasheet of one dataset that GitHub renders.

Sections: a summary table, the source files with their BLAKE3 hashes, the schema version
and its checks, statistics per column, the splits made from the dataset, known issues
(failed checks with examples, validation notes, invalid versions recorded in the lineage
log, missing values), the recorded versions, and the lineage as a ```` ```mermaid ```` block.

Every value from the data is escaped for Markdown table cells (:func:`md`): ``|``,
backticks, ``*``, ``_``, ``[``, ``<`` and the like cannot break the table or inject HTML.

Examples:
    >>> md("a|b <script>")
    'a\\\\|b &lt;script&gt;'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from datalife.report.svg import fmt_number

__all__ = ["md", "render_card"]

_MD_SPECIAL = "\\`*_{}[]()#+!|~>"


def md(value: Any) -> str:
    """``value`` as plain text inside Markdown (a table cell, a list item, a heading)."""
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = " ".join(text.split())  # newlines would end a table row
    out = []
    for ch in text:
        out.append("\\" + ch if ch in _MD_SPECIAL and ch not in "<>" else ch)
    return "".join(out)


def _code(value: Any) -> str:
    """An inline code span that survives any backticks inside ``value``."""
    text = " ".join(str(value).split()).replace("|", "\\|")
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _n(value: Any) -> str:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return "—" if value is None else md(value)
    return fmt_number(value)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return [*lines, ""]


def _verdict(valid: Any) -> str:
    return {True: "✅ valid", False: "❌ invalid"}.get(valid, "— not checked")


def render_card(data: Mapping[str, Any], mermaid: Sequence[str] | None = None) -> str:
    """The card of the (single) dataset in the report data, as Markdown text."""
    ds = (data.get("datasets") or [{}])[0]
    name = str(ds.get("name", "dataset"))
    files = ds.get("files") or {}
    schema = ds.get("schema") or {}
    val = ds.get("validation") or {}
    stats = ds.get("statistics") or {}
    versions = ds.get("versions") or {}
    out: list[str] = [f"# Dataset card: {md(name)}", ""]
    if ds.get("description"):
        out += [f"> {md(ds['description'])}", ""]
    elif schema.get("description"):
        out += [f"> {md(schema['description'])}", ""]
    out += [
        f"*Generated {md(str(data.get('generated_at', ''))[:19].replace('T', ' '))} UTC by "
        f"datalife {md(data.get('datalife_version', ''))} with `datalife card {md(name)}`. "
        "Regenerate it after the data changes.*",
        "",
    ]
    rows = stats.get("rows") if stats.get("status") == "ok" else val.get("rows")
    summary = [
        ["Dataset version", _code(str(files.get("version") or "—")[:16])],
        [
            "Files",
            ", ".join(_code(g) for g in ds.get("globs", []))
            + f" ({len(files.get('items') or [])} files)",
        ],
        ["Rows", _n(rows)],
        ["Columns", _n(len(stats.get("columns") or [])) if stats.get("status") == "ok" else "—"],
        [
            "Schema",
            _code(schema["ref"])
            + f" (versions: {', '.join(str(v) for v in schema.get('versions', []))})"
            if schema.get("status") == "ok"
            else f"{_code(ds.get('schema_name', ''))} — not registered yet",
        ],
        [
            "Validation",
            f"{_verdict(val.get('valid'))} under {_code(val.get('schema', ''))}, "
            f"{len(val.get('checks') or [])} checks, {len(val.get('failures') or [])} failed"
            if val.get("status") == "ok"
            else md(val.get("message", "not validated")),
        ],
        ["Recorded versions", _n(len(versions.get("items") or []))],
    ]
    out += _table(["", ""], summary)
    out += _files(files)
    out += _schema(schema)
    out += _statistics(stats)
    out += _splits(data.get("splits") or {})
    out += _issues(val, versions, stats)
    out += _versions(versions)
    out += _lineage(data.get("lineage") or {}, mermaid)
    return "\n".join(out).rstrip() + "\n"


def _empty(section: Mapping[str, Any]) -> list[str]:
    text = f"_{md(section.get('message', 'nothing to show'))}_"
    if section.get("hint"):
        text += f" — {_hint(str(section['hint']))}"
    return [text, ""]


def _hint(hint: str) -> str:
    """A hint whose `backticked` commands become code spans (the rest is escaped)."""
    parts = hint.split("`")
    return "".join(md(p) if i % 2 == 0 else _code(p) for i, p in enumerate(parts))


def _files(files: Mapping[str, Any]) -> list[str]:
    out = ["## Source files", ""]
    items = files.get("items") or []
    if not items:
        return out + _empty(files if files.get("message") else {"message": "no files yet"})
    rows = [[_code(f["path"]), _n(f.get("bytes")), _code(f.get("content_hash", ""))] for f in items]
    out += _table(["file", "bytes", "BLAKE3"], rows)
    out += [
        f"Dataset version (hash of the file hashes): {_code(files.get('version', ''))}",
        "",
    ]
    return out


def _schema(schema: Mapping[str, Any]) -> list[str]:
    if schema.get("status") != "ok":
        return ["## Schema", "", *_empty(schema)]
    out = [f"## Schema {md(schema['ref'])}", ""]
    if schema.get("description"):
        out += [md(schema["description"]), ""]
    out += [
        f"Compatibility policy {_code(schema.get('compatibility', ''))}; "
        f"{'strict (no other columns allowed)' if schema.get('strict') is True else 'not strict'}; "
        f"file {_code(schema.get('path') or '—')}.",
        "",
    ]
    rows = [
        [
            _code(c["name"]),
            _code(c.get("dtype", "")),
            "yes" if c.get("nullable") else "no",
            "; ".join(_code(x) for x in c.get("checks") or []) or "—",
        ]
        for c in schema.get("columns") or []
    ]
    return out + _table(["column", "type", "nullable", "checks"], rows)


def _statistics(stats: Mapping[str, Any]) -> list[str]:
    out = ["## Statistics", ""]
    if stats.get("status") != "ok":
        return out + _empty(stats)
    columns = stats.get("columns") or []
    numeric = [c for c in columns if c.get("kind") == "numeric"]
    categorical = [c for c in columns if c.get("kind") in ("string", "boolean")]
    other = [c for c in columns if c not in numeric and c not in categorical]
    out += [f"{_n(stats.get('rows'))} rows, {len(columns)} columns.", ""]
    if numeric:
        rows = []
        for c in numeric:
            q = c.get("quantiles") or {}
            rows.append(
                [
                    _code(c["name"]),
                    _missing(c),
                    _n(c.get("min")),
                    _n(q.get("p25")),
                    _n(q.get("p50")),
                    _n(q.get("p75")),
                    _n(c.get("max")),
                    _n(c.get("mean")),
                    _n(c.get("std")),
                ]
            )
        out += ["### Numeric columns", ""]
        out += _table(
            ["column", "missing", "min", "p25", "median", "p75", "max", "mean", "std"], rows
        )
    if categorical:
        rows = []
        for c in categorical:
            top = c.get("top") or []
            shown = ", ".join(f"{md(t['value'])} ({t['share']:.1%})" for t in top[:5])
            if len(top) > 5 or (c.get("distinct") or 0) > len(top[:5]):
                shown += ", …"
            rows.append([_code(c["name"]), _missing(c), _n(c.get("distinct")), shown or "—"])
        out += ["### Categorical columns", ""]
        out += _table(["column", "missing", "distinct", "most frequent values"], rows)
    if other:
        rows = [
            [
                _code(c["name"]),
                md(c.get("kind", "")),
                _missing(c),
                md(c.get("min") or "—"),
                md(c.get("max") or "—"),
            ]
            for c in other
        ]
        out += ["### Other columns", ""]
        out += _table(["column", "kind", "missing", "min", "max"], rows)
    return out


def _missing(c: Mapping[str, Any]) -> str:
    missing = c.get("missing") or 0
    share = c.get("missing_share") or 0.0
    return f"{fmt_number(missing)} ({share:.1%})" if missing else "0"


def _splits(section: Mapping[str, Any]) -> list[str]:
    out = ["## Splits", ""]
    if section.get("status") != "ok":
        return out + _empty(section)
    for item in section.get("items") or []:
        params = item.get("parameters") or {}
        out += [f"### {_code(item['dir'])}", ""]
        bits = [f"mode {md(params.get('mode', '?'))}"]
        if params.get("ratios"):
            bits.append("ratios " + " / ".join(str(r) for r in params["ratios"]))
        if item.get("stratify"):
            bits.append("stratified by " + ", ".join(_code(s) for s in item["stratify"]))
        if params.get("group"):
            bits.append(f"grouped by {_code(params['group'])}")
        if params.get("key"):
            bits.append(f"keyed by {_code(params['key'])}")
        if params.get("seed") is not None:
            bits.append(f"seed {md(params['seed'])}")
        out += ["; ".join(bits) + ".", ""]
        total = item.get("total_rows") or 0
        rows = []
        for s in item.get("sizes") or []:
            share = s["rows"] / total if total else 0.0
            target = s.get("target")
            rows.append(
                [
                    md(s["split"]),
                    _n(s["rows"]),
                    f"{share:.1%}",
                    _n(round(target, 1)) if isinstance(target, int | float) else "—",
                ]
            )
        out += _table(["split", "rows", "share", "target rows"], rows)
        classes = item.get("classes") or []
        splits = [str(s["split"]) for s in item.get("sizes") or []]
        if classes and splits:
            crow = []
            for c in classes[:20]:
                whole = c.get("rows") or 0
                cells = [md(c["class"]), f"{whole / total:.1%}" if total else "—"]
                for s in splits:
                    n = (c.get("splits") or {}).get(s, 0)
                    size = next((x["rows"] for x in item["sizes"] if x["split"] == s), 0)
                    cells.append(f"{n / size:.1%} ({fmt_number(n)})" if size else "—")
                crow.append(cells)
            out += ["Class shares (all rows, then each split):", ""]
            out += _table(["class", "all", *splits], crow)
        checks = []
        groups = item.get("groups")
        if groups:
            checks.append(f"group overlap: {_n(groups.get('overlap'))}")
        dups = item.get("duplicates")
        if dups and dups.get("checked"):
            checks.append(f"duplicate rows shared across splits: {_n(dups.get('shared_rows'))}")
        if checks:
            out += ["Leakage checks: " + "; ".join(checks) + ".", ""]
    return out


def _issues(
    val: Mapping[str, Any], versions: Mapping[str, Any], stats: Mapping[str, Any]
) -> list[str]:
    out = ["## Known issues", ""]
    items: list[str] = []
    if val.get("status") == "ok":
        for f in val.get("failures") or []:
            examples = ", ".join(_example(e) for e in (f.get("examples") or [])[:3])
            items.append(
                f"- **{md(f.get('column') or 'dataset')}**: {md(f.get('message') or f.get('detail') or '')} "
                f"— {_n(f.get('failure_count'))} rows fail {_code(f.get('detail') or f.get('check') or '')}"
                + (f" (e.g. {examples})" if examples else "")
            )
        items.extend(f"- note: {md(n)}" for n in val.get("notes") or [])
    elif val:
        items.append(f"- validation: {md(val.get('message', ''))}")
    for v in versions.get("items") or []:
        latest = v.get("latest") or {}
        if latest.get("valid") is False and not v.get("current"):
            fails = sum(int(f.get("failure_count") or 0) for f in latest.get("failures") or [])
            items.append(
                f"- version {_code(str(v['version'])[:12])} (not the current files) was invalid "
                f"under {_code(latest.get('schema', ''))}: {_n(fails)} failing values, "
                f"last validated {md(str(v.get('last_seen', ''))[:19].replace('T', ' '))}"
            )
    if stats.get("status") == "ok":
        gaps = [c for c in stats.get("columns") or [] if c.get("missing")]
        if gaps:
            items.append(
                "- missing values: "
                + ", ".join(
                    f"{_code(c['name'])} {_n(c['missing'])} ({(c.get('missing_share') or 0):.1%})"
                    for c in gaps
                )
            )
    return out + (items or ["None known: the current files pass every check."]) + [""]


def _example(e: Mapping[str, Any]) -> str:
    where = ""
    if e.get("file") and e.get("line") is not None:
        where = f"{e['file']}:{e['line']}"
    elif e.get("row") is not None:
        where = f"row {e['row']}"
    value = e.get("value")
    shown = "null" if value is None else repr(value) if isinstance(value, str) else str(value)
    return f"{_code(shown)} at {md(where)}" if where else _code(shown)


def _versions(section: Mapping[str, Any]) -> list[str]:
    out = ["## Versions", ""]
    if section.get("status") != "ok":
        return out + _empty(section)
    rows = []
    for v in reversed(section.get("items") or []):
        latest = v.get("latest") or {}
        rows.append(
            [
                _code(str(v["version"])[:12]) + (" (current)" if v.get("current") else ""),
                md(str(v.get("first_seen", ""))[:19].replace("T", " ")),
                _n(v.get("rows")),
                f"{_verdict(latest.get('valid'))} under {_code(latest.get('schema', ''))}",
            ]
        )
    return out + _table(["version", "first seen", "rows", "latest validation"], rows)


def _lineage(section: Mapping[str, Any], mermaid: Sequence[str] | None) -> list[str]:
    out = ["## Lineage", ""]
    if section.get("status") != "ok" or not mermaid:
        return out + _empty(
            section if section.get("status") != "ok" else {"message": "nothing recorded"}
        )
    if section.get("note"):
        out += [f"_{md(section['note'])}_", ""]
    out += ["```mermaid", *mermaid, "```", ""]
    out += [
        "Query it with `datalife lineage provenance PATH` or `datalife lineage show NODE`.",
        "",
    ]
    return out
