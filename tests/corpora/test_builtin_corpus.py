"""The parallel sample corpus shipped for the demo: aligned, complete, usable through a corpus spec."""

from __future__ import annotations

import pytest

from valueshift.corpora import load_corpus, plan_examples
from valueshift.errors import CorpusError


def test_builtin_sample_is_aligned_in_all_languages() -> None:
    corpus = load_corpus("builtin:sample", "en,de,fa,hi,ko,ru")
    assert len(corpus.unit_ids) == 150
    for lang in ("en", "de", "fa", "hi", "ko", "ru"):
        texts = corpus.texts[lang]
        assert len(texts) == 150 and all(t.strip() for t in texts) and len(set(texts)) == 150


def test_builtin_sample_feeds_multilingual_sampling() -> None:
    corpus = load_corpus("builtin:sample", "fa,ko,hi,ru")
    table = plan_examples(corpus, ["fa", "ko", "hi", "ru"], 20, strategy="multi", seed=3)["multi"]
    per_lang = table.groupby("lang").unit_id.apply(frozenset)
    assert len(set(per_lang)) == 1 and len(per_lang.iloc[0]) == 20


def test_unknown_builtin_corpus_names_the_available_ones() -> None:
    with pytest.raises(CorpusError, match="builtin corpora: sample"):
        load_corpus("builtin:nope", "en")
