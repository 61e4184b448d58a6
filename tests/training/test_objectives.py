"""Objectives on fake token ids: span corruption reconstructs the text, MLM and CLM labels, dynamic
padding."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from valueshift.errors import ModelError, TrainingError
from valueshift.training.config import ObjectiveSettings
from valueshift.training.objectives import (
    CausalLM,
    MaskedLM,
    SpanCorruption,
    collate,
    objective_for,
    span_noise_mask,
)

VOCAB = 300


class FakeTokenizer:
    """mT5-like ids: pad 0, eos 1, unk 2, mask 3; ``<extra_id_i>`` = VOCAB - 1 - i (extra_id_0 highest)."""

    pad_token_id, eos_token_id, unk_token_id = 0, 1, 2

    def __init__(self, sentinels: bool = True, mask: bool = False) -> None:
        self.sentinels = sentinels
        self.mask_token_id = 3 if mask else None
        self.all_special_ids = [0, 1, 2, 3, *range(VOCAB - 100, VOCAB)]

    def convert_tokens_to_ids(self, token: str) -> int:
        if self.sentinels and token.startswith("<extra_id_"):
            return VOCAB - 1 - int(token[len("<extra_id_") : -1])
        return self.unk_token_id

    def __len__(self) -> int:
        return VOCAB

    def __call__(self, texts: list[str], **kw: Any) -> dict[str, list[list[int]]]:
        ids = [[10 + (ord(c) % 150) for c in t] for t in texts]
        if kw.get("add_special_tokens", True):
            ids = [[*x, 1] for x in ids]
        return {"input_ids": ids}


def _reconstruct(inputs: list[int], labels: list[int], sentinels: list[int]) -> list[int]:
    spans: dict[int, list[int]] = {}
    cur = None
    for t in labels[:-1]:  # drop </s>
        if t in sentinels:
            cur = t
            spans[cur] = []
        else:
            spans[cur].append(t)
    out: list[int] = []
    for t in inputs[:-1]:
        out.extend(spans[t] if t in sentinels else [t])
    return out


@pytest.mark.parametrize("length", [1, 2, 5, 17, 64, 200])
def test_span_corruption_reconstructs(length: int) -> None:
    obj = SpanCorruption.from_settings(FakeTokenizer(), ObjectiveSettings())
    rng = np.random.default_rng(length)
    for _ in range(20):
        ids = rng.integers(10, 160, size=length)
        enc = obj.encode(ids, rng)
        assert enc["input_ids"][-1] == 1 and enc["labels"][-1] == 1
        assert _reconstruct(enc["input_ids"], enc["labels"], obj.sentinels) == ids.tolist()
        # sentinels in order: extra_id_0, 1, 2, ... in the input; the target adds one closing sentinel
        used_in = [t for t in enc["input_ids"] if t in obj.sentinels]
        used_lab = [t for t in enc["labels"] if t in obj.sentinels]
        assert used_in == obj.sentinels[: len(used_in)]
        assert used_lab == obj.sentinels[: len(used_in) + 1]


def test_noise_density_and_span_length() -> None:
    rng = np.random.default_rng(0)
    noised = total = spans = 0
    for _ in range(300):
        n = int(rng.integers(20, 120))
        m = span_noise_mask(n, 0.15, 3.0, rng)
        noised, total = noised + int(m.sum()), total + n
        spans += int((m[1:] & ~m[:-1]).sum() + m[0])
    assert abs(noised / total - 0.15) < 0.01
    assert 2.5 < noised / spans < 3.5


def test_span_corruption_with_real_tokenizer(tiny_models: dict) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_models["seq2seq"])
    obj = objective_for("seq2seq", tok)
    assert obj.sentinels[0] == tok.convert_tokens_to_ids("<extra_id_0>") == max(obj.sentinels)
    [ids] = obj.tokenize(["Die alte Brücke über den Fluss wurde im Frühling neu gestrichen."], 64)
    enc = obj.encode(ids, np.random.default_rng(1))
    assert _reconstruct(enc["input_ids"], enc["labels"], obj.sentinels) == ids.tolist()
    assert tok.decode(enc["labels"]).startswith("<extra_id_0>")


def test_seq2seq_without_sentinels_is_refused() -> None:
    with pytest.raises(TrainingError, match="sentinels"):
        objective_for("seq2seq", FakeTokenizer(sentinels=False))
    with pytest.raises(TrainingError, match="mask token"):
        objective_for("masked", FakeTokenizer())
    with pytest.raises(ModelError, match="unknown model kind 'casual': did you mean 'causal'"):
        objective_for("casual", FakeTokenizer())


def test_masked_lm_rates() -> None:
    obj = MaskedLM.from_settings(FakeTokenizer(mask=True), ObjectiveSettings())
    rng = np.random.default_rng(0)
    picked = masked = kept = total = 0
    for _ in range(400):
        ids = np.concatenate([[VOCAB - 1], rng.integers(10, 160, size=40), [1]])  # specials at both ends
        enc = obj.encode(ids, rng)
        lab, inp = np.asarray(enc["labels"]), np.asarray(enc["input_ids"])
        sel = lab != -100
        assert not sel[0] and not sel[-1]  # specials are never predicted
        assert (lab[sel] == ids[sel]).all()
        picked, total = picked + int(sel.sum()), total + 40
        masked += int((inp[sel] == 3).sum())
        kept += int((inp[sel] == ids[sel]).sum())
        assert (inp[~sel] == ids[~sel]).all()
    assert abs(picked / total - 0.15) < 0.01
    assert abs(masked / picked - 0.8) < 0.04
    assert 0.07 < kept / picked < 0.14  # 10% kept, plus the rare random draw of the same token


def test_causal_lm_appends_eos() -> None:
    obj = CausalLM(FakeTokenizer())
    [ids] = obj.tokenize(["abc"], 16)
    assert ids[-1] == 1
    enc = obj.encode(ids, np.random.default_rng(0))
    assert enc["input_ids"] == enc["labels"] == ids.tolist()


def test_collate_dynamic_padding() -> None:
    b = collate([{"input_ids": [5, 6, 7], "labels": [8]}, {"input_ids": [9], "labels": [1, 2]}], pad_id=0)
    assert b["input_ids"].tolist() == [[5, 6, 7], [9, 0, 0]]
    assert b["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
    assert b["labels"].tolist() == [[8, -100], [1, 2]]
