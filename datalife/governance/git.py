"""The git plumbing of the checks, standard library only (the hooks use it before deciding
whether any heavy work is needed)."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

__all__ = ["blob_id", "find_git_root", "git_blob", "has_commit", "released_schema_blobs"]


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
