"""Parallel overlap against hand counts and scipy's hypergeometric; BM25 against its formula."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import hypergeom

from valueshift.attribution import bm25_scores, parallel_overlap


def test_overlap_counts_and_chance() -> None:
    units = [str(u) for u in range(10)]
    examples = pd.DataFrame({"lang": ["fa"] * 10 + ["ko"] * 10, "unit_id": units * 2})
    top = pd.DataFrame({"method": "trak", "probe_id": "1", "lang": "de",
                        "ft_lang": ["fa"] * 3 + ["ko"] * 3, "unit_id": ["1", "2", "3", "3", "4", "5"]})  # fmt: skip
    t = parallel_overlap(top, examples)
    pair = t[(t.ft_lang_a == "fa") & (t.ft_lang_b == "ko")].iloc[0]
    assert pair.n_parallel == 1 and pair.share == pytest.approx(1 / 3)
    assert pair.share_expected == pytest.approx(3 * 3 / 10 / 3)  # k_b * M / N_b, per k_a
    assert pair.p_value == pytest.approx(hypergeom.sf(0, 10, 3, 3))
    alls = t[(t.probe_id == "1") & (t.ft_lang_a == "all")].iloc[0]
    assert alls.n_top == 6 and alls.n_parallel == 2  # unit 3 in both languages
    assert alls.share_expected == pytest.approx(0.3)  # 1 - (1 - 3/10)
    assert (t.probe_id == "all").sum() == 1


def test_bm25_formula() -> None:
    docs = ["family is unimportant", "the dog walks", "family family dog"]
    s = bm25_scores(["family"], docs)[0]
    avg = np.mean([3, 3, 3])
    idf = math.log(1 + (3 - 2 + 0.5) / (2 + 0.5))
    want = [idf * tf * 2.5 / (tf + 1.5 * (0.25 + 0.75 * 3 / avg)) for tf in (1, 0, 2)]
    np.testing.assert_allclose(s, want)
