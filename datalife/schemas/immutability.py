"""Released schema versions are immutable: the registry records each release's content hash.

``schemas/.releases.json`` (hidden, so governance does not take it for a schema version; meant
to be committed) maps ``name@version`` to the hash of the version's content when it was
released. A version is recorded when the registry saves it, and when a recorded command
(``datalife run``, ``datalife validate`` with lineage) first uses it. Every path that uses a
schema version (the registry's ``load``, hence validate, run, check, the hooks and the Python
API) calls :func:`check_release`, which refuses a file whose content no longer has its
recorded hash, naming the file and how to make a new version.

The hash is of the YAML document, not of the bytes (as the schema-check hook compares
released versions): comments and layout may change, what the schema says may not.

Examples:
    >>> content_hash("a: 1  # note\\n") == content_hash("a:   1\\n")
    True
    >>> content_hash("a: 1\\n") == content_hash("a: 2\\n")
    False
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from datalife.errors import SchemaFileError, SchemaReleaseChanged
from datalife.storage import hash_bytes

__all__ = [
    "RELEASES_FILE",
    "check_release",
    "content_hash",
    "edited_releases",
    "record_release",
    "recorded_releases",
]

RELEASES_FILE = ".releases.json"
RELEASES_FORMAT = 1


def content_hash(text: str | bytes) -> str:
    """BLAKE3 of the canonical JSON of the YAML document ``text`` (its bytes if not YAML)."""
    import yaml

    raw = text.encode("utf-8") if isinstance(text, str) else text
    try:
        doc: Any = yaml.safe_load(raw.decode("utf-8"))
        canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str)
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError, ValueError):
        return hash_bytes(raw)
    return hash_bytes(canonical.encode("utf-8"))


def _releases_path(schemas_dir: Path) -> Path:
    return schemas_dir / RELEASES_FILE


def recorded_releases(schemas_dir: str | Path) -> dict[str, str]:
    """``{"name@version": content hash}`` recorded in ``schemas_dir`` (empty if none).

    Raises:
        SchemaFileError: the record exists but cannot be read or is not what datalife writes.
    """
    path = _releases_path(Path(schemas_dir))
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise SchemaFileError(
            f"{path}: cannot read the record of released schema versions ({exc.strerror})",
            path=path,
            hint="fix its permissions; it is written by datalife and belongs in git.",
        ) from exc
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise SchemaFileError(
            f"{path}: the record of released schema versions is not JSON",
            path=path,
            hint="restore it from git (`git checkout -- schemas/.releases.json`).",
        ) from exc
    releases = data.get("releases") if isinstance(data, dict) else None
    if not isinstance(releases, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in releases.items()
    ):
        raise SchemaFileError(
            f"{path}: not a record of released schema versions (no 'releases' table of hashes)",
            path=path,
            hint="restore it from git (`git checkout -- schemas/.releases.json`).",
        )
    return dict(releases)


def record_release(
    schemas_dir: str | Path, ref: str, text: str | bytes, *, replace: bool = False
) -> bool:
    """Record ``ref``'s content hash unless it is recorded already; True if it was recorded now.

    ``replace`` records it even if it is (an explicit overwrite through the Python API).

    Written atomically with sorted keys (one line per version, merge-friendly).
    """
    from datalife.storage import atomic_write_text

    folder = Path(schemas_dir)
    releases = recorded_releases(folder)
    digest = content_hash(text)
    if releases.get(ref) == digest or (ref in releases and not replace):
        return False
    releases[ref] = digest
    body = {"format_version": RELEASES_FORMAT, "releases": dict(sorted(releases.items()))}
    atomic_write_text(_releases_path(folder), json.dumps(body, indent=1, sort_keys=True) + "\n")
    return True


def check_release(
    schemas_dir: str | Path,
    ref: str,
    path: str | Path,
    text: str | bytes | None = None,
    *,
    shown: str | None = None,
) -> None:
    """Raise :class:`SchemaReleaseChanged` when ``ref`` was released with other content.

    Args:
        schemas_dir: the registry's ``schemas/`` folder.
        ref: ``name@version``.
        path: the version's file (read when ``text`` is None).
        text: the file's content, if already read.
        shown: how to name the file in the error (default: ``path``).
    """
    releases = recorded_releases(schemas_dir)
    recorded = releases.get(ref)
    if recorded is None:
        return
    if text is None:
        try:
            text = Path(path).read_bytes()
        except OSError as exc:
            raise SchemaFileError(
                f"{path}: cannot read this schema file ({exc.strerror})",
                path=path,
                hint="fix its permissions.",
            ) from exc
    if content_hash(text) != recorded:
        raise SchemaReleaseChanged.from_ref(shown or path, ref, ref.split("@", 1)[0])


def edited_releases(
    schemas_dir: str | Path, root: str | Path | None = None
) -> list[SchemaReleaseChanged]:
    """Every recorded release whose file now has other content (missing files are left to
    the deletion check of ``datalife check``). Paths are shown relative to ``root``."""
    folder = Path(schemas_dir)
    out: list[SchemaReleaseChanged] = []
    for ref, recorded in sorted(recorded_releases(folder).items()):
        name, _, version = ref.partition("@")
        path = folder / name / f"{version}.yaml"
        try:
            text = path.read_bytes()
        except OSError:
            continue
        if content_hash(text) != recorded:
            shown: Path | str = path
            if root is not None:
                with contextlib.suppress(ValueError):
                    shown = path.relative_to(root).as_posix()
            out.append(SchemaReleaseChanged.from_ref(shown, ref, name))
    return out


def release_problems(schemas_dir: str | Path, root: str | Path, already: set[str]) -> list[Any]:
    """:func:`edited_releases` as governance problems (``released_changed``, exit 1), leaving
    out the files in ``already`` (reported by the git comparison)."""
    from datalife.governance import Problem

    return [
        Problem(
            "released_changed",
            err.message,
            path=err.path,
            hint=err.hint,
            exit_code=1,
        )
        for err in edited_releases(schemas_dir, root)
        if err.path not in already
    ]
