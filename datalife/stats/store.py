"""Where profiles live in a workspace, and what a command-line argument names.

A profile of a dataset version is saved as ``lineage/profiles/<dataset_version_id>.json`` under
the workspace root, next to the lineage log that records the version, so a later drift check
finds it by the version id (or any unique prefix of it) without the old raw data.

An input argument (``datalife stats X``, ``datalife drift A B``) is, in this order:
an existing saved-profile file (``.json`` written by :meth:`Profile.save`), an existing data
file or directory, or ``DATASET`` / ``DATASET@VERSION`` of the workspace. ``DATASET@VERSION``
is the dataset's current files when their version id starts with ``VERSION``, otherwise the saved
profile of that version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from datalife.errors import DriftInputError, ProfileError, closest

if TYPE_CHECKING:
    from datalife.config import Workspace
    from datalife.stats.profile import Profile

__all__ = [
    "PROFILES_DIR",
    "ResolvedInput",
    "find_profile",
    "is_profile_file",
    "load_profile",
    "profile_path",
    "resolve_input",
    "save_profile",
]

#: Folder of saved profiles, under the workspace's ``lineage/`` folder.
PROFILES_DIR = "profiles"


def _workspace(workspace: Workspace | str | Path | None) -> Workspace:
    from datalife.config import Workspace

    if isinstance(workspace, Workspace):
        return workspace
    return Workspace.find(workspace)


def profile_path(workspace: Workspace | str | Path | None, dataset_version: str) -> Path:
    """The path of the saved profile of ``dataset_version`` in ``workspace``.

    Lineage recording can store this path (relative to the root) with the dataset version.
    """
    ws = _workspace(workspace)
    return ws.lineage_dir / PROFILES_DIR / f"{dataset_version}.json"


def save_profile(profile: Profile, workspace: Workspace | str | Path | None = None) -> Path:
    """Save ``profile`` as the profile of its dataset version; return the path written.

    Raises:
        ProfileError: the profile has no dataset version id.
    """
    version = profile.source.dataset_version
    if not version:
        raise ProfileError(
            "this profile has no dataset version id, so it cannot be saved per version",
            hint="profile files or a frame with datalife.profile(), or save it with Profile.save(path).",
        )
    return profile.save(profile_path(workspace, version))


def _saved(ws: Workspace) -> list[Path]:
    folder = ws.lineage_dir / PROFILES_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.json") if not p.name.startswith("."))


def find_profile(workspace: Workspace | str | Path | None, version: str) -> Path:
    """The saved profile whose dataset version id starts with ``version``.

    Raises:
        DriftInputError: none, or more than one, matches.
    """
    ws = _workspace(workspace)
    saved = _saved(ws)
    matches = [p for p in saved if p.stem.startswith(version)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        listing = ", ".join(p.stem[:12] for p in saved) or "none"
        raise DriftInputError(
            f"no saved profile for dataset version {version!r} (saved versions: {listing})",
            hint="save one with `datalife stats DATASET --save` while that version's files exist.",
        )
    raise DriftInputError(
        f"{version!r} matches {len(matches)} saved profiles",
        details=[p.stem for p in matches[:10]],
        hint="use a longer prefix of the dataset version id.",
    )


def load_profile(ref: str | Path, workspace: Workspace | str | Path | None = None) -> Profile:
    """Load a profile by path, or by a dataset version id (prefix) saved in the workspace."""
    from datalife.stats.profile import Profile

    p = Path(ref)
    if not (p.suffix == ".json" or p.exists()):
        p = find_profile(workspace, str(ref))
    try:
        return Profile.load(p)
    except RecursionError as exc:  # a hand-made file nested thousands of levels deep
        raise ProfileError(
            f"{p}: not a profile: its JSON is nested too deeply to read",
            path=p,
            hint="profile the data again with `datalife stats ... --save`.",
        ) from exc


def is_profile_file(path: Path) -> bool:
    """Whether ``path`` looks like a saved profile (rather than a JSON data file)."""
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    if path.parent.name == PROFILES_DIR:
        return True
    with path.open("rb") as fh:
        head = fh.read(1 << 22)
    first = head.split(b"\n", 1)[0]
    return first.lstrip().startswith(b'{"columns":') or b'"datalife.profile"' in first


@dataclass
class ResolvedInput:
    """What a command-line argument names: a saved profile, or data files."""

    spec: str
    profile: Profile | None = None
    paths: list[Path] = field(default_factory=list)
    dataset: str | None = None
    version: str | None = None

    @property
    def label(self) -> str:
        return self.spec


def resolve_input(spec: str, workspace: Workspace | None = None) -> ResolvedInput:
    """Resolve a path, a saved profile, ``DATASET`` or ``DATASET@VERSION`` (see the module doc).

    Raises:
        DriftInputError: nothing by that name (with close matches), or an unknown version.
        ProfileError: a saved profile that is damaged.
    """
    from datalife.config import Workspace
    from datalife.stats.profile import Profile

    path = Path(spec)
    if path.exists():
        if is_profile_file(path):
            return ResolvedInput(spec, profile=Profile.load(path))
        ws_for_path = workspace
        if ws_for_path is None and Workspace.locate(path) is not None:
            ws_for_path = Workspace.find(path)
        names = ws_for_path.datasets_for(path) if ws_for_path is not None else []
        return ResolvedInput(spec, paths=[path], dataset=names[0] if len(names) == 1 else None)
    name, _, version = spec.partition("@")
    if workspace is None:
        if Workspace.locate() is None:
            raise DriftInputError(
                f"{spec}: no such file, and no workspace to look up a dataset in",
                path=spec,
                hint="check the path, or run inside a datalife workspace (or pass -C DIR).",
            )
        workspace = Workspace.find()
    datasets = workspace.config.datasets
    if name not in datasets:
        near = closest(name, datasets)
        hint = (
            f"did you mean {', '.join(repr(n) for n in near)}?"
            if near
            else f"datasets: {', '.join(sorted(datasets)) or 'none'}; or give a file path."
        )
        raise DriftInputError(f"{spec}: no such file or dataset", path=spec, hint=hint)
    files = workspace.dataset_files(name)
    if not version:
        if not files:
            raise DriftInputError(
                f"dataset {name!r} has no files now",
                hint=f"check its globs in {workspace.config_path.name} (`datalife dataset list`).",
            )
        return ResolvedInput(spec, paths=list(files), dataset=name)
    if files:
        from datalife.storage import dataset_version_id, hash_file

        current = dataset_version_id(hash_file(f) for f in files)
        if current.startswith(version):
            return ResolvedInput(spec, paths=list(files), dataset=name, version=current)
    try:
        saved = find_profile(workspace, version)
    except DriftInputError as exc:
        raise DriftInputError(
            f"dataset {name!r} has no version {version!r}: its files are not at that version now "
            "and no profile of it was saved",
            details=[exc.message],
            hint=f"`datalife stats {name} --save` saves a profile of the current version for later.",
        ) from exc
    profile = Profile.load(saved)
    if profile.source.dataset not in (None, name):
        raise DriftInputError(
            f"saved profile {saved.name} is of dataset {profile.source.dataset!r}, not {name!r}",
            path=saved,
            hint="check the dataset name and version.",
        )
    return ResolvedInput(
        spec, profile=profile, dataset=name, version=profile.source.dataset_version
    )
