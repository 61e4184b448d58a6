"""The training side of attribution: a fine-tuning run read back, and each example's exact training view.

Lifecycle: ``run = TrainingRun.load(run_dir)`` (checks ``train_examples.parquet``, the manifest's training
config and the saved models before anything heavy) -> ``run.select_checkpoints(which)`` -> ``run.views(objective,
epochs)`` -> features that :func:`valueshift.training.objectives.collate` pads -> ``get_kind(kind).loss_function()``
(the very function the trainer optimised) in :mod:`valueshift.attribution.grads`.

Which view: span corruption and MLM noise are drawn from ``np.random.default_rng([seed, epoch, example_index])``
(``training/trainer.py``), where ``example_index`` is the row of ``train_examples.parquet`` (the trainer tokenizes
that table in order), so the input an example had in epoch ``e`` is reproducible exactly. ``views="first"`` uses
epoch 0's view; ``views="mean"`` averages the loss (hence the gradient) over the run's epochs. Causal LMs have no
noise, so both agree.

Which models: ``checkpoints="trajectory"`` (default) is TracIn-CP's reading of a run (Pruthi et al. 2020): the
base model and every ``checkpoints/step-K`` each stand for the optimizer steps that follow them up to the next
saved model, weighted by the summed learning rate of those steps (from ``train_log.jsonl``). The final model
stands for no step and gets weight 0 (it is skipped). Linearising at the final model alone measures "one more
step on z", not "z was in the run"; on the planted benchmark it ranks the planted examples *last* (their
remaining gradient points the other way after the value overshot) -- docs/attribution.md.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, replace
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
    """A model of the run: ``name`` is ``base``, ``step-K`` or ``final``; ``lr`` the learning rate of its step;
    ``weight`` the summed learning rate of the steps from it to the next saved model (0 for the last one)."""

    name: str
    step: int
    path: Path
    lr: float
    weight: float = 0.0


@dataclass
class TrainingRun:
    """A finished (or checkpointed) fine-tuning run directory, as attribution needs it."""

    path: Path
    examples: pd.DataFrame  # train_examples.parquet, row i = trainer example index i
    train: dict[str, Any]  # TrainConfig as JSON
    base_model: str | None
    checkpoints: list[Checkpoint]  # ascending steps, the final model last (the base model is not among them)
    lrs: dict[int, float]  # step -> learning rate the step was taken with

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
        return cls(path, examples.reset_index(drop=True), train, config.get("model"), found, lrs)

    def select_checkpoints(self, which: str) -> list[Checkpoint]:
        """The models ``which`` (``trajectory``, ``all`` or ``final``) names, with their weights.

        ``trajectory``: the base model (step 0) and each ``step-K`` but the last saved model, weighted by the
        learning rates of the steps they stand for; ``all``/``final``: the saved models, equal weights."""
        if which == "final":
            return [replace(self.checkpoints[-1], weight=1.0)]
        if which == "all":
            return [replace(c, weight=1.0) for c in self.checkpoints]
        if self.base_model is None:
            raise AttributionError(
                f"{self.path}/manifest.json names no base model (config.model); use checkpoints='all' or 'final'"
            )
        models = [Checkpoint("base", 0, Path(self.base_model), self._lr(1)), *self.checkpoints]
        out = []
        for c, nxt in itertools.pairwise(models):
            weight = sum(self._lr(s) for s in range(c.step + 1, nxt.step + 1))
            if weight > 0:
                out.append(replace(c, weight=weight))
        return out

    def _lr(self, step: int) -> float:
        """Learning rate of ``step``; steps missing from the log (``log_every > 1``) take the nearest logged."""
        if step in self.lrs or not self.lrs:
            return self.lrs.get(step, float(self.train.get("lr", 1.0)))
        known = np.array(sorted(self.lrs))
        return self.lrs[int(known[np.argmin(np.abs(known - step))])]

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
