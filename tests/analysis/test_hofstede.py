"""VSM-2013 index formulas and model-derived item scores, on examples worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from valueshift.analysis.hofstede import (
    VSM_FORMULAS,
    hofstede_indices,
    item_means_from_probe_scores,
    item_score,
    parse_vsm_item,
)
from valueshift.errors import AnalysisError, ConfigError
from valueshift.probes.validate import build_probe_set

# Item means m01..m24 of one made-up sample.
M = {1: 2.0, 2: 1.5, 3: 2.5, 4: 1.8, 5: 2.2, 6: 1.6, 7: 2.4, 8: 2.6, 9: 3.0, 10: 2.8, 11: 2.1, 12: 3.3,
     13: 2.0, 14: 2.5, 15: 3.1, 16: 2.2, 17: 3.4, 18: 2.3, 19: 1.9, 20: 3.2, 21: 2.7, 22: 1.7,
     23: 3.6, 24: 2.9}  # fmt: skip

# VSM 2013 Manual, by hand:
# PDI = 35(m07 - m02) + 25(m20 - m23) = 35(2.4 - 1.5) + 25(3.2 - 3.6) = 31.5 - 10.0 = 21.5
# IDV = 35(m04 - m01) + 35(m09 - m06) = 35(1.8 - 2.0) + 35(3.0 - 1.6) = -7.0 + 49.0 = 42.0
# MAS = 35(m05 - m03) + 35(m08 - m10) = 35(2.2 - 2.5) + 35(2.6 - 2.8) = -10.5 - 7.0 = -17.5
# UAI = 40(m18 - m15) + 25(m21 - m24) = 40(2.3 - 3.1) + 25(2.7 - 2.9) = -32.0 - 5.0 = -37.0
# LTO = 40(m13 - m14) + 25(m19 - m22) = 40(2.0 - 2.5) + 25(1.9 - 1.7) = -20.0 + 5.0 = -15.0
# IVR = 35(m12 - m11) + 40(m17 - m16) = 35(3.3 - 2.1) + 40(3.4 - 2.2) = 42.0 + 48.0 = 90.0
EXPECTED = {"pdi": 21.5, "idv": 42.0, "mas": -17.5, "uai": -37.0, "lto": -15.0, "ivr": 90.0}


def frame(means: dict[int, float], lang: str = "de", fmt: str = "VSM{:02d}") -> pd.DataFrame:
    return pd.DataFrame([{"lang": lang, "item": fmt.format(i), "mean": m} for i, m in means.items()])


def test_worked_example() -> None:
    out = hofstede_indices(frame(M))
    assert list(out.columns) == ["lang", "pdi", "idv", "mas", "uai", "lto", "ivr"]
    for dim, value in EXPECTED.items():
        assert out.loc[0, dim] == pytest.approx(value), dim


def test_constants_and_item_spellings() -> None:
    out = hofstede_indices(frame(M, fmt="m{:02d}"), constants={"pdi": 20, "ivr": -40})
    assert out.loc[0, "pdi"] == pytest.approx(41.5)
    assert out.loc[0, "ivr"] == pytest.approx(50.0)
    assert out.loc[0, "idv"] == pytest.approx(42.0)
    ints = pd.DataFrame([{"lang": "de", "item": i, "mean": m} for i, m in M.items()])
    assert hofstede_indices(ints).loc[0, "uai"] == pytest.approx(-37.0)
    with pytest.raises(ConfigError, match="unknown Hofstede constant"):
        hofstede_indices(frame(M), constants={"pd": 1})


# The manual's terms, written out independently of VSM_FORMULAS: (dimension, item, weight) for every item
# that enters an index with a plus sign; minus-sign items have the negated weight.
MANUAL_TERMS = [
    ("pdi", 7, 35), ("pdi", 2, -35), ("pdi", 20, 25), ("pdi", 23, -25),
    ("idv", 4, 35), ("idv", 1, -35), ("idv", 9, 35), ("idv", 6, -35),
    ("mas", 5, 35), ("mas", 3, -35), ("mas", 8, 35), ("mas", 10, -35),
    ("uai", 18, 40), ("uai", 15, -40), ("uai", 21, 25), ("uai", 24, -25),
    ("lto", 13, 40), ("lto", 14, -40), ("lto", 19, 25), ("lto", 22, -25),
    ("ivr", 12, 35), ("ivr", 11, -35), ("ivr", 17, 40), ("ivr", 16, -40),
]  # fmt: skip


@pytest.mark.parametrize(("dim", "item", "weight"), MANUAL_TERMS)
def test_each_item_moves_its_index_by_its_weight(dim: str, item: int, weight: int) -> None:
    base = hofstede_indices(frame(M)).iloc[0]
    bumped = hofstede_indices(frame({**M, item: M[item] + 1.0})).iloc[0]
    for d in VSM_FORMULAS:
        assert bumped[d] - base[d] == pytest.approx(weight if d == dim else 0.0), (d, item)


def test_every_item_used_exactly_once() -> None:
    used = sorted(i for terms in VSM_FORMULAS.values() for _, a, b in terms for i in (a, b))
    assert used == list(range(1, 25))


def test_missing_item_gives_nan_only_where_needed() -> None:
    partial = {i: m for i, m in M.items() if i != 7}
    out = hofstede_indices(pd.concat([frame(partial, "de"), frame(M, "fa")]))
    de = out.set_index("lang").loc["de"]
    assert math.isnan(de["pdi"])
    assert de["idv"] == pytest.approx(42.0)
    assert out.set_index("lang").loc["fa", "pdi"] == pytest.approx(21.5)


def test_bad_inputs() -> None:
    with pytest.raises(AnalysisError, match="appears twice"):
        hofstede_indices(pd.concat([frame(M), frame({1: 2.0})]))
    with pytest.raises(AnalysisError, match="not a VSM-2013 item"):
        parse_vsm_item("VSM25")
    with pytest.raises(AnalysisError, match="lack column 'mean'"):
        hofstede_indices(frame(M).rename(columns={"mean": "m"}))


def test_item_score_mapping() -> None:
    # p = sigmoid(log 3) = 0.75. direction +1: 0.75*5 + 0.25*1 = 4.0; direction -1: 0.75*1 + 0.25*5 = 2.0
    assert item_score(np.log(3), 1) == pytest.approx(4.0)
    assert item_score(np.log(3), -1) == pytest.approx(2.0)
    assert item_score(0.0, 1) == pytest.approx(3.0)
    assert item_score(50.0, 1) == pytest.approx(5.0)
    assert item_score(-50.0, 1) == pytest.approx(1.0)


def test_item_means_from_probe_scores_by_hand() -> None:
    table = pd.DataFrame(
        [
            # VSM01: two templates, 4.0 and 3.0 -> mean 3.5
            {"lang": "de", "probe_id": "h0", "question_id": "VSM01", "value": np.log(3), "direction": 1},
            {"lang": "de", "probe_id": "h0", "question_id": "VSM01", "value": 0.0, "direction": 1},
            # VSM02: p = 0.75 for the low pole -> 2.0
            {"lang": "de", "probe_id": "h1", "question_id": "VSM02", "value": np.log(3), "direction": -1},
            # a WVS probe in the same table is ignored
            {"lang": "de", "probe_id": "1", "question_id": "Q1", "value": 5.0, "direction": 1},
            # p = sigmoid(-log 3) = 0.25 -> 0.25*5 + 0.75*1 = 2.0
            {"lang": "fa", "probe_id": "h0", "question_id": "VSM01", "value": -np.log(3), "direction": 1},
        ]
    )
    out = item_means_from_probe_scores(table)
    assert out.to_dict(orient="records") == [
        {"lang": "de", "item": 1, "mean": pytest.approx(3.5), "n": 2},
        {"lang": "de", "item": 2, "mean": pytest.approx(2.0), "n": 1},
        {"lang": "fa", "item": 1, "mean": pytest.approx(2.0), "n": 1},
    ]


def test_directions_from_probe_set_and_missing_direction_warns() -> None:
    records = [
        {"source": f"t:{i}", "lang": "de", "probe_id": f"h{i}", "question_id": f"VSM{i + 1:02d}",
         "template": "Es ist [MASK].", "answer_pos": "wichtig", "answer_neg": "unwichtig",
         "direction": -1 if i == 0 else None}
        for i in range(2)
    ]  # fmt: skip
    probe_set = build_probe_set("t", records)
    table = pd.DataFrame(
        [
            {"model": "m", "lang": "de", "probe_id": "h0", "question_id": "VSM01", "value": np.log(3)},
            {"model": "m", "lang": "de", "probe_id": "h1", "question_id": "VSM02", "value": 1.0},
        ]
    )
    with pytest.raises(AnalysisError, match="no 'direction' column"):
        item_means_from_probe_scores(table)
    with pytest.warns(UserWarning, match="without direction"):
        out = item_means_from_probe_scores(table, probe_set)
    assert out.to_dict(orient="records") == [
        {"model": "m", "lang": "de", "item": 1, "mean": pytest.approx(2.0), "n": 1}
    ]
    by_map = item_means_from_probe_scores(table, {"VSM01": 1, "VSM02": -1})
    assert by_map["mean"].tolist() == pytest.approx([4.0, float(item_score(1.0, -1))])


def test_end_to_end_probe_values_to_indices() -> None:
    # choose values so each item score equals M: score = 3 + 2 tanh(v/2)  =>  v = 2 atanh((m - 3) / 2)
    rows = [{"lang": "de", "probe_id": str(i), "question_id": f"VSM{i:02d}",
             "value": 2 * np.arctanh((m - 3) / 2), "direction": 1} for i, m in M.items()]  # fmt: skip
    out = hofstede_indices(item_means_from_probe_scores(pd.DataFrame(rows)))
    for dim, value in EXPECTED.items():
        assert out.loc[0, dim] == pytest.approx(value), dim


def test_default_grouping_keeps_models_and_probe_sets_apart() -> None:
    rows = [
        {"model": m, "probe_set": s, "lang": "de", "probe_id": "h0", "question_id": "VSM01", "value": v,
         "direction": 1}
        for m, s, v in (("a", "x", np.log(3)), ("a", "y", 0.0), ("b", "x", -np.log(3)))
    ]  # fmt: skip
    out = item_means_from_probe_scores(pd.DataFrame(rows))
    assert list(out.columns) == ["model", "probe_set", "lang", "item", "mean", "n"]
    assert out["mean"].tolist() == pytest.approx([4.0, 3.0, 2.0])
    assert out["n"].tolist() == [1, 1, 1]
