"""datalife: the data lifecycle of machine-learning projects.

Versioned pandera schemas validate every dataset version; a lineage log records where
every file came from. Importing ``datalife`` is cheap: the names below are loaded on first
use, so ``import datalife`` does not import pandas, pandera, pyarrow or duckdb.

Examples:
    >>> import datalife
    >>> datalife.__version__
    '0.1.0'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from datalife._version import __version__

if TYPE_CHECKING:
    from datalife import drift, stats
    from datalife.config import Workspace
    from datalife.drift import DriftReport, skew
    from datalife.errors import DatalifeError, ValidationFailed
    from datalife.pipeline import run_pipeline
    from datalife.plan.custom import register_check
    from datalife.schemas.model import SchemaVersion
    from datalife.schemas.registry import SchemaRegistry, load_schema
    from datalife.splits import split
    from datalife.stats import Profile, merge_profiles
    from datalife.transforms import TransformRegistry, transform
    from datalife.validation import ValidationReport, validate, validates

# public name -> "module:attribute"
_LAZY: dict[str, str] = {
    "DatalifeError": "datalife.errors:DatalifeError",
    "ValidationFailed": "datalife.errors:ValidationFailed",
    "Workspace": "datalife.config:Workspace",
    "SchemaRegistry": "datalife.schemas.registry:SchemaRegistry",
    "SchemaVersion": "datalife.schemas.model:SchemaVersion",
    "load_schema": "datalife.schemas.registry:load_schema",
    "register_check": "datalife.plan.custom:register_check",
    "ValidationReport": "datalife.validation:ValidationReport",
    "validate": "datalife.validation:validate",
    "validates": "datalife.validation:validates",
    "split": "datalife.splits:split",
    "transform": "datalife.transforms:transform",
    "TransformRegistry": "datalife.transforms:TransformRegistry",
    "run_pipeline": "datalife.pipeline:run_pipeline",
    "Profile": "datalife.stats:Profile",
    "merge_profiles": "datalife.stats:merge_profiles",
    "DriftReport": "datalife.drift:DriftReport",
    "skew": "datalife.drift:skew",
}

__all__ = [
    "DatalifeError",
    "DriftReport",
    "Profile",
    "SchemaRegistry",
    "SchemaVersion",
    "TransformRegistry",
    "ValidationFailed",
    "ValidationReport",
    "Workspace",
    "__version__",
    "drift",
    "load_schema",
    "merge_profiles",
    "register_check",
    "run_pipeline",
    "skew",
    "split",
    "stats",
    "transform",
    "validate",
    "validates",
]


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        try:
            return importlib.import_module(f"datalife.{name}")
        except ModuleNotFoundError:
            raise AttributeError(f"module 'datalife' has no attribute {name!r}") from None
    module_name, attr = target.split(":")
    value = getattr(importlib.import_module(module_name), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
