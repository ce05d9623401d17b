"""Numbers computed from the slice summaries: distribution shift and model quality.

Shift of a column between the reference and a batch (both counted on the reference's bins, see
:mod:`datalife.monitor.slices`):

- ``psi``: population stability index, natural log, ``Σ (q − p) ln(q / p)`` with a zero share
  replaced by 1e-4 (the definition ``datalife drift`` uses);
- ``linf`` (categories): ``max_v |p(v) − q(v)|``;
- ``chi2_pvalue``: Pearson's chi-square test of homogeneity on the 2 × K table of counts, which
  tells a shift from sampling noise in a small slice.

Model quality from the confusion counts (classification: accuracy, per-class precision, recall,
F1 and support, macro F1, as scikit-learn defines them with ``zero_division=0``) or from error
sums (regression: MAE, RMSE). DuckDB computes the counts; nothing here loops over rows.

Examples:
    >>> round(psi({"0": 50, "1": 50}, {"0": 80, "1": 20}), 4)
    0.4159
    >>> round(linf({"a": 5, "b": 5}, {"a": 8, "b": 2}), 6)
    0.3
    >>> m = classification({"a\\x1fa": 8, "a\\x1fb": 2, "b\\x1fb": 10})
    >>> m["accuracy"], m["precision:b"], m["recall:a"]
    (0.9, 0.8333333333333334, 0.8)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["chi2_pvalue", "classification", "linf", "psi", "regression"]

EPS = 1e-4
SEP = "\x1f"


def _shares(counts: Mapping[str, int], keys: list[str]) -> list[float]:
    total = sum(counts.get(k, 0) for k in keys)
    return [counts.get(k, 0) / total if total else 0.0 for k in keys]


def psi(ref: Mapping[str, int], cur: Mapping[str, int]) -> float | None:
    """PSI of ``cur`` against ``ref`` over their bins (None if a side is empty)."""
    keys = sorted(set(ref) | set(cur))
    if not sum(ref.values()) or not sum(cur.values()):
        return None
    total = 0.0
    for p, q in zip(_shares(ref, keys), _shares(cur, keys), strict=True):
        p, q = max(p, EPS), max(q, EPS)
        total += (q - p) * math.log(q / p)
    return total


def linf(ref: Mapping[str, int], cur: Mapping[str, int]) -> float | None:
    """Largest change of a value's share (None if a side is empty)."""
    keys = sorted(set(ref) | set(cur))
    if not sum(ref.values()) or not sum(cur.values()):
        return None
    return max(abs(p - q) for p, q in zip(_shares(ref, keys), _shares(cur, keys), strict=True))


def chi2_pvalue(ref: Mapping[str, int], cur: Mapping[str, int]) -> float | None:
    """p-value of the chi-square test of homogeneity (None with fewer than two values)."""
    from scipy.special import chdtrc

    keys = [k for k in sorted(set(ref) | set(cur)) if ref.get(k, 0) + cur.get(k, 0) > 0]
    n1, n2 = sum(ref.get(k, 0) for k in keys), sum(cur.get(k, 0) for k in keys)
    if len(keys) < 2 or not n1 or not n2:
        return None
    n = n1 + n2
    stat = 0.0
    for k in keys:
        col = ref.get(k, 0) + cur.get(k, 0)
        for observed, row in ((ref.get(k, 0), n1), (cur.get(k, 0), n2)):
            expected = row * col / n
            stat += (observed - expected) ** 2 / expected
    return float(chdtrc(len(keys) - 1, stat))


def classification(confusion: Mapping[str, int]) -> dict[str, float]:
    """Accuracy, macro F1 and per-class ``precision:C``, ``recall:C``, ``f1:C``, ``support:C``.

    ``confusion`` maps ``"label\\x1fprediction"`` to a count. Classes are those seen as a label
    or a prediction; a ratio with a zero denominator is 0 (scikit-learn's ``zero_division=0``).
    """
    pairs = [(k.split(SEP, 1), n) for k, n in confusion.items()]
    total = sum(n for _, n in pairs)
    if not total:
        return {}
    classes = sorted({c for (y, p), _ in pairs for c in (y, p)})
    tp = dict.fromkeys(classes, 0)
    actual = dict.fromkeys(classes, 0)
    predicted = dict.fromkeys(classes, 0)
    for (y, p), n in pairs:
        actual[y] += n
        predicted[p] += n
        if y == p:
            tp[y] += n
    out: dict[str, float] = {"accuracy": sum(tp.values()) / total}
    f1s = []
    for c in classes:
        precision = tp[c] / predicted[c] if predicted[c] else 0.0
        recall = tp[c] / actual[c] if actual[c] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[f"precision:{c}"] = precision
        out[f"recall:{c}"] = recall
        out[f"f1:{c}"] = f1
        out[f"support:{c}"] = float(actual[c])
        f1s.append(f1)
    out["macro_f1"] = sum(f1s) / len(f1s)
    return out


def regression(errors: Any) -> dict[str, float]:
    """MAE and RMSE from ``[count, sum |e|, sum e²]``."""
    n, sae, sse = errors
    if not n:
        return {}
    return {"mae": sae / n, "rmse": math.sqrt(sse / n)}
