"""A fine-tuning run directory built with the low-level trainer (the layout ``valueshift finetune`` writes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd


def train_run(model_dir: Path, texts: list[str], out: Path, *, langs: list[str] | None = None,
              units: list[str] | None = None, **train_fields: Any) -> Path:  # fmt: skip
    """Fine-tune ``model_dir`` on ``texts`` into ``out`` (train_examples.parquet, train_log.jsonl,
    checkpoints/step-K/, final model, manifest with the TrainConfig)."""
    from valueshift.models import load_model
    from valueshift.runs import RunDir, running
    from valueshift.seeding import set_seed
    from valueshift.training.checkpoint import save_model_dir
    from valueshift.training.config import TrainConfig
    from valueshift.training.objectives import objective_for
    from valueshift.training.trainer import train

    cfg = TrainConfig(**train_fields)
    lm = load_model(model_dir, device="cpu", dtype="float32")
    objective = objective_for(lm.kind, lm.tokenizer, cfg.objective)
    table = pd.DataFrame({
        "example_id": range(len(texts)), "lang": langs or ["en"] * len(texts), "corpus": "test",
        "unit_id": units or [str(i + 1) for i in range(len(texts))], "corpus_line": range(1, len(texts) + 1),
        "text": texts,
    })  # fmt: skip
    config = {"model": str(model_dir), "train": cfg.to_json()}
    run = RunDir.open(out, command="finetune", config=config, inputs={"model": str(model_dir)}, overwrite=True)
    set_seed(cfg.seed)
    with running(run):
        run.write_table("train_examples.parquet", table)
        ids = objective.tokenize(texts, cfg.max_length)
        train(lm.model, lm.tokenizer, objective, ids, run.path, cfg, kind=lm.kind, device=lm.device, quiet=True)
        save_model_dir(lm.model, lm.tokenizer, run.path)
        run.own(*(p.name for p in run.path.iterdir() if not p.name.startswith(".") and p.name != "manifest.json"))
        run.finish()
    return out
