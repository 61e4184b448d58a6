"""Fine-tuning runs for the attribution tests, made by the study's own single-run API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd


def train_run(model_dir: Path, texts: list[str], out: Path, *, langs: list[str] | None = None,
              units: list[str] | None = None, **train_fields: Any) -> Path:  # fmt: skip
    """Fine-tune ``model_dir`` on ``texts`` into ``out`` with :func:`valueshift.training.run_finetune` (an explicit
    example table keyed by (lang, unit_id); ``train_fields`` are TrainConfig fields)."""
    from valueshift.training import run_finetune
    from valueshift.training.config import FinetuneConfig, TrainConfig

    table = pd.DataFrame({"lang": langs or ["en"] * len(texts), "unit_id": units or [str(i + 1) for i in
                          range(len(texts))], "text": texts})  # fmt: skip
    config = FinetuneConfig.build(model=str(model_dir), train=TrainConfig.build(**train_fields))
    return run_finetune(config, out, examples=table, device="cpu", quiet=True)
