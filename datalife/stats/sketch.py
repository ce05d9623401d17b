"""Mergeable summaries: logarithmic buckets, a time grid, HyperLogLog and value tables.

Every summary here is a deterministic function of the multiset of values it summarises, and
merging the summaries of two parts gives exactly the summary of their union (value tables: within
a stated count error). That is what makes partition profiles mergeable and lets drift be computed
from two saved profiles without the raw data.

Numbers: **logarithmic buckets** (as DDSketch). A finite value ``x != 0`` falls in bucket
``floor(S * log2|x|)`` (on its sign's side); zero has its own bucket. Bucket edges are
``2**(k/S)``, so a bucket's edges are within a relative ``2**(1/S) - 1`` of any value in it.
Profiling starts at ``S = 2**14`` buckets per octave (relative width 4.2e-5) and halves ``S``
(merging neighbour pairs) until at most ``max_buckets`` buckets are non-empty. Because the number
of non-empty buckets never grows when ``S`` halves, the ``S`` chosen for a union is the one reached
by merging the parts and halving again: merge(parts) == sketch(concatenation), bucket for bucket.
Keys are computed by DuckDB (``log2`` of the C library); :func:`log_keys` is the Python twin.

Timestamps: **a time grid** of equal buckets ``2**j`` microseconds wide, aligned on the Unix epoch,
with the smallest ``j`` for which ``[min, max]`` spans at most ``max_buckets`` buckets.

Distinct counts: **HyperLogLog** with ``2**12`` registers over DuckDB's 64-bit ``hash`` (standard
error 1.04 / 64 = 1.6%); registers merge by maximum.

Categories: **value tables** of the ``max_values`` most frequent values with exact counts, plus the
largest count of any value left out. Merging tables that were cut adds an error: see
:meth:`ValueTable.merge`.

Examples:
    >>> s = LogSketch.from_values([1.0, 2.0, 2.0, 3.0, 0.0, -1.5])
    >>> s.total
    6
    >>> s.merge(LogSketch.from_values([4.0])).total
    7
"""

from __future__ import annotations

import base64
import math
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "EXP_OFFSET",
    "HLL_PRECISION",
    "INITIAL_SUB_BUCKETS",
    "HyperLogLog",
    "LogSketch",
    "TimeGrid",
    "ValueTable",
    "grid_shift_for",
    "log_keys",
    "shortest_decimals",
]

#: Buckets per octave before any collapse: relative bucket width 2**(1/2**14) - 1 (4.2e-5).
INITIAL_SUB_BUCKETS = 1 << 14
#: Octaves added to ``log2|x|`` so that the key of every non-zero double is positive.
EXP_OFFSET = 1100
#: HyperLogLog precision: 2**12 registers.
HLL_PRECISION = 12

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


# -- numbers --------------------------------------------------------------------------------


def _sum_by_key(keys: IntArray, counts: IntArray) -> tuple[IntArray, IntArray]:
    """Sort ``keys`` and add up the counts of equal keys."""
    if keys.size == 0:
        return keys.astype(np.int64), counts.astype(np.int64)
    order = np.argsort(keys, kind="stable")
    k = keys[order]
    c = counts[order]
    starts = np.flatnonzero(np.concatenate(([True], k[1:] != k[:-1])))
    return k[starts].astype(np.int64), np.add.reduceat(c, starts).astype(np.int64)


def log_keys(values: Iterable[float], sub_buckets: int = INITIAL_SUB_BUCKETS) -> IntArray:
    """Bucket keys of finite values (the Python twin of the SQL in :mod:`datalife.stats.engine`).

    Examples:
        >>> log_keys([0.0, 1.0, -1.0, 1.5], sub_buckets=4).tolist()
        [0, 4400, -4400, 4402]
    """
    offset = EXP_OFFSET * sub_buckets
    out = []
    for x in values:
        if x == 0:
            out.append(0)
            continue
        k = math.floor(sub_buckets * math.log2(abs(x))) + offset
        out.append(k if x > 0 else -k)
    return np.asarray(out, dtype=np.int64)


def shortest_decimals(lo: FloatArray, hi: FloatArray) -> FloatArray:
    """For each ``0 <= lo < hi``, the number with the fewest significant digits in ``[lo, hi)``.

    Examples:
        >>> shortest_decimals(np.array([35.699, 2007.0]), np.array([35.701, 2007.06])).tolist()
        [35.7, 2007.0]
    """
    out = lo.astype(np.float64).copy()
    todo = lo > 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        top = np.floor(np.log10(np.where(todo, hi, 1.0)))
        for digits in range(1, 17):
            if not todo.any():
                break
            scale = np.power(10.0, digits - 1 - top)
            cand = np.ceil(lo * scale) / scale
            ok = todo & np.isfinite(cand) & (cand >= lo) & (cand < hi)
            out = np.where(ok, cand, out)
            todo &= ~ok
    return out


@dataclass(frozen=True)
class LogSketch:
    """Counts of finite numbers in logarithmic buckets (see the module docstring).

    Attributes:
        sub_buckets: buckets per octave now (a power of two, at most 2**14).
        keys: sorted bucket keys (0 is the bucket of zero; negative keys hold negative values).
        counts: how many values fell in each bucket.
        max_buckets: the most non-empty buckets kept.
    """

    sub_buckets: int
    keys: IntArray
    counts: IntArray
    max_buckets: int = 2048

    @classmethod
    def from_counts(
        cls,
        keys: Sequence[int] | IntArray,
        counts: Sequence[int] | IntArray,
        sub_buckets: int = INITIAL_SUB_BUCKETS,
        max_buckets: int = 2048,
    ) -> LogSketch:
        """A sketch from (key, count) pairs at ``sub_buckets``, collapsed to ``max_buckets``."""
        k, c = _sum_by_key(np.asarray(keys, dtype=np.int64), np.asarray(counts, dtype=np.int64))
        keep = c > 0
        return cls(sub_buckets, k[keep], c[keep], max_buckets).collapsed()

    @classmethod
    def from_values(cls, values: Iterable[float], max_buckets: int = 2048) -> LogSketch:
        """A sketch of finite ``values`` (non-finite values are ignored)."""
        x = np.asarray(list(values), dtype=np.float64)
        x = x[np.isfinite(x)]
        keys = log_keys(x.tolist())
        return cls.from_counts(keys, np.ones_like(keys), INITIAL_SUB_BUCKETS, max_buckets)

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def at(self, sub_buckets: int) -> LogSketch:
        """The same values with ``sub_buckets`` per octave (a coarser power of two)."""
        if sub_buckets == self.sub_buckets:
            return self
        if sub_buckets > self.sub_buckets or self.sub_buckets % sub_buckets:
            raise ValueError(f"cannot refine {self.sub_buckets} sub-buckets to {sub_buckets}")
        shift = (self.sub_buckets // sub_buckets).bit_length() - 1
        # floor(floor(S*L + off) / 2**f) == floor((S / 2**f)*L) + off / 2**f: keys just shift
        new = np.abs(self.keys) >> shift
        new = np.where(self.keys < 0, -new, new)
        k, c = _sum_by_key(new.astype(np.int64), self.counts)
        return LogSketch(sub_buckets, k, c, self.max_buckets)

    def collapsed(self) -> LogSketch:
        """Halve the sub-buckets until at most ``max_buckets`` buckets are non-empty."""
        sketch = self
        while sketch.keys.size > sketch.max_buckets and sketch.sub_buckets > 1:
            sketch = sketch.at(sketch.sub_buckets // 2)
        return sketch

    def merge(self, other: LogSketch) -> LogSketch:
        """The sketch of the union of both parts' values."""
        s = min(self.sub_buckets, other.sub_buckets)
        a, b = self.at(s), other.at(s)
        k, c = _sum_by_key(np.concatenate([a.keys, b.keys]), np.concatenate([a.counts, b.counts]))
        return LogSketch(s, k, c, min(self.max_buckets, other.max_buckets)).collapsed()

    def bounds(self) -> tuple[FloatArray, FloatArray]:
        """Lower and upper edges of every bucket, in key order (= value order)."""
        mag = np.abs(self.keys).astype(np.float64) - EXP_OFFSET * self.sub_buckets
        top = np.finfo(np.float64).max
        with np.errstate(over="ignore"):  # the top buckets of the doubles end past the largest one
            lo = np.minimum(np.exp2(mag / self.sub_buckets), top)
            hi = np.minimum(np.exp2((mag + 1) / self.sub_buckets), top)
        neg = self.keys < 0
        lo, hi = np.where(neg, -hi, lo), np.where(neg, -lo, hi)
        zero = self.keys == 0
        return np.where(zero, 0.0, lo), np.where(zero, 0.0, hi)

    def points(self, lo: float | None = None, hi: float | None = None) -> FloatArray:
        """One representative value per bucket: the shortest decimal in it, clipped to [lo, hi].

        The shortest decimal (fewest significant digits) makes data with few digits come out
        exact: integers while buckets are at most 1 wide, prices with two decimals, and so on.
        """
        low, high = self.bounds()
        rep = shortest_decimals(
            np.abs(np.where(self.keys < 0, high, low)), np.abs(np.where(self.keys < 0, low, high))
        )
        rep = np.where(self.keys < 0, -rep, rep)
        if lo is not None and hi is not None:
            rep = np.clip(rep, lo, hi)
        return rep.astype(np.float64)

    def widths(self) -> FloatArray:
        low, high = self.bounds()
        return (high - low).astype(np.float64)

    def quantile(self, q: float, lo: float, hi: float) -> float:
        """The q-quantile (inverted CDF, to bucket resolution) of the sketched values."""
        if self.total == 0:
            raise ValueError("no values")
        if q <= 0:
            return lo
        if q >= 1:
            return hi
        cum = np.cumsum(self.counts)
        rank = max(1, math.ceil(q * self.total - 1e-9))
        i = int(np.searchsorted(cum, rank, side="left"))
        return float(self.points(lo, hi)[i])

    def relative_error(self) -> float:
        """Bound on the relative distance between a value and its bucket edges."""
        return float(2.0 ** (1.0 / self.sub_buckets) - 1.0)


# -- timestamps -----------------------------------------------------------------------------


def grid_shift_for(min_us: int, max_us: int, max_buckets: int) -> int:
    """The smallest ``j`` for which ``[min_us, max_us]`` spans at most ``max_buckets`` buckets.

    Examples:
        >>> grid_shift_for(0, 10, 4)
        2
    """
    j = 0
    while (max_us >> j) - (min_us >> j) + 1 > max_buckets:
        j += 1
    return j


@dataclass(frozen=True)
class TimeGrid:
    """Counts of timestamps in equal buckets ``2**shift`` microseconds wide (epoch-aligned)."""

    shift: int
    keys: IntArray
    counts: IntArray
    max_buckets: int = 2048

    @classmethod
    def from_counts(
        cls,
        shift: int,
        keys: Sequence[int] | IntArray,
        counts: Sequence[int] | IntArray,
        max_buckets: int = 2048,
    ) -> TimeGrid:
        k, c = _sum_by_key(np.asarray(keys, dtype=np.int64), np.asarray(counts, dtype=np.int64))
        return cls(shift, k, c, max_buckets)

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def at(self, shift: int) -> TimeGrid:
        if shift == self.shift:
            return self
        if shift < self.shift:
            raise ValueError("cannot refine a time grid")
        k, c = _sum_by_key(self.keys >> (shift - self.shift), self.counts)
        return TimeGrid(shift, k, c, self.max_buckets)

    def merge(self, other: TimeGrid, min_us: int, max_us: int) -> TimeGrid:
        """The grid of the union; ``min_us``/``max_us`` are the union's extremes."""
        cap = min(self.max_buckets, other.max_buckets)
        shift = max(self.shift, other.shift, grid_shift_for(min_us, max_us, cap))
        a, b = self.at(shift), other.at(shift)
        k, c = _sum_by_key(np.concatenate([a.keys, b.keys]), np.concatenate([a.counts, b.counts]))
        return TimeGrid(shift, k, c, cap)


# -- distinct counts ------------------------------------------------------------------------


@dataclass(frozen=True)
class HyperLogLog:
    """HyperLogLog registers (``2**precision`` of them, each the max rank seen)."""

    registers: npt.NDArray[np.uint8]
    precision: int = HLL_PRECISION

    @classmethod
    def empty(cls, precision: int = HLL_PRECISION) -> HyperLogLog:
        return cls(np.zeros(1 << precision, dtype=np.uint8), precision)

    @classmethod
    def from_minimums(
        cls, regs: Sequence[int], minimums: Sequence[int], precision: int = HLL_PRECISION
    ) -> HyperLogLog:
        """Registers from the smallest low ``64 - precision`` hash bits seen per register.

        The rank of a hash is the position of its first 1 bit after the register bits, so the
        largest rank in a register is the rank of the smallest remainder: DuckDB only has to
        compute ``min(hash & mask)`` per register, a cheap aggregate.
        """
        width = 64 - precision
        reg = np.asarray(regs, dtype=np.int64)
        low = np.asarray(minimums, dtype=np.uint64)
        if reg.shape != low.shape:
            raise ValueError("as many minimums as registers are needed")
        r = np.zeros(1 << precision, dtype=np.uint8)
        # the rank, vectorised: width + 1 - bit_length(low), bit lengths found by halving
        bits = np.zeros(low.shape, dtype=np.int64)
        rest = low.copy()
        for step in (32, 16, 8, 4, 2, 1):
            high = rest >= np.uint64(1 << step)
            bits += high * step
            rest = np.where(high, rest >> np.uint64(step), rest)
        bits += rest > 0
        np.maximum.at(r, reg, (width + 1 - bits).astype(np.uint8))
        return cls(r, precision)

    def merge(self, other: HyperLogLog) -> HyperLogLog:
        if self.precision != other.precision:
            raise ValueError("HyperLogLog precisions differ")
        return HyperLogLog(np.maximum(self.registers, other.registers), self.precision)

    def estimate(self) -> int:
        """The estimated number of distinct values (with the small-range correction)."""
        m = float(1 << self.precision)
        alpha = 0.7213 / (1.0 + 1.079 / m)
        raw = alpha * m * m / float(np.sum(np.ldexp(1.0, -self.registers.astype(np.int64))))
        zeros = int(np.count_nonzero(self.registers == 0))
        if raw <= 2.5 * m and zeros:
            raw = m * math.log(m / zeros)
        return round(raw)

    def encode(self) -> str:
        """Registers as base64 of their zlib-compressed bytes (compact JSON)."""
        return base64.b64encode(zlib.compress(self.registers.tobytes(), 9)).decode("ascii")

    @classmethod
    def decode(cls, text: str, precision: int = HLL_PRECISION) -> HyperLogLog:
        raw = zlib.decompress(base64.b64decode(text.encode("ascii"), validate=True))
        regs = np.frombuffer(raw, dtype=np.uint8).copy()
        if regs.size != 1 << precision:
            raise ValueError(f"expected {1 << precision} registers, found {regs.size}")
        return cls(regs, precision)


# -- categories -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueTable:
    """The most frequent values of a column with their counts.

    Attributes:
        items: ``(value, count)`` by count descending, then value ascending.
        complete: every non-missing value is listed (counts are exact).
        count_error: a listed count may be short of the true count by at most this much
            (0 for a profile computed from data; grows when tables that were cut are merged).
        unlisted_max: no value missing from the list occurs more often than this.
    """

    items: tuple[tuple[str, int], ...]
    complete: bool
    count_error: int = 0
    unlisted_max: int = 0

    @staticmethod
    def _ordered(counts: dict[str, int]) -> list[tuple[str, int]]:
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    @classmethod
    def from_counts(cls, counts: dict[str, int], max_values: int) -> ValueTable:
        """An exact table of ``counts`` (all values of the column), cut to ``max_values``."""
        ordered = cls._ordered(counts)
        kept = ordered[:max_values]
        dropped = ordered[max_values:]
        return cls(tuple(kept), not dropped, 0, dropped[0][1] if dropped else 0)

    def merge(self, other: ValueTable, max_values: int) -> ValueTable:
        """The table of the union of both parts, cut to ``max_values``.

        A value a part did not list occurred there at most ``unlisted_max`` times, so a merged
        count is short by at most the sum of the ``unlisted_max`` of the parts that were cut
        (``count_error``); a value left out of the merged list occurs at most
        (its merged count + that error) times.
        """
        counts: dict[str, int] = {}
        for value, n in (*self.items, *other.items):
            counts[value] = counts.get(value, 0) + n
        error = self.bound() + other.bound()
        ordered = self._ordered(counts)
        kept, dropped = ordered[:max_values], ordered[max_values:]
        if self.complete and other.complete and not dropped:
            return ValueTable(tuple(kept), True, 0, 0)
        unlisted = (dropped[0][1] if dropped else 0) + error
        return ValueTable(tuple(kept), False, error, unlisted)

    def bound(self) -> int:
        """How far any count of this part may be off (listed: short by; unlisted: at most)."""
        return 0 if self.complete else max(self.count_error, self.unlisted_max)

    @property
    def listed_total(self) -> int:
        return sum(n for _, n in self.items)
