"""``datalife check``: every schema file and every dataset of a workspace."""

from __future__ import annotations

from typing import TYPE_CHECKING

from datalife.governance.data_files import check_data_files, datasets_of
from datalife.governance.problems import CheckReport
from datalife.governance.schema_files import check_schema_files

if TYPE_CHECKING:
    from datalife.config import Workspace

__all__ = ["check_workspace"]


def check_workspace(
    ws: Workspace,
    *,
    base: str | None = "HEAD",
    data: bool = True,
    schemas: bool = True,
    engine: str = "auto",
) -> CheckReport:
    """``datalife check``: every schema file and every dataset of the workspace (the data
    validated by ``engine``)."""
    report = CheckReport(base=base)
    if schemas:
        report.extend(check_schema_files(ws, None, base=base))
    if data:
        files = sorted({f for name in ws.config.datasets for f in ws.dataset_files(name)})
        groups, problems = datasets_of(ws, files)
        report.problems.extend(problems)
        for name in ws.config.datasets:
            if name not in groups:
                report.notes.append(f"dataset {name!r}: no files match its globs yet")
        report.extend(check_data_files(ws, groups, engine=engine))
    return report
