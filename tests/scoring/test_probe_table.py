"""From scores to the probe table: normalisations, option groups, template averaging, the Python API."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import logsumexp

from valueshift.errors import ConfigError
from valueshift.models import load_model
from valueshift.probes import build_probe_set
from valueshift.scoring import PROBE_TABLE_COLUMNS, aggregate_templates, make_scorer, probe, score_probes
from valueshift.scoring.base import ClozeRequest

OPTION_TEMPLATES = ["Wachstum ist [MASK].", "Verteidigung ist [MASK].", "Mitsprache ist [MASK]."]


def _probes() -> object:
    rows = [
        {"probe_id": "1", "lang": "de", "template": "Familie ist [MASK].", "answer_pos": "wichtig",
         "answer_neg": "völlig unwichtig", "direction": -1},
        {"probe_id": "1", "lang": "de", "template": "Die Familie ist mir [MASK].", "answer_pos": "wichtig",
         "answer_neg": "völlig unwichtig", "direction": -1, "template_id": 1},
        {"probe_id": "1", "lang": "ko", "template": "가족은 [MASK].", "answer_pos": "중요하다",
         "answer_neg": "안 중요하다"},
        *[{"probe_id": f"152{c}", "lang": "de", "template": t, "answer_pos": "wichtig"}
          for c, t in zip("abc", OPTION_TEMPLATES, strict=True)],
    ]  # fmt: skip
    return build_probe_set("t", [{**r, "source": f"t:{i}"} for i, r in enumerate(rows)])


@pytest.mark.parametrize("normalize", ["sum", "mean", "char", "pmi"])
def test_values_follow_the_documented_formulas(tiny_seq2seq: Path, normalize: str) -> None:
    lm = load_model(tiny_seq2seq)
    t = score_probes(_probes(), lm, normalize=normalize)
    assert list(t.columns[: len(PROBE_TABLE_COLUMNS)]) == PROBE_TABLE_COLUMNS
    scorer = make_scorer(lm)

    def norm(template: str, answer: str) -> float:
        s = scorer.score([ClozeRequest(template, answer)])[0]
        if normalize == "sum":
            return s.logprob
        if normalize == "mean":
            return s.logprob / s.n_tokens
        if normalize == "char":
            return s.logprob / len(answer)
        return s.logprob - scorer.score([ClozeRequest("[MASK]", answer)])[0].logprob

    pair = t[t.group.isna()]
    for _, r in pair.iterrows():
        tmpl = next(
            p.template for p in _probes() if (p.lang, p.probe_id, p.template_id) == (r.lang, r.probe_id, r.template_id)
        )
        assert r.value == pytest.approx(norm(tmpl, r.answer_pos) - norm(tmpl, r.answer_neg), abs=1e-4)
    opts = t[t.group == "Q152"].sort_values("probe_id")
    s = np.array([norm(tm, "wichtig") for tm in OPTION_TEMPLATES])
    want = [s[i] - logsumexp(np.delete(s, i)) for i in range(3)]
    np.testing.assert_allclose(opts.value.to_numpy(), want, atol=1e-4)
    assert opts.logp_neg.isna().all() and opts.answer_neg.isna().all()
    assert (t.n_chars_pos == t.answer_pos.str.len()).all()


def test_average_templates_reports_spread(tiny_seq2seq: Path) -> None:
    t = score_probes(_probes(), load_model(tiny_seq2seq))
    agg = aggregate_templates(t)
    de1 = agg[(agg.lang == "de") & (agg.probe_id == "1")].iloc[0]
    both = t[(t.lang == "de") & (t.probe_id == "1")].value
    assert de1.n_templates == 2
    assert de1.value == pytest.approx(both.mean()) and de1.value_std == pytest.approx(both.std(ddof=1))
    assert len(agg) == len(t) - 1


def test_probe_api_on_builtin_and_shared(tiny_seq2seq: Path, shared_data: Path) -> None:
    table = probe(tiny_seq2seq, f"arora-wvs:{shared_data / 'arora-value-probes' / 'wvs'}", "de,fa", batch_size=16)
    assert isinstance(table, pd.DataFrame)
    assert len(table) == 2 * 272 and not table.duplicated(["lang", "probe_id"]).any()
    assert np.isfinite(table.value).all()
    with pytest.raises(ConfigError, match="unknown --normalize"):
        score_probes(_probes(), load_model(tiny_seq2seq), normalize="bytes")
