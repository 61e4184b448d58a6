"""The shipped Hofstede and WVS moral tables: content, coverage, and traceability to their sources."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from valueshift.reference import (
    DEFAULT_LANG_COUNTRY,
    HOFSTEDE_DIMENSIONS,
    WVS_MORAL_ITEMS,
    country_for_lang,
    load_hofstede_scores,
    load_wvs_moral_means,
)
from valueshift.reference.build import build_hofstede_table, build_wvs_moral_table
from valueshift.reference.errors import ReferenceDataError

HOFSTEDE_SRC = "hofstede-dimensions/6-dimensions-for-website-2015-08-16.csv"
RAMEZANI_SRC = "wvs7-moral-ramezani/wvs_w7_mcm.csv"


def test_hofstede_columns_and_known_rows() -> None:
    df = load_hofstede_scores()
    assert list(df.columns) == ["country", *HOFSTEDE_DIMENSIONS]
    assert df["country"].is_unique
    # rows quoted in ../shared/data/hofstede-dimensions/SOURCE.md
    korea = df.set_index("country").loc["South Korea"].tolist()
    assert korea == [60, 18, 39, 85, 100, 29]
    assert df.set_index("country").loc["Greece", "uai"] == 112
    assert df.set_index("country").loc["United States", "idv"] == 91
    egypt = df.set_index("country").loc["Egypt"]
    assert math.isnan(egypt["pdi"]) and egypt["lto"] == 7


def test_hofstede_covers_every_mapped_country_with_all_six() -> None:
    df = load_hofstede_scores().set_index("country")
    for lang in DEFAULT_LANG_COUNTRY:
        country = country_for_lang(lang)
        assert country in df.index, lang
        if lang != "ar":  # Egypt: only lto and ivr in the source
            assert df.loc[country].notna().all(), country


def test_wvs_moral_means_layout_and_values() -> None:
    df = load_wvs_moral_means()
    assert list(df.columns) == ["country", "question_id", "value"]
    assert df["country"].nunique() == 55
    assert sorted(df["question_id"].unique()) == list(WVS_MORAL_ITEMS)
    assert not df.duplicated(["country", "question_id"]).any()
    assert df["value"].dropna().between(-1, 1).all()
    assert df["value"].isna().sum() == 17  # items not asked (e.g. Iran Q183)
    assert df[(df.country == "Iran") & (df.question_id == "Q183")]["value"].isna().all()
    mapped = {country_for_lang(lang) for lang in DEFAULT_LANG_COUNTRY}
    assert mapped - set(df["country"]) == {"Serbia", "India"}
    # sample row of ../shared/data/wvs7-moral-ramezani/SOURCE.md: Cyprus, benefits (Q177), wvs_score
    row = df[(df.country == "Cyprus") & (df.question_id == "Q177")]
    assert row["value"].item() == pytest.approx(-0.7470328925059342)


def test_loader_rejects_broken_table(tmp_path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("# comment\ncountry,pdi,idv\nX,1,2\n")
    with pytest.raises(ReferenceDataError, match="missing column"):
        load_hofstede_scores(path)


def test_shipped_tables_match_their_sources(shared_data) -> None:
    """Re-run the build script on the shared source files: the shipped numbers are exactly those."""
    hof = build_hofstede_table(shared_data / HOFSTEDE_SRC)
    shipped = load_hofstede_scores()
    pd.testing.assert_frame_equal(hof.astype({c: float for c in HOFSTEDE_DIMENSIONS}), shipped, check_dtype=False)
    wvs = build_wvs_moral_table(shared_data / RAMEZANI_SRC)
    pd.testing.assert_frame_equal(wvs, load_wvs_moral_means(), check_dtype=False)
    # independent check of the topic -> item mapping: Q182 is homosexuality, Q195 the death penalty
    raw = pd.read_csv(shared_data / RAMEZANI_SRC)
    for topic, qid in (("homosexuality", "Q182"), ("death penalty", "Q195"), ("abortion", "Q184")):
        expected = raw[(raw.country == "Germany") & (raw.question == topic)]["wvs_score"].item()
        got = wvs[(wvs.country == "Germany") & (wvs.question_id == qid)]["value"].item()
        assert got == expected
