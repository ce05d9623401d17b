"""The checks of schema files: layout, parsing, name and version, gaps, released versions
unchanged or deleted, new versions meeting their compatibility policy."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from datalife.governance.compatibility import compat_problems
from datalife.governance.git import git_blob
from datalife.governance.problems import EXIT_FAIL, EXIT_INPUT, CheckReport, Problem
from datalife.governance.released import Released

if TYPE_CHECKING:
    from datalife.config import Workspace
    from datalife.schemas.model import SchemaVersion

__all__ = ["SCHEMA_FILE", "SchemaFile", "check_schema_files"]

SCHEMA_FILE = re.compile(r"^[1-9][0-9]*\.yaml$")


@dataclass
class SchemaFile:
    rel: str  # relative to the workspace root
    path: Path
    name: str
    version: int
    text: str | None = None
    sv: SchemaVersion | None = None


def _classify(ws: Workspace, path: Path) -> tuple[SchemaFile | None, Problem | None]:
    """A version file under ``schemas/``, or the problem with its path (None, None: ignore)."""
    rel = ws.relpath(path)
    try:
        parts = path.resolve().relative_to(ws.schemas_dir.resolve()).parts
    except ValueError:
        return None, None
    if any(p.startswith(".") for p in parts):
        return None, None
    layout = "schemas/<name>/<version>.yaml, e.g. schemas/penguins/2.yaml"
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml"):
        return None, Problem(
            "not_a_schema_file",
            f"{rel}: not a YAML file; only schema versions belong under schemas/",
            path=rel,
            hint=f"move it out of schemas/ (schema versions are {layout}).",
            exit_code=EXIT_INPUT,
        )
    if len(parts) != 2 or not SCHEMA_FILE.match(parts[1]):
        why = "use the .yaml suffix" if suffix == ".yml" else f"schema versions are {layout}"
        return None, Problem(
            "not_a_schema_file",
            f"{rel}: not where a schema version lives, so datalife would ignore it",
            path=rel,
            hint=f"rename it: {why} (versions are integers from 1, without leading zeros).",
            exit_code=EXIT_INPUT,
        )
    return SchemaFile(rel, path, parts[0], int(parts[1].split(".")[0])), None


def _parse(sf: SchemaFile) -> Problem | None:
    from datalife.errors import SchemaFileError
    from datalife.schemas.io import parse_schema_text

    try:
        raw = sf.path.read_bytes()
        sf.text = raw.decode("utf-8")
        sf.sv = parse_schema_text(sf.text, sf.rel)
    except UnicodeDecodeError:
        return Problem(
            "schema_file", f"{sf.rel}: not UTF-8 text", path=sf.rel, exit_code=EXIT_INPUT
        )
    except OSError as exc:
        return Problem(
            "schema_file", f"{sf.rel}: cannot read: {exc}", path=sf.rel, exit_code=EXIT_INPUT
        )
    except SchemaFileError as exc:
        return Problem(
            "schema_file",
            exc.message,
            path=sf.rel,
            line=exc.line,
            column=exc.column,
            details=tuple(exc.details),
            hint=exc.hint,
            exit_code=EXIT_INPUT,
        )
    meta = sf.sv.meta
    if meta.name != sf.name or meta.version != sf.version:
        return Problem(
            "name_mismatch",
            f"{sf.rel}: the file says {meta.name}@{meta.version} but its path says "
            f"{sf.name}@{sf.version}",
            path=sf.rel,
            line=_line_of(sf.text, "name" if meta.name != sf.name else "version"),
            hint=f"set `name: {sf.name}` and `version: {sf.version}` in the file, or move it "
            f"to schemas/{meta.name}/{meta.version}.yaml.",
            exit_code=EXIT_INPUT,
        )
    return None


def _line_of(text: str | None, key: str) -> int | None:
    for i, raw in enumerate((text or "").splitlines(), start=1):
        if raw.startswith(f"{key}:"):
            return i
    return None


def _schema_files_on_disk(ws: Workspace) -> list[Path]:
    if not ws.schemas_dir.is_dir():
        return []
    return sorted(p for p in ws.schemas_dir.rglob("*") if p.is_file())


def check_schema_files(
    ws: Workspace,
    paths: Iterable[str | Path] | None = None,
    *,
    base: str | None = "HEAD",
    released: Released | None = None,
) -> CheckReport:
    """Check schema files: layout, parsing, name/version, gaps, immutability, policy.

    Args:
        ws: the workspace.
        paths: the files to check (e.g. the staged ones); None checks every file under
            ``schemas/``. Files outside ``schemas/`` are ignored.
        base: the git commit whose schema files are released (None: ignore git).
    """
    ws.import_check_modules()
    report = CheckReport(base=base)
    rel_ = released or Released(ws, base)
    report.notes.extend(rel_.notes)
    everything = paths is None
    candidates = _schema_files_on_disk(ws) if paths is None else [Path(p) for p in paths]
    chosen: dict[str, SchemaFile] = {}
    for p in candidates:
        absolute = p if p.is_absolute() else Path.cwd() / p
        if not absolute.exists():
            continue
        sf, problem = _classify(ws, absolute)
        if problem is not None:
            report.problems.append(problem)
        if sf is not None:
            chosen[sf.rel] = sf
    # every version of the names touched, to check gaps and compatibility
    names = sorted({sf.name for sf in chosen.values()})
    if everything:
        names = sorted(
            {*names, *(d.name for d in ws.schemas_dir.iterdir() if d.is_dir())}
            if ws.schemas_dir.is_dir()
            else names
        )
    report.problems.extend(_deleted(ws, rel_, None))
    for name in names:
        report.schemas += 1
        report.extend(_check_name(ws, name, chosen, rel_, everything))
    return report


def _deleted(ws: Workspace, released: Released, names: list[str] | None) -> list[Problem]:
    """Released versions whose file is gone."""
    out: list[Problem] = []
    seen: set[str] = set()
    for rel in sorted(released.blobs):
        parts = Path(rel).parts
        if len(parts) != 3 or not SCHEMA_FILE.match(parts[2]):
            continue
        if names is not None and parts[1] not in names:
            continue
        if not (ws.root / rel).exists():
            ref = f"{parts[1]}@{parts[2].split('.')[0]}"
            seen.add(ref)
            out.append(_deleted_problem(rel, ref, f"git {released.base} holds it"))
    if names is None or names:
        for ref in sorted(released.lineage):
            name, _, version = ref.partition("@")
            if names is not None and name not in names:
                continue
            rel = f"schemas/{name}/{version}.yaml"
            if ref in seen or (ws.root / rel).exists():
                continue
            if not (ws.schemas_dir / name).is_dir():
                continue  # a schema of another workspace or a deleted name: not ours to judge
            out.append(_deleted_problem(rel, ref, "the lineage log records it"))
    return out


def _deleted_problem(rel: str, ref: str, why: str) -> Problem:
    return Problem(
        "released_deleted",
        f"{rel}: {ref} is released ({why}) and its file was deleted",
        path=rel,
        hint="restore it (`git checkout HEAD -- " + rel + "`): released versions are immutable; "
        "to stop using a version, add a new one.",
        exit_code=EXIT_INPUT,
    )


def _check_name(
    ws: Workspace,
    name: str,
    chosen: dict[str, SchemaFile],
    released: Released,
    everything: bool,
) -> CheckReport:
    report = CheckReport()
    folder = ws.schemas_dir / name
    files: dict[int, SchemaFile] = {}
    for p in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        sf, _ = _classify(ws, p)
        if sf is not None:
            files[sf.version] = chosen.get(sf.rel, sf)
    report.versions = len(files)
    versions = sorted(files)
    missing = [v for v in range(1, (versions[-1] if versions else 0) + 1) if v not in files]
    for v in missing:
        rel = f"schemas/{name}/{v}.yaml"
        if rel in released.blobs:
            continue  # reported as a deleted released version
        report.problems.append(
            Problem(
                "version_gap",
                f"schemas/{name}: versions {', '.join(map(str, versions))}: version {v} is missing",
                path=rel,
                hint=f"versions of a schema are consecutive from 1: rename the next file to "
                f"{v}.yaml (set `version: {v}` in it), or restore version {v}.",
                exit_code=EXIT_INPUT,
            )
        )
    parsed: dict[int, SchemaFile] = {}
    for v in versions:
        sf = files[v]
        if not everything and sf.rel not in chosen and not _needed_for_compat(v, chosen, name):
            continue
        problem = _parse(sf)
        if problem is not None:
            if sf.rel in chosen or everything:
                report.problems.append(problem)
            continue
        parsed[v] = sf
    # immutability
    for sf in parsed.values():
        if not (everything or sf.rel in chosen):
            continue
        changed, _old = released.changed(sf)
        if changed:
            report.problems.append(_edited_problem(sf, released))
        elif released.is_released(sf) and not released.in_git(sf.rel):
            report.notes.append(
                f"{sf.name}@{sf.version} is recorded in the lineage log but not committed: "
                "commit it unchanged (datalife cannot tell whether it was edited since)"
            )
    # compatibility of the versions that are not released yet
    if missing:
        return report
    for v, sf in sorted(parsed.items()):
        if v == 1 or released.is_released(sf):
            continue
        if not (everything or sf.rel in chosen):
            continue
        earlier = [parsed.get(u) for u in range(1, v)]
        if any(e is None for e in earlier):
            continue  # an earlier version does not parse: reported above
        report.problems.extend(compat_problems(ws, sf, [e for e in earlier if e is not None]))
    return report


def _needed_for_compat(v: int, chosen: dict[str, SchemaFile], name: str) -> bool:
    return any(sf.name == name and sf.version > v for sf in chosen.values())


def _edited_problem(sf: SchemaFile, released: Released) -> Problem:
    details: list[str] = []
    try:
        from datalife.schemas.diff import diff
        from datalife.schemas.io import parse_schema_text

        assert released.repo is not None
        assert sf.sv is not None
        old = parse_schema_text(
            git_blob(released.repo, released.blobs[sf.rel]).decode("utf-8"), sf.rel
        )
        d = diff(old, sf.sv)
        details = [f"{c.column or '(dataframe)'}: {c.description}" for c in d.changes] or [
            "metadata changed"
        ]
    except Exception:  # noqa: BLE001 - the old text may not parse with this datalife: still refuse
        details = []
    return Problem(
        "released_changed",
        f"{sf.rel}: {sf.name}@{sf.version} is released ({released.where(sf)}) and cannot change",
        path=sf.rel,
        details=tuple(details),
        hint=f"undo the edit (`git checkout HEAD -- {sf.rel}`) and add a new version instead: "
        f"`datalife schema bump {sf.name}` copies the latest version to edit.",
        exit_code=EXIT_FAIL,
    )
