"""How every engine concludes a validation, the same way: rows per source (a text file whose
data lines read as no rows is an error), the row minimum, failures in schema order, the notes
and the list of checks with their outcome."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from datalife.engines.report import CheckResult, Example, Failure
from datalife.plan.compile import STRUCTURAL, CheckPlan
from datalife.reading import has_data_lines, zero_rows_error

__all__ = ["check_results", "conclude", "min_rows_failure"]


def conclude(
    plan: CheckPlan,
    failures: list[Failure],
    sources: Sequence[Any],
    names: Sequence[str],
    rows: Sequence[int],
) -> tuple[list[Failure], list[CheckResult], list[dict[str, Any]], list[str]]:
    """``(failures, checks, per-source info, notes)`` from an engine's failures and the rows
    it read from each source (files; for a frame, ``rows`` has its one count and no info is
    given)."""
    info: list[dict[str, Any]] = []
    for src, display, n in zip(sources, names, rows, strict=True):
        if not getattr(src, "on_disk", False):
            continue
        if n == 0 and has_data_lines(src):
            raise zero_rows_error(src, display)
        info.append({"path": display, "format": src.format, "bytes": src.size, "rows": n})
    total = sum(rows)
    if plan.spec.min_rows and total < plan.spec.min_rows:
        failures.append(min_rows_failure(plan.spec.min_rows, total))
    order = plan.columns
    failures.sort(
        key=lambda f: (order.index(f.column) if f.column in order else len(order), f.check)
    )
    notes = []
    if any(getattr(s, "format", "") == "csv" for s in sources):
        notes.append(
            "CSV values "
            + ", ".join(repr(t) for t in ("", "NA", "N/A", "n/a", "NaN", "null"))
            + " (and the other pandas defaults) are read as missing"
        )
    return failures, check_results(plan, failures), info, notes


def min_rows_failure(minimum: int, rows: int) -> Failure:
    """The failure of a dataset with fewer rows than its schema's minimum."""
    return Failure(
        None,
        "min_rows",
        f"min_rows({minimum})",
        1,
        (Example(rows),),
        f"{rows} rows, the schema asks for at least {minimum}"
        + (" (the dataset is empty)" if rows == 0 else ""),
    )


def check_results(plan: CheckPlan, failures: Sequence[Failure]) -> list[CheckResult]:
    """Every check of ``plan`` once, passed unless a failure names it."""
    structural = {(f.column, f.check) for f in failures if f.check in STRUCTURAL}
    structural |= {(None, f.check) for f in failures if f.check in STRUCTURAL}
    failed = {(f.column, f.check, f.detail) for f in failures if f.check not in STRUCTURAL}
    seen: set[tuple[str | None, str, str]] = set()
    out = []
    for p in plan.checks:
        key = (p.column, p.check, p.detail)
        if key in seen:
            continue
        seen.add(key)
        structural_ok = (p.column, p.check) not in structural
        ok = structural_ok if p.check in STRUCTURAL else key not in failed
        out.append(CheckResult(p.column, p.check, p.detail, ok))
    return out
