"""The training loop: bit-identical seeds, loss decrease, exact resume after a kill, MLM/CLM paths."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from valueshift.models import load_model
from valueshift.seeding import set_seed
from valueshift.training import TrainConfig, objective_for, train

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "corpora" / "textdir"
TEXTS = [ln for lang in ("de", "fa", "en") for ln in (FIX / f"{lang}.txt").read_text(encoding="utf-8").splitlines()]


class Killed(RuntimeError):
    pass


def _run(model_dir: Path, out: Path, cfg: TrainConfig, *, kill_at: int | None = None, texts: list[str] = TEXTS):
    lm = load_model(model_dir, device="cpu", dtype="float32")
    obj = objective_for(lm.kind, lm.tokenizer)
    set_seed(cfg.seed)

    def on_step(step: int, loss: float) -> None:
        if kill_at is not None and step == kill_at:
            raise Killed(f"simulated kill at step {step}")

    out.mkdir(parents=True, exist_ok=True)
    res = train(lm.model, lm.tokenizer, obj, obj.tokenize(texts, 64), out, cfg, kind=lm.kind,
                device=lm.device, quiet=True, on_step=on_step)  # fmt: skip
    return lm.model, res


def _weights(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_same_seed_identical_checkpoints_different_seed_differs(tiny_models, tmp_path: Path) -> None:
    cfg = TrainConfig(batch_size=4, max_steps=3, save_every=3, seed=5, lr=1e-3)
    _run(tiny_models["seq2seq"], tmp_path / "a", cfg)
    _run(tiny_models["seq2seq"], tmp_path / "b", cfg)
    _run(tiny_models["seq2seq"], tmp_path / "c", cfg.model_copy(update={"seed": 6}))
    a, b, c = (load_file(tmp_path / r / "checkpoints" / "step-3" / "model.safetensors") for r in "abc")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert any(not torch.equal(a[k], c[k]) for k in a)
    base = load_file(tiny_models["seq2seq"] / "model.safetensors")
    assert any(not torch.equal(a[k], base[k]) for k in a)  # training changed the weights


def test_loss_decreases_on_repeated_corpus(tiny_models, tmp_path: Path) -> None:
    import json

    cfg = TrainConfig(batch_size=6, epochs=12, lr=3e-3, warmup_ratio=0.0, seed=0)
    _run(tiny_models["seq2seq"], tmp_path / "r", cfg, texts=TEXTS[:6])
    losses = [json.loads(ln)["loss"] for ln in (tmp_path / "r" / "train_log.jsonl").read_text().splitlines()]
    assert len(losses) == 12
    assert sum(losses[-3:]) / 3 < 0.8 * sum(losses[:3]) / 3


def test_killed_run_resumes_to_same_weights(tiny_models, tmp_path: Path) -> None:
    cfg = TrainConfig(batch_size=4, epochs=2, save_every=2, seed=3, lr=1e-3, grad_accum=1)
    full, res_full = _run(tiny_models["seq2seq"], tmp_path / "full", cfg)
    assert res_full.steps == 10
    with pytest.raises(Killed):
        _run(tiny_models["seq2seq"], tmp_path / "killed", cfg, kill_at=7)  # after the step-6 checkpoint
    resumed, res = _run(tiny_models["seq2seq"], tmp_path / "killed", cfg)
    assert res.resumed_from == 6 and res.steps == 10
    wf, wr = _weights(full), _weights(resumed)
    assert all(torch.equal(wf[k], wr[k]) for k in wf)
    log = (tmp_path / "killed" / "train_log.jsonl").read_text().splitlines()
    assert [int(ln.split('"step": ')[1].split(",")[0]) for ln in log] == list(range(1, 11))


@pytest.mark.parametrize("kind", ["masked", "causal"])
def test_other_objectives_train(tiny_models, tmp_path: Path, kind: str) -> None:
    cfg = TrainConfig(batch_size=9, epochs=4, lr=3e-3, warmup_ratio=0.0, grad_accum=2)
    _, res = _run(tiny_models[kind], tmp_path / kind, cfg, texts=TEXTS[:6] * 3)
    assert res.steps == 4  # 2 batches per epoch, 2 per step
    import json

    losses = [json.loads(ln)["loss"] for ln in (tmp_path / kind / "train_log.jsonl").read_text().splitlines()]
    assert losses[-1] < losses[0]
