"""Shifts: planted shifts are found exactly, flips, significance with seeds, summaries, consistency."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _synth import make_table, perturb
from scipy import stats

from valueshift.analysis import (
    compute_shifts,
    probe_table_from_frame,
    shift_consistency,
    summarize_shifts,
)

PLANTED = {("3", "de"): 1.0, ("10", "fa"): -1.0, ("17", "ko"): 0.8, ("301b", "fa"): 2.0}


def _plant(df: pd.DataFrame, amount: dict[tuple[str, str], float]) -> pd.DataFrame:
    df = df.copy()
    for (pid, lang), delta in amount.items():
        df.loc[(df["probe_id"] == pid) & (df["lang"] == lang), "value"] += delta
    return df


def test_planted_shifts_are_exactly_the_shifted_ones_at_the_default_threshold() -> None:
    base = make_table()
    tuned = _plant(perturb(base, seed=1), PLANTED)
    res = compute_shifts(probe_table_from_frame(base), [probe_table_from_frame(tuned, label="t")], condition="t")
    got = set(map(tuple, res.loc[res["shifted"], ["probe_id", "lang"]].to_numpy().tolist()))
    assert got == set(PLANTED)
    row = res[(res["probe_id"] == "10") & (res["lang"] == "fa")].iloc[0]
    b = base[(base["probe_id"] == "10") & (base["lang"] == "fa")]["value"].item()
    t = tuned[(tuned["probe_id"] == "10") & (tuned["lang"] == "fa")]["value"].item()
    assert row["value_base"] == pytest.approx(b)
    assert row["delta"] == pytest.approx(t - b)
    assert row["delta_oriented"] == pytest.approx((t - b) * row["direction"])


def test_single_seed_leaves_significance_missing() -> None:
    base = make_table()
    res = compute_shifts(probe_table_from_frame(base), [probe_table_from_frame(perturb(base, seed=1))], condition="t")
    assert res["significant"].isna().all()
    assert res["p_value"].isna().all() and res["ci_low"].isna().all()
    assert (res["n_seeds"] == 1).all()


def test_pair_flip_is_a_sign_change_and_option_flip_is_a_new_winner() -> None:
    base = make_table(("de",), n_pairs=3, n_groups=1)
    base["value"] = [0.4, -0.2, 1.0, 0.5, 0.1, -1.0]  # pairs 1,2,3; options 300a,300b,300c
    tuned = base.assign(value=[-0.1, -0.3, 1.2, 0.0, 0.7, -1.0])
    res = compute_shifts(probe_table_from_frame(base), [probe_table_from_frame(tuned)], condition="t")
    flipped = dict(zip(res["probe_id"], res["flipped"], strict=True))
    assert flipped == {"1": True, "2": False, "3": False, "300a": True, "300b": True, "300c": False}


def test_several_seeds_give_significance_for_planted_shifts_only() -> None:
    base = make_table(("de", "fa"), n_pairs=30, n_groups=0)
    seeds = [probe_table_from_frame(_plant(perturb(base, seed=s), {("3", "de"): 1.0, ("7", "fa"): 1.5}),
                                    label="c") for s in range(12)]  # fmt: skip
    res = compute_shifts(probe_table_from_frame(base), seeds, condition="c", seed=0)
    sig = set(map(tuple, res.loc[res["significant"].astype(bool), ["probe_id", "lang"]].to_numpy().tolist()))
    assert sig == {("3", "de"), ("7", "fa")}
    # independent check of one row: mean delta, CI covers it, exact sign-flip p, BH over the condition
    d = np.column_stack([t.frame["value"].to_numpy() for t in seeds]) - base["value"].to_numpy()[:, None]
    row = res.index[(res["probe_id"] == "3") & (res["lang"] == "de")][0]
    assert res.loc[row, "delta"] == pytest.approx(d[row].mean())
    assert res.loc[row, "delta_sd"] == pytest.approx(d[row].std(ddof=1))
    assert res.loc[row, "ci_low"] <= d[row].mean() <= res.loc[row, "ci_high"]
    assert res.loc[row, "p_value"] == pytest.approx(2 / 2**12)
    np.testing.assert_allclose(res["q_value"], stats.false_discovery_control(res["p_value"]), atol=1e-12)


def test_summary_counts_and_shares() -> None:
    base = make_table()
    tuned = _plant(perturb(base, seed=2), PLANTED)
    res = compute_shifts(probe_table_from_frame(base), [probe_table_from_frame(tuned)], condition="t")
    s = summarize_shifts(res).set_index("lang")
    assert s.loc["all", "n_shifted"] == 4
    assert s.loc["fa", "n_shifted"] == 2
    assert s.loc["fa", "share_shifted"] == pytest.approx(2 / 46)
    assert np.isnan(s.loc["all", "n_significant"])


def test_consistency_counts_majority_sign_and_pairwise_correlation() -> None:
    base = make_table(("de", "fa", "ko"), n_pairs=20, n_groups=0)
    up = {("1", lg): 1.0 for lg in ("de", "fa", "ko")} | {("2", "de"): 1.0, ("2", "fa"): -1.0}
    t1 = probe_table_from_frame(_plant(perturb(base, seed=3), up), label="a")
    t2 = probe_table_from_frame(_plant(perturb(base, seed=4), {("1", "de"): -1.0}), label="b")
    b = probe_table_from_frame(base)
    shifts = pd.concat([compute_shifts(b, [t1], condition="a"), compute_shifts(b, [t2], condition="b")])
    c = shift_consistency(shifts)
    a_row = c[(c["scope"] == "across_test_langs") & (c["condition"] == "a")].iloc[0]
    assert a_row["n_probes"] == 2
    assert a_row["direction_agreement"] == pytest.approx((1.0 + 0.5) / 2)
    wide = shifts[shifts["condition"] == "a"].pivot(index="probe_id", columns="lang", values="delta")
    ref = np.mean([stats.pearsonr(wide[x], wide[y])[0] for x, y in [("de", "fa"), ("de", "ko"), ("fa", "ko")]])
    assert a_row["mean_pairwise_r"] == pytest.approx(ref)
    de_row = c[(c["scope"] == "across_conditions") & (c["lang"] == "de")].iloc[0]
    assert de_row["n_probes"] == 1 and de_row["direction_agreement"] == pytest.approx(0.5)
