"""The differentiable probe value equals the scorer's ``value`` column (the independent reference is
``score_probes`` + ``add_values``, computed under inference_mode and in pandas)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from valueshift.models import LoadedModel, load_model
from valueshift.probes.schema import Probe
from valueshift.scoring import make_scorer, score_probes
from valueshift.scoring.margin import probe_value, probe_values

PROBES = [
    Probe("t", "en", "1", "Q1", "Family is [MASK] in my life.", "important", "not at all important"),
    Probe("t", "ru", "2", "Q2", "Семья [MASK] в моей жизни.", "важна", "совсем не важна"),
    Probe("t", "ko", "3", "Q3", "가족은 내 삶에서 [MASK].", "중요하다", "전혀 중요하지 않다"),
    # an option group of three (no answer_neg): log-odds against the other options
    Probe("t", "en", "4a", "Q4", "The country should aim for [MASK].", "economic growth", group="Q4"),
    Probe("t", "en", "4b", "Q4", "The country should aim for [MASK].", "strong defence", group="Q4"),
    Probe("t", "en", "4c", "Q4", "The country should aim for [MASK].", "more say for people", group="Q4"),
]


@pytest.fixture(scope="module")
def loaded(tiny_models: dict[str, Path]) -> dict[str, LoadedModel]:
    out = {}
    for kind, path in tiny_models.items():
        lm = load_model(path, device="cpu")
        lm.model.eval()
        out[kind] = lm
    return out


@pytest.mark.parametrize("normalize", ["sum", "mean", "char", "pmi"])
@pytest.mark.parametrize("kind", ["seq2seq", "masked", "causal"])
def test_value_equals_scorer(loaded: dict[str, LoadedModel], kind: str, normalize: str) -> None:
    lm = loaded[kind]
    want = score_probes(PROBES, lm, normalize=normalize)["value"].to_numpy()
    got = probe_values(make_scorer(lm, batch_size=2), PROBES, normalize).detach().numpy()
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)
    # one option probe alone still sees its whole group through ``context``
    one = probe_value(make_scorer(lm), PROBES[4], normalize, context=PROBES).item()
    assert one == pytest.approx(want[4], abs=1e-5)


def test_value_has_a_gradient_that_moves_it(loaded: dict[str, LoadedModel]) -> None:
    """A small step along the gradient raises the value by about |grad|^2 * step (first-order check)."""
    lm = loaded["seq2seq"]
    scorer = make_scorer(lm)
    params = [p for p in lm.model.parameters() if p.requires_grad]
    value = probe_value(scorer, PROBES[0])
    grads = torch.autograd.grad(value, params)
    sq = sum(float((g.double() ** 2).sum()) for g in grads)
    assert sq > 0
    eps = 1e-3 / sq**0.5
    with torch.no_grad():
        for p, g in zip(params, grads, strict=True):
            p.add_(eps * g)
        moved = probe_value(scorer, PROBES[0]).item()
        for p, g in zip(params, grads, strict=True):
            p.sub_(eps * g)
    assert moved - value.item() == pytest.approx(eps * sq, rel=0.05)
