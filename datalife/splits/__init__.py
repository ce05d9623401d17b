"""Deterministic, stratified, group-aware and stable train/dev/test splits.

``split(data, ratios=(0.8, 0.1, 0.1), stratify=..., group=..., key=..., seed=...)`` takes a
pandas DataFrame or data files and returns a :class:`SplitResult`: the three splits (as
frames, or Parquet files written atomically with their provenance) and a
:class:`SplitReport` (rows per split, class distribution against the whole, the largest
deviation, group overlap, duplicate rows shared across splits).

See ``docs/splits.md`` for which mode to pick when.

Examples:
    >>> import pandas as pd
    >>> from datalife.splits import split
    >>> df = pd.DataFrame({"user": [i // 3 for i in range(60)], "x": range(60)})
    >>> result = split(df, group="user")
    >>> result.report.groups.overlap
    0
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from datalife.splits.api import split
from datalife.splits.params import REBALANCE, SPLITS, WEIGHT_COLUMN, SplitParams
from datalife.splits.report import (
    ClassDistribution,
    Deviation,
    DuplicateStats,
    GroupStats,
    RebalanceStats,
    SplitReport,
    SplitSize,
)
from datalife.splits.result import (
    PROVENANCE_KEY,
    REPORT_FILE,
    SPLIT_ATTR,
    SplitResult,
    read_provenance,
    write_splits,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "PROVENANCE_KEY",
    "REBALANCE",
    "REPORT_FILE",
    "SPLITS",
    "SPLIT_ATTR",
    "WEIGHT_COLUMN",
    "ClassDistribution",
    "Deviation",
    "DuplicateStats",
    "GroupStats",
    "RebalanceStats",
    "SplitParams",
    "SplitReport",
    "SplitResult",
    "SplitSize",
    "mark_split",
    "read_provenance",
    "split",
    "write_splits",
]


def mark_split(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Flag ``frame`` as holding rows of split ``name`` (what ``split()`` does to its outputs).

    Stateful transforms refuse to fit on a frame flagged ``dev``, ``test`` or ``mixed``.
    """
    if name not in (*SPLITS, "mixed"):
        raise ValueError(f"split name must be one of {', '.join(SPLITS)} or 'mixed', got {name!r}")
    frame.attrs[SPLIT_ATTR] = name
    return frame
