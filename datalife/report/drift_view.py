"""Drift for the report: which versions to compare, the metrics, and overlaid histograms.

Versions come from the profiles saved per dataset version (``lineage/profiles/``, written by
``datalife stats --save``), ordered by when the lineage log first saw each version, plus the
current files. With fewer than two versions, a dataset made of several files (batches, such
as one file per year) is compared batch by batch instead, and the report says so.

The numbers are :func:`datalife.drift`'s (when that module is installed); the overlaid
histograms are drawn here from the two profiles' display histograms, re-binned onto common
edges (values assumed uniform within a bin) and normalised by each side's own total.

Examples:
    >>> common_edges(0.0, 10.0, 5)
    [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datalife.report.svg import rebin

if TYPE_CHECKING:
    from datalife.config import Workspace
    from datalife.stats import Profile

__all__ = ["VersionProfile", "collect_drift", "common_edges", "overlay"]

MAX_COMPARISONS = 3
MAX_CATEGORIES = 8
BINS = 20


@dataclass
class VersionProfile:
    """One side of a comparison: a label, when it was seen, and its profile."""

    label: str
    version: str | None
    time: str
    profile: Profile

    def describe(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "version": self.version,
            "time": self.time,
            "rows": self.profile.rows,
        }


def common_edges(lo: float, hi: float, bins: int = BINS) -> list[float]:
    """``bins`` equal-width bins over ``[lo, hi]`` (a unit-wide range around a constant)."""
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    step = (hi - lo) / bins
    return [lo + i * step for i in range(bins)] + [hi]


def _as_float(edge: float | str) -> float:
    if isinstance(edge, str):
        t = dt.datetime.fromisoformat(edge)
        if t.tzinfo is None:
            t = t.replace(tzinfo=dt.UTC)
        return t.timestamp()
    return float(edge)


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).replace(tzinfo=None).isoformat()


def overlay(base: Mapping[str, Any], cur: Mapping[str, Any]) -> dict[str, Any] | None:
    """Aligned shares of two column profiles (as dicts), or None when there is nothing to draw.

    Numeric and timestamp columns give ``{"kind", "edges", "baseline", "current"}`` over
    common edges; string and boolean columns give ``{"kind": "categorical", "values",
    "baseline", "current"}``: the shares of the values most frequent on either side.

    Examples:
        >>> a = {"kind": "numeric", "histogram": {"edges": [0.0, 1.0], "counts": [2]}}
        >>> b = {"kind": "numeric", "histogram": {"edges": [1.0, 2.0], "counts": [2]}}
        >>> o = overlay(a, b)
        >>> o["edges"][0], o["edges"][-1], sum(o["baseline"]), sum(o["current"])
        (0.0, 2.0, 2.0, 2.0)
    """
    kind = base.get("kind")
    if kind != cur.get("kind"):
        return None
    if kind in ("numeric", "timestamp"):
        hb, hc = base.get("histogram"), cur.get("histogram")
        if not hb or not hc:
            return None
        eb = [_as_float(e) for e in hb["edges"]]
        ec = [_as_float(e) for e in hc["edges"]]
        edges = common_edges(min(eb[0], ec[0]), max(eb[-1], ec[-1]))
        out: dict[str, Any] = {
            "kind": kind,
            "edges": [_iso(e) for e in edges] if kind == "timestamp" else edges,
            "baseline": rebin(eb, hb["counts"], edges),
            "current": rebin(ec, hc["counts"], edges),
        }
        return out
    if kind in ("string", "boolean"):
        sb = {str(t["value"]): float(t["share"]) for t in base.get("top") or []}
        sc = {str(t["value"]): float(t["share"]) for t in cur.get("top") or []}
        if not sb and not sc:
            return None
        values = sorted(set(sb) | set(sc), key=lambda v: (-max(sb.get(v, 0), sc.get(v, 0)), v))
        values = values[:MAX_CATEGORIES]
        return {
            "kind": "categorical",
            "values": values,
            "baseline": [sb.get(v, 0.0) for v in values],
            "current": [sc.get(v, 0.0) for v in values],
        }
    return None


def _drift_metrics(
    base: Profile, cur: Profile, schema: str | None, ws: Workspace
) -> tuple[dict[str, Any] | None, str | None]:
    """:func:`datalife.drift`'s report as a dict (thresholds from ``schema``), or None and why."""
    try:
        from datalife.drift import drift
    except ImportError:
        return None, "drift metrics need datalife.drift, which this installation does not have"
    report = drift(base, cur, schema, workspace=ws)
    data: dict[str, Any] = report.to_dict()
    return data, None


def _saved_versions(
    ws: Workspace, name: str, first_seen: Mapping[str, str]
) -> list[VersionProfile]:
    from datalife.config import glob_to_regex
    from datalife.errors import DatalifeError
    from datalife.stats import PROFILES_DIR, Profile

    folder = ws.lineage_dir / PROFILES_DIR
    if not folder.is_dir():
        return []
    globs = [glob_to_regex(g) for g in ws.config.datasets[name].files]
    found: list[VersionProfile] = []
    for path in sorted(folder.glob("*.json")):
        try:
            profile = Profile.load(path)
        except DatalifeError:
            continue  # a corrupted profile is reported by `datalife stats`, not here
        src = profile.source
        mine = src.dataset == name or (
            bool(src.files) and all(any(g.match(f.path) for g in globs) for f in src.files)
        )
        if not mine or not src.dataset_version:
            continue
        version = src.dataset_version
        when = first_seen.get(version) or _mtime(path)
        found.append(VersionProfile(f"version {version[:12]}", version, when, profile))
    found.sort(key=lambda v: (v.time, v.version or ""))
    return found


def _mtime(path: Path) -> str:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).isoformat()[:19] + "Z"


def collect_drift(
    ws: Workspace,
    name: str,
    files: Sequence[Path],
    entry: Mapping[str, Any],
    current: Profile | None,
) -> dict[str, Any]:
    """The drift section of one dataset: the most recent consecutive comparisons."""
    from datalife.stats import stats

    versions = entry.get("versions", {}).get("items") or []
    first_seen = {str(v["version"]): str(v["first_seen"]) for v in versions}
    chain = _saved_versions(ws, name, first_seen)
    current_version = entry.get("files", {}).get("version")
    if current is not None and current_version not in {v.version for v in chain}:
        when = first_seen.get(str(current_version)) or "now"
        chain.append(VersionProfile("current files", current_version, when, current))
    basis = "versions"
    note = None
    if len(chain) < 2:
        if len(files) < 2:
            return {
                "status": "empty",
                "message": "drift needs two dataset versions; only one is known",
                "hint": f"save a profile of each version with `datalife stats {name} --save`",
                "comparisons": [],
            }
        basis = "batches"
        recorded = len(versions)
        note = (
            f"{recorded} dataset version{'s' if recorded != 1 else ''} recorded, but only "
            f"{len(chain)} with a statistics profile, so consecutive batch files of the "
            f"current version are compared instead (`datalife stats {name} --save` keeps a "
            "profile of each version for later comparisons)"
        )
        chosen = sorted(files)[-(MAX_COMPARISONS + 1) :]
        chain = [
            VersionProfile(ws.relpath(f), None, "", stats([f], dataset=name, workspace=ws))
            for f in chosen
        ]
    schema_ref = (entry.get("schema") or {}).get("ref")
    pairs = list(itertools.pairwise(chain))[-MAX_COMPARISONS:]
    comparisons = [_compare(a, b, schema_ref, ws) for a, b in reversed(pairs)]
    return {"status": "ok", "basis": basis, "note": note, "comparisons": comparisons}


def _compare(
    a: VersionProfile, b: VersionProfile, schema_ref: str | None, ws: Workspace
) -> dict[str, Any]:
    metrics, why = _drift_metrics(a.profile, b.profile, schema_ref, ws)
    base_cols = {c["name"]: c for c in a.profile.to_dict()["columns"]}
    cur_cols = {c["name"]: c for c in b.profile.to_dict()["columns"]}
    columns = []
    by_column: dict[str, dict[str, Any]] = {}
    if metrics is not None:
        by_column = {
            str(c.get("column")): c for c in metrics.get("columns") or [] if isinstance(c, dict)
        }
    for col in base_cols:
        if col not in cur_cols:
            continue
        columns.append(
            {
                "column": col,
                "kind": base_cols[col].get("kind"),
                "overlay": overlay(base_cols[col], cur_cols[col]),
                "metrics": by_column.get(col),
            }
        )
    return {
        "baseline": a.describe(),
        "current": b.describe(),
        "drifted": metrics.get("drifted") if metrics is not None else None,
        "metrics": metrics,
        "metrics_message": why,
        "added": [c for c in cur_cols if c not in base_cols],
        "removed": [c for c in base_cols if c not in cur_cols],
        "columns": columns,
    }
