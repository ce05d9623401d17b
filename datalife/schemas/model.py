"""The schema file format: datalife metadata wrapped around pandera's own serialization.

A schema version lives in ``schemas/<name>/<version>.yaml``::

    format_version: 1            # version of this file format, not of the schema
    name: penguins
    version: 2
    description: Palmer penguins, one row per bird
    compatibility: BACKWARD      # BACKWARD | FORWARD | FULL | NONE, *_TRANSITIVE
    environments:                # columns absent in an environment (e.g. the label at serving)
      serving:
        absent: [species]
    drift:                       # per-column drift thresholds (None: datalife's defaults)
      default: {linf: 0.1}
      columns:
        island: {linf: 0.2}
    skew:                        # the same, for training vs serving
      columns: {}
    schema:                      # pandera's serialization (DataFrameSchema.to_yaml), verbatim
      schema_type: dataframe
      columns: {...}

The metadata is a pydantic model (:class:`SchemaMeta`); the body stays pandera's, so any pandera
user can read it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from datalife.config import Compatibility

if TYPE_CHECKING:
    import pandera.api.pandas.container as pac

    from datalife.plan.spec import SchemaSpec

__all__ = [
    "FORMAT_VERSION",
    "ColumnMeta",
    "ColumnThresholds",
    "ComparatorConfig",
    "Environment",
    "Role",
    "SchemaMeta",
    "SchemaRef",
    "SchemaVersion",
    "SliceSpec",
    "Task",
    "parse_ref",
]

FORMAT_VERSION = 1
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Environment(_Model):
    """Columns absent in an environment, e.g. the label at serving time."""

    absent: list[str] = Field(default_factory=list)


class ColumnThresholds(_Model):
    """Alarm thresholds for one column; ``None`` keeps datalife's documented default.

    Names are the quantities reported by drift: ``linf`` (L-infinity distance of category
    shares), ``jsd_log2`` (Jensen-Shannon divergence, log base 2), ``psi``,
    ``wasserstein_norm`` (W1 / std of the baseline), ``ks_stat``.
    """

    linf: float | None = Field(default=None, ge=0)
    jsd_log2: float | None = Field(default=None, ge=0, le=1)
    psi: float | None = Field(default=None, ge=0)
    wasserstein_norm: float | None = Field(default=None, ge=0)
    ks_stat: float | None = Field(default=None, ge=0, le=1)


class ComparatorConfig(_Model):
    """Thresholds for a comparison (drift between versions, or training/serving skew)."""

    default: ColumnThresholds = Field(default_factory=ColumnThresholds)
    columns: dict[str, ColumnThresholds] = Field(default_factory=dict)

    def for_column(self, column: str) -> ColumnThresholds:
        """The thresholds for ``column``: its own values over the defaults."""
        own = self.columns.get(column)
        if own is None:
            return self.default
        merged = self.default.model_dump() | own.model_dump(exclude_none=True)
        return ColumnThresholds.model_validate(merged)


class Role(StrEnum):
    """What a column is for; roles set the defaults of inference, drift and monitoring."""

    IDENTIFIER = "identifier"
    TIMESTAMP = "timestamp"
    CATEGORY = "category"
    MEASUREMENT = "measurement"
    FREE_TEXT = "free_text"
    LABEL = "label"
    PREDICTION = "prediction"


class Task(StrEnum):
    """What a label column is predicted by: classes, or a number."""

    CLASSIFICATION = "classification"
    REGRESSION = "regression"


class ColumnMeta(_Model):
    """datalife's metadata for one column (what pandera's body has no place for).

    ``true_values`` / ``false_values`` are the spellings a ``bool`` column accepts in text
    sources (CSV, JSON strings); without them only ``true``/``false`` (any case) are booleans,
    so ``yes``/``no`` data is never turned into True/False unless the schema says so.
    """

    role: Role | None = None
    #: for a ``label`` column: classification or regression (None: from its type)
    task: Task | None = None
    #: why the column's range checks are what they are (written by ``schema infer``)
    range_rule: str | None = None
    true_values: list[str] = Field(default_factory=list)
    false_values: list[str] = Field(default_factory=list)


class SliceSpec(_Model):
    """A subset of rows monitored on its own (``datalife monitor``).

    By ``columns`` (one slice per combination of their values) or by ``where``, a boolean SQL
    expression on the columns (one slice: the rows where it is true).
    """

    name: str | None = None
    columns: list[str] = Field(default_factory=list)
    where: str | None = None

    @field_validator("where")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("an empty `where` selects nothing; write a boolean SQL expression")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> SliceSpec:
        if bool(self.columns) == (self.where is not None):
            raise ValueError("a slice has either `columns` or `where` (one of them)")
        return self

    @property
    def label(self) -> str:
        """The slice's name: ``name``, else its columns or expression."""
        return self.name or (",".join(self.columns) if self.columns else str(self.where))


class SchemaMeta(_Model):
    """datalife's metadata for one schema version."""

    format_version: int = FORMAT_VERSION
    name: str
    version: int = Field(ge=1)
    description: str = ""
    compatibility: Compatibility = Compatibility.BACKWARD
    environments: dict[str, Environment] = Field(default_factory=dict)
    drift: ComparatorConfig = Field(default_factory=ComparatorConfig)
    skew: ComparatorConfig = Field(default_factory=ComparatorConfig)
    #: the fewest rows a valid dataset has (0: an empty dataset is valid)
    min_rows: int = Field(default=0, ge=0)
    columns: dict[str, ColumnMeta] = Field(default_factory=dict)
    #: subsets of rows monitored on their own (see ``docs/monitoring.md``)
    slices: list[SliceSpec] = Field(default_factory=list)

    @field_validator("format_version")
    @classmethod
    def _known_format(cls, value: int) -> int:
        if value > FORMAT_VERSION:
            raise ValueError(
                f"format_version {value} is newer than this datalife reads ({FORMAT_VERSION}); "
                "upgrade datalife"
            )
        if value < 1:
            raise ValueError("format_version starts at 1")
        return value

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not NAME_RE.match(value):
            raise ValueError(
                f"{value!r} is not a valid schema name (letters, digits, _ . -; not starting with a digit)"
            )
        return value


@dataclass(frozen=True)
class SchemaRef:
    """A parsed schema reference: ``name``, ``name@3`` or ``name@latest``."""

    name: str
    version: int | None = None  # None: the latest

    def __str__(self) -> str:
        return self.name if self.version is None else f"{self.name}@{self.version}"


def parse_ref(ref: str) -> SchemaRef:
    """Parse ``"name"``, ``"name@3"`` or ``"name@latest"``.

    Examples:
        >>> parse_ref("penguins@2")
        SchemaRef(name='penguins', version=2)
        >>> parse_ref("penguins@latest")
        SchemaRef(name='penguins', version=None)
    """
    from datalife.errors import DatalifeError

    name, _, version = ref.partition("@")
    if not name or not NAME_RE.match(name):
        raise DatalifeError(
            f"{ref!r} is not a schema reference",
            hint="write NAME, NAME@VERSION (an integer from 1) or NAME@latest, e.g. penguins@2.",
        )
    if version in ("", "latest"):
        return SchemaRef(name)
    if not version.isdigit() or int(version) < 1:
        raise DatalifeError(
            f"{ref!r}: version {version!r} is not a positive integer",
            hint="write NAME@VERSION with VERSION 1, 2, ... or NAME@latest.",
        )
    return SchemaRef(name, int(version))


class SchemaVersion:
    """One version of a named schema: metadata plus a pandera ``DataFrameSchema``.

    ``schema`` (the pandera object) is built on first use when the file's body is one
    :meth:`SchemaSpec.from_body <datalife.plan.spec.SchemaSpec.from_body>` reads: validating
    files needs only :attr:`spec`, so it never imports pandera.
    """

    __slots__ = ("_loader", "_schema", "_spec", "_spec_has_meta", "body", "meta", "path")

    def __init__(
        self,
        meta: SchemaMeta,
        schema: pac.DataFrameSchema | None = None,
        path: str | None = None,
        body: dict[str, Any] | None = None,
        *,
        spec: SchemaSpec | None = None,
        loader: Callable[[], pac.DataFrameSchema] | None = None,
    ) -> None:
        if schema is None and loader is None:
            raise TypeError("SchemaVersion needs a schema or a loader for it")
        self.meta = meta
        self.path = path
        self.body: dict[str, Any] = body if body is not None else {}
        self._schema = schema
        self._spec = spec
        self._spec_has_meta = False
        self._loader = loader

    @property
    def schema(self) -> pac.DataFrameSchema:
        """The pandera ``DataFrameSchema`` (deserialized on first use)."""
        if self._schema is None:
            assert self._loader is not None
            self._schema = self._loader()
        return self._schema

    @property
    def spec(self) -> SchemaSpec:
        """What the schema checks, as plain data (read without pandera when possible)."""
        if self._spec is None:
            from datalife.plan.spec import SchemaSpec

            self._spec = SchemaSpec.from_pandera(self.schema)
        if not self._spec_has_meta:
            self._spec = _with_meta(self._spec, self.meta)
            self._spec_has_meta = True
        return self._spec

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def version(self) -> int:
        return self.meta.version

    @property
    def ref(self) -> str:
        """``name@version``."""
        return f"{self.meta.name}@{self.meta.version}"

    @property
    def columns(self) -> list[str]:
        return list(self.spec.columns)

    def absent_in(self, environment: str) -> list[str]:
        """Columns absent in ``environment`` (e.g. ``"serving"``)."""
        env = self.meta.environments.get(environment)
        return list(env.absent) if env else []

    def for_environment(self, environment: str) -> SchemaVersion:
        """This schema without the columns absent in ``environment``."""
        absent = self.absent_in(environment)
        if not absent:
            return self
        return SchemaVersion(
            self.meta,
            None,
            self.path,
            self.body,
            spec=self.spec.remove_columns(absent),
            loader=lambda: self.schema.remove_columns(absent),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SchemaVersion):
            return NotImplemented
        return (self.meta, self.path, self.schema) == (other.meta, other.path, other.schema)

    def __hash__(self) -> int:
        return hash((self.meta.name, self.meta.version, self.path))

    def __repr__(self) -> str:
        return f"SchemaVersion({self.ref!r}, columns={self.columns})"


def _with_meta(spec: SchemaSpec, meta: SchemaMeta) -> SchemaSpec:
    """``spec`` with what datalife's metadata adds (row minimum, bool spellings, roles)."""
    from dataclasses import replace

    columns = dict(spec.columns)
    for name, cm in meta.columns.items():
        col = columns.get(name)
        if col is None:
            continue
        columns[name] = replace(
            col,
            role=None if cm.role is None else str(cm.role),
            true_values=tuple(cm.true_values),
            false_values=tuple(cm.false_values),
        )
    return replace(spec, columns=columns, min_rows=meta.min_rows)
