"""Transforms: named, versioned, fingerprinted frame -> frame steps with column lineage.

Declare a stateless transform on a function, or a stateful one (fit on train, apply
everywhere) on a class; collect them with a :class:`TransformRegistry` from the modules a
project names; use the built-ins (z-score, min-max, log1p, quantile buckets, vocabulary /
one-hot / ordinal encoding, imputation, date parts, ratios, crosses) for the usual features.

See ``docs/transforms.md``.

Examples:
    >>> import pandas as pd
    >>> from datalife.transforms import TransformRegistry, transform
    >>> @transform(name="bill_ratio", version=1, inputs=["length", "depth"], outputs=["ratio"])
    ... def bill_ratio(df):
    ...     return pd.DataFrame({"ratio": df["length"] / df["depth"]})
    >>> registry = TransformRegistry([bill_ratio])
    >>> registry.get("bill_ratio").column_lineage()
    {'ratio': ['length', 'depth']}
"""

from __future__ import annotations

from datalife.transforms.builtins import (
    BUILTINS,
    cross,
    date_parts,
    impute,
    log1p,
    minmax,
    one_hot,
    ordinal,
    quantile_bucketize,
    ratio,
    vocabulary,
    zscore,
)
from datalife.transforms.core import (
    FittedTransform,
    StatefulTransform,
    Transform,
    column_lineage,
    load_fitted,
    read_artifact,
    transform,
)
from datalife.transforms.fingerprint import fingerprint
from datalife.transforms.registry import TransformRegistry

__all__ = [
    "BUILTINS",
    "FittedTransform",
    "StatefulTransform",
    "Transform",
    "TransformRegistry",
    "column_lineage",
    "cross",
    "date_parts",
    "fingerprint",
    "impute",
    "load_fitted",
    "log1p",
    "minmax",
    "one_hot",
    "ordinal",
    "quantile_bucketize",
    "ratio",
    "read_artifact",
    "transform",
    "vocabulary",
    "zscore",
]
