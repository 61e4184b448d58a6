"""Cross-language similarity of value profiles and its preservation under fine-tuning.

Lifecycle: :func:`similarity_matrix` (profiles → language x language correlation matrix)
→ :func:`similarity_table` (base and tuned matrices as tidy upper-triangle rows)
→ :func:`preservation` (Mantel test between the base and tuned matrices).

Choenni et al. (2024, sec. 4.2) compare how similar the languages' cultural profiles are before and after
fine-tuning; multilingual fine-tuning is reported to preserve that structure better. Preservation here is the
correlation between the two matrices' upper triangles, with a Mantel permutation test (Mantel 1967).

References
----------
Mantel, N. (1967). The detection of disease clustering and a generalized regression approach.
*Cancer Research* 27(2), 209-220.

Choenni, R., Lauscher, A., & Shutova, E. (2024). ACL 2024, sec. 4.2.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd

from valueshift.analysis.stats import Method, correlate, mantel
from valueshift.seeding import keyed_rng

__all__ = ["METHODS", "preservation", "similarity_matrix", "similarity_table"]

METHODS: tuple[Method, ...] = ("pearson", "spearman")


def similarity_matrix(profiles: pd.DataFrame, method: Method = "pearson") -> pd.DataFrame:
    """Correlation between every two language columns of a profile matrix (pairwise complete probes).

    Returns
    -------
    pandas.DataFrame
        Square, languages on both axes, 1 on the diagonal, NaN where fewer than 3 shared probes.
    """
    langs = list(profiles.columns)
    m = np.eye(len(langs))
    for i, j in combinations(range(len(langs)), 2):
        r, _, _ = correlate(profiles.iloc[:, i].to_numpy(), profiles.iloc[:, j].to_numpy(), method)
        m[i, j] = m[j, i] = r
    return pd.DataFrame(m, index=langs, columns=langs)


def similarity_table(
    base: pd.DataFrame, tuned: dict[str, pd.DataFrame], methods: Sequence[Method] = METHODS
) -> pd.DataFrame:
    """Tidy before/after similarity rows.

    Parameters
    ----------
    base
        Base profile matrix (probe x lang).
    tuned
        Condition label → tuned profile matrix (mean over seeds), same shape.
    methods
        Correlation types; default both Pearson and Spearman.

    Returns
    -------
    pandas.DataFrame
        ``method, condition, lang_a, lang_b, r_base, r_tuned, delta_r, n_base, n_tuned`` for every language
        pair (``lang_a`` before ``lang_b`` in the tables' order) and condition.
    """
    rows = []
    langs = list(base.columns)
    for method in methods:
        base_r = {(a, b): correlate(base[a].to_numpy(), base[b].to_numpy(), method) for a, b in combinations(langs, 2)}
        for cond, prof in tuned.items():
            for (a, b), (rb, _, nb) in base_r.items():
                rt, _, nt = correlate(prof[a].to_numpy(), prof[b].to_numpy(), method)
                rows.append((method, cond, a, b, rb, rt, rt - rb, nb, nt))
    cols = ["method", "condition", "lang_a", "lang_b", "r_base", "r_tuned", "delta_r", "n_base", "n_tuned"]
    return pd.DataFrame(rows, columns=cols)


def preservation(
    base: pd.DataFrame,
    tuned: dict[str, pd.DataFrame],
    methods: Sequence[Method] = METHODS,
    *,
    n_perm: int = 9999,
    seed: int = 0,
) -> pd.DataFrame:
    """How well fine-tuning preserves the cross-language similarity structure.

    For each condition and correlation type, a Pearson Mantel test between the base and tuned similarity
    matrices (:func:`~valueshift.analysis.stats.mantel`, one-sided, ``n_perm`` permutations or exact below
    ``n! <= n_perm``). With fewer than 3 languages the row is NaN. Permutations come from the stream keyed by
    ``(seed, "preservation", condition, method)``: one condition's p-value does not depend on the others.

    Returns
    -------
    pandas.DataFrame
        ``condition, method, mantel_r, mantel_p, n_langs, n_perm, mean_abs_delta_r``.
    """
    rows = []
    for method in methods:
        mb = similarity_matrix(base, method)
        for cond, prof in tuned.items():
            mt = similarity_matrix(prof, method).loc[mb.index, mb.columns]
            rng = keyed_rng(seed, "preservation", cond, method)
            res = mantel(mb.to_numpy(), mt.to_numpy(), n_perm=n_perm, rng=rng)
            iu = np.triu_indices(len(mb), k=1)
            diff = np.abs(mt.to_numpy()[iu] - mb.to_numpy()[iu])
            mad = float(np.nanmean(diff)) if np.isfinite(diff).any() else np.nan
            rows.append((cond, method, res["r"], res["p"], len(mb), int(res["n_perm"]), mad))
    cols = ["condition", "method", "mantel_r", "mantel_p", "n_langs", "n_perm", "mean_abs_delta_r"]
    return pd.DataFrame(rows, columns=cols)
