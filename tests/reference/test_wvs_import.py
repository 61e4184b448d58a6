"""WVS wave-7 importer on a synthetic file in the official column layout, checked against plain pandas."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from valueshift.cli import main
from valueshift.reference import ReferenceDataError, import_wvs_csv, import_wvs_tables

# A slice of the official header: metadata columns, then country, weight and items, as the real file has them.
HEADER = ["version", "doi", "A_WAVE", "A_YEAR", "B_COUNTRY", "B_COUNTRY_ALPHA", "C_COW_ALPHA", "W_WEIGHT",
          "S018", "Q1", "Q2", "Q177", "Q182", "Q289CS9"]  # fmt: skip


def make_wvs(path: Path, sep: str = ",", seed: int = 0, n: int = 60) -> pd.DataFrame:
    """Write a synthetic respondent-level file; return the same data as a frame (the test's ground truth)."""
    rng = np.random.default_rng(seed)
    codes = rng.choice(["DEU", "KOR", "IRN"], size=n)
    df = pd.DataFrame(
        {
            "version": "5-0-0 (2022-12-23)",
            "doi": "doi.org/10.14281/18241.20",
            "A_WAVE": 7,
            "A_YEAR": 2018,
            "B_COUNTRY": np.select([codes == "DEU", codes == "KOR"], [276, 410], 364),
            "B_COUNTRY_ALPHA": codes,
            "C_COW_ALPHA": codes,
            "W_WEIGHT": np.round(rng.uniform(0.3, 2.5, size=n), 6),
            "S018": 1,
            "Q1": rng.choice([1, 2, 3, 4, -1, -2], size=n, p=[0.3, 0.3, 0.2, 0.1, 0.05, 0.05]),
            "Q2": rng.choice([1, 2, 3, 4], size=n),
            "Q177": rng.choice([1, 2, 5, 10, -1, -5], size=n),
            "Q182": rng.choice([1, 3, 7, 10], size=n),
            "Q289CS9": rng.choice([1, 2], size=n),
        }
    )
    df.loc[df.B_COUNTRY_ALPHA == "IRN", "Q182"] = -4  # not asked in one country
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh, delimiter=sep, quoting=csv.QUOTE_NONNUMERIC)
        writer.writerow(HEADER)
        writer.writerows(df[HEADER].itertuples(index=False))
    return df


def expected_means(df: pd.DataFrame, item: str) -> dict[str, tuple[float, int, float]]:
    out = {}
    for code, g in df.groupby("B_COUNTRY_ALPHA"):
        ok = g[g[item] >= 0]
        w = ok["W_WEIGHT"].to_numpy()
        mean = float(np.average(ok[item], weights=w)) if len(ok) else float("nan")
        out[code] = (mean, len(ok), float(w.sum()))
    return out


NAMES = {"DEU": "Germany", "KOR": "South Korea", "IRN": "Iran"}


def test_weighted_means_match_plain_pandas(tmp_path) -> None:
    truth = make_wvs(tmp_path / "wvs.csv")
    means = import_wvs_csv(tmp_path / "wvs.csv", items=["Q1", "Q177", "Q182"])
    assert list(means.columns) == ["country", "question_id", "mean", "n", "weight_sum"]
    assert set(means["question_id"]) == {"Q1", "Q177", "Q182"}
    for item in ("Q1", "Q177", "Q182"):
        for code, (mean, n, wsum) in expected_means(truth, item).items():
            row = means[(means.country == NAMES[code]) & (means.question_id == item)].iloc[0]
            assert row["n"] == n
            assert row["weight_sum"] == pytest.approx(wsum)
            if n:
                assert row["mean"] == pytest.approx(mean, rel=1e-12)
            else:
                assert np.isnan(row["mean"])
    iran_q182 = means[(means.country == "Iran") & (means.question_id == "Q182")].iloc[0]
    assert iran_q182["n"] == 0 and np.isnan(iran_q182["mean"])
    # the weights matter: the unweighted mean differs
    de = truth[(truth.B_COUNTRY_ALPHA == "DEU") & (truth.Q177 >= 0)]
    got = means[(means.country == "Germany") & (means.question_id == "Q177")]["mean"].item()
    assert got != pytest.approx(de["Q177"].mean(), rel=1e-6)


def test_distribution_shares(tmp_path) -> None:
    truth = make_wvs(tmp_path / "wvs.csv", seed=3)
    dist = import_wvs_tables(tmp_path / "wvs.csv", items=["Q1"]).distribution
    assert list(dist.columns) == ["country", "question_id", "answer", "share"]
    ok = truth[(truth.B_COUNTRY_ALPHA == "KOR") & (truth.Q1 >= 0)]
    expected = ok.groupby("Q1")["W_WEIGHT"].sum() / ok["W_WEIGHT"].sum()
    got = dist[dist.country == "South Korea"].set_index("answer")["share"]
    assert set(got.index) <= {1.0, 2.0, 3.0, 4.0}
    for answer, share in expected.items():
        assert got[float(answer)] == pytest.approx(share)
    assert dist.groupby("country")["share"].sum().to_numpy() == pytest.approx(1.0)


def test_default_items_are_q_number_columns_and_semicolon_works(tmp_path) -> None:
    make_wvs(tmp_path / "a.csv", seed=1)
    make_wvs(tmp_path / "b.csv", sep=";", seed=1)
    a = import_wvs_csv(tmp_path / "a.csv")
    b = import_wvs_csv(tmp_path / "b.csv")
    assert sorted(a["question_id"].unique()) == ["Q1", "Q177", "Q182", "Q2"]  # not Q289CS9
    pd.testing.assert_frame_equal(a, b)
    assert set(import_wvs_csv(tmp_path / "a.csv", items=["q177", "182"])["question_id"]) == {"Q177", "Q182"}


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_errors_name_file_line_and_column(tmp_path) -> None:
    base = "B_COUNTRY_ALPHA,W_WEIGHT,Q1\nDEU,1.0,2\nDEU,0.5,3\n"
    with pytest.raises(ReferenceDataError, match=r"empty\.csv:1: file is empty"):
        import_wvs_csv(_write(tmp_path / "empty.csv", ""))
    with pytest.raises(ReferenceDataError, match=r"tab\.csv:1: the file is tab-separated"):
        import_wvs_csv(_write(tmp_path / "tab.csv", base.replace(",", "\t")))
    with pytest.raises(ReferenceDataError, match=r"nowt\.csv:1: missing column\(s\) W_WEIGHT"):
        import_wvs_csv(_write(tmp_path / "nowt.csv", "B_COUNTRY_ALPHA,Q1\nDEU,2\n"))
    with pytest.raises(ReferenceDataError, match=r"text\.csv:3: column Q1 \(column 3\) holds 'Agree'"):
        import_wvs_csv(_write(tmp_path / "text.csv", base.replace("0.5,3", "0.5,Agree")))
    with pytest.raises(ReferenceDataError, match=r"w\.csv:2: W_WEIGHT \(column 2\) is empty"):
        import_wvs_csv(_write(tmp_path / "w.csv", base.replace("1.0", "")))
    with pytest.raises(ReferenceDataError, match=r"neg\.csv:3: W_WEIGHT .* -0\.5"):
        import_wvs_csv(_write(tmp_path / "neg.csv", base.replace("0.5", "-0.5")))
    with pytest.raises(ReferenceDataError, match=r"hdr\.csv:2: .*no respondents"):
        import_wvs_csv(_write(tmp_path / "hdr.csv", "B_COUNTRY_ALPHA,W_WEIGHT,Q1\n"))
    with pytest.raises(ReferenceDataError, match=r"Q999 not in the file"):
        import_wvs_csv(_write(tmp_path / "ok.csv", base), items=["Q999"])
    with pytest.raises(ReferenceDataError, match="no such file"):
        import_wvs_csv(tmp_path / "absent.csv")


def test_cli_writes_means_and_distribution(tmp_path, capsys) -> None:
    make_wvs(tmp_path / "wvs.csv")
    out = tmp_path / "out" / "wvs7.parquet"
    with pytest.raises(SystemExit) as exc:
        main(["human", "import-wvs", str(tmp_path / "wvs.csv"), "--out", str(out), "--items", "Q1,Q177"])
    assert exc.value.code in (0, None)
    means = pd.read_parquet(out)
    dist = pd.read_parquet(tmp_path / "out" / "wvs7_distribution.parquet")
    pd.testing.assert_frame_equal(means, import_wvs_csv(tmp_path / "wvs.csv", items=["Q1", "Q177"]))
    assert set(dist["question_id"]) == {"Q1", "Q177"}
    assert sorted(p.name for p in out.parent.iterdir()) == ["wvs7.parquet", "wvs7_distribution.parquet"]


def test_cli_error_is_one_line_exit_2(tmp_path, capsys) -> None:
    bad = _write(tmp_path / "bad.csv", "country;weight\nDEU;1\n")
    out = tmp_path / "o.parquet"
    with pytest.raises(SystemExit) as exc:
        main(["human", "import-wvs", str(bad), "--out", str(out)])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "bad.csv:1: missing column(s) B_COUNTRY_ALPHA, W_WEIGHT" in err and "\n" not in err
    assert not out.exists()


def test_unknown_country_code_is_kept_with_a_warning(tmp_path) -> None:
    path = _write(tmp_path / "x.csv", "B_COUNTRY_ALPHA,W_WEIGHT,Q1\nXKX,1.0,2\nDEU,1.0,4\n")
    with pytest.warns(UserWarning, match="XKX"):
        means = import_wvs_csv(path)
    assert sorted(means["country"]) == ["Germany", "XKX"]
