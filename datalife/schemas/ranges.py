"""The range policy of schema inference: which bounds a numeric column gets, and why.

Pinning a range to the exact minimum and maximum of one batch rejects the next legitimate
batch as soon as one value is a little wider. The policies:

``tolerant`` (the default)
    A *hard* bound (a failure) only where the data supports it:

    - a plausible domain the column's name and values agree on: a calendar year in
      [1800, 2100], a month in [1, 12], an hour in [0, 23], a day of the month in [1, 31], a
      latitude in [-90, 90], a longitude in [-180, 180], a share or probability in [0, 1], a
      percentage in [0, 100];
    - non-negative: no value below 0 was seen, so the lower bound is 0 (unless the name says
      a signed quantity: a temperature, a change, a balance... see :data:`SIGNED_NAME`);
    - otherwise the observed range widened by :data:`IQR_FACTOR` times the spread (the
      interquartile range, at least a quarter of the observed range) on each side (for data
      with negative values, at least half the largest magnitude), and for non-negative data at
      least the maximum times :data:`MIN_RATIO`, or times ``(q75 / q25) ** 2`` for skewed data
      (capped at :data:`MAX_RATIO`) — then rounded outward to a round number (a multiple of
      the power of ten just below the widening).

    The exact observed range stays as a *warning-level* check (pandera's ``raise_warning``):
    reported, never a failure.

``strict``
    The observed ``[min, max]`` as a hard bound (what TFDV, Deequ and pandera's
    ``infer_schema`` do): any wider value fails.

``off``
    No range checks.

Identifiers get no range (their values are names, not quantities); timestamps get no upper
bound (time moves on): see :mod:`datalife.schemas.infer`.

Examples:
    >>> d = decide_range("body_mass_g", lo=2700, hi=6300, q25=3550, q75=4750, integer=True)
    >>> (d.hard_min, d.hard_max, d.warn_min, d.warn_max)
    (0, 12000, 2700, 6300)
    >>> decide_range("year", lo=2007, hi=2009, q25=2007, q75=2009, integer=True).hard_max
    2100
    >>> decide_range("t", lo=-3.5, hi=2.25, q25=-1, q75=1, integer=False, policy="strict").rule
    'strict: the observed range [-3.5, 2.25] is the bound'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "IQR_FACTOR",
    "MAX_RATIO",
    "MIN_RATIO",
    "RANGE_POLICIES",
    "RangeDecision",
    "RangePolicy",
    "decide_range",
    "round_magnitude",
]

RangePolicy = Literal["strict", "tolerant", "off"]
RANGE_POLICIES: tuple[str, ...] = ("strict", "tolerant", "off")

#: How many spreads (interquartile ranges) the tolerant policy adds on each side.
IQR_FACTOR = 3.0
#: The largest factor the tolerant policy multiplies a positive skewed maximum by.
MAX_RATIO = 100.0
#: The least factor the tolerant policy multiplies a non-negative maximum by.
MIN_RATIO = 1.5

# name pattern, lowest, highest, what the domain is; both name and values must agree
_DOMAINS: tuple[tuple[re.Pattern[str], float, float, str, bool], ...] = (
    (
        re.compile(r"(^|_)(year|yr)s?$|^year|Year$", re.IGNORECASE),
        1800,
        2100,
        "a calendar year",
        True,
    ),
    (re.compile(r"(^|_)month$|^month", re.IGNORECASE), 1, 12, "a month", True),
    (re.compile(r"(^|_)(hour|hr)$|^hour", re.IGNORECASE), 0, 23, "an hour of the day", True),
    (re.compile(r"(^|_)(day|dom|day_of_month)$", re.IGNORECASE), 1, 31, "a day of the month", True),
    (
        re.compile(
            r"(^|_)(share|ratio|rate|prob|proba|probability|fraction|frac|proportion|p)(_|$)",
            re.IGNORECASE,
        ),
        0,
        1,
        "a share or probability",
        False,
    ),
    (re.compile(r"(^|_)(lat|latitude)$", re.IGNORECASE), -90, 90, "a latitude", False),
    (re.compile(r"(^|_)(lon|lng|long|longitude)$", re.IGNORECASE), -180, 180, "a longitude", False),
    (
        re.compile(r"(^|_)(pct|percent|percentage)(_|$)|%", re.IGNORECASE),
        0,
        100,
        "a percentage",
        False,
    ),
)


#: Names of quantities that can be negative even when one batch saw none (no zero bound).
SIGNED_NAME = re.compile(
    r"temp|celsius|fahrenheit|change|diff|delta|return|balance|profit|growth|elevation|"
    r"altitude|offset|residual|anomaly|margin",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class RangeDecision:
    """The bounds of one numeric column and the reason for them.

    ``hard_min``/``hard_max``: the failing bounds (``None``: open); ``warn_min``/``warn_max``:
    the observed range kept as a warning-level check (``None``: no such check).
    """

    hard_min: float | None
    hard_max: float | None
    warn_min: float | None
    warn_max: float | None
    rule: str


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() and abs(x) < 2**53 else float(x)


def round_magnitude(x: float, step_of: float, *, up: bool) -> float:
    """``x`` rounded outward (``up`` or down) to a multiple of the power of ten below ``step_of``.

    Examples:
        >>> round_magnitude(6300 + 3600, 3600, up=True)
        10000
        >>> round_magnitude(-3.5 - 6, 6, up=False)
        -10
        >>> round_magnitude(0.43, 0.27, up=True)
        0.5
    """
    if step_of <= 0 or not math.isfinite(step_of) or not math.isfinite(x):
        return _num(x)
    step = 10.0 ** math.floor(math.log10(step_of))
    n = math.ceil(x / step) if up else math.floor(x / step)
    # a decimal step leaves binary noise (0.1 * 3): keep the digits the step has
    digits = max(0, -math.floor(math.log10(step)))
    return _num(round(n * step, digits))


def decide_range(
    name: str,
    *,
    lo: float,
    hi: float,
    q25: float | None,
    q75: float | None,
    integer: bool,
    policy: RangePolicy = "tolerant",
) -> RangeDecision:
    """The range checks of numeric column ``name`` observed in ``[lo, hi]`` (quartiles q25, q75)."""
    lo_n, hi_n = _num(lo), _num(hi)
    observed = f"[{lo_n}, {hi_n}]"
    if policy == "off":
        return RangeDecision(None, None, None, None, "off: no range checks (--ranges off)")
    if policy == "strict":
        return RangeDecision(
            lo_n, hi_n, None, None, f"strict: the observed range {observed} is the bound"
        )
    for pattern, d_lo, d_hi, what, needs_integer in _DOMAINS:
        if pattern.search(name) and d_lo <= lo and hi <= d_hi and (integer or not needs_integer):
            return RangeDecision(
                _num(d_lo),
                _num(d_hi),
                lo_n,
                hi_n,
                f"domain: the name and the values {observed} say {what}, "
                f"so [{_num(d_lo)}, {_num(d_hi)}] is the bound; "
                f"the observed range is a warning",
            )
    spread = max(
        (q75 - q25) if q25 is not None and q75 is not None else 0.0,
        (hi - lo) / 4,
    )
    if spread <= 0:
        spread = max(abs(hi), 1.0) / 10
    pad = IQR_FACTOR * spread
    parts = []
    upper = hi + pad
    signed = bool(SIGNED_NAME.search(name))
    if lo >= 0 and hi > 0 and not signed:
        # non-negative data: levels and skewed sizes grow by factors, not by steps
        ratio = MIN_RATIO
        why = "the least factor for non-negative values"
        if q25 is not None and q75 is not None and q25 > 0:
            skew = min((q75 / q25) ** 2, MAX_RATIO)
            if skew > ratio:
                ratio, why = skew, "(q75/q25)^2 of skewed positive values"
        if hi * ratio > upper:
            upper = hi * ratio
            parts.append(f"max x {ratio:.3g} ({why})")
    else:
        pad = max(pad, max(abs(lo), abs(hi)) / 2)
    if not parts:
        parts.append(f"max + {IQR_FACTOR:g} x spread {_num(round(spread, 12))}")
    hard_max = round_magnitude(upper, upper - hi, up=True)
    if lo >= 0 and not signed:
        hard_min: float = 0
        low_rule = "non-negative (no value below 0 seen), so 0 is the lower bound"
    else:
        pad = max(pad, max(abs(lo), abs(hi)) / 2)
        hard_min = round_magnitude(lo - pad, pad, up=False)
        low_rule = f"lower bound min - {IQR_FACTOR:g} x spread, rounded: {hard_min}"
    if integer:
        hard_min, hard_max = math.floor(hard_min), math.ceil(hard_max)
    return RangeDecision(
        _num(hard_min),
        _num(hard_max),
        lo_n,
        hi_n,
        f"tolerant: {low_rule}; upper bound {parts[0]}, rounded: {_num(hard_max)}; "
        f"the observed range {observed} is a warning",
    )
