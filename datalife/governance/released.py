"""Which schema versions are released: those git's base commit holds, and those the lineage
log records (a run validated data against ``name@version``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from datalife.governance.git import (
    blob_id,
    find_git_root,
    git_blob,
    has_commit,
    released_schema_blobs,
)

if TYPE_CHECKING:
    from datalife.config import Workspace
    from datalife.governance.schema_files import SchemaFile

__all__ = ["Released", "lineage_refs"]

_REF_IN_LOG = re.compile(r'"([A-Za-z_][A-Za-z0-9_.-]*)@([1-9][0-9]*)"')


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


class Released:
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

    def is_released(self, sf: SchemaFile) -> bool:
        return self.in_git(sf.rel) or f"{sf.name}@{sf.version}" in self.lineage

    def where(self, sf: SchemaFile) -> str:
        if self.in_git(sf.rel):
            return f"git {self.base} holds it"
        return "the lineage log records it"

    def changed(self, sf: SchemaFile) -> tuple[bool, str | None]:
        """(content changed since the base commit, the base text) for a file in git."""
        blob = self.blobs.get(sf.rel)
        if blob is None or self.repo is None:
            return False, None
        data = sf.path.read_bytes()
        if blob_id(data, len(blob)) == blob:
            return False, None
        old = git_blob(self.repo, blob)
        return _semantic(old) != _semantic(data), old.decode("utf-8", "replace")


def _semantic(data: bytes) -> object:
    """The YAML document (so comment and layout edits are not changes)."""
    import yaml

    try:
        return yaml.safe_load(data.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return data
