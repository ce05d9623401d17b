"""Thresholds for monitored metrics: fixed in the schema, or learned from the history.

A metric of a column (in a slice) is a *series* over batches. Its threshold is, in this order:

1. **fixed**: the schema's ``drift`` settings name this metric for the column (or in
   ``default``); verdicts then follow ``datalife drift`` exactly (noise guard included);
2. **learned**: once the series has ``warmup`` earlier values, from the last ``window`` of them:
   ``median + k·1.4826·MAD`` (``rule = "mad"``; 1.4826·MAD estimates the standard deviation of
   normal data) or their ``quantile`` (``rule = "quantile"``), at least ``min_margin`` (0.01)
   from the median. Metrics where lower is worse
   (accuracy, F1) mirror it: ``median − k·1.4826·MAD`` or the ``1 − quantile`` quantile;
3. otherwise none yet (**warming up**): the value is recorded, nothing alarms.

Every alarm carries the rule that produced its threshold, in words and as data.

Examples:
    >>> rule = LearnRule(rule="mad", k=3.0, window=20, warmup=3)
    >>> t = learn([0.10, 0.12, 0.11, 0.13], rule, higher_is_worse=True)
    >>> round(t.value, 4), t.kind
    (0.1595, 'learned')
    >>> learn([0.1, 0.2], rule, higher_is_worse=True).kind
    'warmup'
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "LOWER_IS_WORSE",
    "LearnRule",
    "Threshold",
    "higher_is_worse",
    "learn",
]

#: Metrics that alarm when they fall (model quality); every other metric alarms when it rises.
LOWER_IS_WORSE = frozenset({"accuracy", "macro_f1", "precision", "recall", "f1"})

#: 1.4826·MAD estimates the standard deviation of normally distributed values.
MAD_SCALE = 1.4826


def higher_is_worse(metric: str) -> bool:
    """False for quality metrics (``accuracy``, ``macro_f1``, ``f1:CLASS``, ...).

    Examples:
        >>> higher_is_worse("psi"), higher_is_worse("accuracy"), higher_is_worse("recall:Adelie")
        (True, False, False)
    """
    return metric.split(":", 1)[0] not in LOWER_IS_WORSE


@dataclass(frozen=True)
class LearnRule:
    """How thresholds are learned (``[monitor]`` in ``datalife.toml``)."""

    rule: Literal["mad", "quantile"] = "mad"
    k: float = 3.0
    quantile: float = 0.95
    window: int = 20
    warmup: int = 5
    #: the smallest distance between the median and a learned threshold: a history that never
    #: moved (MAD 0) would otherwise alarm on the first rounding difference
    min_margin: float = 0.01

    def describe(self) -> str:
        if self.rule == "mad":
            return f"median + {self.k:g}·1.4826·MAD of the last {self.window} batches"
        return f"the {self.quantile:g} quantile of the last {self.window} batches"

    @classmethod
    def from_config(cls, cfg: Any, **overrides: Any) -> LearnRule:
        """From a :class:`~datalife.config.MonitorConfig`, with non-None ``overrides``."""
        values = {
            "rule": cfg.rule,
            "k": cfg.k,
            "quantile": cfg.quantile,
            "window": cfg.window,
            "warmup": cfg.warmup,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


@dataclass
class Threshold:
    """The threshold a value was judged by.

    Attributes:
        kind: ``fixed`` (the schema), ``learned`` (the history), ``warmup`` (none yet) or
            ``none`` (a value recorded without a threshold: rows, support).
        value: the limit (None while warming up).
        higher_is_worse: the alarm fires above the limit (else below it).
        rule: the rule in words, recorded with every value and alarm.
        basis: what it was computed from (history length, median, MAD, ...).
    """

    kind: Literal["fixed", "learned", "warmup", "none"]
    value: float | None
    higher_is_worse: bool = True
    rule: str = ""
    basis: dict[str, Any] = field(default_factory=dict)

    def crossed(self, x: float | None) -> bool:
        if x is None or self.value is None or not math.isfinite(x):
            return False
        return x > self.value if self.higher_is_worse else x < self.value

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "value": self.value,
            "direction": "above" if self.higher_is_worse else "below",
            "rule": self.rule,
            "basis": self.basis,
        }


def _quantile(values: Sequence[float], q: float) -> float:
    """Linear-interpolation quantile (numpy's default method)."""
    xs = sorted(values)
    pos = q * (len(xs) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def learn(history: Sequence[float], rule: LearnRule, *, higher_is_worse: bool) -> Threshold:
    """The threshold learned from ``history`` (oldest first; only the last ``window`` count).

    Fewer than ``rule.warmup`` values: a ``warmup`` threshold that never alarms.
    """
    values = [float(v) for v in history if v is not None and math.isfinite(v)][-rule.window :]
    n = len(values)
    if n < rule.warmup:
        return Threshold(
            "warmup",
            None,
            higher_is_worse,
            f"warming up: {n} of {rule.warmup} batches before a threshold is learned",
            {"n": n},
        )
    median = statistics.median(values)
    if rule.rule == "mad":
        mad = statistics.median(abs(v - median) for v in values)
        margin = max(rule.k * MAD_SCALE * mad, rule.min_margin)
        limit = median + margin if higher_is_worse else median - margin
        basis = {"n": n, "median": median, "mad": mad}
        words = rule.describe() if higher_is_worse else rule.describe().replace("+", "−", 1)
    else:
        q = rule.quantile if higher_is_worse else 1 - rule.quantile
        limit = _quantile(values, q)
        limit = (
            max(limit, median + rule.min_margin)
            if higher_is_worse
            else min(limit, median - rule.min_margin)
        )
        basis = {"n": n, "median": median, "quantile": q}
        words = (
            rule.describe()
            if higher_is_worse
            else f"the {q:g} quantile of the last {rule.window} batches"
        )
    return Threshold("learned", limit, higher_is_worse, f"learned: {words} (n={n})", basis)
