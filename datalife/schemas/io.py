"""Reading and writing schema files safely.

YAML is read with the safe loader only: object tags such as ``!!python/object`` are refused,
and a malformed file is reported with its path and line.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from datalife.errors import SchemaFileError
from datalife.schemas.model import SchemaMeta, SchemaVersion

if TYPE_CHECKING:
    import pandera.api.pandas.container as pac

__all__ = ["dump_schema", "load_schema_file", "parse_schema_text", "serialize_body"]

_META_ORDER = (
    "format_version",
    "name",
    "version",
    "description",
    "compatibility",
    "environments",
    "drift",
    "skew",
    "min_rows",
    "columns",
    "slices",
)

try:
    _SafeLoader: Any = yaml.CSafeLoader
    _SafeDumper: Any = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - libyaml missing
    _SafeLoader = yaml.SafeLoader
    _SafeDumper = yaml.SafeDumper


def _yaml_load(text: str, path: str) -> Any:
    try:
        return yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - safe loader
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise SchemaFileError(
            f"{path}:{line}: unsafe YAML tag refused: {exc.problem}",
            path=path,
            line=line,
            hint="schema files are plain YAML: remove the `!!python/...` (or other) tag.",
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise SchemaFileError(
            f"{path}:{line}: not valid YAML: {exc.problem or exc.context}",
            path=path,
            line=line,
            hint="fix the YAML syntax at that line (indentation, quotes, colons).",
        ) from None
    except yaml.YAMLError as exc:
        raise SchemaFileError(f"{path}: not valid YAML: {exc}", path=path) from None


def _key_line(text: str, key: str) -> int | None:
    for i, raw in enumerate(text.splitlines(), start=1):
        if raw.lstrip().startswith(f"{key}:"):
            return i
    return None


def parse_schema_text(text: str, path: str = "<string>") -> SchemaVersion:
    """Parse the text of a schema file into a :class:`SchemaVersion`."""
    doc = _yaml_load(text, path)
    if not isinstance(doc, dict):
        raise SchemaFileError(
            f"{path}: a schema file is a YAML mapping with metadata and a `schema:` body",
            path=path,
            line=1,
            hint="see README 'Schema files' for the layout, or create one with `datalife schema infer`.",
        )
    body = doc.pop("schema", None)
    if not isinstance(body, dict):
        raise SchemaFileError(
            f"{path}: missing the `schema:` body (pandera's serialization)",
            path=path,
            hint="add `schema:` with the pandera DataFrameSchema serialization.",
        )
    try:
        meta = SchemaMeta.model_validate(doc)
    except ValidationError as exc:
        details, first_line = [], None
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"])
            line = _key_line(text, str(err["loc"][0])) if err["loc"] else None
            first_line = first_line or line
            msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            details.append(f"{key}: {msg}" + (f" (line {line})" if line else ""))
        raise SchemaFileError(
            f"{path}: invalid schema metadata",
            path=path,
            line=first_line,
            details=details,
            hint="fix the metadata keys listed above.",
        ) from None
    from datalife.plan.spec import SchemaSpec

    spec = SchemaSpec.from_body(body)
    if spec is None:  # only pandera reads this body: read it now, so errors show at load
        return SchemaVersion(meta, deserialize_body(body, path, text), path, body)
    return SchemaVersion(
        meta, None, path, body, spec=spec, loader=lambda: deserialize_body(body, path, text)
    )


def deserialize_body(body: dict[str, Any], path: str, text: str = "") -> pac.DataFrameSchema:
    """pandera's deserialization, with errors that name the file and column."""
    from pandera.io import pandas_io

    columns = body.get("columns") or {}
    if not isinstance(columns, dict):
        raise SchemaFileError(f"{path}: `schema.columns` must be a mapping", path=path)
    for col, spec in columns.items():
        if spec is None:
            continue
        if not isinstance(spec, dict):
            raise SchemaFileError(
                f"{path}: column {col!r}: expected a mapping of dtype and checks",
                path=path,
                column=str(col),
                line=_key_line(text, str(col)),
            )
        for key in spec:
            if key in _COLUMN_KEYS:
                continue
            import pandera.pandas as pa

            if not hasattr(pa.Check, key):
                raise SchemaFileError(
                    f"{path}: column {col!r}: unknown check {key!r}",
                    path=path,
                    column=str(col),
                    line=_key_line(text, str(key)),
                    hint="a custom check must be registered with `datalife.register_check` in a "
                    "module listed under `check_modules` in datalife.toml.",
                )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            schema: pac.DataFrameSchema = pandas_io.deserialize_schema(body)  # type: ignore[no-untyped-call]
            return schema
    except Exception as exc:  # noqa: BLE001 - pandera raises many types for bad bodies
        raise SchemaFileError(
            f"{path}: pandera cannot read the schema body: {type(exc).__name__}: {exc}",
            path=path,
            hint="check the dtypes and check parameters under `schema:`.",
        ) from None


_COLUMN_KEYS = frozenset(
    {
        "dtype",
        "nullable",
        "unique",
        "coerce",
        "required",
        "regex",
        "checks",
        "title",
        "description",
        "metadata",
        "name",
        "default",
        "report_duplicates",
        "drop_invalid_rows",
    }
)


def load_schema_file(path: str | Path) -> SchemaVersion:
    """Read and parse one schema file."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise SchemaFileError(f"{p}: no such schema file", path=p) from None
    except OSError as exc:
        raise SchemaFileError(f"{p}: cannot read: {exc.strerror}", path=p) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SchemaFileError(
            f"{p}:{line}: not UTF-8 text", path=p, line=line, hint="save the file as UTF-8."
        ) from None
    return parse_schema_text(text, str(p))


def serialize_body(schema: pac.DataFrameSchema) -> dict[str, Any]:
    """pandera's serialization of ``schema``; refuses checks that would be silently dropped."""
    from pandera.io import pandas_io

    from datalife.errors import DatalifeError

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        body: dict[str, Any] = pandas_io.serialize_schema(schema)
    for w in caught:
        text = str(w.message)
        if "registered" in text or "skipped" in text:
            raise DatalifeError(
                f"schema {schema.name or ''} has a check pandera cannot save: {text}",
                hint="register the check by name with `@datalife.register_check(name, "
                "statistics=[...])` and use `pandera.Check.<name>(...)` in the schema.",
            )
    return body


def dump_schema(meta: SchemaMeta, body: dict[str, Any]) -> str:
    """The text of a schema file: metadata in a fixed order, then pandera's body."""
    data = meta.model_dump(mode="json")
    ordered: dict[str, Any] = {k: data[k] for k in _META_ORDER if k in data}
    # omit empty optional sections to keep files short; they load back as the same defaults
    for key in ("environments", "min_rows", "slices"):
        if not ordered[key]:
            del ordered[key]
    if meta.columns:
        ordered["columns"] = {
            name: col.model_dump(mode="json", exclude_defaults=True)
            for name, col in meta.columns.items()
        }
    else:
        del ordered["columns"]
    if meta.slices:
        ordered["slices"] = [s.model_dump(mode="json", exclude_defaults=True) for s in meta.slices]
    for key in ("drift", "skew"):
        section = meta.drift if key == "drift" else meta.skew
        if section == type(section)():
            del ordered[key]
        else:
            ordered[key] = section.model_dump(mode="json", exclude_none=True)
    ordered["schema"] = body
    header = (
        f"# datalife schema {meta.name}@{meta.version}. Released versions are immutable:\n"
        f"# to change it, run `datalife schema bump {meta.name}` and edit the new file.\n"
    )
    text: str = yaml.dump(
        ordered, Dumper=_SafeDumper, sort_keys=False, allow_unicode=True, default_flow_style=False
    )
    return header + text
