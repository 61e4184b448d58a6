"""The per-example training loss equals each model's own ``labels=`` loss on an unbatched call."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from valueshift.models import load_model
from valueshift.models.kinds import get_kind
from valueshift.training.objectives import IGNORE, collate, objective_for

TEXTS = [
    "Die alte Brücke über den Fluss wurde neu gestrichen.",
    "Семья важна в моей жизни.",
    "가족은 내 삶에서 중요하다.",
]


@pytest.mark.parametrize("kind", ["seq2seq", "masked", "causal"])
def test_example_losses_match_hf_labels_loss(tiny_models: dict[str, Path], kind: str) -> None:
    lm = load_model(tiny_models[kind], device="cpu")
    obj = objective_for(kind, lm.tokenizer)
    ids = obj.tokenize(TEXTS, 64)
    features = [obj.encode(x, np.random.default_rng([0, 0, i])) for i, x in enumerate(ids)]
    batch = collate(features, obj.pad_id)
    example_losses = get_kind(kind).loss_function()
    with torch.no_grad():
        batched = example_losses(lm.model, batch)  # (B,) padded together
        for i, f in enumerate(features):
            inputs = torch.tensor([f["input_ids"]])
            labels = torch.tensor([f["labels"]])
            # HF's own loss is the token mean over the labels it predicts (causal models shift by one)
            n = int((labels[:, get_kind(kind).label_shift :] != IGNORE).sum())
            assert n > 0
            own = lm.model(input_ids=inputs, labels=labels).loss.item() * n
            torch.testing.assert_close(batched[i].item(), own, rtol=1e-5, atol=1e-4)


def test_padding_does_not_change_an_example_loss(tiny_models: dict[str, Path]) -> None:
    lm = load_model(tiny_models["seq2seq"], device="cpu")
    obj = objective_for("seq2seq", lm.tokenizer)
    ids = obj.tokenize(TEXTS, 64)
    features = [obj.encode(x, np.random.default_rng([1, 0, i])) for i, x in enumerate(ids)]
    losses = get_kind("seq2seq").loss_function()
    with torch.no_grad():
        together = losses(lm.model, collate(features, obj.pad_id))
        alone = torch.stack([losses(lm.model, collate([f], obj.pad_id))[0] for f in features])
    torch.testing.assert_close(together, alone, rtol=1e-5, atol=1e-5)
