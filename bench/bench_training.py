"""Training throughput: valueshift's loop vs a plain HF ``Seq2SeqTrainer`` configured the same, in one run.

Lifecycle: ``run(out_dir)`` -> for each model shape (a ~12M-param mT5 and the mt5-small shape, random init) ->
same initial weights, same span-corrupted sentences, same batch size / lr / schedule / clipping / fp32 ->
time ``train`` (length-bucketed batches, dynamic padding) and ``Seq2SeqTrainer.train`` (random batches
padded to their longest member by ``DataCollatorForSeq2Seq``) -> tokens/s and the ratio. The first step of
each loop is excluded (allocator warm-up). Threads are set explicitly (``torch.set_num_threads``,
``OMP_NUM_THREADS``). Shared cores make small-model timings swing 10x or more: run on an idle machine.

Goal (issue 5): ratio >= 1.3 from bucketing + dynamic padding. Counted tokens are real (non-pad) input plus
label tokens, the same definition for both loops, so padding shows up as lost throughput.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["run"]

THREADS = int(os.environ.get("OMP_NUM_THREADS", "2"))
SHARED = Path(os.environ.get("VALUESHIFT_SHARED", Path(__file__).resolve().parents[2] / "shared"))


def _texts(n_per_lang: int) -> list[str]:
    corpus = SHARED / "data" / "parallel" / "flores200_sib"
    if not corpus.is_dir():  # fall back to the test fixture so the bench runs without ../shared
        corpus = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "corpora" / "textdir"
        langs = ["de", "fa", "en"]
    else:
        langs = ["fa", "ko", "hi", "ru"]
    out: list[str] = []
    for lang in langs:
        lines = (corpus / f"{lang}.txt").read_text(encoding="utf-8").split("\n")
        out.extend(ln for ln in lines[:n_per_lang] if ln.strip())
    while len(out) < 4 * n_per_lang:
        out = out + out
    return out


def _mt5_small_shape(vocab_pad: int) -> Any:
    import transformers as tf

    cfg = tf.MT5Config(vocab_size=vocab_pad, d_model=512, d_kv=64, d_ff=1024, num_layers=8,
                       num_decoder_layers=8, num_heads=6, feed_forward_proj="gated-gelu", dropout_rate=0.1,
                       pad_token_id=0, eos_token_id=1, decoder_start_token_id=0)  # fmt: skip
    model = tf.MT5ForConditionalGeneration(cfg)
    model.config.tie_word_embeddings = False  # real mT5 has its own lm_head (STUDY.md)
    model.lm_head.weight = tf.modeling_utils.nn.Parameter(model.shared.weight.detach().clone())
    return model


def _hf_loop(model: Any, tok: Any, feats: list[dict[str, list[int]]], steps: int, cfg: Any) -> dict[str, float]:
    from transformers import DataCollatorForSeq2Seq, Seq2SeqTrainer, Seq2SeqTrainingArguments, TrainerCallback

    base = DataCollatorForSeq2Seq(tok, model=model, padding="longest", label_pad_token_id=-100)
    counted: list[int] = []

    def collator(batch: list[dict[str, Any]]) -> dict[str, Any]:
        out = base([{"input_ids": f["input_ids"], "labels": f["labels"]} for f in batch])
        counted.append(int(out["attention_mask"].sum()) + int((out["labels"] != -100).sum()))
        return out

    stamps: list[float] = []

    class Stamp(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            stamps.append(time.perf_counter())

    with tempfile.TemporaryDirectory() as tmp:
        args = Seq2SeqTrainingArguments(
            output_dir=tmp, per_device_train_batch_size=cfg.batch_size, max_steps=steps,
            learning_rate=cfg.lr, warmup_steps=round(cfg.warmup_ratio * steps), weight_decay=cfg.weight_decay,
            max_grad_norm=cfg.max_grad_norm, lr_scheduler_type="linear", optim="adamw_torch_fused",
            save_strategy="no", report_to=[], logging_steps=10_000, seed=cfg.seed, use_cpu=True,
            dataloader_num_workers=0, remove_unused_columns=False, disable_tqdm=True,
        )  # fmt: skip
        trainer = Seq2SeqTrainer(model=model, args=args, train_dataset=feats, data_collator=collator,
                                 callbacks=[Stamp()])  # fmt: skip
        trainer.train()
    # collator calls and steps match one to one (no accumulation); drop step 1
    tokens = sum(counted[1:steps])
    return {
        "tokens_per_s": tokens / (stamps[-1] - stamps[0]),
        "s_per_step": (stamps[-1] - stamps[0]) / (steps - 1),
    }


def _our_loop(model: Any, tok: Any, ids: list[Any], steps: int, cfg: Any, tmp: Path) -> dict[str, float]:
    import json

    import torch

    from valueshift.training import objective_for, train

    stamps: list[float] = []
    train(model, tok, objective_for("seq2seq", tok), ids, tmp, cfg, kind="seq2seq",
          device=torch.device("cpu"), quiet=True,
          on_step=lambda s, loss: stamps.append(time.perf_counter()))  # fmt: skip
    log = [json.loads(ln) for ln in (tmp / "train_log.jsonl").read_text().splitlines()]
    tokens = sum(r["tokens"] for r in log[1:steps])
    return {
        "tokens_per_s": tokens / (stamps[-1] - stamps[0]),
        "s_per_step": (stamps[-1] - stamps[0]) / (steps - 1),
    }


def _one_shape(name: str, make_model: Any, tok: Any, steps: int, batch: int, texts: list[str]) -> dict[str, Any]:
    import numpy as np
    import torch

    from valueshift.training import TrainConfig, objective_for

    cfg = TrainConfig(batch_size=batch, max_steps=steps, lr=3e-4, max_length=128, seed=0, precision="fp32")
    obj = objective_for("seq2seq", tok)
    ids = obj.tokenize(texts, cfg.max_length)
    feats = [obj.encode(x, np.random.default_rng([0, 0, i])) for i, x in enumerate(ids)]
    torch.manual_seed(0)
    model = make_model()
    init = {k: v.clone() for k, v in model.state_dict().items()}
    with tempfile.TemporaryDirectory() as tmp:
        ours = _our_loop(model, tok, ids, steps, cfg, Path(tmp))
    model.load_state_dict(init)
    hf = _hf_loop(model, tok, feats, steps, cfg)
    n_params = sum(p.numel() for p in model.parameters())
    return {"shape": name, "params": n_params, "batch_size": batch, "steps_timed": steps - 1,
            "ours_tokens_per_s": ours["tokens_per_s"], "hf_tokens_per_s": hf["tokens_per_s"],
            "ours_s_per_step": ours["s_per_step"], "hf_s_per_step": hf["s_per_step"],
            "ratio": ours["tokens_per_s"] / hf["tokens_per_s"]}  # fmt: skip


def run(out_dir: Path, *, steps_small: int = 25, steps_mt5: int = 6) -> dict[str, Any]:
    """Measure tokens/s of both loops at two model shapes; write ``bench_training.json`` into ``out_dir``.

    Returns
    -------
    dict
        ``{"threads", "results": [{shape, params, ours_tokens_per_s, hf_tokens_per_s, ratio, ...}], "goal"}``.
    """
    import json

    import torch

    os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    torch.set_num_threads(THREADS)
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    from valueshift.models import build_tiny_model

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    texts = _texts(128)
    with tempfile.TemporaryDirectory() as tmp:
        small = build_tiny_model(Path(tmp) / "small", size="small", kind="seq2seq", seed=0)
        tok = AutoTokenizer.from_pretrained(small)
        results = [
            _one_shape("mt5-12M", lambda: AutoModelForSeq2SeqLM.from_pretrained(small), tok, steps_small, 16, texts),
            _one_shape("mt5-small-shape", lambda: _mt5_small_shape(250112), tok, steps_mt5, 16, texts),
        ]
    report = {"threads": THREADS, "goal_ratio": 1.3, "results": results}
    (out_dir / "bench_training.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


if __name__ == "__main__":
    import sys

    print(run(Path(sys.argv[1] if len(sys.argv) > 1 else "bench/results")))
