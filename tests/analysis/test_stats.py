"""Statistics checked against scipy / plain numpy computed independently here."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from valueshift.analysis.stats import bh_fdr, bootstrap_mean_ci, correlate, mantel, sign_flip_test


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_correlate_matches_scipy_on_complete_pairs(method: str) -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=30), rng.normal(size=30)
    y[3] = np.nan
    r, p, n = correlate(x, y, method)  # type: ignore[arg-type]
    ok = ~np.isnan(y)
    ref = (stats.pearsonr if method == "pearson" else stats.spearmanr)(x[ok], y[ok])
    assert n == 29
    assert r == pytest.approx(ref[0], abs=1e-12)
    assert p == pytest.approx(ref[1], abs=1e-12)


def test_correlate_gives_nan_not_error_when_not_computable() -> None:
    assert np.isnan(correlate(np.array([1.0, 2.0]), np.array([1.0, 3.0]))[0])
    assert np.isnan(correlate(np.ones(5), np.arange(5.0))[0])


def test_bootstrap_ci_matches_an_independent_loop_with_the_same_draws() -> None:
    d = np.random.default_rng(2).normal(0.3, 1.0, size=(4, 5))
    low, high = bootstrap_mean_ci(d, n_boot=500, level=0.9, rng=np.random.default_rng(7))
    idx = np.random.default_rng(7).integers(0, 5, size=(500, 5))
    for row in range(4):
        means = np.array([d[row, draw].mean() for draw in idx])
        assert low[row] == pytest.approx(np.quantile(means, 0.05), abs=1e-12)
        assert high[row] == pytest.approx(np.quantile(means, 0.95), abs=1e-12)


def test_bootstrap_ci_agrees_with_scipy_percentile_bootstrap() -> None:
    x = np.random.default_rng(3).normal(1.0, 2.0, size=40)
    low, high = bootstrap_mean_ci(x[None, :], n_boot=20000, rng=np.random.default_rng(0))
    ref = stats.bootstrap((x,), np.mean, n_resamples=20000, method="percentile", rng=np.random.default_rng(1))
    assert low[0] == pytest.approx(ref.confidence_interval.low, abs=0.06)
    assert high[0] == pytest.approx(ref.confidence_interval.high, abs=0.06)


def test_bootstrap_single_replicate_gives_nan() -> None:
    low, high = bootstrap_mean_ci(np.ones((3, 1)), rng=np.random.default_rng(0))
    assert np.isnan(low).all() and np.isnan(high).all()


def test_exact_sign_flip_matches_scipy_permutation_test() -> None:
    d = np.random.default_rng(4).normal(0.5, 1.0, size=(6, 8))
    p = sign_flip_test(d, rng=np.random.default_rng(0))
    for row in range(6):
        ref = stats.permutation_test(
            (d[row],), np.mean, permutation_type="samples", n_resamples=np.inf, alternative="two-sided"
        )
        assert p[row] == pytest.approx(ref.pvalue, abs=1e-12)


def test_exact_sign_flip_smallest_p_and_monte_carlo_branch() -> None:
    d = np.full((1, 5), 2.0)
    assert sign_flip_test(d, rng=np.random.default_rng(0))[0] == pytest.approx(2 / 32)
    big = np.random.default_rng(5).normal(3.0, 0.1, size=(2, 14))
    p = sign_flip_test(big, n_perm=999, rng=np.random.default_rng(0), exact_max=12)
    assert (p < 0.01).all() and (p >= 1 / 1000).all()


def test_bh_matches_a_hand_computation_and_keeps_nan() -> None:
    p = np.array([0.01, 0.04, np.nan, 0.03, 0.5])
    finite = np.array([0.01, 0.04, 0.03, 0.5])
    order = np.argsort(finite)
    m = len(finite)
    adj = finite[order] * m / np.arange(1, m + 1)
    adj = np.minimum.accumulate(adj[::-1])[::-1]
    ref = np.empty(m)
    ref[order] = np.minimum(adj, 1)
    q = bh_fdr(p)
    assert np.isnan(q[2])
    np.testing.assert_allclose(q[[0, 1, 3, 4]], ref, atol=1e-12)


def _sym(rng: np.random.Generator, n: int) -> np.ndarray:
    a = rng.normal(size=(n, n))
    a = (a + a.T) / 2
    np.fill_diagonal(a, 1.0)
    return a


def test_mantel_with_itself_is_one_with_small_p() -> None:
    a = _sym(np.random.default_rng(6), 10)
    res = mantel(a, a, n_perm=999, rng=np.random.default_rng(0))
    assert res["r"] == pytest.approx(1.0)
    assert res["p"] == pytest.approx(1 / 1000)


def test_mantel_on_independent_matrices_is_not_significant() -> None:
    rng = np.random.default_rng(7)
    res = mantel(_sym(rng, 10), _sym(rng, 10), n_perm=999, rng=np.random.default_rng(0))
    assert abs(res["r"]) < 0.5
    assert res["p"] > 0.1


def test_mantel_r_and_exact_p_match_an_explicit_permutation_loop() -> None:
    rng = np.random.default_rng(8)
    a, b = _sym(rng, 5), _sym(rng, 5)
    b = 0.6 * a + 0.4 * b
    res = mantel(a, b, n_perm=9999, rng=np.random.default_rng(0))
    iu = np.triu_indices(5, 1)
    r = stats.pearsonr(a[iu], b[iu])[0]
    null = [stats.pearsonr(a[iu], b[np.ix_(p, p)][iu])[0] for p in itertools.permutations(range(5))]
    assert res["r"] == pytest.approx(r, abs=1e-12)
    assert res["p"] == pytest.approx(np.mean(np.array(null) >= r - 1e-10), abs=1e-12)
    assert res["n_perm"] == 120


def test_mantel_spearman_r_matches_scipy() -> None:
    rng = np.random.default_rng(9)
    a, b = _sym(rng, 8), _sym(rng, 8)
    iu = np.triu_indices(8, 1)
    res = mantel(a, b, method="spearman", n_perm=99, rng=np.random.default_rng(0))
    assert res["r"] == pytest.approx(stats.spearmanr(a[iu], b[iu])[0], abs=1e-12)


def test_mantel_with_two_objects_is_nan_row() -> None:
    res = mantel(np.eye(2), np.eye(2), rng=np.random.default_rng(0))
    assert np.isnan(res["r"]) and np.isnan(res["p"]) and res["n"] == 2
