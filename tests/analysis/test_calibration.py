"""Calibrated profiles: planted language-wide leans are removed by center and pairs, pmi equals the scorer's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _synth import make_table
from pydantic import ValidationError
from scipy import stats

from valueshift.analysis import HumanReference, human_alignment, model_items, probe_table_from_frame
from valueshift.analysis.bias import BIPOLAR_PAIRS, acquiescence
from valueshift.analysis.profiles import CALIBRATIONS, ProfileOptions, build_profiles, calibrate_values
from valueshift.analysis.similarity import similarity_matrix
from valueshift.errors import AnalysisError, ConfigError
from valueshift.scoring.normalize import add_values

LANGS = ("de", "fa", "ko", "tr")
COUNTRIES = {"de": "Germany", "fa": "Iran", "ko": "South Korea", "tr": "Turkey"}


def _shift(df: pd.DataFrame, lang: str, c: float, mask: pd.Series | None = None) -> pd.DataFrame:
    hit = (df["lang"] == lang) & (True if mask is None else mask)
    return df.assign(value=df["value"].where(~hit, df["value"] + c))


def _alignment(frame: pd.DataFrame, human: HumanReference) -> pd.DataFrame:
    res = human_alignment({"base": frame}, human, lang_country=COUNTRIES, n_perm=9, seed=0)
    return res[res["scope"] == "language"].set_index("lang")


@pytest.mark.parametrize("as_probe_table", [False, True])
def test_center_removes_a_planted_language_wide_lean(as_probe_table: bool) -> None:
    raw = make_table(LANGS, n_pairs=40, n_groups=2, moral=True)
    shifted = _shift(raw, "ko", 3.0)
    if as_probe_table:  # the pipeline's frames: templates averaged (answer_neg kept to tell pairs from options)
        raw, shifted = probe_table_from_frame(raw).frame, probe_table_from_frame(shifted).frame
    center, none = ProfileOptions(calibrate="center"), ProfileOptions()
    p_raw, p_shift = build_profiles(raw, center), build_profiles(shifted, center)
    np.testing.assert_allclose(p_shift.to_numpy(), p_raw.to_numpy(), atol=1e-12)
    np.testing.assert_allclose(similarity_matrix(p_shift).to_numpy(), similarity_matrix(p_raw).to_numpy(), atol=1e-12)
    # without calibration the oriented lean (c x direction, mixed signs) changes ko's similarities
    s_none = similarity_matrix(build_profiles(shifted, none)) - similarity_matrix(build_profiles(raw, none))
    assert np.abs(s_none.loc["ko"].drop("ko")).max() > 0.05
    # every language's two-answer probes have mean 0 after centring
    cal = calibrate_values(shifted, "center")
    pairs = cal[cal["group"].isna()]
    np.testing.assert_allclose(pairs.groupby("lang")["value"].mean(), 0.0, atol=1e-12)

    # human figures that the unshifted raw values match in sign item by item
    items = model_items(probe_table_from_frame(make_table(LANGS, n_pairs=40, n_groups=2, moral=True)).frame)
    hv = items.assign(country=items["lang"].map(COUNTRIES), value=np.tanh(items["value"]))
    human = HumanReference("synthetic", hv[["country", "item", "value"]], "items", dict.fromkeys(hv["item"], 0.0))
    a_raw = _alignment(calibrate_values(raw, "center"), human)
    a_shift = _alignment(calibrate_values(shifted, "center"), human)
    for col in ("pearson_r", "spearman_r", "agreement", "n"):
        np.testing.assert_allclose(a_shift[col].astype(float), a_raw[col].astype(float), atol=1e-12)
    # an independent Pearson r: centred ko values (oriented) against the human vector
    ko = calibrate_values(shifted, "center").query("lang == 'ko' and direction == direction")
    m = (ko["value"] * ko["direction"]).groupby(ko["question_id"].astype(str)).mean()
    h = hv[hv["lang"] == "ko"].set_index("item")["value"].reindex(m.index)
    assert a_shift.loc["ko", "pearson_r"] == pytest.approx(stats.pearsonr(m, h)[0], abs=1e-12)
    # none: the sign-based agreement follows the planted lean
    n_raw, n_shift = _alignment(raw, human), _alignment(shifted, human)
    assert n_raw.loc["ko", "agreement"] == 1.0 and n_shift.loc["ko", "agreement"] < 0.9
    assert n_shift.loc["de", "agreement"] == n_raw.loc["de", "agreement"]


def _pairs_table(templates: int = 1, seed: int = 0) -> pd.DataFrame:
    """de and ko: the nine bipolar pairs with v_b = -v_a (no lean), ten other probes, one option group."""
    rng = np.random.default_rng(seed)
    rows = []
    for lang in ("de", "ko"):
        for a, b in BIPOLAR_PAIRS:
            u = rng.normal(0, 2)
            for t in range(templates):
                dt = 0.2 * (t - (templates - 1) / 2)
                rows += [
                    {"lang": lang, "probe_id": a, "direction": 1, "value": u + dt, "template_id": t},
                    {"lang": lang, "probe_id": b, "direction": -1, "value": -u - dt, "template_id": t},
                ]
        for i in range(10):
            rows.append({"lang": lang, "probe_id": str(i + 1), "direction": 1, "value": rng.normal(), "template_id": 0})
        for o in "ab":
            rows.append({"lang": lang, "probe_id": f"30{o}", "direction": None, "value": -0.7, "template_id": 0,
                         "group": "30", "answer_neg": None})  # fmt: skip
    df = pd.DataFrame(rows)
    df["answer_neg"] = np.where(df["group"].isna(), "disagree", None)
    return df.assign(model="m", probe_set="s", question_id="Q" + df["probe_id"], answer_pos="agree")


@pytest.mark.parametrize("templates", [1, 3])
def test_pairs_recovers_a_planted_acquiescence(templates: int) -> None:
    c = 0.8
    base = _pairs_table(templates)
    bipolar = base["probe_id"].isin([p for pair in BIPOLAR_PAIRS for p in pair])
    biased = _shift(base, "ko", c, bipolar)
    acq = acquiescence(biased).set_index("lang")
    assert acq.loc["ko", "acquiescence"] == pytest.approx(c, abs=1e-9)
    assert acq.loc["de", "acquiescence"] == pytest.approx(0.0, abs=1e-9)
    assert acq.loc["ko", "n_pairs"] == len(BIPOLAR_PAIRS)
    cal = calibrate_values(biased, "pairs")
    on_pairs = bipolar & (base["lang"] == "ko")
    np.testing.assert_allclose(cal.loc[on_pairs, "value"], base.loc[on_pairs, "value"], atol=1e-9)
    opts = ProfileOptions(calibrate="pairs")
    prof, ref = build_profiles(biased, opts), build_profiles(base, ProfileOptions())
    ids = [p for pair in BIPOLAR_PAIRS for p in pair]
    np.testing.assert_allclose(prof.loc[ids].to_numpy(), ref.loc[ids].to_numpy(), atol=1e-9)
    # option probes are not shifted
    assert (cal.loc[cal["group"].notna(), "value"] == -0.7).all()


def test_pairs_removes_a_lean_on_every_probe_and_needs_pairs() -> None:
    base = _pairs_table()
    cal = calibrate_values(_shift(base, "ko", -1.7, base["group"].isna()), "pairs")
    np.testing.assert_allclose(cal["value"], base["value"], atol=1e-9)
    no_pairs = base[~((base["lang"] == "ko") & base["probe_id"].str.match(r"1\d\d|17"))]
    with pytest.raises(AnalysisError, match="ko has none"):
        calibrate_values(no_pairs, "pairs")


def _pmi_table() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    for lang in ("de", "fa"):
        for t in range(2):
            for i in range(6):
                rows.append({"probe_id": str(i), "group": None, "answer_neg": "nein", "template_id": t})
            for o in "abc":
                rows.append({"probe_id": f"9{o}", "group": "9", "answer_neg": None, "template_id": t})
            for row in rows[-9:]:
                row.update(lang=lang)
    df = pd.DataFrame(rows).assign(model="m", probe_set="s", answer_pos="ja", direction=1.0)
    df["question_id"] = "Q" + df["probe_id"]
    n = len(df)
    for side in ("pos", "neg"):
        df[f"logp_{side}"] = -rng.uniform(0.5, 12, n)
        df[f"logp_{side}_neutral"] = -rng.uniform(0.5, 12, n)
        df[f"n_tokens_{side}"] = rng.integers(1, 5, n)
        df[f"n_chars_{side}"] = rng.integers(2, 12, n)
    opt = df["answer_neg"].isna()
    for col in ("logp_neg", "logp_neg_neutral", "n_tokens_neg", "n_chars_neg"):
        df[col] = df[col].where(~opt)
    return add_values(df, "sum")


def test_pmi_equals_the_scorers_pmi_normalisation() -> None:
    table = _pmi_table()
    cal = calibrate_values(table, "pmi")
    ref = add_values(table, "pmi")
    assert not np.allclose(table["value"], ref["value"])  # the table holds sum values
    np.testing.assert_allclose(cal["value"], ref["value"], rtol=0, atol=1e-12)
    opts = ProfileOptions(calibrate="pmi")
    np.testing.assert_allclose(build_profiles(table, opts), build_profiles(ref), atol=1e-12)
    # a table scored with pmi keeps its values, with or without the neutral columns
    scored = ref.drop(columns=["logp_pos_neutral", "logp_neg_neutral"])
    np.testing.assert_allclose(calibrate_values(scored, "pmi")["value"], ref["value"], atol=0)


def test_pmi_without_neutral_scores_names_the_fix() -> None:
    table = _pmi_table().drop(columns=["logp_pos_neutral", "logp_neg_neutral"])
    with pytest.raises(AnalysisError, match=r"--normalize pmi"):
        calibrate_values(table, "pmi")
    with pytest.raises(AnalysisError, match="logp_pos_neutral"):
        build_profiles(probe_table_from_frame(table).frame, ProfileOptions(calibrate="pmi"))


def test_none_is_the_raw_values() -> None:
    f = make_table(("de", "fa"))
    pd.testing.assert_frame_equal(calibrate_values(f, "none"), f)
    pd.testing.assert_frame_equal(build_profiles(f, ProfileOptions(calibrate="none")), build_profiles(f))


def test_profile_options_is_a_strict_frozen_pydantic_model() -> None:
    opts = ProfileOptions()
    assert (opts.orient, opts.groups, opts.zscore, opts.calibrate) == (True, "center", False, "none")
    assert CALIBRATIONS == ("none", "pmi", "center", "pairs")
    assert all(f.description for f in ProfileOptions.model_fields.values())
    assert ProfileOptions.model_fields["calibrate"].annotation is not str
    with pytest.raises(ConfigError, match="calibrate='zero' is not one of none, pmi, center, pairs"):
        ProfileOptions(calibrate="zero")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        ProfileOptions(colour="red")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        opts.calibrate = "center"  # type: ignore[misc]
    with pytest.raises(ConfigError, match="calibrate='x'"):
        calibrate_values(make_table(("de",)), "x")
    assert ProfileOptions(calibrate="pairs") == ProfileOptions.model_validate({"calibrate": "pairs"})
