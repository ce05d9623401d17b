"""The HTML report and the Markdown dataset card.

``build_report(workspace, dataset=None)`` returns one self-contained HTML page (no network,
no scripts; charts are inline SVG): dataset versions and their validation results with
failing examples, per-column statistics with histograms, drift between the most recent
versions with overlaid histograms, split balance, and the lineage graph as a picture.
``build_card(workspace, dataset)`` returns a Markdown datasheet that GitHub renders, with the
lineage as a Mermaid diagram. ``write_report`` / ``write_card`` write them atomically.

Both read the workspace and never change it: validation and profiling run on the current
files without recording anything in the lineage log. See ``docs/report.md``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datalife.config import Workspace
    from datalife.report.collect import ReportData

__all__ = [
    "ReportResult",
    "build_card",
    "build_report",
    "collect_report",
    "write_card",
    "write_report",
]


@dataclass
class ReportResult:
    """What :func:`write_report` or :func:`write_card` wrote, and what it found.

    Attributes:
        path: the file written.
        bytes: its size.
        kind: ``"report"`` (HTML) or ``"card"`` (Markdown).
        data: the collected data the file shows.
    """

    path: Path
    bytes: int
    kind: str
    data: ReportData = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """``--format json``: the file, each section's status, and what is missing."""
        return {
            "kind": self.kind,
            "out": str(self.path),
            "bytes": self.bytes,
            "scope": self.data.scope,
            "datasets": [d["name"] for d in self.data.datasets],
            "sections": self.data.sections(),
            "problems": self.data.problems(),
            "data": self.data.to_dict(),
        }


def collect_report(
    workspace: Workspace | str | os.PathLike[str] | None = None,
    dataset: str | None = None,
    *,
    drift: bool = True,
) -> ReportData:
    """The report's data (see :func:`datalife.report.collect.collect`)."""
    from datalife.report.collect import collect as _collect

    return _collect(workspace, dataset, drift=drift)


def build_report(
    workspace: Workspace | str | os.PathLike[str] | None = None,
    dataset: str | None = None,
    *,
    drift: bool = True,
) -> str:
    """The HTML report of a workspace (or of one dataset) as a string.

    Args:
        workspace: a Workspace, a folder inside one, or None for the current folder's.
        dataset: restrict the report to this dataset.
        drift: compare the most recent versions (profiles each side).

    Raises:
        WorkspaceNotFound: no workspace there.
        ConfigError: ``dataset`` is not declared in the workspace.
    """
    from datalife.report.html import render_html

    return render_html(collect_report(workspace, dataset, drift=drift).to_dict())


def _target(out: str | os.PathLike[str] | None, default: Path) -> Path:
    from datalife.errors import OutputNotWritable

    path = Path(out) if out is not None else default
    if path.is_dir():
        raise OutputNotWritable.from_path(path, "it is a directory; name a file")
    return path


def _new_file_mode(path: Path) -> int:
    """Keep an existing file's permissions; a new file gets the usual ones (0666 & ~umask)."""
    import stat

    if path.exists():
        return stat.S_IMODE(path.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _write(path: Path, text: str) -> int:
    """Write ``text`` atomically (temporary file, fsync, rename); return the size written."""
    from datalife.errors import OutputNotWritable
    from datalife.storage import atomic_open

    data = text.encode("utf-8")
    try:
        mode = _new_file_mode(path)
        with atomic_open(path, "wb") as fh:
            os.fchmod(fh.fileno(), mode)  # mkstemp's 0600 would hide a report meant to be shared
            fh.write(data)
    except OSError as exc:
        raise OutputNotWritable.from_path(path, exc.strerror or str(exc)) from None
    return len(data)


def write_report(
    workspace: Workspace | str | os.PathLike[str] | None = None,
    dataset: str | None = None,
    out: str | os.PathLike[str] | None = None,
    *,
    drift: bool = True,
) -> ReportResult:
    """Write the HTML report atomically to ``out`` (default: ``report.html`` here).

    Raises:
        WorkspaceNotFound, ConfigError: as :func:`build_report`.
        OutputNotWritable: ``out`` is a directory, or cannot be written (its folder is
            created when missing).
    """
    from datalife.report.collect import resolve_workspace
    from datalife.report.html import render_html

    ws = resolve_workspace(workspace)
    path = _target(out, Path("report.html"))
    data = collect_report(ws, dataset, drift=drift)
    size = _write(path, render_html(data.to_dict()))
    return ReportResult(path, size, "report", data)


def build_card(
    workspace: Workspace | str | os.PathLike[str] | None = None,
    dataset: str = "",
    *,
    drift: bool = False,
) -> str:
    """The Markdown dataset card of ``dataset`` as a string (see :mod:`datalife.report.card`)."""
    from datalife.report.card import render_card

    data = collect_report(workspace, dataset or _only_dataset(workspace), drift=drift)
    return render_card(data.to_dict(), _mermaid(data))


def write_card(
    workspace: Workspace | str | os.PathLike[str] | None = None,
    dataset: str = "",
    out: str | os.PathLike[str] | None = None,
    *,
    drift: bool = False,
) -> ReportResult:
    """Write the dataset card atomically (default: ``DATASET.card.md`` in the workspace root)."""
    from datalife.report.card import render_card
    from datalife.report.collect import resolve_workspace

    ws = resolve_workspace(workspace)
    name = dataset or _only_dataset(ws)
    data = collect_report(ws, name, drift=drift)
    path = _target(out, ws.root / f"{name}.card.md")
    size = _write(path, render_card(data.to_dict(), _mermaid(data)))
    return ReportResult(path, size, "card", data)


def _only_dataset(workspace: Workspace | str | os.PathLike[str] | None) -> str:
    from datalife.errors import ConfigError
    from datalife.report.collect import resolve_workspace

    ws = resolve_workspace(workspace)
    names = sorted(ws.config.datasets)
    if len(names) == 1:
        return names[0]
    raise ConfigError(
        "name the dataset the card is for"
        + (f" (datasets: {', '.join(names)})" if names else " (no datasets declared yet)"),
        path=ws.config_path,
        hint="pass DATASET, e.g. `datalife card penguins`."
        if names
        else "add one with `datalife dataset add NAME GLOB...`.",
    )


def _mermaid(data: ReportData) -> list[str] | None:
    """The Mermaid lines of the lineage shown in the report data, or None when empty."""
    shown = {str(n["id"]) for n in data.lineage.get("nodes") or []}
    if data.lineage.get("status") != "ok" or not shown:
        return None
    from datalife import lineage
    from datalife.lineage.export import to_mermaid

    lg = lineage.load(data.workspace["root"], warn=False)
    return list(to_mermaid(lg, shown & set(lg.graph.nodes)))
