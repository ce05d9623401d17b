"""Structural checks, decided once for every engine: which columns are missing, unexpected
or out of order. They depend only on column names, so no engine computes them its own way."""

from __future__ import annotations

from collections.abc import Sequence

from datalife.engines.report import Example, Failure
from datalife.plan.compile import CheckPlan, PlannedCheck, rename_candidates
from datalife.plan.spec import SchemaSpec

__all__ = ["dtype_mismatches", "merge_structural", "structure_failures"]


def structure_failures(
    spec: SchemaSpec, columns: Sequence[Sequence[str]], names: Sequence[str]
) -> list[Failure]:
    """The structural failures of each source (its ``columns``, named ``names``)."""
    failures: list[Failure] = []
    schema_cols = list(spec.columns)
    for have_cols, display in zip(columns, names, strict=True):
        have = list(have_cols)
        missing = [c for c in schema_cols if c not in have and spec.columns[c].required]
        extra = [c for c in have if c not in spec.columns]
        renames = rename_candidates(missing, extra)
        for c in missing:
            msg = "required column is missing"
            if c in renames:
                msg += f"; column {renames[c]!r} looks like it was renamed from it"
            failures.append(
                Failure(
                    c, "column_in_dataframe", "column_in_dataframe", 1, (Example(c),), msg, display
                )
            )
        if spec.strict is True:
            for c in extra:
                msg = "column is not in the schema (the schema is strict)"
                back = [m for m, e in renames.items() if e == c]
                if back:
                    msg += f"; it looks like a rename of {back[0]!r}"
                failures.append(
                    Failure(
                        c, "column_in_schema", "column_in_schema", 1, (Example(c),), msg, display
                    )
                )
        if spec.ordered:
            order = [c for c in have if c in spec.columns]
            if order != [c for c in schema_cols if c in have]:
                failures.append(
                    Failure(
                        None,
                        "column_ordered",
                        "column_ordered",
                        1,
                        (Example(",".join(have)),),
                        "columns are not in the schema's order",
                        display,
                    )
                )
    return failures


def merge_structural(failures: list[Failure], n_sources: int) -> list[Failure]:
    """One failure per structural problem, naming the files only when not all have it."""
    merged: dict[tuple[str | None, str, str], list[Failure]] = {}
    for f in failures:
        merged.setdefault((f.column, f.check, f.message), []).append(f)
    out = []
    for group in merged.values():
        files = [f.file for f in group if f.file]
        first = group[0]
        where = None if len(group) == n_sources or n_sources == 1 else ", ".join(files)
        out.append(
            Failure(
                first.column,
                first.check,
                first.detail,
                len(group),
                first.examples,
                first.message,
                where,
            )
        )
    return out


def dtype_mismatches(
    plan: CheckPlan, stored: Sequence[dict[str, str]], names: Sequence[str]
) -> list[Failure]:
    """One failure per column stored (in a typed source: Parquet, a frame) as another type
    than the schema's, where the schema does not coerce: ``(check, stored as, file)``. Text
    sources have no type of their own: their values are converted row by row instead."""
    from datalife.reading import type_family, typed_columns

    typing = typed_columns(plan.spec)
    found: dict[int, list[tuple[PlannedCheck, str, str]]] = {}
    for c, (target, _, _) in typing.items():
        if plan.spec.columns[c].coerce or plan.spec.coerce:
            continue
        kind = next(
            p for p in plan.checks if p.column == c and p.check in ("dtype", "coerce_dtype")
        )
        for types, display in zip(stored, names, strict=True):
            fam = type_family(types.get(c, "VARCHAR"))
            if c in types and fam not in ("VARCHAR", "NULL") and fam != type_family(target):
                found.setdefault(id(kind), []).append((kind, fam, display))
    out = []
    for group in found.values():
        p = group[0][0]
        stored_as = ", ".join(sorted({g[1] for g in group}))
        want = p.detail.split(chr(39))[1] if chr(39) in p.detail else p.detail
        files = [g[2] for g in group]
        where = None if len(files) == len(names) or len(names) == 1 else ", ".join(files)
        out.append(
            Failure(
                p.column,
                p.check,
                p.detail,
                len(group),
                (Example(stored_as),),
                f"stored as {stored_as}, the schema says {want}",
                where,
            )
        )
    return out
