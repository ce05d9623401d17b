"""The workspace: a folder with ``datalife.toml`` (or ``[tool.datalife]`` in pyproject.toml).

``datalife.toml``::

    format_version = 1
    compatibility = "BACKWARD"       # default policy for schemas that do not set one
    check_modules = ["myproj.checks"]  # modules that register custom checks

    [datasets.penguins]
    files = ["sample_data/*.csv"]    # globs relative to the workspace root
    schema = "penguins"              # defaults to the dataset's name

Only the standard library and pydantic are imported here: the pre-commit hooks read the
config before deciding whether any heavy work is needed.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from datalife.errors import ConfigError, WorkspaceNotFound
from datalife.globs import CONFIG_FILE, PYPROJECT, find_config, glob_to_regex

__all__ = [
    "CONFIG_FILE",
    "Compatibility",
    "DatasetConfig",
    "MonitorConfig",
    "Workspace",
    "WorkspaceConfig",
    "glob_to_regex",
]

FORMAT_VERSION = 1


class Compatibility(StrEnum):
    """Schema compatibility policy, as in schema registries."""

    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"
    NONE = "NONE"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatasetConfig(_Model):
    """One named dataset: the files it is made of and the schema they follow."""

    files: list[str] = Field(min_length=1, description="globs relative to the workspace root")
    schema_name: str | None = Field(default=None, alias="schema")
    description: str = ""
    #: the CSV delimiter of the dataset's files, where sniffing cannot tell
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("files")
    @classmethod
    def _relative_globs(cls, value: list[str]) -> list[str]:
        for pattern in value:
            if not pattern.strip():
                raise ValueError("an empty glob matches nothing; remove it")
            if Path(pattern).is_absolute():
                raise ValueError(f"{pattern!r} is absolute; globs are relative to the workspace")
            if ".." in pattern.replace("\\", "/").split("/"):
                raise ValueError(f"{pattern!r} leaves the workspace ('..'); globs stay inside it")
        return value


class TransformsConfig(_Model):
    """Where transforms are defined: modules importable from the workspace root."""

    modules: list[str] = Field(default_factory=list)


class StepConfig(_Model):
    """One pipeline step: a registered transform, with parameters for parametrised ones."""

    transform: str = Field(description="a registered transform name, or name@version")
    params: dict[str, Any] = Field(default_factory=dict)


class SplitConfig(_Model):
    """How the pipeline splits rows into train/dev/test."""

    ratios: tuple[float, float, float] = (0.8, 0.1, 0.1)
    stratify: list[str] = Field(default_factory=list)
    group: str | None = None
    key: str | None = None
    seed: int = 0
    rebalance: str | None = None
    #: time-ordered split: train on the earliest rows by this column, dev and test later
    order_by: str | None = None
    #: with ``order_by``, the share of rows left out between train and dev/test
    gap: float = Field(default=0.0, ge=0.0, lt=1.0)


class PipelineConfig(_Model):
    """``[pipeline]``: raw dataset -> validate -> transforms -> split -> fit -> apply -> validate -> write."""

    dataset: str
    output: str = "splits"
    output_schema: str | None = None
    steps: list[StepConfig] = Field(default_factory=list)
    split: SplitConfig = Field(default_factory=SplitConfig)

    @field_validator("output")
    @classmethod
    def _relative_output(cls, value: str) -> str:
        if Path(value).is_absolute() or ".." in Path(value).parts:
            raise ValueError(f"{value!r}: the output folder must be inside the workspace")
        return value


class InferConfig(_Model):
    """``[infer]``: defaults of ``datalife schema infer`` (see docs/inference.md)."""

    #: tolerant: hard bounds only where the data supports them, the observed range as a
    #: warning; strict: the observed range fails; off: no range checks
    ranges: Literal["strict", "tolerant", "off"] = "tolerant"
    #: a string column with at most this many distinct values gets a category set
    max_categories: int = Field(default=20, ge=1)


class MonitorConfig(_Model):
    """``[monitor]``: where the monitoring history lives and how thresholds are learned."""

    store: str = Field(
        default="lineage/monitor.duckdb",
        description="the history (DuckDB file), workspace-relative",
    )
    rule: Literal["mad", "quantile"] = "mad"
    #: mad: median + k * 1.4826 * MAD of the window
    k: float = Field(default=3.0, gt=0)
    #: quantile: this quantile of the window
    quantile: float = Field(default=0.95, gt=0, le=1)
    #: the last N batches a threshold is learned from
    window: int = Field(default=20, ge=2)
    #: batches seen before a threshold is learned
    warmup: int = Field(default=5, ge=2)
    #: slices with fewer rows are reported as too small, without metrics
    min_support: int = Field(default=30, ge=1)
    #: label classes rarer than this share of the reference are marked rare
    rare_share: float = Field(default=0.05, gt=0, lt=1)


class SparkConfig(_Model):
    """``[engine.spark]``: where the Spark engine runs (``$DATALIFE_SPARK_MASTER`` or
    ``$DATALIFE_SPARK_REMOTE`` override it); ``conf`` is passed to the session as it is."""

    #: a classic Spark master: ``local[*]``, ``local[2]``, ``spark://host:7077``, ``yarn``...
    master: str | None = None
    #: a Spark Connect server: ``sc://host:15002`` (or ``local[2]`` to start one here)
    remote: str | None = None
    conf: dict[str, str | int | float | bool] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_place(self) -> SparkConfig:
        if self.master and self.remote:
            raise ValueError("give master (classic Spark) or remote (Spark Connect), not both")
        return self


class EngineConfig(BaseModel):
    """``[engine.<name>]``: settings of the engines (other engines' tables are kept as
    they are, for them to read)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    spark: SparkConfig = Field(default_factory=SparkConfig)


class WorkspaceConfig(_Model):
    """The whole of ``datalife.toml``."""

    format_version: int = FORMAT_VERSION
    compatibility: Compatibility = Compatibility.BACKWARD
    check_modules: list[str] = Field(default_factory=list)
    roots: list[str] = Field(
        default_factory=list,
        description="folders outside the workspace that lineage verify may read and "
        "outputs may be written to",
    )
    datasets: dict[str, DatasetConfig] = Field(default_factory=dict)
    transforms: TransformsConfig = Field(default_factory=TransformsConfig)
    pipeline: PipelineConfig | None = None
    monitor: MonitorConfig = Field(default_factory=MonitorConfig)
    infer: InferConfig = Field(default_factory=InferConfig)
    engine: EngineConfig = Field(default_factory=EngineConfig)

    @model_validator(mode="after")
    def _pipeline_dataset_exists(self) -> WorkspaceConfig:
        if self.pipeline is not None and self.pipeline.dataset not in self.datasets:
            known = ", ".join(sorted(self.datasets)) or "none"
            raise ValueError(
                f"pipeline.dataset {self.pipeline.dataset!r} is not a declared dataset (datasets: {known})"
            )
        return self

    @field_validator("format_version")
    @classmethod
    def _known_format(cls, value: int) -> int:
        if value > FORMAT_VERSION:
            raise ValueError(
                f"format_version {value} is newer than this datalife understands "
                f"({FORMAT_VERSION}); upgrade datalife"
            )
        return value

    def schema_for(self, dataset: str) -> str:
        ds = self.datasets[dataset]
        return ds.schema_name or dataset


def _format_pydantic_error(exc: ValidationError, path: Path, prefix: str) -> ConfigError:
    details = []
    first_key = None
    for err in exc.errors():
        key = ".".join([*([prefix] if prefix else []), *(str(p) for p in err["loc"])])
        first_key = first_key or key
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
            allowed = _allowed_keys(err["loc"])
            if allowed:
                msg += f" (allowed: {', '.join(allowed)})"
        elif err["type"] == "enum":
            msg += ""
        details.append(f"{key}: {msg}")
    return ConfigError(
        f"{path}: invalid datalife configuration at {first_key}",
        path=path,
        details=details,
        hint=f"edit {path.name}; see README 'Workspace' for every key.",
    )


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    model: type[BaseModel] = WorkspaceConfig
    parts = list(loc[:-1])
    if parts and parts[0] == "datasets":
        model = DatasetConfig
    elif parts and parts[0] == "pipeline":
        model = PipelineConfig
        if len(parts) > 1 and parts[1] == "split":
            model = SplitConfig
        elif len(parts) > 1 and parts[1] == "steps":
            model = StepConfig
    elif parts and parts[0] == "transforms":
        model = TransformsConfig
    elif parts and parts[0] == "infer":
        model = InferConfig
    elif parts and parts[0] == "monitor":
        model = MonitorConfig
    elif parts[:2] == ["engine", "spark"]:
        model = SparkConfig
    return sorted((f.alias or name) for name, f in model.model_fields.items())


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        line = _toml_error_line(str(exc))
        raise ConfigError(
            f"{path}: not valid TOML: {exc}",
            path=path,
            line=line,
            hint="fix the syntax at that line.",
        ) from exc
    except RecursionError as exc:
        raise ConfigError(
            f"{path}: not valid TOML: nested too deeply to read",
            path=path,
            hint="datalife's configuration nests a few levels at most; remove the deep nesting.",
        ) from exc
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read: {exc.strerror}",
            path=path,
            hint="fix the file's permissions (it must be readable by you).",
        ) from exc


def _toml_error_line(message: str) -> int | None:
    m = re.search(r"at line (\d+)", message)
    return int(m.group(1)) if m else None


class Workspace:
    """A datalife workspace rooted at ``root``.

    Use :meth:`find` to locate the workspace that holds a directory.
    """

    def __init__(self, root: Path, config: WorkspaceConfig, config_path: Path) -> None:
        self.root = root.resolve()
        self.config = config
        self.config_path = config_path

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r}, datasets={sorted(self.config.datasets)})"

    @classmethod
    def find(cls, start: str | Path | None = None) -> Workspace:
        """The workspace holding ``start`` (default: the current directory)."""
        found = cls.locate(start)
        if found is None:
            raise WorkspaceNotFound.from_start(Path(start or Path.cwd()).resolve())
        return cls.load(found)

    @staticmethod
    def locate(start: str | Path | None = None) -> Path | None:
        """The config file of the nearest workspace at or above ``start``, or None."""
        here = Path(start or Path.cwd()).resolve()
        if here.is_file():
            here = here.parent
        return find_config(here)

    @classmethod
    def load(cls, config_path: str | Path) -> Workspace:
        """Load the workspace whose config file is ``config_path``."""
        path = Path(config_path)
        data = _read_toml(path)
        prefix = ""
        if path.name == PYPROJECT:
            data = data.get("tool", {}).get("datalife", {})
            prefix = "tool.datalife"
        try:
            config = WorkspaceConfig.model_validate(data)
        except ValidationError as exc:
            raise _format_pydantic_error(exc, path, prefix) from exc
        return cls(path.parent, config, path)

    # -- paths -------------------------------------------------------------------------

    @property
    def schemas_dir(self) -> Path:
        return self.root / "schemas"

    @property
    def lineage_dir(self) -> Path:
        return self.root / "lineage"

    def relpath(self, path: str | Path) -> str:
        """``path`` relative to the root, POSIX style (absolute if outside the workspace)."""
        p = Path(path)
        absolute = p if p.is_absolute() else Path.cwd() / p
        absolute = Path(os.path.normpath(absolute))
        try:
            return absolute.relative_to(self.root).as_posix()
        except ValueError:
            return absolute.as_posix()

    # -- datasets ----------------------------------------------------------------------

    @cached_property
    def _dataset_patterns(self) -> list[tuple[str, re.Pattern[str]]]:
        return [
            (name, glob_to_regex(pattern))
            for name, ds in self.config.datasets.items()
            for pattern in ds.files
        ]

    def datasets_for(self, path: str | Path) -> list[str]:
        """Names of the datasets whose globs match ``path``."""
        rel = self.relpath(path)
        seen: list[str] = []
        for name, rx in self._dataset_patterns:
            if rx.match(rel) and name not in seen:
                seen.append(name)
        return seen

    def dataset_files(self, name: str) -> list[Path]:
        """The files of dataset ``name`` that exist now, sorted."""
        from datalife.globs import list_files

        ds = self.config.datasets[name]
        files: set[Path] = set()
        for pattern in ds.files:  # the matcher datasets_for and the hooks use
            files.update(list_files(self.root, pattern))
        return sorted(files)

    def schema_for(self, dataset: str) -> str:
        return self.config.schema_for(dataset)

    def import_check_modules(self) -> None:
        """Import the modules named in ``check_modules`` so their custom checks register."""
        import importlib
        import sys

        root = str(self.root)
        if root not in sys.path:
            sys.path.insert(0, root)
        for module in self.config.check_modules:
            try:
                importlib.import_module(module)
            except ImportError as exc:
                raise ConfigError(
                    f"{self.config_path}: check_modules names {module!r}, which cannot be imported: {exc}",
                    path=self.config_path,
                    hint="fix the module name, or install the package that provides it.",
                ) from exc

    # -- editing -----------------------------------------------------------------------

    def add_dataset(
        self, name: str, globs: Iterable[str], schema: str | None = None, *, replace: bool = False
    ) -> DatasetConfig:
        """Add dataset ``name`` to the config file, keeping the file's comments and layout."""
        import tomlkit

        from datalife.storage import atomic_write_text

        globs = list(globs)
        try:
            entry = DatasetConfig.model_validate({"files": globs, "schema": schema or name})
        except ValidationError as exc:
            raise _format_pydantic_error(exc, self.config_path, f"datasets.{name}") from exc
        if name in self.config.datasets and not replace:
            raise ConfigError(
                f"{self.config_path}: dataset {name!r} already exists",
                path=self.config_path,
                hint="pick another name, or edit the file to change it.",
            )
        text = self.config_path.read_text(encoding="utf-8")
        doc = tomlkit.parse(text)
        table: Any = doc
        if self.config_path.name == PYPROJECT:
            table = doc.setdefault("tool", tomlkit.table()).setdefault("datalife", tomlkit.table())
        datasets = table.get("datasets")
        if datasets is None:
            datasets = tomlkit.table(is_super_table=True)
            table["datasets"] = datasets
        item = tomlkit.table()
        item["files"] = globs
        item["schema"] = schema or name
        datasets[name] = item
        atomic_write_text(self.config_path, tomlkit.dumps(doc))
        self.config = Workspace.load(self.config_path).config
        self.__dict__.pop("_dataset_patterns", None)
        return entry


def init_workspace(directory: str | Path) -> Path:
    """Create ``datalife.toml``, ``schemas/`` and ``lineage/`` in ``directory``.

    Returns the config path. Refuses to overwrite an existing config.
    """
    from datalife.storage import atomic_write_text

    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    config = root / CONFIG_FILE
    if config.exists():
        raise ConfigError(
            f"{config} already exists",
            path=config,
            hint="this directory is already a workspace; add datasets with `datalife dataset add`.",
        )
    atomic_write_text(
        config,
        "# datalife workspace: see https://github.com/datalife/datalife#workspace\n"
        f"format_version = {FORMAT_VERSION}\n"
        "# default compatibility policy for schemas that do not set one\n"
        'compatibility = "BACKWARD"\n\n'
        "# Declare datasets with `datalife dataset add NAME GLOB...`, for example:\n"
        "# [datasets.reviews]\n"
        '# files = ["data/reviews/*.csv"]\n'
        '# schema = "reviews"\n',
    )
    (root / "schemas").mkdir(exist_ok=True)
    (root / "lineage").mkdir(exist_ok=True)
    return config
