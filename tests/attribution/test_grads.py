"""Per-example gradients against a loop of ordinary backward passes through each model's own ``labels=`` loss."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from valueshift.attribution import CountSketch, select_params
from valueshift.attribution.grads import example_gradients
from valueshift.models import load_model
from valueshift.models.kinds import get_kind
from valueshift.training.objectives import IGNORE, objective_for

TEXTS = ["Die alte Brücke wurde neu gestrichen.", "Семья важна в моей жизни.", "가족은 내 삶에서 중요하다."]


@pytest.mark.parametrize("kind", ["seq2seq", "masked", "causal"])
def test_gradients_equal_backward_loop(tiny_models: dict[str, Path], kind: str) -> None:
    lm = load_model(tiny_models[kind], device="cpu")
    model = lm.model.eval()
    params = select_params(model)
    assert not any(k in n for n in params for k in ("shared", "embed_tokens", "word_embeddings", "lm_head"))
    obj = objective_for(kind, lm.tokenizer)
    views = [[obj.encode(x, np.random.default_rng([0, 0, i]))] for i, x in enumerate(obj.tokenize(TEXTS, 64))]
    got = list(example_gradients(model, get_kind(kind).loss_function(), views, params, obj.pad_id))
    shift = get_kind(kind).label_shift
    for (f,), g in zip(views, got, strict=True):
        model.zero_grad()
        labels = torch.tensor([f["labels"]])
        n = int((labels[:, shift:] != IGNORE).sum())
        (model(input_ids=torch.tensor([f["input_ids"]]), labels=labels).loss * n).backward()
        want = torch.cat([p.grad.reshape(-1) for p in params.values()])
        torch.testing.assert_close(g, want, rtol=1e-4, atol=1e-5)
    sketch = CountSketch([p.numel() for p in params.values()], 64, seed=0)
    projected = list(
        example_gradients(model, get_kind(kind).loss_function(), views, params, obj.pad_id, sketch.project)
    )
    torch.testing.assert_close(projected[0], sketch.project_flat(got[0][None])[0], rtol=1e-5, atol=1e-5)


def test_param_selection(tiny_models: dict[str, Path]) -> None:
    model = load_model(tiny_models["seq2seq"], device="cpu").model
    assert "shared.weight" in select_params(model, "all")
    assert set(select_params(model, ["decoder.*"])) == {
        n for n, _ in model.named_parameters() if n.startswith("decoder.")
    }
    from valueshift.errors import AttributionError

    with pytest.raises(AttributionError, match="selects no"):
        select_params(model, ["nothing*"])
