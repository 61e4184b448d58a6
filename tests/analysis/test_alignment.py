"""Human alignment (synthetic human figures) and cultural distance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _synth import make_table
from scipy import stats

from valueshift.analysis import (
    HumanReference,
    build_profiles,
    cultural_distance,
    human_alignment,
    load_human,
    model_items,
    probe_table_from_frame,
    similarity_matrix,
)
from valueshift.errors import AnalysisError

LANGS = ("de", "fa", "ko", "tr")
COUNTRIES = {"de": "Germany", "fa": "Iran", "ko": "South Korea", "tr": "Turkey", "xx": None}


def _human_from_model(frame: pd.DataFrame, noise: float, seed: int = 0) -> HumanReference:
    items = model_items(frame)
    rng = np.random.default_rng(seed)
    df = items.assign(country=items["lang"].map(COUNTRIES), value=items["value"] + rng.normal(0, noise, len(items)))
    return HumanReference("synthetic", df[["country", "item", "value"]], "items", dict.fromkeys(df["item"], 0.0))


def test_model_items_orient_and_average() -> None:
    f = probe_table_from_frame(make_table(("de",), moral=True)).frame
    items = model_items(f).set_index("item")
    row = f[f["question_id"] == "Q180"].iloc[0]
    assert items.loc["Q180", "value"] == pytest.approx(row["value"] * row["direction"])
    assert "Q300" not in items.index  # option probes have no direction


def test_language_rows_match_scipy_and_agreement() -> None:
    f = probe_table_from_frame(make_table(LANGS, moral=True)).frame
    human = _human_from_model(f, noise=0.3)
    res = human_alignment({"base": f}, human, lang_country=COUNTRIES, seed=0)
    row = res[(res["scope"] == "language") & (res["lang"] == "ko")].iloc[0]
    m = model_items(f).query("lang == 'ko'").set_index("item")["value"]
    h = human.values.query("country == 'South Korea'").set_index("item")["value"].reindex(m.index)
    assert row["n"] == len(m)
    assert row["pearson_r"] == pytest.approx(stats.pearsonr(m, h)[0], abs=1e-12)
    assert row["spearman_p"] == pytest.approx(stats.spearmanr(m, h)[1], abs=1e-12)
    assert row["agreement"] == pytest.approx(np.mean(np.sign(m) == np.sign(h)))


def test_perfect_human_agreement_and_matrix_row() -> None:
    f = probe_table_from_frame(make_table(LANGS, moral=True)).frame
    human = _human_from_model(f, noise=0.0)
    sims = {"base": similarity_matrix(build_profiles(f))}
    res = human_alignment({"base": f}, human, sims, lang_country=COUNTRIES, n_perm=99, seed=0)
    lang_rows = res[res["scope"] == "language"]
    assert np.allclose(lang_rows["pearson_r"], 1.0) and np.allclose(lang_rows["agreement"], 1.0)
    mat = res[res["scope"] == "matrix"].iloc[0]
    assert mat["n"] == 4 and np.isfinite(mat["pearson_r"])


def test_unmapped_language_and_missing_country_give_nan_rows() -> None:
    f = probe_table_from_frame(make_table(("de", "xx"), moral=True).replace({"lang": {"xx": "el"}})).frame
    human = _human_from_model(f[f["lang"] == "de"], noise=0.1)
    res = human_alignment({"base": f}, human, lang_country={"de": "Germany", "el": None},
                          seed=0)  # fmt: skip
    el = res[res["lang"] == "el"].iloc[0]
    assert np.isnan(el["pearson_r"]) and el["note"] == "no country mapped"


def test_imported_parquet_midpoints(tmp_path: Path) -> None:
    df = pd.DataFrame({"country": ["Germany", "Iran"], "question_id": ["Q1", "Q1"], "mean": [2.0, 3.0], "n": [9, 9]})
    df.to_parquet(tmp_path / "a.parquet")
    assert load_human(str(tmp_path / "a.parquet")).midpoint == {"Q1": 2.5}
    df.assign(scale_min=1, scale_max=4).to_parquet(tmp_path / "b.parquet")
    assert load_human(str(tmp_path / "b.parquet")).midpoint == {"Q1": 2.5}
    df.drop(columns=["mean"]).to_parquet(tmp_path / "c.parquet")
    with pytest.raises(AnalysisError, match=r"missing column.*mean"):
        load_human(str(tmp_path / "c.parquet"))
    with pytest.raises(AnalysisError, match=r"not wvs-moral, hofstede"):
        load_human(str(tmp_path / "nope.parquet"))


def _vsm_frame(langs: tuple[str, ...]) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = [
        {"probe_set": "h", "probe_id": str(i), "question_id": f"VSM{i + 1:02d}", "lang": lg,
         "group": None, "direction": 1.0, "value": rng.normal()}
        for lg in langs
        for i in range(24)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def test_hofstede_source_compares_standardised_dimensions() -> None:
    f = _vsm_frame(LANGS)
    hof = pd.DataFrame({"country": ["Germany", "Iran", "South Korea", "Turkey"], "pdi": [35, 58, 60, 66],
                        "idv": [67, 41, 18, 37], "mas": [66, 43, 39, 45], "uai": [65, 59, 85, 85],
                        "lto": [83, 14, 100, 46], "ivr": [40, 40, 29, 49]})  # fmt: skip
    human = HumanReference("hofstede", hof.melt(id_vars="country", var_name="item"), "hofstede")
    res = human_alignment({"base": f}, human, lang_country=COUNTRIES, seed=0)
    items = res[res["scope"] == "item"].set_index("item")
    assert set(items.index) == {"pdi", "idv", "mas", "uai", "lto", "ivr"}
    m = model_items(f, "hofstede").pivot(index="lang", columns="item", values="value").loc[list(LANGS), "idv"]
    assert items.loc["idv", "pearson_r"] == pytest.approx(stats.pearsonr(m, hof["idv"])[0], abs=1e-9)
    assert (res[res["scope"] == "language"]["n"] == 6).all()


def test_cultural_distance_against_numpy() -> None:
    hof = pd.DataFrame({"country": list("ABCDEFGH"), **{d: np.random.default_rng(i).normal(50, 20, 8)
                        for i, d in enumerate(["pdi", "idv", "mas", "uai", "lto", "ivr"])}})  # fmt: skip
    mapping = {"fa": "A", "ko": "B", "hi": "C"}
    pairs, summary = cultural_distance(["fa", "ko", "hi"], hof, mapping, n_draws=500, seed=0)
    z = hof.set_index("country")
    z = (z - z.mean()) / z.std(ddof=0)
    assert pairs.iloc[0]["distance"] == pytest.approx(np.linalg.norm(z.loc["A"] - z.loc["B"]))
    assert summary["mean_distance"] == pytest.approx(pairs["distance"].mean())
    assert 0 <= summary["percentile"] <= 1 and summary["n_countries_pool"] == 8
    pairs2, s2 = cultural_distance(["fa", "xx"], hof, {"fa": "A"}, seed=0)
    assert np.isnan(pairs2["distance"].item()) and np.isnan(s2["mean_distance"])


def test_probes_without_direction_give_nan_language_rows() -> None:
    f = probe_table_from_frame(make_table(("de", "fa"), moral=True)).frame
    human = _human_from_model(f, noise=0.1)
    res = human_alignment({"base": f.assign(direction=np.nan)}, human, lang_country=COUNTRIES,
                          seed=0)  # fmt: skip
    rows = res[res["scope"] == "language"]
    assert list(rows["lang"]) == ["de", "fa"] and rows["pearson_r"].isna().all() and (rows["n"] == 0).all()
    assert rows["note"].str.contains("direction unknown").all()
