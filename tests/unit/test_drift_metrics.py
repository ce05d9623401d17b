"""The drift metrics against scipy on the same inputs (to 1e-9) and against hand computation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2_contingency, chisquare, ks_2samp, kstwo
from scipy.stats import wasserstein_distance as scipy_wasserstein

from datalife.drift.metrics import (
    PSI_EPSILON,
    Points,
    chi2_homogeneity,
    decile_edges,
    equal_width_shares,
    js_divergence_log2,
    ks_pvalue,
    ks_statistic,
    linf_distance,
    population_stability_index,
    shares_in_bins,
    wasserstein_distance,
    weighted_quantiles,
)

TOL = 1e-9
counts = st.lists(st.integers(min_value=0, max_value=1000), min_size=2, max_size=12)
samples = st.lists(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda x: round(x, 2)),
    min_size=1,
    max_size=80,
)


# -- hand-computed cases ---------------------------------------------------------------------


def test_linf_hand_computed() -> None:
    # p = (0.5, 0.3, 0.2), q = (0.2, 0.3, 0.5): the largest move is 0.3, first at index 0
    assert linf_distance([5, 3, 2], [20, 30, 50]) == pytest.approx((0.3, 0))
    assert linf_distance([1, 1], [1, 1]) == (0.0, 0)


def test_jsd_hand_computed() -> None:
    # disjoint supports: 1 bit; identical: 0
    assert js_divergence_log2([1, 0], [0, 1]) == pytest.approx(1.0)
    assert js_divergence_log2([3, 1], [3, 1]) == 0.0
    # p = (1/2, 1/2), q = (1, 0), m = (3/4, 1/4)
    kl_p = 0.5 * math.log2(0.5 / 0.75) + 0.5 * math.log2(0.5 / 0.25)
    kl_q = 1.0 * math.log2(1 / 0.75)
    assert js_divergence_log2([1, 1], [1, 0]) == pytest.approx((kl_p + kl_q) / 2, abs=1e-15)


def test_psi_hand_computed_with_smoothing() -> None:
    # p = (0.5, 0.5), q = (0.9, 0.1)
    expected = (0.9 - 0.5) * math.log(0.9 / 0.5) + (0.1 - 0.5) * math.log(0.1 / 0.5)
    assert population_stability_index([5, 5], [9, 1]) == pytest.approx(expected, abs=1e-15)
    # an empty bin counts as PSI_EPSILON, without renormalising
    smoothed = (PSI_EPSILON - 0.5) * math.log(PSI_EPSILON / 0.5) + 0.5 * math.log(1.0 / 0.5)
    assert population_stability_index([1, 1], [0, 4]) == pytest.approx(smoothed, abs=1e-15)


def test_ks_and_wasserstein_hand_computed() -> None:
    a = Points.of([1.0, 2.0, 3.0])
    b = Points.of([2.0, 3.0, 4.0])
    # F_a - F_b is 1/3 on [1, 4): KS = 1/3, W1 = 3 * 1/3 = 1 (a shift by 1)
    assert ks_statistic(a, b) == pytest.approx(1 / 3)
    assert wasserstein_distance(a, b) == pytest.approx(1.0)
    assert ks_statistic(a, a) == 0.0
    assert wasserstein_distance(Points.of([5.0]), Points.of([5.0])) == 0.0


def test_chi2_hand_computed() -> None:
    # 2x2 table [[10, 20], [20, 10]]: expected 15 everywhere, statistic 4 * 25/15, 1 dof
    stat, dof, p = chi2_homogeneity([10, 20], [20, 10])
    assert stat == pytest.approx(100 / 15)
    assert dof == 1
    assert p == pytest.approx(math.erfc(math.sqrt(stat / 2)), abs=1e-12)
    with pytest.raises(ValueError):
        chi2_homogeneity([5, 0], [7, 0])


def test_deciles_and_bins_hand_computed() -> None:
    base = Points.of([2007] * 110 + [2008] * 114 + [2009] * 120)
    assert decile_edges(base).tolist() == [2007.0, 2008.0, 2009.0]
    assert shares_in_bins(base, decile_edges(base)).tolist() == [110, 114, 120, 0]
    assert equal_width_shares(Points.of([5.0, 5.0]), 5.0, 5.0).tolist() == [2.0]


# -- against scipy / numpy on the same inputs -------------------------------------------------


@given(counts, counts)
def test_jsd_equals_scipy_jensenshannon_base2_squared(p: list[int], q: list[int]) -> None:
    n = min(len(p), len(q))
    p, q = p[:n], q[:n]
    if sum(p) == 0 or sum(q) == 0:
        return
    expected = float(jensenshannon(p, q, base=2)) ** 2
    assert js_divergence_log2(p, q) == pytest.approx(expected, abs=TOL)


@given(samples, samples)
def test_ks_statistic_and_pvalue_equal_scipy_ks_2samp(a: list[float], b: list[float]) -> None:
    ours = ks_statistic(Points.of(a), Points.of(b))
    ref = ks_2samp(a, b)
    assert ours == pytest.approx(float(ref.statistic), abs=TOL)
    if round(len(a) * len(b) / (len(a) + len(b))) >= 1:  # scipy gives NaN for 1 vs 1 value
        asymp = ks_2samp(a, b, method="asymp")
        assert ks_pvalue(ours, len(a), len(b)) == pytest.approx(float(asymp.pvalue), abs=TOL)


#: (n, m, d) -> the KS p-value before the copy of SciPy's ``kstwo`` code was removed: small
#: samples (exact), mid-size ones, the tails, and half a million (asymptotic)
KS_PVALUES = [
    ((1, 1, 0.75), 0.5),
    ((10, 10, 0.3), 0.664),
    ((10, 10, 0.6), 0.03008000000000001),
    ((60, 40, 0.25), 0.0828767007794875),
    ((200, 200, 0.1), 0.2526927570063874),
    ((1000, 1000, 0.05), 0.15866260223815387),
    ((2000, 2000, 0.1445), 1.100375112731406e-18),
    ((3000, 6000, 0.03), 0.05354694793932557),
    ((3000, 6000, 0.001), 1.0),
    ((10**6, 10**6, 0.002), 0.036582179671620585),
    ((10**6, 10**6, 0.0005), 0.9996286945544336),
]


@pytest.mark.parametrize(("nmd", "expected"), KS_PVALUES, ids=str)
def test_ks_pvalue_pinned_to_scipy_kstwo(nmd: tuple[int, int, float], expected: float) -> None:
    """The p-value is ``kstwo.sf(d, round(n*m/(n+m)))`` exactly, and has not moved."""
    n, m, d = nmd
    ours = ks_pvalue(d, n, m)
    assert ours == float(kstwo.sf(d, max(round(n * m / (n + m)), 1)))
    assert ours == pytest.approx(expected, rel=1e-12)


@given(samples, samples)
def test_wasserstein_equals_scipy(a: list[float], b: list[float]) -> None:
    expected = float(scipy_wasserstein(a, b))
    assert wasserstein_distance(Points.of(a), Points.of(b)) == pytest.approx(
        expected, rel=TOL, abs=TOL
    )


@given(
    st.lists(st.floats(min_value=-100, max_value=100, allow_nan=False), min_size=1, max_size=30),
    st.lists(st.integers(min_value=1, max_value=50), min_size=30, max_size=30),
)
def test_weighted_points_equal_scipy_on_the_same_bins(
    values: list[float], weights: list[int]
) -> None:
    """Profiles compare bucket representatives with counts: scipy with the same weights."""
    w = weights[: len(values)]
    a = Points.of(values, w)
    b = Points.of(values[::-1], w)
    expected = float(scipy_wasserstein(values, values[::-1], w, w))
    assert wasserstein_distance(a, b) == pytest.approx(expected, rel=TOL, abs=TOL)
    expanded_a = np.repeat(values, w)
    expanded_b = np.repeat(values[::-1], w)
    assert ks_statistic(a, b) == pytest.approx(
        float(ks_2samp(expanded_a, expanded_b).statistic), abs=TOL
    )


@given(counts, counts)
def test_chi2_equals_scipy_chisquare_and_chi2_contingency(a: list[int], b: list[int]) -> None:
    n = min(len(a), len(b))
    table = np.array([a[:n], b[:n]], dtype=float)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return
    stat, dof, p = chi2_homogeneity(a[:n], b[:n])
    ref = chi2_contingency(table, correction=False)
    assert stat == pytest.approx(float(ref.statistic), rel=TOL, abs=TOL)
    assert dof == int(ref.dof)
    assert p == pytest.approx(float(ref.pvalue), abs=TOL)
    # the same test as a goodness of fit of the 2K cells against their expected counts
    k = table.shape[1]
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    gof = chisquare(table.ravel(), expected.ravel(), ddof=k)
    assert p == pytest.approx(float(gof.pvalue), abs=TOL)


@given(samples, st.floats(min_value=0.01, max_value=0.99))
def test_quantiles_equal_numpy_inverted_cdf(a: list[float], q: float) -> None:
    expected = float(np.quantile(a, q, method="inverted_cdf"))
    assert weighted_quantiles(Points.of(a), [q])[0] == expected


@given(samples, samples)
def test_binned_counts_equal_numpy_histogram(a: list[float], b: list[float]) -> None:
    lo, hi = min(a + b), max(a + b)
    if hi <= lo:
        return
    ours = equal_width_shares(Points.of(a), lo, hi)
    ref, _ = np.histogram(a, bins=20, range=(lo, hi))
    assert ours.tolist() == ref.astype(float).tolist()
    expected = float(jensenshannon(ref, np.histogram(b, bins=20, range=(lo, hi))[0], base=2)) ** 2
    assert js_divergence_log2(ours, equal_width_shares(Points.of(b), lo, hi)) == pytest.approx(
        expected, abs=TOL
    )
