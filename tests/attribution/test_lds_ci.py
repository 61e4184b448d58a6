"""LDS confidence intervals: per target by resampling the retrained subsets, checked against scipy in a loop."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from valueshift.attribution.lds import lds_table


def _case(n_targets: int) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray, list]:
    rng = np.random.default_rng(0)
    n, m_sub = 12, 30
    examples = pd.DataFrame({"example_id": np.arange(n), "lang": "de"})
    masks = rng.random((m_sub, n)) < 0.5
    targets = [[SimpleNamespace(probe_id=str(t), lang="de")] for t in range(n_targets)]
    scores = rng.normal(size=(n_targets, n))
    values = masks @ scores.T + rng.normal(scale=2.0, size=(m_sub, n_targets))  # a noisy linear datamodel
    influence = pd.DataFrame([
        {"method": "trak", "probe_id": str(t), "lang": "de", "example_id": i, "ft_lang": "de", "score": scores[t, i]}
        for t in range(n_targets) for i in range(n)
    ])  # fmt: skip
    return influence, examples, masks, values, targets


def test_per_target_interval_is_a_bootstrap_over_subsets() -> None:
    influence, examples, masks, values, targets = _case(1)
    table = lds_table(influence, examples, masks, values, targets, n_boot=400, seed=3).set_index("probe_id")
    predicted = masks.astype(float) @ influence["score"].to_numpy()
    idx = np.random.default_rng([3, len(masks)]).integers(0, len(masks), size=(400, len(masks)))
    rho = [spearmanr(predicted[i], values[i, 0]).statistic for i in idx]  # scipy, one resample at a time
    lo, hi = np.nanpercentile(rho, [2.5, 97.5])
    row = table.loc["0"]
    assert row.lds == spearmanr(predicted, values[:, 0]).statistic
    assert np.isclose(row.ci_low, lo) and np.isclose(row.ci_high, hi) and lo < row.lds < hi
    # one target: the overall row takes that target's interval instead of a zero-width one over targets
    assert table.loc["all", ["ci_low", "ci_high"]].tolist() == [row.ci_low, row.ci_high]


def test_overall_interval_resamples_targets_when_there_are_several() -> None:
    influence, examples, masks, values, targets = _case(4)
    table = lds_table(influence, examples, masks, values, targets, n_boot=300, seed=1).set_index("probe_id")
    per = table.drop("all")["lds"].to_numpy()
    boot = np.random.default_rng(1).choice(per, size=(300, 4)).mean(axis=1)
    assert np.allclose(table.loc["all", ["ci_low", "ci_high"]].tolist(), np.percentile(boot, [2.5, 97.5]))
    assert table.drop("all")["ci_low"].notna().all()


def test_a_constant_predictor_counts_zero_in_the_overall_mean() -> None:
    influence, examples, masks, values, targets = _case(3)
    flat = influence.assign(score=np.where(influence.probe_id == "2", 0.0, influence.score))  # BM25 with no overlap
    table = lds_table(flat, examples, masks, values, targets, n_boot=100).set_index("probe_id")
    assert np.isnan(table.loc["2", "lds"])
    assert table.loc["all", "lds"] == (table.loc["0", "lds"] + table.loc["1", "lds"] + 0.0) / 3
