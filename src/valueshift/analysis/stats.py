"""Statistics for the analysis stage: correlations, bootstrap CIs, sign-flip tests, BH-FDR, Mantel test.

Every function is vectorised over rows where that matters (thousands of probe x language cells), seeded
through a ``numpy.random.Generator``, and returns NaN where a statistic cannot be computed (too few values,
constant input) instead of raising, so one empty cell never stops a grid.

References
----------
Mantel, N. (1967). The detection of disease clustering and a generalized regression approach.
*Cancer Research* 27(2), 209-220.

Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate: a practical and powerful
approach to multiple testing. *Journal of the Royal Statistical Society B* 57(1), 289-300.

Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*, ch. 13 (percentile intervals).
"""

from __future__ import annotations

import itertools
import math
from typing import Literal

import numpy as np
from scipy import stats

__all__ = [
    "Correlation",
    "bh_fdr",
    "bootstrap_mean_ci",
    "correlate",
    "mantel",
    "sign_flip_test",
    "upper_triangle",
]

Method = Literal["pearson", "spearman"]
Correlation = tuple[float, float, int]  # r, p, n


def correlate(x: np.ndarray, y: np.ndarray, method: Method = "pearson", *, min_n: int = 3) -> Correlation:
    """Pearson or Spearman correlation over the pairs where both values are finite.

    Returns
    -------
    (r, p, n)
        ``scipy.stats.pearsonr`` / ``spearmanr`` results; ``(nan, nan, n)`` when ``n < min_n`` or either side
        is constant.

    Examples
    --------
    >>> r, p, n = correlate(np.array([1.0, 2, 3, np.nan]), np.array([2.0, 4, 7, 1]))
    >>> round(r, 4), n
    (0.9934, 3)
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    n = int(ok.sum())
    if n < min_n or np.ptp(x[ok]) == 0 or np.ptp(y[ok]) == 0:
        return math.nan, math.nan, n
    fn = stats.pearsonr if method == "pearson" else stats.spearmanr
    res = fn(x[ok], y[ok])
    return float(res[0]), float(res[1]), n


def bootstrap_mean_ci(
    d: np.ndarray, *, n_boot: int = 2000, level: float = 0.95, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap CI of the row means of ``d`` (N rows x S replicates).

    The same ``n_boot`` resamples of the S columns, ``rng.integers(0, S, size=(n_boot, S))``, are used for
    every row (NaN entries are left out of each resample's mean). Rows with fewer than 2 finite values get
    NaN.

    Returns
    -------
    (low, high)
        Arrays of length N.

    References
    ----------
    Efron & Tibshirani (1993), ch. 13.
    """
    d = np.asarray(d, float)  # (N, S)
    n_rows, s = d.shape
    low = np.full(n_rows, np.nan)
    high = np.full(n_rows, np.nan)
    if s < 2 or n_rows == 0:
        return low, high
    idx = rng.integers(0, s, size=(n_boot, s))  # (B, S) resampled column indices
    counts = np.zeros((n_boot, s))
    np.add.at(counts, (np.repeat(np.arange(n_boot), s), idx.ravel()), 1.0)  # (B, S) times each column drawn
    finite = np.isfinite(d)
    sums = np.where(finite, d, 0.0) @ counts.T  # (N, B)
    ns = finite.astype(float) @ counts.T  # (N, B)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / ns
    alpha = (1.0 - level) / 2.0
    ok = finite.sum(axis=1) >= 2
    if ok.any():
        low[ok] = np.nanquantile(means[ok], alpha, axis=1)
        high[ok] = np.nanquantile(means[ok], 1.0 - alpha, axis=1)
    return low, high


def sign_flip_test(d: np.ndarray, *, n_perm: int = 9999, rng: np.random.Generator, exact_max: int = 12) -> np.ndarray:
    """Two-sided sign-flip permutation test of mean = 0 for each row of ``d`` (N x S).

    Under H0 each replicate's delta is symmetric around 0, so flipping signs gives the null distribution of
    the mean. With ``S <= exact_max`` all ``2**S`` sign patterns are enumerated (exact p, counting the
    observed one); otherwise ``n_perm`` random patterns give
    ``p = (1 + #{|mean*| >= |mean|}) / (n_perm + 1)``. Rows with a NaN get NaN. The smallest exact p is
    ``2 / 2**S``: with fewer than 6 replicates nothing reaches 0.05.

    Returns
    -------
    numpy.ndarray
        p-values, length N.
    """
    d = np.asarray(d, float)
    n_rows, s = d.shape
    p = np.full(n_rows, np.nan)
    ok = np.isfinite(d).all(axis=1)
    if s < 2 or not ok.any():
        return p
    if s <= exact_max:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=s)))  # (2^S, S)
        exact = True
    else:
        signs = rng.choice(np.array([1.0, -1.0]), size=(n_perm, s))  # (P, S)
        exact = False
    x = d[ok]
    obs = np.abs(x.mean(axis=1))  # (N,)
    null = np.abs(x @ signs.T / s)  # (N, P)
    tol = 1e-12 * np.maximum(1.0, obs)
    count = (null >= (obs - tol)[:, None]).sum(axis=1)
    p[ok] = count / len(signs) if exact else (1.0 + count) / (n_perm + 1.0)
    return p


def bh_fdr(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values); NaN entries stay NaN and are not counted.

    Wraps ``scipy.stats.false_discovery_control(method="bh")``.

    References
    ----------
    Benjamini & Hochberg (1995).
    """
    p = np.asarray(p, float)
    q = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        q[ok] = stats.false_discovery_control(p[ok], method="bh")
    return q


def upper_triangle(m: np.ndarray) -> np.ndarray:
    """The entries above the diagonal of a square matrix, row by row."""
    m = np.asarray(m, float)
    i, j = np.triu_indices(m.shape[0], k=1)
    return m[i, j]


def mantel(
    a: np.ndarray,
    b: np.ndarray,
    *,
    method: Method = "pearson",
    n_perm: int = 9999,
    rng: np.random.Generator,
    alternative: Literal["greater", "two-sided"] = "greater",
) -> dict[str, float]:
    """Mantel test: correlation of two symmetric matrices' upper triangles, with a permutation p-value.

    The rows and columns of ``b`` are permuted together. With ``n! <= n_perm`` every permutation is enumerated
    (exact p, the identity included); otherwise ``p = (1 + #{r* >= r}) / (n_perm + 1)`` (``|r*| >= |r|`` for
    two-sided). NaN entries are left out of each correlation.

    Returns
    -------
    dict
        ``r``, ``p``, ``n`` (number of objects), ``n_pairs``, ``n_perm`` (permutations used). NaN ``r``/``p``
        for fewer than 3 objects (fewer than 3 pairs) or a constant triangle.

    References
    ----------
    Mantel (1967).
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"mantel needs two square matrices of one shape, got {a.shape} and {b.shape}")
    n = a.shape[0]
    out = {"r": math.nan, "p": math.nan, "n": float(n), "n_pairs": float(n * (n - 1) // 2), "n_perm": 0.0}
    if n < 3:
        return out
    r, _, _ = correlate(upper_triangle(a), upper_triangle(b), method)
    if not np.isfinite(r):
        return out
    if math.factorial(n) <= n_perm:
        perms = np.array(list(itertools.permutations(range(n))))  # (P, n), identity first
        exact = True
    else:
        perms = np.array([rng.permutation(n) for _ in range(n_perm)])  # (P, n)
        exact = False
    i, j = np.triu_indices(n, k=1)
    xa = upper_triangle(a)  # (M,)
    yb = b[perms[:, i], perms[:, j]]  # (P, M) permuted upper triangles
    if method == "spearman":
        xa = stats.rankdata(xa, nan_policy="omit")
        yb = stats.rankdata(yb, axis=1, nan_policy="omit")
    ok = np.isfinite(xa)[None, :] & np.isfinite(yb)
    xs = np.where(ok, xa[None, :], np.nan)
    xs = xs - np.nanmean(xs, axis=1, keepdims=True)
    ys = yb - np.nanmean(np.where(ok, yb, np.nan), axis=1, keepdims=True)
    xs, ys = np.where(ok, xs, 0.0), np.where(ok, ys, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rp = (xs * ys).sum(1) / np.sqrt((xs**2).sum(1) * (ys**2).sum(1))  # (P,)
    tol = 1e-10
    hit = np.abs(rp) >= abs(r) - tol if alternative == "two-sided" else rp >= r - tol
    count = int(np.nansum(hit))
    p = count / len(perms) if exact else (1.0 + count) / (n_perm + 1.0)
    out.update(r=float(r), p=float(p), n_perm=float(len(perms)))
    return out
