"""The checks of data files: each dataset's files validated against the latest version of its
schema (nothing recorded)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datalife.governance.problems import EXIT_FAIL, EXIT_INPUT, CheckReport, Problem

if TYPE_CHECKING:
    from datalife.config import Workspace

__all__ = ["check_data_files", "datasets_of"]


def datasets_of(
    ws: Workspace, paths: Iterable[str | Path]
) -> tuple[dict[str, list[Path]], list[Problem]]:
    """Group data files by dataset; a file two datasets claim is a problem (exit 2)."""
    groups: dict[str, list[Path]] = {}
    problems: list[Problem] = []
    for p in paths:
        path = Path(p)
        names = ws.datasets_for(path)
        if len(names) > 1:
            rel = ws.relpath(path)
            problems.append(
                Problem(
                    "overlapping_datasets",
                    f"{rel}: matched by the globs of several datasets: {', '.join(names)}",
                    path=rel,
                    hint=f"make the datasets' `files` globs in {ws.config_path.name} disjoint: "
                    "a file belongs to one dataset.",
                    exit_code=EXIT_INPUT,
                )
            )
            continue
        if names:
            groups.setdefault(names[0], []).append(path)
    return groups, problems


def check_data_files(
    ws: Workspace, groups: dict[str, list[Path]], *, engine: str = "auto"
) -> CheckReport:
    """Validate each dataset's files against the latest version of its schema (no lineage),
    with ``engine``."""
    from datalife.errors import DatalifeError, SchemaNotFound
    from datalife.schemas.registry import SchemaRegistry
    from datalife.validation import validate_files

    report = CheckReport()
    ws.import_check_modules()
    reg = SchemaRegistry(ws)
    for dataset, files in groups.items():
        report.datasets += 1
        report.files += len(files)
        schema_name = ws.schema_for(dataset)
        try:
            sv = reg.load(schema_name)
        except SchemaNotFound as exc:
            report.problems.append(
                Problem(
                    "config",
                    f"dataset {dataset!r}: {exc.message}",
                    path=ws.relpath(ws.config_path),
                    hint=exc.hint,
                    exit_code=EXIT_INPUT,
                )
            )
            continue
        except DatalifeError as exc:
            report.problems.append(
                Problem(
                    "schema_file",
                    exc.message,
                    path=exc.path,
                    line=exc.line,
                    hint=exc.hint,
                    exit_code=EXIT_INPUT,
                )
            )
            continue
        except OSError as exc:  # e.g. a file named like a version but not where it is looked up
            report.problems.append(
                Problem(
                    "schema_file",
                    f"dataset {dataset!r}: cannot load schema {schema_name!r}: {exc}",
                    path=f"schemas/{schema_name}",
                    hint="fix the schema files reported above, then check again.",
                    exit_code=EXIT_INPUT,
                )
            )
            continue
        try:
            result = validate_files(files, sv, workspace=ws, record=False, engine=engine)
            _keys_across_dataset(ws, dataset, files, sv, result, engine)
        except DatalifeError as exc:
            report.problems.append(
                Problem(
                    "unreadable_data",
                    exc.message,
                    path=ws.relpath(exc.path) if exc.path else None,
                    line=exc.line,
                    column=exc.column,
                    details=tuple(exc.details),
                    hint=exc.hint,
                    exit_code=exc.exit_code if exc.exit_code != 0 else EXIT_INPUT,
                )
            )
            continue
        if result.valid:
            continue
        rels = [ws.relpath(f) for f in files]
        for failure in result.failures:
            example = failure.examples[0] if failure.examples else None
            path = (
                failure.file
                or (example.file if example is not None else None)
                or (rels[0] if len(rels) == 1 else None)
            )
            what = failure.describe()
            if failure.file and what.startswith(f"{failure.file}: "):
                what = what[len(failure.file) + 2 :]
            report.problems.append(
                Problem(
                    "invalid_data",
                    f"{path or ', '.join(rels)}: invalid under {sv.ref}: {what}",
                    path=path,
                    line=example.line if example is not None else None,
                    column=failure.column,
                    hint=result.hint(),
                    exit_code=EXIT_FAIL,
                    data={"dataset": dataset, "schema": sv.ref, "failure": failure.to_dict()},
                )
            )
    return report


def _keys_across_dataset(
    ws: Workspace, dataset: str, files: list[Path], sv: Any, result: Any, engine: str = "auto"
) -> None:
    """Add to ``result`` the keys the given ``files`` repeat from the dataset's other files.

    A key must be unique across the whole dataset, not only within the files checked (the
    staged ones, in the hook): the key checks alone run again over every file of the
    dataset, and a repetition that involves the given files is a failure of theirs.
    """
    from dataclasses import replace

    from datalife.engines.base import validate_data
    from datalife.plan.spec import SchemaSpec

    spec = sv.spec
    keyed = [c for c, col in spec.columns.items() if col.unique]
    if not keyed and not spec.unique:
        return
    given = {p.resolve() for p in files}
    others = [p for p in ws.dataset_files(dataset) if p.resolve() not in given]
    if not others:
        return
    wanted = set(keyed) | set(spec.unique or ())
    keys_only = SchemaSpec(
        {
            c: replace(col, checks=(), nullable=True, required=False)
            for c, col in spec.columns.items()
            if c in wanted
        },
        unique=spec.unique,
        coerce=True,
    )
    across = validate_data(
        [*files, *others], keys_only, ref=sv.ref, display=ws.relpath, engine=engine
    )
    seen = {(f.column, f.check) for f in result.failures}
    shown = {ws.relpath(p) for p in files}
    for failure in across.failures:
        if failure.check != "unique" or (failure.column, "unique") in seen:
            continue
        if not any(e.file in shown for e in failure.examples):
            continue  # repeated among the other files only: not the given files' problem
        result.failures.append(failure)
