"""Schema governance: released versions are immutable, new versions meet their policy, data is valid.

A schema version is **released** once git's base commit (``HEAD`` by default) holds its file,
or once the lineage log records it (a run validated data against ``name@version``). Released
versions never change: editing or deleting one is refused with a message saying to add a new
version (``datalife schema bump NAME``). A new version must meet its compatibility policy (its
``compatibility:`` key, else the workspace's ``compatibility``) against the previous version
(all earlier versions for the ``*_TRANSITIVE`` modes).

:func:`check_schema_files` checks schema files (the ``datalife-schema-check`` hook: the staged
ones); :func:`check_data_files` validates data files against their dataset's latest schema
version (the ``datalife-validate`` hook); :func:`check_workspace` does both for a whole
workspace (``datalife check``, for CI). All of them only read: they write no lineage, cache or
report, so pre-commit never sees a modified file.

Every problem is a :class:`Problem` with an exit code: 2 for input that cannot be checked (a
schema file that does not parse, a name or version that does not match its path, a version
gap, a deleted released version, a non-YAML file under ``schemas/``, a file two datasets
claim), 1 for a check that fails (an edited released version, a new version breaking its
policy, invalid data).

This module imports only the standard library at import time, so the hooks can use its git
helpers before deciding whether any heavy work is needed.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datalife.config import Workspace
    from datalife.schemas.model import SchemaVersion

__all__ = [
    "CheckReport",
    "Problem",
    "check_data_files",
    "check_schema_files",
    "check_workspace",
    "find_git_root",
    "lineage_refs",
    "policy_of",
    "released_schema_blobs",
]

EXIT_FAIL = 1
EXIT_INPUT = 2

SCHEMA_FILE = re.compile(r"^[1-9][0-9]*\.yaml$")
_REF_IN_LOG = re.compile(r'"([A-Za-z_][A-Za-z0-9_.-]*)@([1-9][0-9]*)"')
_POLICY_KEY = re.compile(r"^compatibility[ \t]*:", re.MULTILINE)


# -- problems and the report -----------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing ``datalife check`` or a hook found wrong.

    Attributes:
        kind: a stable code (``schema_file``, ``name_mismatch``, ``version_gap``,
            ``released_changed``, ``released_deleted``, ``not_a_schema_file``,
            ``incompatible``, ``compatibility_unknown``, ``invalid_data``, ``unreadable_data``,
            ``overlapping_datasets``, ``config``).
        message: one line.
        path: the file, relative to the workspace root.
        line: the line in that file, if known.
        column: the column, if any.
        details: more lines (failures, witnesses).
        hint: what to do.
        exit_code: 1 (a check fails) or 2 (input that cannot be checked).
    """

    kind: str
    message: str
    path: str | None = None
    line: int | None = None
    column: str | None = None
    details: tuple[str, ...] = ()
    hint: str | None = None
    exit_code: int = EXIT_FAIL
    data: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "details": list(self.details),
            "hint": self.hint,
            "exit_code": self.exit_code,
        }
        if self.data:
            out.update(self.data)
        return out

    def to_text(self) -> str:
        lines = [self.message]
        lines.extend(f"  {d}" for d in self.details)
        if self.hint:
            lines.append(f"  Fix: {self.hint}")
        return "\n".join(lines)

    def to_github(self) -> str:
        """A GitHub Actions ``::error`` workflow command (annotates the file in the PR)."""
        props = []
        if self.path:
            props.append(f"file={_gh_prop(self.path)}")
        if self.line:
            props.append(f"line={self.line}")
        props.append(f"title={_gh_prop('datalife ' + self.kind)}")
        body = self.to_text()
        return f"::error {','.join(props)}::{_gh_data(body)}"


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


@dataclass
class CheckReport:
    """Everything a check found, with counts of what it looked at."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    schemas: int = 0
    versions: int = 0
    datasets: int = 0
    files: int = 0
    base: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def exit_code(self) -> int:
        return max((p.exit_code for p in self.problems), default=0)

    def extend(self, other: CheckReport) -> None:
        self.problems.extend(other.problems)
        self.notes.extend(n for n in other.notes if n not in self.notes)
        self.schemas += other.schemas
        self.versions += other.versions
        self.datasets += other.datasets
        self.files += other.files

    def summary(self) -> str:
        what = (
            f"{_n(self.schemas, 'schema')} ({_n(self.versions, 'version')}), "
            f"{_n(self.datasets, 'dataset')} ({_n(self.files, 'data file')})"
        )
        if self.ok:
            return f"ok: checked {what}"
        return f"{_n(len(self.problems), 'problem')} in {what}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "exit_code": self.exit_code,
            "base": self.base,
            "checked": {
                "schemas": self.schemas,
                "versions": self.versions,
                "datasets": self.datasets,
                "files": self.files,
            },
            "problems": [p.to_dict() for p in self.problems],
            "notes": list(self.notes),
        }

    def to_text(self) -> str:
        lines = [p.to_text() for p in self.problems]
        lines.extend(f"note: {n}" for n in self.notes)
        lines.append(self.summary())
        return "\n".join(lines)

    def to_github(self) -> str:
        lines = [p.to_github() for p in self.problems]
        lines.extend(f"::notice title=datalife::{_gh_data(n)}" for n in self.notes)
        lines.append(self.summary())
        return "\n".join(lines)


def _n(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


# -- git (standard library only) ---------------------------------------------------------------


def find_git_root(start: str | Path | None = None) -> Path | None:
    """The top of the git working tree holding ``start`` (a ``.git`` directory or file)."""
    here = Path(start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / ".git").exists():
            return directory
    return None


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, GIT_OPTIONAL_LOCKS="0", LC_ALL="C")
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, env=env, check=False
    )


def has_commit(repo: Path, ref: str) -> bool:
    """True if ``ref`` names a commit in ``repo``."""
    return _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode == 0


def released_schema_blobs(repo: Path, base: str, schemas_dir: Path) -> dict[str, str]:
    """Schema files in commit ``base`` under ``schemas_dir``: repo-relative path → blob id.

    Empty when ``base`` does not exist (a repository without commits yet).
    """
    try:
        sub = schemas_dir.resolve().relative_to(repo.resolve()).as_posix()
    except ValueError:
        return {}
    proc = _git(repo, "ls-tree", "-r", "-z", "--full-tree", base, "--", sub)
    if proc.returncode != 0:
        return {}
    out: dict[str, str] = {}
    for entry in proc.stdout.split(b"\0"):
        if not entry:
            continue
        meta, _, path = entry.partition(b"\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == b"blob":
            out[path.decode("utf-8", "surrogateescape")] = parts[2].decode()
    return out


def blob_id(data: bytes, length: int = 40) -> str:
    """git's object id for a file's bytes (SHA-1, or SHA-256 for 64-character ids)."""
    header = f"blob {len(data)}\0".encode()
    algo = hashlib.sha256 if length == 64 else hashlib.sha1
    return algo(header + data, usedforsecurity=False).hexdigest()


def git_blob(repo: Path, blob: str) -> bytes:
    proc = _git(repo, "cat-file", "blob", blob)
    return proc.stdout if proc.returncode == 0 else b""


# -- lineage ---------------------------------------------------------------------------------


def lineage_refs(lineage_dir: Path) -> set[str]:
    """Every ``name@version`` the lineage log mentions (as a JSON string).

    Reads the JSON lines as text: it needs no parsing of events and tolerates torn lines.
    """
    found: set[str] = set()
    if not lineage_dir.is_dir():
        return found
    for path in sorted(lineage_dir.rglob("*.jsonl")):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        found.update(f"{m.group(1)}@{m.group(2)}" for m in _REF_IN_LOG.finditer(text))
    return found


# -- schema files ----------------------------------------------------------------------------


@dataclass
class _SchemaFile:
    rel: str  # relative to the workspace root
    path: Path
    name: str
    version: int
    text: str | None = None
    sv: SchemaVersion | None = None


def _classify(ws: Workspace, path: Path) -> tuple[_SchemaFile | None, Problem | None]:
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
    return _SchemaFile(rel, path, parts[0], int(parts[1].split(".")[0])), None


def _parse(sf: _SchemaFile) -> Problem | None:
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


class _Released:
    """Which schema versions are released: in git's base commit, or in the lineage log."""

    def __init__(self, ws: Workspace, base: str | None) -> None:
        self.ws = ws
        self.base = base
        self.repo = find_git_root(ws.root)
        self.blobs: dict[str, str] = {}  # workspace-relative path -> blob id
        self.notes: list[str] = []
        if self.repo is None:
            self.notes.append(
                "not in a git repository: released versions are taken from the lineage log only"
            )
        elif base is not None:
            if has_commit(self.repo, base):
                blobs = released_schema_blobs(self.repo, base, ws.schemas_dir)
                for repo_rel, blob in blobs.items():
                    self.blobs[ws.relpath(self.repo / repo_rel)] = blob
            elif base != "HEAD":
                from datalife.errors import ConfigError

                raise ConfigError(
                    f"git cannot find the base commit {base!r}",
                    hint="fetch it first (in CI: `actions/checkout` with `fetch-depth: 0`), "
                    "or pass another --base.",
                )
        self._lineage: set[str] | None = None

    @property
    def lineage(self) -> set[str]:
        if self._lineage is None:
            self._lineage = lineage_refs(self.ws.lineage_dir)
        return self._lineage

    def in_git(self, rel: str) -> bool:
        return rel in self.blobs

    def is_released(self, sf: _SchemaFile) -> bool:
        return self.in_git(sf.rel) or f"{sf.name}@{sf.version}" in self.lineage

    def where(self, sf: _SchemaFile) -> str:
        if self.in_git(sf.rel):
            return f"git {self.base} holds it"
        return "the lineage log records it"

    def changed(self, sf: _SchemaFile) -> tuple[bool, str | None]:
        """(content changed since the base commit, the base text) for a file in git."""
        blob = self.blobs.get(sf.rel)
        if blob is None or self.repo is None:
            return False, None
        data = sf.path.read_bytes()
        if blob_id(data, len(blob)) == blob:
            return False, None
        old = git_blob(self.repo, blob)
        return _semantic(old) != _semantic(data), old.decode("utf-8", "replace")


def _semantic(data: bytes) -> Any:
    """The YAML document (so comment and layout edits are not changes)."""
    import yaml

    try:
        return yaml.safe_load(data.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return data


def _policy(sf: _SchemaFile, ws: Workspace) -> str:
    assert sf.sv is not None
    if sf.text is not None and _POLICY_KEY.search(sf.text):
        return sf.sv.meta.compatibility.value
    return ws.config.compatibility.value


def policy_of(sv: SchemaVersion, ws: Workspace | None = None) -> str:
    """The compatibility policy of a version: its ``compatibility:`` key, else the workspace's.

    (A schema file without the key follows ``compatibility`` in ``datalife.toml``.)
    """
    text = None
    if sv.path:
        try:
            text = Path(sv.path).read_text(encoding="utf-8")
        except OSError:
            text = None
    if text is None or _POLICY_KEY.search(text) or ws is None:
        return sv.meta.compatibility.value
    return ws.config.compatibility.value


def _schema_files_on_disk(ws: Workspace) -> list[Path]:
    if not ws.schemas_dir.is_dir():
        return []
    return sorted(p for p in ws.schemas_dir.rglob("*") if p.is_file())


def check_schema_files(
    ws: Workspace,
    paths: Iterable[str | Path] | None = None,
    *,
    base: str | None = "HEAD",
    released: Any = None,
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
    rel_ = released or _Released(ws, base)
    report.notes.extend(rel_.notes)
    everything = paths is None
    candidates = _schema_files_on_disk(ws) if paths is None else [Path(p) for p in paths]
    chosen: dict[str, _SchemaFile] = {}
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


def _deleted(ws: Workspace, released: _Released, names: list[str] | None) -> list[Problem]:
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
    chosen: dict[str, _SchemaFile],
    released: _Released,
    everything: bool,
) -> CheckReport:
    report = CheckReport()
    folder = ws.schemas_dir / name
    files: dict[int, _SchemaFile] = {}
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
    parsed: dict[int, _SchemaFile] = {}
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
        report.problems.extend(_compat_problem(ws, sf, [e for e in earlier if e is not None]))
    return report


def _needed_for_compat(v: int, chosen: dict[str, _SchemaFile], name: str) -> bool:
    return any(sf.name == name and sf.version > v for sf in chosen.values())


def _edited_problem(sf: _SchemaFile, released: _Released) -> Problem:
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


def _mode_of(report: Any, direction: Any, policy: str) -> str:
    if direction is report.backward:
        return "BACKWARD"
    if direction is report.forward:
        return "FORWARD"
    for ref, b, _f in report.history:
        if direction is b:
            return f"BACKWARD_TRANSITIVE vs {ref}"
        if direction is _f:
            return f"FORWARD_TRANSITIVE vs {ref}"
    return policy


def _compat_problem(
    ws: Workspace, sf: _SchemaFile, earlier: Sequence[_SchemaFile]
) -> list[Problem]:
    from datalife.schemas.compat import aspect_lines, compatibility

    assert sf.sv is not None
    policy = _policy(sf, ws)
    if policy == "NONE":
        return []
    prev = earlier[-1]
    history = [e.sv for e in earlier[:-1]]
    report = compatibility(prev.sv, sf.sv, history=history, policy=policy, policy_only=True)
    verdict = report.verdict(policy)
    if verdict is True:
        return []
    details: list[str] = []
    witnesses = []
    main = {id(report.backward), id(report.forward)}
    for direction in report.directions(policy):
        for aspect in direction.aspects:
            changes = report.aspect_changes(aspect) if id(direction) in main else []
            lines = aspect_lines(aspect, _mode_of(report, direction, policy), True, changes)
            details.extend(lines)
            if aspect.witness is not None:
                witnesses.append(aspect.witness.to_dict())
    breaking = [cv.to_dict() for cv in report.changes if cv.breaking]
    unknown = verdict == "unknown"
    return [
        Problem(
            "compatibility_unknown" if unknown else "incompatible",
            f"{sf.rel}: {sf.name}@{sf.version} "
            + (
                f"cannot be shown to meet its {policy} policy"
                if unknown
                else f"breaks its {policy} policy"
            )
            + f" against {prev.name}@{prev.version}",
            path=sf.rel,
            details=tuple(details),
            hint=f"make the change {policy.lower().replace('_', ' ')} compatible (e.g. loosen "
            "instead of tighten; add columns as optional), or if the break is intended, set "
            f"`compatibility: NONE` in {sf.rel} (it is not released yet).",
            exit_code=EXIT_FAIL,
            data={
                "policy": policy,
                "compatibility": {policy: verdict},
                "changes": breaking,
                "witnesses": witnesses,
            },
        )
    ]


# -- data files ------------------------------------------------------------------------------


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


def check_data_files(ws: Workspace, groups: dict[str, list[Path]]) -> CheckReport:
    """Validate each dataset's files against the latest version of its schema (no lineage)."""
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
            result = validate_files(files, sv, workspace=ws, record=False)
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


def check_workspace(
    ws: Workspace, *, base: str | None = "HEAD", data: bool = True, schemas: bool = True
) -> CheckReport:
    """``datalife check``: every schema file and every dataset of the workspace."""
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
        report.extend(check_data_files(ws, groups))
    return report
