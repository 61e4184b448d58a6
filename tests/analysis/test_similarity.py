"""Profiles and cross-language similarity / preservation against scipy."""

from __future__ import annotations

import numpy as np
import pytest
from _synth import make_table, perturb
from scipy import stats

from valueshift.analysis import (
    ProfileOptions,
    build_profiles,
    preservation,
    probe_table_from_frame,
    similarity_matrix,
    similarity_table,
)
from valueshift.errors import ConfigError


def _frame(langs: tuple[str, ...] = ("de", "fa", "ko", "tr")) -> object:
    return probe_table_from_frame(make_table(langs)).frame


def test_profiles_orient_and_center_groups() -> None:
    f = _frame(("de",))
    prof = build_profiles(f)
    row = f[f["probe_id"] == "2"].iloc[0]
    assert prof.loc["2", "de"] == pytest.approx(row["value"] * row["direction"])
    unoriented = f[f["probe_id"] == "7"].iloc[0]  # direction None: kept as is
    assert np.isnan(unoriented["direction"]) and prof.loc["7", "de"] == pytest.approx(unoriented["value"])
    assert prof.loc[["300a", "300b", "300c"], "de"].sum() == pytest.approx(0.0, abs=1e-12)
    assert "300a" not in build_profiles(f, ProfileOptions(groups="drop")).index
    keep = build_profiles(f, ProfileOptions(groups="keep", orient=False))
    assert keep.loc["300a", "de"] == pytest.approx(f[f["probe_id"] == "300a"]["value"].item())


def test_zscore_profiles() -> None:
    prof = build_profiles(_frame(), ProfileOptions(zscore=True))
    np.testing.assert_allclose(prof.mean(), 0, atol=1e-12)
    np.testing.assert_allclose(prof.std(ddof=0), 1, atol=1e-12)


def test_bad_group_mode() -> None:
    with pytest.raises(ConfigError, match="groups='x'"):
        ProfileOptions(groups="x")  # type: ignore[arg-type]


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_similarity_matrix_and_table_match_scipy(method: str) -> None:
    f = _frame()
    base = build_profiles(f)
    tuned = build_profiles(f.assign(value=perturb(f, seed=1, sd=0.5)["value"]))
    m = similarity_matrix(base, method)  # type: ignore[arg-type]
    fn = stats.pearsonr if method == "pearson" else stats.spearmanr
    assert m.loc["de", "ko"] == pytest.approx(fn(base["de"], base["ko"])[0], abs=1e-12)
    assert m.loc["ko", "de"] == m.loc["de", "ko"] and m.loc["fa", "fa"] == 1.0
    tab = similarity_table(base, {"c": tuned}, [method])  # type: ignore[list-item]
    assert len(tab) == 6
    row = tab[(tab["lang_a"] == "fa") & (tab["lang_b"] == "tr")].iloc[0]
    assert row["r_tuned"] == pytest.approx(fn(tuned["fa"], tuned["tr"])[0], abs=1e-12)
    assert row["delta_r"] == pytest.approx(row["r_tuned"] - row["r_base"])


def test_preservation_is_mantel_of_the_two_matrices() -> None:
    f = _frame(("de", "fa", "ko", "tr", "vi", "id"))
    base = build_profiles(f)
    tuned = build_profiles(f.assign(value=perturb(f, seed=1, sd=0.3)["value"]))
    res = preservation(base, {"c": tuned}, ["pearson"], n_perm=999, seed=0)
    iu = np.triu_indices(6, 1)
    ref = stats.pearsonr(similarity_matrix(base).to_numpy()[iu], similarity_matrix(tuned).to_numpy()[iu])[0]
    assert res["mantel_r"].item() == pytest.approx(ref, abs=1e-12)
    assert res["n_perm"].item() == 720 and res["mantel_p"].item() < 0.05


def test_two_languages_give_one_pair_and_a_nan_preservation_row() -> None:
    f = _frame(("de", "fa"))
    base = build_profiles(f)
    tab = similarity_table(base, {"c": base}, ["pearson", "spearman"])
    assert len(tab) == 2 and set(tab["lang_a"]) == {"de"}
    res = preservation(base, {"c": base}, seed=0)
    assert len(res) == 2 and res["mantel_r"].isna().all() and (res["n_langs"] == 2).all()
