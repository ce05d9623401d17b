"""The split assignment algorithms, on numpy arrays (no pandas, no DuckDB).

Every mode turns a few per-row arrays (stratum codes, group codes, key hashes) into one
``int8`` array: the split index (0 train, 1 dev, 2 test) of every input row. The same
functions serve in-memory frames and out-of-core files, so a frame and a file holding the
same rows in the same order are split the same way.

Randomness is a documented hash, not a random number generator whose stream could change
with the numpy version:

* ``mix64(x)`` is the SplitMix64 finaliser (a bijection on 64-bit integers).
* exact and group modes order rows (groups) by ``mix64(i ^ mix64(seed))`` where ``i`` is the
  row position (for groups: the group key's hash).
* key mode hashes each key: integers with ``mix64(key ^ mix64(seed))``; anything else with
  the first 8 bytes (little-endian) of ``md5(f"{seed}:{key}")``. The top 53 bits of the hash,
  as a fraction of 2**53, are compared with the cumulative ratios.

Examples:
    >>> int(mix64(np.array([0], dtype=np.uint64))[0])
    16294208416658607535
    >>> allocate(np.array([10, 3]), [Fraction(8, 10), Fraction(1, 10), Fraction(1, 10)]).tolist()
    [[8, 1, 1], [1, 1, 1]]
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy.typing as npt

    U64 = npt.NDArray[np.uint64]
    I64 = npt.NDArray[np.int64]
    I8 = npt.NDArray[np.int8]

__all__ = [
    "GOLDEN",
    "allocate",
    "assign_exact",
    "assign_groups",
    "assign_key",
    "assign_ordered",
    "deal_groups",
    "key_fraction",
    "mix64",
    "row_keys",
    "seed_mix",
]

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_TOP53 = 1 << 53
_FEW_STRATA = 32  # up to this many strata, select each with a mask instead of sorting codes
#: time mode: the split code of the rows left out between periods (written to no file)
GAP = 3


_CHUNK = 1 << 15


def mix64(x: U64, xor: np.uint64 | None = None) -> U64:
    """SplitMix64's finaliser applied element-wise (a bijection of uint64; wraps mod 2**64).

    With ``xor``, computes ``mix64(x ^ xor)``. The input array is not modified. Works in
    cache-sized chunks (several times faster than whole-array passes on large inputs).
    """
    out = np.empty(len(x), dtype=np.uint64)
    tmp = np.empty(min(len(x), _CHUNK), dtype=np.uint64)
    for lo in range(0, len(x), _CHUNK):
        z = out[lo : lo + _CHUNK]
        t = tmp[: len(z)]
        if xor is None:
            np.add(x[lo : lo + _CHUNK], GOLDEN, out=z)
        else:
            np.bitwise_xor(x[lo : lo + _CHUNK], xor, out=z)
            z += GOLDEN
        np.right_shift(z, np.uint64(30), out=t)
        z ^= t
        z *= _M1
        np.right_shift(z, np.uint64(27), out=t)
        z ^= t
        z *= _M2
        np.right_shift(z, np.uint64(31), out=t)
        z ^= t
    return out


def seed_mix(seed: int) -> np.uint64:
    """The 64-bit value a seed contributes to every hash."""
    return np.uint64(mix64(np.array([seed], dtype=np.uint64))[0])


def row_keys(n: int, seed: int) -> U64:
    """Distinct pseudo-random sort keys for rows ``0..n-1`` (exact mode's shuffle)."""
    return mix64(np.arange(n, dtype=np.uint64), seed_mix(seed))


def int_key_hash(keys: npt.NDArray[np.integer], seed: int) -> U64:
    """Key mode's hash of integer keys (negative keys are read as two's complement)."""
    return mix64(keys.astype(np.int64, copy=False).view(np.uint64), seed_mix(seed))


def thresholds(ratios: Sequence[Fraction]) -> list[int]:
    """The fixed cut points, in units of 2**-53, between consecutive splits."""
    cuts: list[int] = []
    acc = Fraction(0)
    for r in ratios[:-1]:
        acc += r
        cuts.append(int(acc * _TOP53))
    return cuts


def key_fraction(hashes: U64) -> npt.NDArray[np.float64]:
    """A key hash as a number in [0, 1) (its top 53 bits)."""
    return (hashes >> np.uint64(11)).astype(np.float64) / float(_TOP53)


def assign_key(hashes: U64, ratios: Sequence[Fraction]) -> I8:
    """Key mode: a row's split depends only on its key's hash and the fixed thresholds
    (the number of cut points the top 53 bits reach; computed in chunks, without
    temporaries the size of the input)."""
    cuts = [np.uint64(c) for c in thresholds(ratios)]
    out = np.zeros(len(hashes), dtype=np.int8)
    step = _CHUNK * 8
    for lo in range(0, len(hashes), step):
        top = hashes[lo : lo + step] >> np.uint64(11)
        part = out[lo : lo + step]
        for cut in cuts:
            part += top >= cut
    return out


def _common_denominator(ratios: Sequence[Fraction]) -> tuple[list[int], int]:
    den = 1
    for r in ratios:
        den = den * r.denominator // np.gcd(den, r.denominator)
    return [int(r * den) for r in ratios], int(den)


def allocate(sizes: npt.NDArray[np.integer], ratios: Sequence[Fraction]) -> I64:
    """How many rows of each stratum go to each split (exact mode).

    Every count is the floor or the ceiling of ``size * ratio`` (so within one row of its
    exact target); which strata round up is chosen to keep each split's total as close to
    its target as possible. Then, for a stratum with at least as many rows as there are
    splits, a split left with no row of it takes one from the split most over its target:
    a rare class appears in every split.

    Args:
        sizes: rows per stratum.
        ratios: the split ratios, exact fractions summing to 1.

    Returns:
        An array of shape ``(len(sizes), len(ratios))``.
    """
    nums, den = _common_denominator(ratios)
    k = len(nums)
    sizes64 = np.asarray(sizes, dtype=np.int64)
    num = sizes64[:, None] * np.array(nums, dtype=np.int64)[None, :]  # target * den
    base = num // den
    rem = num - base * den  # fractional part of the target, in units of 1/den
    extra = sizes64 - base.sum(axis=1)
    deficit = np.zeros(k, dtype=np.int64)  # running (target - allocated) per split, * den
    out = base.copy()
    for s in range(len(sizes64)):
        deficit += rem[s]
        d = int(extra[s])
        if d:
            candidates = [j for j in range(k) if rem[s, j] > 0]
            candidates.sort(key=lambda j: (-int(deficit[j]), -int(rem[s, j]), j))
            for j in candidates[:d]:
                out[s, j] += 1
                deficit[j] -= den
        n_s = int(sizes64[s])
        if n_s >= k:
            for j in range(k):
                if out[s, j] == 0:
                    surplus = out[s] * den - num[s]
                    surplus[out[s] <= 1] = np.iinfo(np.int64).min
                    donor = int(np.argmax(surplus))
                    out[s, donor] -= 1
                    out[s, j] += 1
                    deficit[donor] += den
                    deficit[j] -= den
    return out


def assign_exact(codes: I64, n_strata: int, ratios: Sequence[Fraction], seed: int) -> I8:
    """Exact (stratified) mode: each stratum's rows are dealt out by :func:`allocate`.

    Within a stratum the rows with the smallest :func:`row_keys` go to train, the next ones
    to dev, the rest to test. No sort: per stratum, ``np.partition`` finds the key values at
    the cut ranks, and a row's split is the number of its stratum's cuts its key reaches
    (keys are distinct, so the counts are exact).
    """
    n = len(codes)
    k = len(ratios)
    sizes = np.bincount(codes, minlength=n_strata)
    counts = allocate(sizes, ratios)
    keys = row_keys(n, seed)
    cut_keys = np.zeros((n_strata, k - 1), dtype=np.uint64)
    unreached = np.zeros((n_strata, k - 1), dtype=bool)  # cut == stratum size: nobody reaches it
    if n_strata <= _FEW_STRATA:
        blocks = (keys[codes == s] if n_strata > 1 else keys for s in range(n_strata))
    else:
        small = codes.astype(np.int16) if n_strata < 2**15 else codes
        order = np.argsort(small, kind="stable")  # a radix sort for 16-bit codes
        bounds = np.concatenate([[0], np.cumsum(sizes)])
        blocks = (keys[order[bounds[s] : bounds[s + 1]]] for s in range(n_strata))
    for s, block in enumerate(blocks):
        size = len(block)
        cuts = np.cumsum(counts[s])[:-1]
        inside = sorted({int(c) for c in cuts if 0 < c < size})
        part = np.partition(block, inside) if inside else block
        for j, c in enumerate(cuts):
            if c >= size:
                unreached[s, j] = True
            elif c > 0:
                cut_keys[s, j] = part[int(c)]
            # c == 0: every key (>= 0) reaches the cut
    assign = np.zeros(n, dtype=np.int8)
    for j in range(k - 1):
        reach = keys >= cut_keys[:, j][codes]
        if unreached[:, j].any():
            reach &= ~unreached[:, j][codes]
        assign += reach.view(np.int8)
    return assign


@dataclass(frozen=True)
class GroupAssignment:
    """Result of :func:`assign_groups`: the split of every row and of every group."""

    rows: I8
    groups: I8


def assign_groups(
    group_codes: I64,
    n_groups: int,
    strata: I64,
    n_strata: int,
    group_hashes: U64,
    ratios: Sequence[Fraction],
) -> GroupAssignment:
    """Group mode: whole groups are dealt to splits, greedily, largest first.

    Each group goes to the split where it most reduces (or least increases) the L1 distance
    between the split's per-stratum counts and their targets; ties go to the split furthest
    below its size target. Groups are taken by size (largest first), then by the hash of
    the group value, so the result does not depend on the row order.
    """
    # per group, the (stratum, count) pairs it holds
    pair = group_codes * n_strata + strata
    uniq, cnt = np.unique(pair, return_counts=True)
    g_split = deal_groups(
        uniq // n_strata, uniq % n_strata, cnt, n_groups, n_strata, group_hashes, ratios
    )
    return GroupAssignment(rows=g_split[group_codes], groups=g_split)


def deal_groups(
    pair_group: npt.NDArray[np.int64],
    pair_stratum: npt.NDArray[np.int64],
    pair_rows: npt.NDArray[np.int64],
    n_groups: int,
    n_strata: int,
    group_hashes: npt.NDArray[np.uint64],
    ratios: Sequence[Fraction],
) -> I8:
    """The split of each group, from the rows of every (group, stratum) pair: what
    :func:`assign_groups` counts from the rows, and what an engine that keeps its rows
    (Spark) aggregates. The rule is :func:`assign_groups`'s; one implementation for both, so
    the same groups are dealt the same splits on every engine.
    """
    k = len(ratios)
    sizes = np.bincount(pair_group, weights=pair_rows, minlength=n_groups).astype(np.int64)
    n = int(sizes.sum())
    order = np.lexsort((group_hashes, -sizes))
    by_pair = np.lexsort((pair_stratum, pair_group))
    g_of = pair_group[by_pair]
    s_list = pair_stratum[by_pair].tolist()
    c_list = pair_rows[by_pair].tolist()
    st = np.searchsorted(g_of, np.arange(n_groups + 1)).tolist()
    totals = np.bincount(pair_stratum, weights=pair_rows, minlength=n_strata)
    rat = [float(r) for r in ratios]
    target = [[float(totals[s]) * rat[j] for s in range(n_strata)] for j in range(k)]
    size_target = [n * rat[j] for j in range(k)]
    cur = [[0.0] * n_strata for _ in range(k)]
    cur_size = [0.0] * k
    g_split = np.empty(n_groups, dtype=np.int8)
    for g in order.tolist():
        lo, hi = st[g], st[g + 1]
        best_j = 0
        best: tuple[float, float, int] | None = None
        for j in range(k):
            cj = cur[j]
            tj = target[j]
            cost = 0.0
            for i in range(lo, hi):
                s = s_list[i]
                c = c_list[i]
                cost += abs(cj[s] + c - tj[s]) - abs(cj[s] - tj[s])
            score = (cost, (cur_size[j] - size_target[j]) / size_target[j], j)
            if best is None or score < best:
                best = score
                best_j = j
        g_split[g] = best_j
        for i in range(lo, hi):
            cur[best_j][s_list[i]] += c_list[i]
        cur_size[best_j] += float(sizes[g])
    _fill_empty_splits(g_split, sizes, size_target)
    return g_split


def _fill_empty_splits(
    g_split: I8, sizes: npt.NDArray[np.integer], size_target: Sequence[float]
) -> None:
    """With few large groups the greedy pass can leave a split empty: give it the smallest
    group of the split furthest over its target (that has two or more groups)."""
    k = len(size_target)
    while True:
        counts = np.bincount(g_split, minlength=k)
        empty = [j for j in range(k) if counts[j] == 0]
        donors = [j for j in range(k) if counts[j] >= 2]
        if not empty or not donors:
            return
        totals = np.bincount(g_split, weights=sizes, minlength=k)
        donor = max(donors, key=lambda j: (totals[j] - size_target[j], -j))
        members = np.flatnonzero(g_split == donor)
        smallest = members[np.argmin(sizes[members])]
        g_split[smallest] = empty[0]


def ratios_as_fractions(ratios: Sequence[float]) -> list[Fraction]:
    """Ratios as exact fractions (denominators up to 10**6) that sum to exactly 1."""
    fr = [Fraction(r).limit_denominator(10**6) for r in ratios]
    fr[-1] = 1 - sum(fr[:-1], Fraction(0))
    return fr


def assign_ordered(
    order: npt.NDArray[np.float64] | I64,
    ratios: Sequence[Fraction],
    gap: float = 0.0,
    group_codes: I64 | None = None,
    n_groups: int = 0,
) -> I8:
    """Time mode: the earliest rows to train, the next to dev, the latest to test.

    ``order`` is a sortable number per row (no NaN). Rows (or, with ``group_codes``, whole
    groups, placed by their earliest row) are taken in order, ties by position; a unit goes to
    the split its first row falls in, counting rows. ``gap`` (a share of the rows) leaves that
    many rows out (code :data:`GAP`) after train and after dev.

    Examples:
        >>> assign_ordered(np.array([5.0, 1, 4, 2, 3, 0, 9, 8, 7, 6]),
        ...                [Fraction(6, 10), Fraction(2, 10), Fraction(2, 10)]).tolist()
        [0, 0, 0, 0, 0, 0, 2, 2, 1, 1]
        >>> assign_ordered(np.arange(10.0), [Fraction(1, 2), Fraction(1, 4), Fraction(1, 4)],
        ...                gap=0.1).tolist()
        [0, 0, 0, 0, 3, 1, 1, 3, 2, 2]
    """
    n = len(order)
    if group_codes is None:
        units = np.argsort(order, kind="stable")
        sizes = np.ones(n, dtype=np.int64)
    else:
        by_time = np.argsort(order, kind="stable")
        # each group's earliest row: its first appearance in time order
        _, first_at = np.unique(group_codes[by_time], return_index=True)
        first = np.empty(n_groups, dtype=np.int64)
        first[np.unique(group_codes[by_time])] = first_at
        units = np.argsort(first, kind="stable")
        sizes = np.bincount(group_codes, minlength=n_groups).astype(np.int64)[units]
    n_gap = round(gap * n)
    eff = n - 2 * n_gap
    train_end = round(eff * float(ratios[0]))
    dev_end = train_end + n_gap + round(eff * float(ratios[1]))
    cuts = np.array([train_end, train_end + n_gap, dev_end, dev_end + n_gap], dtype=np.int64)
    starts = np.cumsum(sizes) - sizes
    codes = np.array([0, GAP, 1, GAP, 2], dtype=np.int8)[
        np.searchsorted(cuts, starts, side="right")
    ]
    out = np.empty(n, dtype=np.int8)
    if group_codes is None:
        out[units] = codes
    else:
        per_group = np.empty(n_groups, dtype=np.int8)
        per_group[units] = codes
        out[:] = per_group[group_codes]
    return out
