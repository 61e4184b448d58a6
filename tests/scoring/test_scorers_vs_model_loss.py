"""Each scorer against the model's own loss on one unbatched forward pass (the independent reference)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
import transformers as tf

from valueshift.models import LoadedModel, load_model
from valueshift.scoring import ClozeRequest, make_scorer

# single- and multi-token answers in Latin, Cyrillic, Arabic and Hangul script
REQUESTS = [
    ClozeRequest("Family is [MASK] in my life.", "important"),
    ClozeRequest("Family is [MASK] in my life.", "not at all important"),
    ClozeRequest("Семья [MASK] в моей жизни.", "важна"),
    ClozeRequest("Семья [MASK] в моей жизни.", "совсем не важна"),
    ClozeRequest("خانواده در زندگی من [MASK] است.", "مهم"),
    ClozeRequest("خانواده در زندگی من [MASK] است.", "بی اهمیت"),
    ClozeRequest("가족은 내 삶에서 [MASK].", "중요하다"),
    ClozeRequest("가족은 내 삶에서 [MASK].", "전혀 중요하지 않다"),
    ClozeRequest("[MASK] is what matters.", "Honesty"),
    ClozeRequest("Aile hayatımda [MASK]dir.", "önemli"),
]
ATOL = 1e-5  # per scored token: sums of float32 log-probs of ~-8 each carry ~1e-6 rounding per term


def _variant(lm: LoadedModel, model: Any) -> LoadedModel:
    return LoadedModel(model.eval(), lm.tokenizer, lm.kind, lm.name_or_path, lm.device, lm.dtype)


def _t5_with_scaled_head(lm: LoadedModel) -> LoadedModel:
    """Original-T5 style (tied embeddings, decoder output scaled by d_model**-0.5) on the same tokenizer."""
    c = lm.model.config
    cfg = tf.T5Config(vocab_size=c.vocab_size, d_model=64, d_kv=16, d_ff=128, num_layers=2, num_heads=4,
                      decoder_start_token_id=0, pad_token_id=0, eos_token_id=1)  # fmt: skip
    torch.manual_seed(1)
    model = tf.T5ForConditionalGeneration(cfg)
    assert model.config.scale_decoder_outputs
    return _variant(lm, model)


def _bert(lm: LoadedModel) -> LoadedModel:
    cfg = tf.BertConfig(vocab_size=lm.model.config.vocab_size, hidden_size=64, num_hidden_layers=2,
                        num_attention_heads=4, intermediate_size=128, pad_token_id=0)  # fmt: skip
    torch.manual_seed(2)
    return _variant(lm, tf.BertForMaskedLM(cfg))


def _gpt2(lm: LoadedModel) -> LoadedModel:
    cfg = tf.GPT2Config(vocab_size=lm.model.config.vocab_size, n_embd=64, n_layer=2, n_head=4,
                        bos_token_id=lm.tokenizer.bos_token_id, eos_token_id=1)  # fmt: skip
    torch.manual_seed(3)
    return _variant(lm, tf.GPT2LMHeadModel(cfg))


# ---- references: the model's own loss ------------------------------------------------------------------------
@torch.inference_mode()
def seq2seq_reference(lm: LoadedModel, req: ClozeRequest, full_vocab: bool) -> float:
    tok, model = lm.tokenizer, lm.model
    enc = tok(req.template.replace("[MASK]", "<extra_id_0>"), return_tensors="pt").input_ids
    lab = tok(f"<extra_id_0> {req.answer} <extra_id_1>", add_special_tokens=False).input_ids
    dec_in = torch.tensor([[model.config.decoder_start_token_id, *lab[:-1]]])
    labels = torch.tensor([[-100, *lab[1:]]])  # log p(<extra_id_0>) is not part of the score
    out = model(input_ids=enc, decoder_input_ids=dec_in, labels=labels)
    n = len(lab) - 1
    if full_vocab:
        return -out.loss.item() * n
    logits = out.logits[0, 1:, : len(tok)]
    return -torch.nn.functional.cross_entropy(logits, labels[0, 1:], reduction="none").double().sum().item()


@torch.inference_mode()
def masked_reference(lm: LoadedModel, req: ClozeRequest, full_vocab: bool) -> float:
    tok, model = lm.tokenizer, lm.model
    before, after = req.split()
    enc = tok(before + req.answer + after, return_offsets_mapping=True, return_special_tokens_mask=True)
    a0, a1 = len(before), len(before) + len(req.answer)
    total = 0.0
    for k, ((s, e), sp) in enumerate(zip(enc.offset_mapping, enc.special_tokens_mask, strict=True)):
        if sp or not (s < a1 and e > a0):
            continue
        ids = torch.tensor([enc.input_ids])
        labels = torch.full_like(ids, -100)
        labels[0, k] = ids[0, k]
        ids[0, k] = tok.mask_token_id
        out = model(input_ids=ids, labels=labels)
        if full_vocab:
            total -= out.loss.item()
        else:
            total += torch.log_softmax(out.logits[0, k, : len(tok)], -1)[labels[0, k]].item()
    return total


@torch.inference_mode()
def causal_reference(lm: LoadedModel, req: ClozeRequest, full_vocab: bool) -> float:
    tok, model = lm.tokenizer, lm.model
    before, after = req.split()
    context, continuation = before.rstrip(), before[len(before.rstrip()) :] + req.answer + after
    prefix = tok.bos_token_id
    ctx = tok(context).input_ids if context else [prefix]
    whole = tok(context + continuation).input_ids if context else [prefix, *tok(continuation).input_ids[1:]]
    assert whole[: len(ctx)] == ctx
    ids = torch.tensor([whole])
    labels = ids.clone()
    labels[0, : len(ctx)] = -100
    out = model(input_ids=ids, labels=labels)
    n = len(whole) - len(ctx)
    if full_vocab:
        return -out.loss.item() * n
    logits = out.logits[0, len(ctx) - 1 : -1, : len(tok)]
    return -torch.nn.functional.cross_entropy(logits, ids[0, len(ctx) :], reduction="none").double().sum().item()


CASES = {
    "mt5": ("seq2seq", None, seq2seq_reference),
    "t5-scaled-head": ("seq2seq", _t5_with_scaled_head, seq2seq_reference),
    "xlm-r": ("masked", None, masked_reference),
    "bert": ("masked", _bert, masked_reference),
    "llama": ("causal", None, causal_reference),
    "gpt2": ("causal", _gpt2, causal_reference),
}


@pytest.fixture(scope="module")
def loaded(tiny_models: dict[str, Path]) -> dict[str, LoadedModel]:
    return {kind: load_model(path) for kind, path in tiny_models.items()}


@pytest.mark.parametrize("full_vocab", [True, False], ids=["all-rows", "padded-rows-masked"])
@pytest.mark.parametrize("case", list(CASES))
def test_scorer_equals_model_loss(loaded: dict[str, LoadedModel], case: str, full_vocab: bool) -> None:
    kind, make, reference = CASES[case]
    lm = loaded[kind] if make is None else make(loaded[kind])
    scorer = make_scorer(lm, batch_size=4, mask_padded_vocab=not full_vocab)
    scores = scorer.score(REQUESTS)
    for req, got in zip(REQUESTS, scores, strict=True):
        want = reference(lm, req, full_vocab)
        assert got.logprob == pytest.approx(want, abs=ATOL * got.n_tokens), (case, req)
    assert any(s.n_tokens > 2 for s in scores), "multi-token answers must be covered"


def test_masked_full_forward_path_matches_head_path(loaded: dict[str, LoadedModel]) -> None:
    scorer = make_scorer(loaded["masked"], batch_size=3)
    fast = scorer.score(REQUESTS)
    scorer.head = None  # the generic path for architectures without a known head module
    slow = scorer.score(REQUESTS)
    for a, b in zip(fast, slow, strict=True):
        assert a.logprob == pytest.approx(b.logprob, abs=ATOL * a.n_tokens)


def test_causal_full_forward_path_matches_head_path(loaded: dict[str, LoadedModel]) -> None:
    scorer = make_scorer(loaded["causal"], batch_size=3)
    fast = scorer.score(REQUESTS)
    scorer.fast_head = False
    slow = scorer.score(REQUESTS)
    for a, b in zip(fast, slow, strict=True):
        assert a.logprob == pytest.approx(b.logprob, abs=ATOL * a.n_tokens)


@pytest.mark.parametrize("kind", ["seq2seq", "masked", "causal"])
def test_scores_identical_across_batch_sizes(loaded: dict[str, LoadedModel], kind: str) -> None:
    requests = REQUESTS * 3 + [ClozeRequest(f"Item {i} is [MASK] here.", "good") for i in range(40)]
    results = [make_scorer(loaded[kind], batch_size=bs).score(requests) for bs in (1, 7, 64)]
    assert [s.logprob for s in results[0]] == [s.logprob for s in results[1]] == [s.logprob for s in results[2]]


def test_seq2seq_duplicates_scored_once_and_order_kept(loaded: dict[str, LoadedModel]) -> None:
    scorer = make_scorer(loaded["seq2seq"], batch_size=2)
    calls: list[int] = []
    scores = scorer.score(list(reversed(REQUESTS)) + REQUESTS, on_progress=calls.append)
    assert sum(calls) == len(REQUESTS)
    assert [s.logprob for s in scores[: len(REQUESTS)]] == [s.logprob for s in reversed(scores[len(REQUESTS) :])]
