"""Split outputs for the report: where they are, how balanced, whether anything leaks.

A split output is a folder holding ``train.parquet``, ``dev.parquet`` and ``test.parquet``
(and usually ``split_report.json``, written by :func:`datalife.splits.write_splits`). Folders
are found two ways: the lineage log (datasets named ``.../train.parquet`` and so on) and a
shallow walk of the workspace for ``split_report.json``. Each Parquet file's own provenance
(its key-value metadata under ``datalife``) says which dataset versions and parameters made it.

When ``split_report.json`` is missing, rows per split come from the Parquet footers and the
class balance is counted from the stratification column(s) named in the provenance.

Examples:
    >>> _normalise_classes([{"class": "a", "rows": 3, "splits": {"train": {"rows": 2}}}])
    [{'class': 'a', 'rows': 3, 'splits': {'train': 2}}]
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datalife.config import Workspace
    from datalife.lineage.graph import LineageGraph

__all__ = ["SPLIT_NAMES", "collect_split_dirs", "find_split_dirs", "read_split_dir"]

SPLIT_NAMES = ("train", "dev", "test")
REPORT_FILE = "split_report.json"
PROVENANCE_KEY = "datalife"
MAX_DEPTH = 4
MAX_CLASSES = 12


def _walk(root: Path, skip: Iterable[str], depth: int = MAX_DEPTH) -> Iterable[Path]:
    skip = set(skip)
    for current, dirs, files in os.walk(root):
        rel_depth = len(Path(current).relative_to(root).parts)
        dirs[:] = sorted(d for d in dirs if d not in skip and not d.startswith("."))
        if rel_depth >= depth:
            dirs[:] = []
        names = set(files)
        if REPORT_FILE in names or all(f"{s}.parquet" in names for s in SPLIT_NAMES):
            yield Path(current)


def find_split_dirs(ws: Workspace, lg: LineageGraph | None, skip: Iterable[str] = ()) -> list[Path]:
    """Folders with split outputs, from the lineage log and from the workspace on disk."""
    found: set[Path] = set()
    if lg is not None:
        for _node, attrs in lg.graph.nodes(data=True):
            name = str(attrs.get("name", ""))
            if attrs.get("kind") == "dataset" and Path(name).name in {
                f"{s}.parquet" for s in SPLIT_NAMES
            }:
                p = Path(name)
                folder = (p if p.is_absolute() else ws.root / p).parent
                if folder.is_dir():
                    found.add(folder.resolve())
    found.update(p.resolve() for p in _walk(ws.root, skip))
    return sorted(found)


def _provenance(path: Path) -> dict[str, Any] | None:
    import pyarrow.parquet as pq

    meta = pq.read_metadata(path).metadata or {}
    raw = meta.get(PROVENANCE_KEY.encode())
    if raw is None:
        return None
    value = json.loads(raw)
    return value if isinstance(value, dict) else None


def _normalise_classes(classes: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for c in classes:
        splits = c.get("splits") or {}
        out.append(
            {
                "class": str(c.get("class")),
                "rows": int(c.get("rows") or 0),
                "splits": {
                    str(s): int((v or {}).get("rows", 0) if isinstance(v, Mapping) else v or 0)
                    for s, v in splits.items()
                },
            }
        )
    return out


def _count_classes(files: Mapping[str, Path], columns: list[str]) -> list[dict[str, Any]]:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    counts: dict[str, dict[str, int]] = {}
    for split, path in files.items():
        table = pq.read_table(path, columns=columns)
        if len(columns) == 1:
            keys = pc.cast(table.column(0), "string")
        else:
            keys = pc.binary_join_element_wise(
                *[pc.cast(table.column(i), "string") for i in range(len(columns))], " / "
            )
        for item in pc.value_counts(pc.fill_null(keys, "<null>")).to_pylist():
            counts.setdefault(str(item["values"]), {})[split] = int(item["counts"])
    return [
        {"class": k, "rows": sum(v.values()), "splits": {s: v.get(s, 0) for s in files}}
        for k, v in sorted(counts.items(), key=lambda kv: -sum(kv[1].values()))
    ]


def read_split_dir(ws: Workspace, folder: Path) -> dict[str, Any]:
    """Everything the report shows about one split output folder."""
    import pyarrow.parquet as pq

    files = {s: folder / f"{s}.parquet" for s in SPLIT_NAMES if (folder / f"{s}.parquet").is_file()}
    report: dict[str, Any] | None = None
    report_path = folder / REPORT_FILE
    problems: list[str] = []
    if report_path.is_file():
        try:
            loaded = json.loads(report_path.read_text(encoding="utf-8"))
            report = loaded if isinstance(loaded, dict) else None
        except (OSError, ValueError) as exc:
            problems.append(f"{ws.relpath(report_path)} is not readable JSON: {exc}")
    provenance: dict[str, Any] = {}
    file_info: dict[str, dict[str, Any]] = {}
    for split, path in files.items():
        info: dict[str, Any] = {"path": ws.relpath(path), "bytes": path.stat().st_size}
        try:
            info["rows"] = pq.read_metadata(path).num_rows
            prov = _provenance(path)
            if prov is not None:
                provenance[split] = prov
        except (OSError, ValueError) as exc:
            problems.append(f"{ws.relpath(path)} is not a readable Parquet file: {exc}")
        file_info[split] = info
    first: dict[str, Any] = next(iter(provenance.values()), {})
    params = (report or {}).get("parameters") or first.get("parameters") or {}
    rows = {s: int(i.get("rows", 0)) for s, i in file_info.items()}
    total = sum(rows.values())
    ratios = params.get("ratios") or []
    sizes = []
    if report and report.get("sizes"):
        for s in report["sizes"]:
            sizes.append(
                {"split": s["split"], "rows": int(s["rows"]), "target": s.get("target_rows")}
            )
    else:
        for i, split in enumerate(SPLIT_NAMES):
            if split in rows:
                target = total * float(ratios[i]) if len(ratios) == 3 else None
                sizes.append({"split": split, "rows": rows[split], "target": target})
    if report and report.get("classes"):
        classes = _normalise_classes(report["classes"])
    elif params.get("stratify") and files:
        try:
            classes = _count_classes(files, [str(c) for c in params["stratify"]])
        except Exception as exc:  # noqa: BLE001 - counting is a convenience; show why it failed
            problems.append(f"could not count classes: {exc}")
            classes = []
    else:
        classes = []
    groups = (report or {}).get("groups")
    duplicates = (report or {}).get("duplicates")
    modified = max((p.stat().st_mtime for p in files.values()), default=folder.stat().st_mtime)
    inputs = (report or {}).get("inputs") or first.get("inputs") or []
    return {
        "dir": ws.relpath(folder),
        "modified": dt.datetime.fromtimestamp(modified, dt.UTC).isoformat()[:19] + "Z",
        "files": file_info,
        "parameters": params,
        "total_rows": total if files else (report or {}).get("rows", {}).get("total"),
        "sizes": sizes,
        "classes": classes,
        "stratify": list(params.get("stratify") or []),
        "largest_deviation": (report or {}).get("largest_deviation"),
        "groups": groups,
        "duplicates": duplicates,
        "warnings": list((report or {}).get("warnings") or []),
        "inputs": inputs,
        "dataset_versions": (report or {}).get("dataset_versions")
        or first.get("dataset_versions")
        or [],
        "schema": first.get("schema"),
        "has_report": report is not None,
        "problems": problems,
    }


def _belongs(ws: Workspace, item: Mapping[str, Any], dataset: str, versions: set[str]) -> bool:
    from datalife.config import glob_to_regex

    globs = [glob_to_regex(g) for g in ws.config.datasets[dataset].files]
    for i in item.get("inputs") or []:
        path = str(i.get("path", "")) if isinstance(i, Mapping) else str(i)
        if path and any(g.match(_rel(ws, path)) for g in globs):
            return True
    return any(str(v) in versions for v in item.get("dataset_versions") or [])


def _rel(ws: Workspace, path: str) -> str:
    p = Path(path)
    if not p.is_absolute():
        return p.as_posix()
    try:
        return p.resolve().relative_to(ws.root).as_posix()
    except ValueError:
        return p.as_posix()


def collect_split_dirs(
    ws: Workspace, lg: LineageGraph | None, dataset: str | None, skip: Iterable[str] = ()
) -> dict[str, Any]:
    """The splits section: every split folder (of the dataset, when one is given)."""
    items = [read_split_dir(ws, d) for d in find_split_dirs(ws, lg, skip)]
    if dataset is not None:
        versions = _dataset_versions(ws, lg, dataset)
        items = [i for i in items if _belongs(ws, i, dataset, versions)]
    items.sort(key=lambda i: i["modified"], reverse=True)
    if not items:
        return {
            "status": "empty",
            "message": "no splits recorded yet",
            "hint": "run `datalife split` or `datalife run`",
            "items": [],
        }
    return {"status": "ok", "items": items}


def _dataset_versions(ws: Workspace, lg: LineageGraph | None, dataset: str) -> set[str]:
    from datalife.storage import dataset_version_id, hash_file

    found: set[str] = set()
    files = ws.dataset_files(dataset)
    if files:
        found.add(dataset_version_id([hash_file(f) for f in files]))
    if lg is not None:
        from datalife.config import glob_to_regex

        globs = [glob_to_regex(g) for g in ws.config.datasets[dataset].files]
        for _node, attrs in lg.graph.nodes(data=True):
            name = str(attrs.get("name", ""))
            if attrs.get("kind") == "dataset" and (
                name == dataset or any(g.match(name) for g in globs)
            ):
                found.add(str(attrs.get("hash", "")))
    return found
