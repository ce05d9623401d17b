"""Class balance of a label column, from its profile.

A column declared ``label`` (``datalife schema infer --label COL``, or ``--label`` of
``datalife stats``) gets its class balance: each class's count and share, the largest over the
smallest class count (the imbalance ratio) and the minority class.

Examples:
    >>> from datalife.stats import stats
    >>> import pandas as pd
    >>> p = stats(pd.DataFrame({"y": ["a"] * 6 + ["b"] * 3 + ["c"]}))
    >>> b = class_balance(p.columns[0])
    >>> b.classes, b.imbalance_ratio, b.minority
    ({'a': 6, 'b': 3, 'c': 1}, 6.0, 'c')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from datalife.stats.profile import CategoricalColumn

__all__ = ["ClassBalance", "class_balance"]


@dataclass(frozen=True)
class ClassBalance:
    """The classes of a label column (``complete``: every class is listed)."""

    column: str
    classes: dict[str, int] = field(default_factory=dict)
    missing: int = 0
    complete: bool = True
    note: str | None = None

    @property
    def total(self) -> int:
        return sum(self.classes.values())

    @property
    def imbalance_ratio(self) -> float | None:
        """The largest class count over the smallest (1.0: balanced)."""
        if not self.classes or not self.complete:
            return None
        return max(self.classes.values()) / min(self.classes.values())

    @property
    def minority(self) -> str | None:
        if not self.classes:
            return None
        return min(self.classes, key=lambda k: (self.classes[k], k))

    def to_dict(self) -> dict[str, Any]:
        total = self.total
        return {
            "column": self.column,
            "classes": [
                {"value": k, "count": n, "share": n / total if total else None}
                for k, n in sorted(self.classes.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
            "missing": self.missing,
            "complete": self.complete,
            "imbalance_ratio": self.imbalance_ratio,
            "minority": self.minority,
            "note": self.note,
        }

    def to_text(self) -> str:
        if self.note and not self.classes:
            return f"label {self.column}: {self.note}"
        total = self.total
        shares = ", ".join(
            f"{k} {100 * n / total:.1f}%"
            for k, n in sorted(self.classes.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        ratio = self.imbalance_ratio
        tail = f"; imbalance {ratio:.3g} (largest / smallest class)" if ratio is not None else ""
        return f"label {self.column}: {len(self.classes)} classes: {shares}{tail}"


def class_balance(column: Any) -> ClassBalance:
    """The class balance of a label column's profile."""
    if not isinstance(column, CategoricalColumn):
        return ClassBalance(
            column.name,
            missing=column.missing,
            note=f"classes are counted for text and boolean labels; this one is {column.kind}",
        )
    table = column.state.values
    return ClassBalance(
        column.name,
        classes={str(v): int(n) for v, n in table.items},
        missing=column.missing,
        complete=bool(table.complete),
        note=None
        if table.complete
        else "more classes than the profile keeps: the rarest are left out",
    )
