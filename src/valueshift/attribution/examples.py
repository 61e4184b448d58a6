"""The training side of attribution: a fine-tuning run read back, and each example's exact training view.

Lifecycle: ``run = TrainingRun.load(run_dir)`` (checks ``train_examples.parquet``, the manifest's training
config and the saved models before anything heavy) -> ``run.views(objective, epochs)`` -> features that
:func:`valueshift.training.objectives.collate` pads -> ``get_kind(kind).loss_function()`` (the very function the
trainer optimised) in :mod:`valueshift.attribution.grads`.

Which view: span corruption and MLM noise are drawn from ``np.random.default_rng([seed, epoch, example_index])``
(``training/trainer.py``), so the input an example had in epoch ``e`` is reproducible exactly. ``views="first"``
uses epoch 0's view; ``views="mean"`` averages the loss (hence the gradient) over the run's epochs. Causal LMs
have no noise, so both agree.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from valueshift.errors import AttributionError

__all__ = ["Checkpoint", "TrainingRun"]

_STEP = re.compile(r"^step-(\d+)$")
EXAMPLE_COLUMNS = ("example_id", "lang", "unit_id", "text")


@dataclass(frozen=True)
class Checkpoint:
    """A saved model of the run: ``name`` is ``step-K`` or ``final``; ``lr`` the learning rate of its step."""

    name: str
    step: int
    path: Path
    lr: float


@dataclass
class TrainingRun:
    """A finished (or checkpointed) fine-tuning run directory, as attribution needs it."""

    path: Path
    examples: pd.DataFrame  # train_examples.parquet, row i = trainer example index i
    train: dict[str, Any]  # TrainConfig as JSON
    base_model: str | None
    checkpoints: list[Checkpoint]  # ascending steps, the final model last

    @classmethod
    def load(cls, run_dir: str | Path) -> TrainingRun:
        """Read and check a fine-tuning run; every problem is an AttributionError naming the file and the fix."""
        path = Path(run_dir)
        table = path / "train_examples.parquet"
        if not table.is_file():
            raise AttributionError(
                f"{path}: no train_examples.parquet; --run must be a fine-tuning run directory "
                "(valueshift finetune writes out/<lang>/ or out/multi/)"
            )
        examples = pd.read_parquet(table)
        missing = [c for c in EXAMPLE_COLUMNS if c not in examples.columns]
        if missing:
            raise AttributionError(f"{table}: lacks column(s) {', '.join(missing)}; rerun valueshift finetune")
        manifest_path = path / "manifest.json"
        manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
        config = manifest.get("config", {})
        train = config.get("train")
        if train is None:
            raise AttributionError(f"{manifest_path}: no training config (config.train); rerun valueshift finetune")
        lrs = _learning_rates(path / "train_log.jsonl")
        found = []
        root = path / "checkpoints"
        if root.is_dir():
            for p in root.iterdir():
                m = _STEP.match(p.name)
                if m and (p / "model.safetensors").is_file():
                    found.append(Checkpoint(p.name, int(m.group(1)), p, lrs.get(int(m.group(1)), float("nan"))))
        found.sort(key=lambda c: c.step)
        if (path / "model.safetensors").is_file():
            last = max(lrs) if lrs else (found[-1].step if found else 0)
            if not found or found[-1].step != last:  # identical weights to the last checkpoint: counted once
                found.append(Checkpoint("final", last, path, lrs.get(last, float("nan"))))
        if not found:
            raise AttributionError(
                f"{path}: no saved model (model.safetensors or checkpoints/step-K/); the run is unfinished"
            )
        return cls(path, examples.reset_index(drop=True), train, config.get("model"), found)

    def select_checkpoints(self, which: str) -> list[Checkpoint]:
        return self.checkpoints if which == "all" else self.checkpoints[-1:]

    def views(self, objective: Any, epochs: list[int], max_length: int | None = None) -> list[list[dict[str, Any]]]:
        """For every example, its encoded training input in each of ``epochs`` (noise keyed as the trainer)."""
        seed = int(self.train.get("seed", 0))
        ids = objective.tokenize(self.examples["text"].tolist(), max_length or int(self.train.get("max_length", 256)))
        return [[objective.encode(x, np.random.default_rng([seed, e, i])) for e in epochs] for i, x in enumerate(ids)]

    def epochs(self, views: str) -> list[int]:
        return [0] if views == "first" else list(range(int(self.train.get("epochs", 1))))


def _learning_rates(log: Path) -> dict[int, float]:
    """step -> lr from ``train_log.jsonl`` (the lr the step was taken with)."""
    if not log.is_file():
        return {}
    out = {}
    for line in log.read_text().splitlines():
        if line.strip():
            rec = json.loads(line)
            out[int(rec["step"])] = float(rec["lr"])
    return out
