"""datalife: the data lifecycle of machine-learning projects.

Versioned pandera schemas validate every dataset version; a lineage log records where
every file came from. Importing ``datalife`` is cheap: the names below are loaded on first
use, so ``import datalife`` does not import pandas, pandera, pyarrow or duckdb.
``dir(datalife)`` is the public API, :data:`__all__`.

Examples:
    >>> import datalife
    >>> datalife.__version__
    '0.1.0'
"""

import typing

from datalife._env import no_pandera_pyspark_probe as _no_probe
from datalife._version import __version__

_no_probe()  # pandera would import pyspark.pandas (~3 s) when pyspark is installed

if typing.TYPE_CHECKING:
    from datalife.config import Workspace
    from datalife.drift import DriftReport, skew
    from datalife.drift import drift as detect_drift
    from datalife.errors import DatalifeError, ValidationFailed
    from datalife.pipeline import run_pipeline
    from datalife.plan.custom import register_check
    from datalife.schemas.model import SchemaVersion
    from datalife.schemas.registry import SchemaRegistry, load_schema
    from datalife.splits import split
    from datalife.stats import Profile, merge_profiles
    from datalife.stats import stats as profile
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
    # a function named like its subpackage (datalife.stats, datalife.drift) would be replaced
    # by the subpackage as soon as it is imported: these have names of their own
    "profile": "datalife.stats:stats",
    "Profile": "datalife.stats:Profile",
    "merge_profiles": "datalife.stats:merge_profiles",
    "detect_drift": "datalife.drift:drift",
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
    "detect_drift",
    "load_schema",
    "merge_profiles",
    "profile",
    "register_check",
    "run_pipeline",
    "skew",
    "split",
    "transform",
    "validate",
    "validates",
]


def __getattr__(name: str) -> object:
    """A public name, imported on first use; else a subpackage (``datalife.stats``)."""
    import importlib

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
    return sorted(__all__)
