"""Split parameters: checked once, up front, before any data is read.

Examples:
    >>> p = SplitParams.build(ratios=(0.8, 0.1, 0.1), stratify="species")
    >>> p.mode, p.stratify
    ('exact', ('species',))
    >>> SplitParams.build(ratios=(0.5, 0.5, 0.1))
    Traceback (most recent call last):
    ...
    datalife.errors.SplitConfigError: ratios must sum to 1, got 0.5 + 0.5 + 0.1 = 1.1
    Fix: give three shares of the rows, for example 0.8,0.1,0.1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

from datalife.errors import SplitConfigError, closest

__all__ = ["MODES", "REBALANCE", "SPLITS", "Mode", "Rebalance", "SplitParams"]

SPLITS: tuple[str, str, str] = ("train", "dev", "test")
Mode = Literal["exact", "group", "key", "time"]
Rebalance = Literal["downsample", "upsample", "weight"]
MODES: tuple[Mode, ...] = ("exact", "group", "key", "time")
REBALANCE: tuple[Rebalance, ...] = ("downsample", "upsample", "weight")
#: The column added to train by ``rebalance="weight"``.
WEIGHT_COLUMN = "sample_weight"
_SUM_TOLERANCE = 1e-6


def _fmt(x: float) -> str:
    return f"{x:g}"


@dataclass(frozen=True)
class SplitParams:
    """The parameters of a split, checked.

    Attributes:
        ratios: shares of train, dev and test (floats summing to 1).
        fractions: the same as exact fractions (what the algorithms use).
        stratify: columns whose joint values must be spread in proportion.
        group: a column whose values must never be in two splits.
        key: a column identifying rows; assignment is then a hash of it (stable splits).
        seed: changes the shuffle (exact, group) or the hash (key).
        rebalance: what to do to train's class balance afterwards.
        order_by: a column ordering the rows in time: train gets the earliest rows, dev the
            next, test the latest (time mode; with ``group``, whole groups by their first row).
        gap: time mode: the share of rows left out between train and dev and between dev and
            test (written nowhere), so that evaluation starts a little after training ends.
    """

    ratios: tuple[float, float, float]
    fractions: tuple[Fraction, Fraction, Fraction] = field(repr=False)
    stratify: tuple[str, ...] = ()
    group: str | None = None
    key: str | None = None
    seed: int = 0
    rebalance: Rebalance | None = None
    order_by: str | None = None
    gap: float = 0.0

    @property
    def mode(self) -> Mode:
        """``time`` with ``order_by``, ``key`` if a key is given, else ``group`` if a group is,
        else ``exact``."""
        if self.order_by is not None:
            return "time"
        if self.key is not None:
            return "key"
        if self.group is not None:
            return "group"
        return "exact"

    @property
    def columns(self) -> list[str]:
        """Every column the parameters name, once each, in a stable order."""
        out: list[str] = []
        for c in (*self.stratify, self.group, self.key, self.order_by):
            if c is not None and c not in out:
                out.append(c)
        return out

    @classmethod
    def build(
        cls,
        *,
        ratios: Sequence[float] = (0.8, 0.1, 0.1),
        stratify: str | Sequence[str] | None = None,
        group: str | None = None,
        key: str | None = None,
        seed: int = 0,
        rebalance: str | None = None,
        order_by: str | None = None,
        gap: float = 0.0,
    ) -> SplitParams:
        """Check the parameters and return them; raise :class:`SplitConfigError` if they cannot work."""
        rt = _check_ratios(ratios)
        fr = tuple(Fraction(r).limit_denominator(10**6) for r in rt)
        fr = (fr[0], fr[1], 1 - fr[0] - fr[1])
        strat: tuple[str, ...]
        if stratify is None:
            strat = ()
        elif isinstance(stratify, str):
            strat = (stratify,)
        else:
            strat = tuple(stratify)
        for name, value in (
            ("group", group),
            ("key", key),
            ("order_by", order_by),
            *(("stratify", s) for s in strat),
        ):
            if not isinstance(value, str | None) or value == "":
                raise SplitConfigError(
                    f"{name} must name a column, got {value!r}",
                    hint=f"pass the column's name, for example {name}='label'.",
                )
        if len(set(strat)) != len(strat):
            raise SplitConfigError(
                f"stratify names a column twice: {', '.join(strat)}",
                hint="list each column once.",
            )
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**64:
            raise SplitConfigError(
                f"seed must be an integer from 0 to 2**64-1, got {seed!r}",
                hint="use a small whole number such as 0 or 42.",
            )
        if rebalance is not None:
            if rebalance not in REBALANCE:
                near = closest(rebalance, REBALANCE)
                raise SplitConfigError(
                    f"unknown rebalance method {rebalance!r} (methods: {', '.join(REBALANCE)})",
                    hint=f"did you mean {near[0]!r}?"
                    if near
                    else "use downsample, upsample or weight.",
                )
            if not strat:
                raise SplitConfigError(
                    f"rebalance={rebalance!r} needs the class column: pass stratify",
                    hint="add --stratify LABEL (rebalancing evens out train's classes).",
                )
        gap = _check_time(order_by, gap, key=key, stratify=strat)
        return cls(
            ratios=rt,
            fractions=fr,
            stratify=strat,
            group=group,
            key=key,
            seed=seed,
            rebalance=rebalance,
            order_by=order_by,
            gap=gap,
        )

    def check_columns(self, available: Sequence[str], where: str = "the data") -> None:
        """Raise :class:`SplitConfigError` for a named column the data does not have."""
        for role, names in (
            ("stratify", self.stratify),
            ("group", (self.group,) if self.group else ()),
            ("key", (self.key,) if self.key else ()),
            ("order_by", (self.order_by,) if self.order_by else ()),
        ):
            for name in names:
                if name not in available:
                    near = closest(name, available)
                    listing = ", ".join(available[:20]) + (" ..." if len(available) > 20 else "")
                    raise SplitConfigError(
                        f"{role} column {name!r} is not in {where} (columns: {listing})",
                        column=name,
                        hint=f"did you mean {near[0]!r}?" if near else "check the column name.",
                    )
        if self.rebalance == "weight" and WEIGHT_COLUMN in available:
            raise SplitConfigError(
                f"rebalance='weight' adds a {WEIGHT_COLUMN!r} column, but the data has one already",
                column=WEIGHT_COLUMN,
                hint=f"rename or drop the existing {WEIGHT_COLUMN!r} column first.",
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters (what provenance and reports record)."""
        out: dict[str, Any] = {
            "mode": self.mode,
            "ratios": list(self.ratios),
            "stratify": list(self.stratify),
            "group": self.group,
            "key": self.key,
            "seed": self.seed,
            "rebalance": self.rebalance,
        }
        if self.order_by is not None:  # time mode only: other splits' provenance is unchanged
            out.update(order_by=self.order_by, gap=self.gap)
        return out


def _check_time(
    order_by: str | None, gap: float, *, key: str | None, stratify: tuple[str, ...]
) -> float:
    """The gap, checked; a time-ordered split takes no key and no stratification."""
    if isinstance(gap, bool) or not isinstance(gap, int | float) or not math.isfinite(gap):
        raise SplitConfigError(
            f"gap must be a share of the rows, got {gap!r}", hint="for example --gap 0.02."
        )
    if order_by is None:
        if gap:
            raise SplitConfigError(
                "gap applies to a time-ordered split only",
                hint="add --order-by COL (the column that orders the rows in time).",
            )
        return 0.0
    if not 0 <= gap < 0.25:
        raise SplitConfigError(
            f"gap must be a share of the rows from 0 to below 0.25, got {_fmt(gap)}",
            hint="for example --gap 0.02 leaves 2% of the rows out after train and after dev.",
        )
    if key is not None:
        raise SplitConfigError(
            "--order-by and --key pick the split two different ways; choose one",
            hint="order by time to keep the future out of training; a key for stable hashing.",
        )
    if stratify:
        raise SplitConfigError(
            "a time-ordered split cannot also be stratified: its splits are periods of time",
            hint="drop --stratify (the splits are periods of time, not samples of the classes).",
        )
    return float(gap)


def _check_ratios(ratios: Sequence[float]) -> tuple[float, float, float]:
    if isinstance(ratios, str):
        raise SplitConfigError(
            f"ratios must be three numbers, got the string {ratios!r}",
            hint="pass a tuple such as (0.8, 0.1, 0.1).",
        )
    try:
        values = [float(r) for r in ratios]
    except (TypeError, ValueError):
        raise SplitConfigError(
            f"ratios must be numbers, got {ratios!r}",
            hint="give three shares of the rows, for example 0.8,0.1,0.1.",
        ) from None
    if len(values) != len(SPLITS):
        raise SplitConfigError(
            f"ratios must have three values (train, dev, test), got {len(values)}: "
            + ", ".join(_fmt(v) for v in values),
            hint="give three shares of the rows, for example 0.8,0.1,0.1.",
        )
    for name, v in zip(SPLITS, values, strict=True):
        if not math.isfinite(v) or v <= 0:
            raise SplitConfigError(
                f"the {name} ratio is {_fmt(v)}: it would leave {name} empty",
                hint="every split needs a share above 0, for example 0.8,0.1,0.1.",
            )
    total = math.fsum(values)
    if abs(total - 1.0) > _SUM_TOLERANCE:
        raise SplitConfigError(
            f"ratios must sum to 1, got {' + '.join(_fmt(v) for v in values)} = {_fmt(total)}",
            hint="give three shares of the rows, for example 0.8,0.1,0.1.",
        )
    return (values[0], values[1], values[2])
