"""Study-level factor analysis: recovers a planted effect, and matches a direct statsmodels call."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.formula.api import ols

from valueshift.experiments.claims import _design, anova_table, factor_claims, partial_eta2_boot


def _synthetic(effect: str, seed: int = 0) -> pd.DataFrame:
    """|delta| per (probe, seed, size, language, domain); only ``effect`` moves the mean."""
    rng = np.random.default_rng(seed)
    rows = []
    for probe in range(40):
        for s in range(2):
            for size in (100, 1000):
                for lang in ("fa", "ko", "hi"):
                    for dom in ("news", "bible"):
                        level = {"size": size == 1000, "language": lang == "hi", "domain": dom == "news"}[effect]
                        y = abs(0.3 + 1.0 * level + rng.normal(0, 0.3))
                        rows.append((f"p{probe}", s, size, lang, dom, y))
    return pd.DataFrame(rows, columns=["probe", "seed", "size", "language", "domain", "abs_delta"])


@pytest.mark.parametrize("effect", ["size", "language", "domain"])
def test_planted_factor_has_the_largest_share(effect: str) -> None:
    df = _synthetic(effect)
    claims, table = factor_claims(df, n_boot=50, level=0.95, seed=0)
    largest = next(c for c in claims if c["claim"] == "largest_factor")
    assert largest["verdict"] == effect
    shares = {c["subject"]: c for c in claims if c["claim"] == "factor_share"}
    assert shares[effect]["ci_low"] > max(v["ci_high"] for k, v in shares.items() if k != effect)
    # the table is statsmodels' own type-II ANOVA
    direct = sm.stats.anova_lm(ols("abs_delta ~ C(size) + C(language) + C(domain)", data=df).fit(), typ=2)
    ss = direct["sum_sq"]
    eta = ss[f"C({effect})"] / (ss[f"C({effect})"] + ss["Residual"])
    assert table.set_index("term").loc[effect, "partial_eta2"] == pytest.approx(eta, rel=1e-10)


def test_weighted_fit_equals_statsmodels_on_replicated_rows() -> None:
    df = _synthetic("size", seed=3)
    w = np.random.default_rng(1).integers(0, 3, len(df)).astype(float)
    factors = ["size", "language", "domain"]
    X, groups = _design(df, factors)
    fast = partial_eta2_boot(X, groups, df["abs_delta"].to_numpy(), w)
    replicated = df.loc[df.index.repeat(w.astype(int))]
    expected = anova_table(replicated, factors).loc[factors, "partial_eta2"].to_numpy()
    np.testing.assert_allclose(fast, expected, rtol=1e-8)


def test_single_level_factor_is_left_out() -> None:
    df = _synthetic("size").query("domain == 'news'")
    claims, _ = factor_claims(df, n_boot=20, level=0.9, seed=0)
    assert {c["subject"] for c in claims if c["claim"] == "factor_share"} == {"size", "language"}
