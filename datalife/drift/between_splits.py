"""The drift figure of a split report: each evaluation split compared with train.

A split that is balanced on the label can still be unbalanced on a feature (a group split,
a small dataset, a stable key split of data that changed over time). For every column, the
split report shows how far dev and test are from train, with the metric that decides a
verdict for that kind of column (``linf`` for categories, ``wasserstein_norm`` for numbers,
see ``docs/stats.md``).

Examples:
    >>> import pandas as pd
    >>> train = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0] * 10, "c": ["a", "b"] * 20})
    >>> dev = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0] * 3, "c": ["a", "b"] * 6})
    >>> figures = split_drift({"train": train, "dev": dev, "test": dev})
    >>> figures["c"]["dev"]["method"], figures["c"]["dev"]["value"]
    ('linf', 0.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["split_drift"]

EVALUATION_SPLITS = ("dev", "test")


def split_drift(parts: Mapping[str, Any]) -> dict[str, dict[str, Any] | None]:
    """Per column, ``{"dev": figure, "test": figure}`` against train (None: not comparable).

    Each figure has ``method`` (the metric that decides), ``value``, ``drifted`` (against
    datalife's default thresholds, with the small-sample noise guard), ``jsd_log2`` and the
    two sample sizes. ``parts`` maps ``train``/``dev``/``test`` to frames or file paths.
    """
    from datalife.drift import drift
    from datalife.stats import stats

    # one profile per split (train is profiled once, not once per comparison); comparing
    # profiles works on their fine buckets (see docs/stats.md, "Exact or from profiles").
    # The figures show no p-value: one is computed (and SciPy imported) only where the noise
    # guard reads it, for a metric over its threshold.
    profiles = {name: stats(part) for name, part in parts.items()}
    reports = {
        name: drift(profiles["train"], profiles[name], pvalues=False).to_dict()
        for name in EVALUATION_SPLITS
        if name in profiles
    }
    figures: dict[str, dict[str, Any] | None] = {}
    for name, report in reports.items():
        for col in report["columns"]:
            column = str(col["column"])
            entry = figures.setdefault(column, {})
            if entry is None:
                continue
            if col.get("value") is None and col.get("reason"):
                entry[name] = {
                    "method": None,
                    "value": None,
                    "drifted": False,
                    "reason": col["reason"],
                }
                continue
            entry[name] = {
                "method": col.get("method"),
                "value": col.get("value"),
                "drifted": bool(col.get("drifted")),
                "jsd_log2": col.get("jsd_log2"),
                "n_train": col.get("n_baseline"),
                "n_split": col.get("n_current"),
            }
    return figures
