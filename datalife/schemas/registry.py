"""The schema registry: ``schemas/<name>/<version>.yaml`` in a workspace.

Examples:
    >>> import pandera.pandas as pa, tempfile
    >>> reg = SchemaRegistry(tempfile.mkdtemp())
    >>> sv = reg.save(pa.DataFrameSchema({"x": pa.Column(int, pa.Check.ge(0))}), "demo")
    >>> sv.ref, reg.list()
    ('demo@1', {'demo': [1]})
    >>> reg.load("demo@latest").schema == sv.schema
    True
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from datalife.config import Compatibility, Workspace
from datalife.errors import DatalifeError, SchemaNotFound, SchemaVersionNotFound
from datalife.schemas.model import (
    NAME_RE,
    ComparatorConfig,
    Environment,
    SchemaMeta,
    SchemaRef,
    SchemaVersion,
    parse_ref,
)

if TYPE_CHECKING:
    import pandera.api.pandas.container as pac

__all__ = ["SchemaRegistry", "load_schema"]


class SchemaRegistry:
    """Named, versioned schemas stored under ``<root>/schemas``.

    Args:
        root: a workspace, its root directory, or (if it is named ``schemas``) the schemas
            directory itself.
    """

    def __init__(self, root: str | Path | Workspace) -> None:
        self.workspace: Workspace | None = None
        if isinstance(root, Workspace):
            self.workspace = root
            self.directory = root.schemas_dir
        else:
            path = Path(root)
            self.directory = path if path.name == "schemas" else path / "schemas"
        self._cache: dict[tuple[str, int], tuple[float, SchemaVersion]] = {}

    @classmethod
    def for_workspace(cls, workspace: Workspace | None = None) -> SchemaRegistry:
        """The registry of ``workspace`` (default: the one around the current directory)."""
        ws = workspace or Workspace.find()
        ws.import_check_modules()
        return cls(ws)

    # -- listing -----------------------------------------------------------------------

    def names(self) -> list[str]:
        """Schema names, sorted."""
        if not self.directory.is_dir():
            return []
        return sorted(
            p.name for p in self.directory.iterdir() if p.is_dir() and NAME_RE.match(p.name)
        )

    def versions(self, name: str) -> list[int]:
        """The versions of ``name`` present on disk, ascending."""
        folder = self.directory / name
        if not folder.is_dir():
            return []
        # "2.yaml" is version 2; "02.yaml" or "2.yml" are not version files
        return sorted(
            int(p.stem)
            for p in folder.glob("*.yaml")
            if p.stem.isdigit() and str(int(p.stem)) == p.stem and int(p.stem) >= 1
        )

    def list(self) -> dict[str, list[int]]:
        """Every schema name with its versions."""
        return {name: self.versions(name) for name in self.names()}

    def path_for(self, name: str, version: int) -> Path:
        return self.directory / name / f"{version}.yaml"

    # -- loading -----------------------------------------------------------------------

    def resolve(self, ref: str | SchemaRef) -> tuple[str, int]:
        """``(name, version)`` for a reference, the latest version when none is given."""
        parsed = parse_ref(ref) if isinstance(ref, str) else ref
        versions = self.versions(parsed.name)
        if not versions:
            raise SchemaNotFound.from_name(parsed.name, self.names())
        if parsed.version is None:
            return parsed.name, versions[-1]
        if parsed.version not in versions:
            raise SchemaVersionNotFound.from_version(parsed.name, parsed.version, versions)
        return parsed.name, parsed.version

    def load(self, ref: str | SchemaRef) -> SchemaVersion:
        """Load ``name``, ``name@3`` or ``name@latest``."""
        from datalife.errors import SchemaFileError
        from datalife.schemas.immutability import check_release
        from datalife.schemas.io import load_schema_file

        name, version = self.resolve(ref)
        path = self.path_for(name, version)
        try:
            mtime = path.stat().st_mtime
        except OSError as exc:
            raise SchemaFileError(
                f"{path}: cannot read this schema file ({exc.strerror})",
                path=path,
                hint="fix its permissions (it must be readable by you).",
            ) from exc
        cached = self._cache.get((name, version))
        if cached and cached[0] == mtime:
            return cached[1]
        sv = load_schema_file(path)
        if sv.meta.name != name or sv.meta.version != version:
            raise SchemaFileError(
                f"{path}: the file says {sv.meta.name}@{sv.meta.version} but its path says "
                f"{name}@{version}",
                path=path,
                hint=f"set `name: {name}` and `version: {version}` in the file, or move it.",
            )
        shown = self.workspace.relpath(path) if self.workspace else str(path)
        check_release(self.directory, f"{name}@{version}", path, shown=shown)  # unchanged
        self._cache[(name, version)] = (mtime, sv)
        return sv

    def release(self, ref: str | SchemaRef) -> bool:
        """Record a version as released (its content hash), unless it is already.

        Recorded commands call it for the versions they use; from then on :meth:`load`
        refuses the file if its content changes. Returns True if it was recorded now.
        """
        from datalife.schemas.immutability import record_release

        name, version = self.resolve(ref)
        path = self.path_for(name, version)
        return record_release(self.directory, f"{name}@{version}", path.read_bytes())

    def latest_version(self, name: str) -> int | None:
        versions = self.versions(name)
        return versions[-1] if versions else None

    # -- saving ------------------------------------------------------------------------

    def save(
        self,
        schema: pac.DataFrameSchema | type[Any],
        name: str,
        *,
        version: int | None = None,
        description: str | None = None,
        compatibility: Compatibility | str | None = None,
        environments: dict[str, Environment] | dict[str, dict[str, Any]] | None = None,
        drift: ComparatorConfig | dict[str, Any] | None = None,
        skew: ComparatorConfig | dict[str, Any] | None = None,
        overwrite: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> SchemaVersion:
        """Write ``schema`` as a new version of ``name`` (the next one unless ``version`` is given).

        ``schema`` is a pandera ``DataFrameSchema`` or ``DataFrameModel`` class. Refuses to
        replace an existing version unless ``overwrite`` (released versions are immutable).
        ``extra``: more metadata fields (``min_rows``, ``columns``...), as ``SchemaMeta`` reads them.
        """
        from datalife.schemas.io import dump_schema, parse_schema_text, serialize_body
        from datalife.storage import atomic_write_text

        pa_schema = _to_dataframe_schema(schema)
        existing = self.versions(name)
        if version is None:
            version = (existing[-1] + 1) if existing else 1
        if version in existing and not overwrite:
            raise DatalifeError(
                f"{self.path_for(name, version)} already exists; released versions are immutable",
                path=self.path_for(name, version),
                hint=f"save a new version (omit `version`), or `datalife schema bump {name}`.",
            )
        policy = compatibility
        if policy is None:
            policy = (
                self.workspace.config.compatibility if self.workspace else Compatibility.BACKWARD
            )
        meta = SchemaMeta.model_validate(
            {
                "name": name,
                "version": version,
                "description": description
                if description is not None
                else (pa_schema.description or ""),
                "compatibility": Compatibility(policy),
                "environments": environments or {},
                "drift": drift or {},
                "skew": skew or {},
                **(extra or {}),
            }
        )
        body = serialize_body(pa_schema)
        text = dump_schema(meta, body)
        path = self.path_for(name, version)
        from datalife.schemas.immutability import record_release

        sv = parse_schema_text(text, str(path))  # what a later load will see
        atomic_write_text(path, text)
        record_release(self.directory, f"{name}@{version}", text, replace=overwrite)
        return sv

    def register(
        self, schema: pac.DataFrameSchema | type[Any], name: str | None = None, **kw: Any
    ) -> SchemaVersion:
        """Write a pandera schema or DataFrameModel written in Python as the next version.

        The name defaults to the schema's ``name`` (or the model class name).
        """
        pa_schema = _to_dataframe_schema(schema)
        chosen = name or pa_schema.name
        if not chosen:
            raise DatalifeError(
                "the schema has no name", hint="pass `name=` or set the pandera schema's name."
            )
        return self.save(pa_schema, chosen, **kw)


def _to_dataframe_schema(schema: Any) -> pac.DataFrameSchema:
    import pandera.pandas as pa

    if isinstance(schema, pa.DataFrameSchema):
        return schema
    if isinstance(schema, type) and issubclass(schema, pa.DataFrameModel):
        return schema.to_schema()
    raise DatalifeError(
        f"expected a pandera DataFrameSchema or DataFrameModel, got {type(schema).__name__}",
        hint="build the schema with pandera.pandas (DataFrameSchema or DataFrameModel).",
    )


def load_schema(ref: str, workspace: Workspace | str | Path | None = None) -> SchemaVersion:
    """Load a schema version by reference from ``workspace`` (default: the current one)."""
    if workspace is None or isinstance(workspace, Workspace):
        return SchemaRegistry.for_workspace(workspace).load(ref)
    return SchemaRegistry(workspace).load(ref)
