"""Answer-bias diagnostics: planted leans, hand-counted negators and lengths, acquiescence, and the CLI."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from valueshift.analysis.bias import (
    BIAS_COLUMNS,
    BIPOLAR_PAIRS,
    LEAN_LEVEL,
    acquiescence,
    answer_bias,
    bias_warnings,
    has_negator,
    load_negators,
)
from valueshift.cli import exit_code
from valueshift.errors import AnalysisError

LANGS16 = ("en", "bn", "de", "el", "fa", "hi", "id", "ko", "ms", "ro", "ru", "sr", "tl", "tr", "ur", "vi")


def _row(lang: str, pid: str, value: float, **kw: object) -> dict[str, object]:
    row: dict[str, object] = {
        "model": "m", "probe_set": "s", "lang": lang, "probe_id": pid, "question_id": f"Q{pid}", "template_id": 0,
        "group": None, "direction": 1, "answer_pos": "yes", "answer_neg": "no", "logp_pos": -1.0, "logp_neg": -2.0,
        "n_tokens_pos": 1, "n_tokens_neg": 1, "n_chars_pos": 3, "n_chars_neg": 2, "normalize": "sum",
        "value": value,
    }  # fmt: skip
    row.update(kw)
    return row


def _lean_table(lean: dict[str, float], n: int = 30, seed: int = 0) -> pd.DataFrame:
    """Pair probes whose content values cancel exactly (x and -x), bipolar pairs with v_b = -v_a, plus a lean.

    de has three templates per probe (spread ±0.1 around the probe value), the others one; every language has
    one option group of 3 (no answer_neg) with large negative values that must not count.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1.5, n)
    content = np.concatenate([x, -x])
    rows = []
    for lang, c in lean.items():
        templates = (-0.1, 0.0, 0.1) if lang == "de" else (0.0,)
        for i, v in enumerate(content):
            for t, dt in enumerate(templates):
                rows.append(_row(lang, str(i + 1), v + c + dt, template_id=t, direction=1 if i % 2 else -1))
        for a, b in BIPOLAR_PAIRS:
            u = float(rng.normal(0, 2))
            rows.append(_row(lang, a, u + c, direction=1))
            rows.append(_row(lang, b, -u + c, direction=-1))
        for o in "abc":
            rows.append(_row(lang, f"300{o}", -5.0, group="300", answer_neg=None, n_tokens_neg=None))
    return pd.DataFrame(rows)


def test_planted_lean_is_measured_and_flagged_only_where_planted() -> None:
    planted = 1.2
    table = _lean_table({"de": 0.0, "fa": 0.1, "ko": planted})
    bias = answer_bias(table).set_index("lang")
    assert list(answer_bias(table).columns) == BIAS_COLUMNS
    n = 60 + 2 * len(BIPOLAR_PAIRS)  # option probes left out; de's three templates count once
    assert bias["n_probes"].tolist() == [n, n, n]
    # content cancels (x, -x and v_b = -v_a), so the mean value is the planted lean
    assert bias.loc["ko", "mean_value"] == pytest.approx(planted, abs=1e-12)
    assert bias.loc["de", "mean_value"] == pytest.approx(0.0, abs=1e-12)
    assert bias.loc["ko", "acquiescence"] == pytest.approx(planted, abs=1e-12)
    assert bias.loc["fa", "acquiescence"] == pytest.approx(0.1, abs=1e-12)
    assert bias["n_pairs"].tolist() == [len(BIPOLAR_PAIRS)] * 3
    assert bias["lean_flag"].tolist() == [False, False, True]
    vals = table[(table["lang"] == "ko") & table["answer_neg"].notna()]["value"]
    assert bias.loc["ko", "share_positive"] == pytest.approx(float((vals > 0).mean()))
    assert bias.loc["ko", "normalize"] == "sum"


def test_flag_uses_the_level() -> None:
    table = _lean_table({"de": 0.0, "ko": 0.3})
    assert not answer_bias(table)["lean_flag"].any()
    assert answer_bias(table, level=0.2)["lean_flag"].tolist() == [False, True]
    assert LEAN_LEVEL == 0.5


def test_warnings_name_the_flagged_language_and_its_lean() -> None:
    bias = answer_bias(_lean_table({"de": 0.0, "ko": -0.9}))
    lines = bias_warnings(bias)
    assert len(lines) == 1 and lines[0].startswith("ko (model m)")
    assert "-0.90" in lines[0] and "answer_neg" in lines[0] and "nay-saying" in lines[0]
    assert bias_warnings(answer_bias(_lean_table({"de": 0.0}))) == []
    with pytest.raises(AnalysisError, match="lean_flag"):
        bias_warnings(pd.DataFrame({"lang": ["de"]}))


def test_negator_shares_on_hand_made_answers() -> None:
    pairs = {
        "id": [("penting", "tidak penting"), ("baik", "buruk"), ("semua", "tak satu pun"), ("tidak keberatan",
               "keberatan")],
        "ko": [("중요하다", "중요하지 않다"), ("좋다", "나쁘다"), ("안전하다", "위험하다"), ("크다", "전혀 없다")],
        "en": [("believe", "don't believe"), ("important", "unimportant"), ("great", "no"), ("often", "Never.")],
        "tr": [("katılıyorum", "katılmıyorum"), ("iyi", "kötü")],
        "xx": [("a", "not a")],
    }  # fmt: skip
    rows = [_row(lang, str(i), 0.1, answer_pos=p, answer_neg=n) for lang, ps in pairs.items() for i, (p, n) in
            enumerate(ps)]  # fmt: skip
    bias = answer_bias(pd.DataFrame(rows)).set_index("lang")
    # id: tidak, tak -> 2 of 4 negative answers; 'tidak keberatan' is the one positive answer with a negator
    assert bias.loc["id", "negator_share_neg"] == pytest.approx(2 / 4)
    assert bias.loc["id", "negator_share_pos"] == pytest.approx(1 / 4)
    # ko: 않다, 없다 -> 2 of 4; '안전하다' (safe) starts with 안 but is no negator
    assert bias.loc["ko", "negator_share_neg"] == pytest.approx(2 / 4)
    assert bias.loc["ko", "negator_share_pos"] == 0.0
    # en: n't, no, never (punctuation and case stripped) -> 3 of 4; 'unimportant' is lexical
    assert bias.loc["en", "negator_share_neg"] == pytest.approx(3 / 4)
    # tr negates inside the verb: not detectable, NaN; an unknown language too
    assert math.isnan(bias.loc["tr", "negator_share_neg"]) and bias.loc["tr", "negator_coverage"] == "none"
    assert math.isnan(bias.loc["xx", "negator_share_pos"]) and bias.loc["xx", "negator_coverage"] == "unknown"


def test_negator_table_covers_the_sixteen_languages() -> None:
    neg = load_negators()
    assert set(LANGS16) <= set(neg["lang"])
    assert set(neg["match"]) <= {"word", "prefix", "suffix", "none"}
    assert neg.groupby("lang")["coverage"].nunique().max() == 1
    assert has_negator("نمی‌پسندم", "fa") is True and has_negator("بی‌اهمیت", "fa") is False
    assert has_negator("takut", "id") is False and has_negator("Tak", "ms") is True
    assert has_negator("не согласен", "ru") is True and has_negator("неважно", "ru") is False
    assert has_negator(None, "de") is None and has_negator("x", "tr") is None


def test_token_and_char_asymmetry_against_a_hand_computation() -> None:
    rows = [
        _row("de", "1", 0.5, n_tokens_pos=1, n_tokens_neg=3, n_chars_pos=6, n_chars_neg=13),
        # two templates of one probe with different in-context token counts (masked LMs): averaged first
        _row("de", "2", 0.5, n_tokens_pos=2, n_tokens_neg=2, template_id=0, n_chars_pos=4, n_chars_neg=4),
        _row("de", "2", 0.5, n_tokens_pos=2, n_tokens_neg=4, template_id=1, n_chars_pos=4, n_chars_neg=4),
        _row("de", "3", 0.5, n_tokens_pos=3, n_tokens_neg=1, n_chars_pos=9, n_chars_neg=2),
        _row("de", "4", 0.5, n_tokens_pos=None, n_tokens_neg=None, n_chars_pos=1, n_chars_neg=1),
    ]
    bias = answer_bias(pd.DataFrame(rows)).iloc[0]
    # per probe: 3-1 = 2; mean(0, 2) = 1; 1-3 = -2; probe 4 unknown -> mean over 3 probes = 1/3
    assert bias["mean_token_asymmetry"] == pytest.approx(1 / 3)
    assert bias["mean_char_asymmetry"] == pytest.approx((7 + 0 - 7 + 0) / 4)
    # without n_chars columns the answers' own lengths are used
    plain = pd.DataFrame([_row("de", "1", 0.1, answer_pos="gut", answer_neg="nicht gut")]).drop(
        columns=["n_chars_pos", "n_chars_neg", "n_tokens_pos", "n_tokens_neg"]
    )
    row = answer_bias(plain).iloc[0]
    assert row["mean_char_asymmetry"] == pytest.approx(6.0) and math.isnan(row["mean_token_asymmetry"])


def test_acquiescence_definition_and_nan_rows() -> None:
    rows = [
        _row("de", "106a", 2.0, direction=1),
        _row("de", "106b", -1.0, direction=-1),  # (2 - 1) / 2 = 0.5
        _row("de", "109a", 0.0, direction=-1),
        _row("de", "109b", 1.0, direction=1),  # 0.5
        _row("de", "110a", 3.0, direction=1),
        _row("de", "110b", 3.0, direction=1),  # same direction: not opposite poles, skipped
        _row("de", "111a", 1.0, direction=1),  # its partner is missing
        _row("fa", "106a", 1.0, direction=1),
        _row("fa", "106b", 5.0, direction=-1, answer_neg=None, group="Q106"),  # option probe: no pair
        *[_row("ko", f"30{o}", -1.0, answer_neg=None, group="30") for o in "ab"],  # only option probes
    ]
    acq = acquiescence(pd.DataFrame(rows)).set_index("lang")
    assert acq.loc["de", "acquiescence"] == pytest.approx(0.5) and acq.loc["de", "n_pairs"] == 2
    assert math.isnan(acq.loc["fa", "acquiescence"]) and acq.loc["fa", "n_pairs"] == 0
    bias = answer_bias(pd.DataFrame(rows)).set_index("lang")
    assert bias.loc["ko", "n_probes"] == 0 and math.isnan(bias.loc["ko", "mean_value"])
    assert not bias.loc["ko", "lean_flag"]


def test_missing_columns_are_an_error() -> None:
    with pytest.raises(AnalysisError, match="answer_neg"):
        answer_bias(pd.DataFrame({"lang": ["de"], "probe_id": ["1"], "value": [0.0], "answer_pos": ["a"]}))


def test_cli_probes_bias_on_a_tiny_model(
    tiny_seq2seq: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bias" / "probe_bias.csv"
    args = ["probes", "bias", "--model", str(tiny_seq2seq), "--probes", "builtin-wvs", "--langs", "de,ko"]
    assert exit_code([*args, "--out", str(out), "-q"]) == 0
    table = pd.read_csv(out)
    assert sorted(table["lang"]) == ["de", "ko"] and len(table) == 2
    assert list(table.columns) == BIAS_COLUMNS
    assert (table["n_probes"] == 272).all() and (table["n_pairs"] == len(BIPOLAR_PAIRS)).all()
    printed = capsys.readouterr().out
    assert "answer bias" in printed and "ko" in printed


@pytest.mark.parametrize("extra", [["--probes", "no-such-probes"], ["--probes", "builtin-wvs", "--out", "table.txt"]])
def test_cli_probes_bias_bad_input_exits_2(
    extra: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = exit_code(["probes", "bias", "--model", str(tmp_path / "no-model"), "--langs", "de", *extra])
    err = capsys.readouterr().err
    assert code == 2 and "error:" in err and "Traceback" not in err
    assert not (tmp_path / "table.txt").exists()
