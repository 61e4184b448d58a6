"""Parallel-consistent sampling: same unit ids across languages, seeded, sizes per language or total."""

from __future__ import annotations

from pathlib import Path

import pytest

from valueshift.corpora import load_textdir, plan_examples, sample_unit_ids
from valueshift.corpora.sampling import EXAMPLE_COLUMNS
from valueshift.errors import CorpusError


@pytest.fixture(scope="module")
def flores(shared_data: Path):
    return load_textdir(shared_data / "parallel" / "flores200_sib", "fa,ko,hi,ru")


def test_same_ids_across_languages_mono(flores) -> None:
    plans = plan_examples(flores, ["fa", "ko", "hi", "ru"], 50, strategy="mono", seed=3)
    assert list(plans) == ["fa", "ko", "hi", "ru"]
    ids = {lang: df.unit_id.tolist() for lang, df in plans.items()}
    assert ids["fa"] == ids["ko"] == ids["hi"] == ids["ru"]
    assert len(set(ids["fa"])) == 50
    df = plans["ko"]
    assert list(df.columns) == EXAMPLE_COLUMNS
    assert df.example_id.tolist() == list(range(50))
    # each text is the corpus text at that line
    for _, row in df.head(5).iterrows():
        assert row.text == flores.texts["ko"][int(row.corpus_line) - 1]


def test_multi_is_union_with_same_ids(flores) -> None:
    multi = plan_examples(flores, ["fa", "ko"], 30, strategy="multi", seed=3)["multi"]
    mono = plan_examples(flores, ["fa", "ko"], 30, strategy="mono", seed=3)
    assert len(multi) == 60 and multi.example_id.is_unique
    assert multi[multi.lang == "fa"].unit_id.tolist() == mono["fa"].unit_id.tolist()
    assert multi[multi.lang == "ko"].unit_id.tolist() == mono["fa"].unit_id.tolist()


def test_seed_controls_sample(flores) -> None:
    a = sample_unit_ids(flores, 40, seed=1)
    assert a == sample_unit_ids(flores, 40, seed=1)
    assert a != sample_unit_ids(flores, 40, seed=2)
    assert sample_unit_ids(flores, 100, seed=1)[:40] == a  # smaller draws are prefixes of larger ones


def test_size_total(flores) -> None:
    multi = plan_examples(flores, ["fa", "ko", "hi"], 10, strategy="multi", seed=0, size_per="total")["multi"]
    counts = multi.lang.value_counts().to_dict()
    assert counts == {"fa": 4, "ko": 3, "hi": 3}
    fa = set(multi[multi.lang == "fa"].unit_id)
    assert set(multi[multi.lang == "ko"].unit_id) <= fa


def test_size_too_large(flores) -> None:
    with pytest.raises(CorpusError, match=r"--size 5000 is larger than the 1004 units"):
        plan_examples(flores, ["fa"], 5000, strategy="mono", seed=0)


def test_length_filter(flores) -> None:
    ids = sample_unit_ids(flores, 20, seed=0, min_chars=50, max_chars=120)
    pos = {u: i for i, u in enumerate(flores.unit_ids)}
    for u in ids:
        for lang in flores.langs:
            assert 50 <= len(flores.texts[lang][pos[u]]) <= 120
    with pytest.raises(CorpusError, match="before the length filter"):
        sample_unit_ids(flores, 1000, seed=0, max_chars=100)
