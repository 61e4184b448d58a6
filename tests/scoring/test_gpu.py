"""GPU checks (deselected by default; run with ``pytest -m gpu`` on a machine with CUDA)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from valueshift.models import load_model
from valueshift.scoring import ClozeRequest, make_scorer

pytestmark = pytest.mark.gpu

REQUESTS = [
    ClozeRequest("Family is [MASK] in my life.", "important"),
    ClozeRequest("Семья [MASK] в моей жизни.", "совсем не важна"),
    ClozeRequest("가족은 내 삶에서 [MASK].", "중요하다"),
]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
@pytest.mark.parametrize("kind", ["seq2seq", "masked", "causal"])
def test_cuda_scores_match_cpu(tiny_models: dict[str, Path], kind: str) -> None:
    cpu = make_scorer(load_model(tiny_models[kind], device="cpu")).score(REQUESTS)
    gpu_lm = load_model(tiny_models[kind], device="cuda")
    for bs in (1, 7):
        gpu = make_scorer(gpu_lm, batch_size=bs).score(REQUESTS)
        for a, b in zip(cpu, gpu, strict=True):
            assert b.logprob == pytest.approx(a.logprob, abs=1e-4 * a.n_tokens)
