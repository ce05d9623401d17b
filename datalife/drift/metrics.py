"""The drift metrics, as plain functions of counts and weighted points.

Every function here is datalife's own implementation (numpy only), checked in the tests against
scipy on the same inputs. The two tail probabilities are SciPy's own, through its public API,
imported when a p-value is first computed (nothing of SciPy is imported before): the chi-square
survival function ``scipy.special.chdtrc`` and the Kolmogorov-Smirnov distribution
``scipy.stats.kstwo``.

A distribution of numbers is a :class:`Points`: sorted distinct values with weights (counts). From
raw data the values are the exact distinct values; from a profile they are the representative
values of its buckets (see :mod:`datalife.stats.sketch`).

Examples:
    >>> linf_distance([2, 1, 1], [1, 1, 2])
    (0.25, 0)
    >>> round(js_divergence_log2([1, 0], [0, 1]), 12)
    1.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "DECILES",
    "JSD_BINS",
    "PSI_EPSILON",
    "Points",
    "chi2_homogeneity",
    "decile_edges",
    "equal_width_shares",
    "js_divergence_log2",
    "ks_pvalue",
    "ks_statistic",
    "linf_distance",
    "population_stability_index",
    "shares_in_bins",
    "wasserstein_distance",
    "weighted_quantiles",
]

FloatArray = npt.NDArray[np.float64]
ArrayLike = Sequence[float] | Sequence[int] | npt.NDArray[np.float64] | npt.NDArray[np.int64]

#: A zero share is replaced by this in PSI (no renormalisation), as in common practice.
PSI_EPSILON = 1e-4
#: PSI bins are cut at the baseline's deciles.
DECILES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
#: Jensen-Shannon divergence of numbers is computed on this many equal-width bins.
JSD_BINS = 20


@dataclass(frozen=True)
class Points:
    """A weighted sample: sorted distinct ``values`` with positive ``weights``."""

    values: FloatArray
    weights: FloatArray

    @classmethod
    def of(cls, values: ArrayLike, weights: ArrayLike | None = None) -> Points:
        """Sort and combine equal values.

        Examples:
            >>> Points.of([3.0, 1.0, 3.0]).weights.tolist()
            [1.0, 2.0]
        """
        v = np.asarray(values, dtype=np.float64)
        w = np.ones_like(v) if weights is None else np.asarray(weights, dtype=np.float64)
        if v.size == 0:
            return cls(v, w)
        uniq, inverse = np.unique(v, return_inverse=True)
        summed = np.bincount(inverse, weights=w, minlength=uniq.size)
        keep = summed > 0
        return cls(uniq[keep].astype(np.float64), summed[keep].astype(np.float64))

    @property
    def total(self) -> float:
        return float(self.weights.sum())

    @property
    def min(self) -> float:
        return float(self.values[0])

    @property
    def max(self) -> float:
        return float(self.values[-1])


def _shares(counts: ArrayLike) -> FloatArray:
    c = np.asarray(counts, dtype=np.float64)
    total = float(c.sum())
    if total <= 0:
        raise ValueError("no counts")
    out: FloatArray = c / total
    return out


def linf_distance(p_counts: ArrayLike, q_counts: ArrayLike) -> tuple[float, int]:
    """L-infinity distance of two count vectors, each normalised by its own total (TFDV).

    Returns ``(max |p_i - q_i|, i)``: the distance and the index of the value that moved most.
    """
    diff = np.abs(_shares(p_counts) - _shares(q_counts))
    i = int(np.argmax(diff))
    return float(diff[i]), i


def js_divergence_log2(p_counts: ArrayLike, q_counts: ArrayLike) -> float:
    """Jensen-Shannon divergence in bits (log base 2), in [0, 1]; 0 log 0 = 0.

    Equals ``scipy.spatial.distance.jensenshannon(p, q, base=2) ** 2``.
    """
    p, q = _shares(p_counts), _shares(q_counts)
    m = (p + q) / 2

    def kl(a: FloatArray) -> float:
        nz = a > 0
        return float(np.sum(a[nz] * np.log2(a[nz] / m[nz])))

    return min(1.0, max(0.0, (kl(p) + kl(q)) / 2))


def population_stability_index(
    p_counts: ArrayLike, q_counts: ArrayLike, epsilon: float = PSI_EPSILON
) -> float:
    """PSI = sum((q - p) * ln(q / p)) over bins, a zero share replaced by ``epsilon``."""
    p, q = _shares(p_counts), _shares(q_counts)
    p = np.where(p == 0, epsilon, p)
    q = np.where(q == 0, epsilon, q)
    return float(np.sum((q - p) * np.log(q / p)))


def _cdfs(a: Points, b: Points) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Both empirical CDFs evaluated at every point of either sample (sorted)."""
    allv = np.union1d(a.values, b.values)

    def cdf(s: Points) -> FloatArray:
        cum = np.cumsum(s.weights) / s.total
        idx = np.searchsorted(s.values, allv, side="right") - 1
        out: FloatArray = np.where(idx >= 0, cum[np.clip(idx, 0, None)], 0.0)
        return out

    return allv, cdf(a), cdf(b)


def ks_statistic(a: Points, b: Points) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: max |F_a(x) - F_b(x)| (as scipy ``ks_2samp``)."""
    _, fa, fb = _cdfs(a, b)
    return float(np.max(np.abs(fa - fb)))


def wasserstein_distance(a: Points, b: Points) -> float:
    """First Wasserstein distance: the integral of |F_a - F_b| (as scipy ``wasserstein_distance``)."""
    allv, fa, fb = _cdfs(a, b)
    if allv.size < 2:
        return 0.0
    with np.errstate(over="ignore", invalid="ignore"):  # spans beyond the largest double
        return float(np.sum(np.abs(fa - fb)[:-1] * np.diff(allv)))


def ks_pvalue(statistic: float, n: int, m: int) -> float:
    """Two-sided p-value of the two-sample KS statistic (scipy ``ks_2samp(method='asymp')``).

    The distribution of the one-sample statistic with ``round(n*m/(n+m))`` observations
    (scipy's ``kstwo``), which is what scipy uses for large samples.
    """
    from scipy.stats import kstwo

    en = round(n * m / (n + m))
    return min(1.0, max(0.0, float(kstwo.sf(statistic, max(en, 1)))))


def chi2_homogeneity(a_counts: ArrayLike, b_counts: ArrayLike) -> tuple[float, int, float]:
    """Pearson chi-square test that two count vectors come from one distribution.

    The 2 x K contingency table (categories seen in neither sample dropped), expected counts from
    the pooled shares, ``K - 1`` degrees of freedom, no continuity correction: scipy
    ``chi2_contingency(table, correction=False)``. Returns ``(statistic, dof, p-value)``.
    """
    from scipy.special import chdtrc

    table = np.vstack(
        [np.asarray(a_counts, dtype=np.float64), np.asarray(b_counts, dtype=np.float64)]
    )
    table = table[:, table.sum(axis=0) > 0]
    k = table.shape[1]
    if k < 2:
        raise ValueError("fewer than two categories")
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    stat = float(np.sum((table - expected) ** 2 / expected))
    dof = k - 1
    return stat, dof, float(chdtrc(dof, stat))


def weighted_quantiles(s: Points, probs: Sequence[float]) -> FloatArray:
    """Quantiles by the inverted CDF: the smallest value whose CDF reaches ``p``.

    Equals ``numpy.quantile(sample, p, method='inverted_cdf')`` on the expanded sample.
    """
    cum = np.cumsum(s.weights)
    total = cum[-1]
    out = []
    for p in probs:
        target = p * total
        i = int(np.searchsorted(cum, target - 1e-9 * total, side="left"))
        out.append(s.values[min(i, s.values.size - 1)])
    return np.asarray(out, dtype=np.float64)


def decile_edges(baseline: Points) -> FloatArray:
    """PSI bin edges: the distinct deciles of the baseline (bins ``(e[i-1], e[i]]``)."""
    return np.unique(weighted_quantiles(baseline, DECILES))


def shares_in_bins(s: Points, edges: FloatArray) -> FloatArray:
    """Weight of ``s`` in the bins ``(-inf, e0], (e0, e1], ..., (e_last, inf)`` (counts)."""
    idx = np.searchsorted(edges, s.values, side="left")
    return np.bincount(idx, weights=s.weights, minlength=edges.size + 1).astype(np.float64)


def equal_width_shares(s: Points, lo: float, hi: float, bins: int = JSD_BINS) -> FloatArray:
    """Counts of ``s`` in ``bins`` equal-width bins over ``[lo, hi]`` (``numpy.histogram``)."""
    if not math.isfinite(hi - lo) or hi <= lo:
        return np.asarray([s.total], dtype=np.float64)
    counts, _ = np.histogram(s.values, bins=bins, range=(lo, hi), weights=s.weights)
    return counts.astype(np.float64)
