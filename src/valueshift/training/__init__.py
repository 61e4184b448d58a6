"""Fine-tuning: objectives (span corruption, MLM, CLM), mono/multi strategies, full/LoRA, checkpoints.

Lifecycle: :func:`finetune` (validate -> per run: sample -> tokenize -> :func:`train` -> save final model ->
manifest ``done``). Lower-level pieces: :func:`objective_for`, :func:`epoch_batches`, :func:`train`.
"""

from __future__ import annotations

from valueshift.training.api import build_config, finetune
from valueshift.training.batching import epoch_batches, padding_efficiency
from valueshift.training.config import LoraSettings, ObjectiveSettings, TrainConfig
from valueshift.training.objectives import (
    CausalLM,
    MaskedLM,
    Objective,
    SpanCorruption,
    collate,
    objective_for,
)
from valueshift.training.trainer import TrainResult, train, training_steps

__all__ = [
    "CausalLM",
    "LoraSettings",
    "MaskedLM",
    "Objective",
    "ObjectiveSettings",
    "SpanCorruption",
    "TrainConfig",
    "TrainResult",
    "build_config",
    "collate",
    "epoch_batches",
    "finetune",
    "objective_for",
    "padding_efficiency",
    "train",
    "training_steps",
]
