"""Fine-tuning: objectives (span corruption, MLM, CLM), mono/multi strategies, full/LoRA, checkpoints.

Lifecycle: :func:`run_finetune` (one :class:`FinetuneConfig`, one run directory: validate -> sample -> key and
look up -> tokenize -> :func:`train` -> save final model -> manifest ``done``); :func:`finetune` is the keyword
convenience (mono = a loop of one-language runs, multi = one run). Lower-level pieces: :func:`objective_for`,
:func:`epoch_batches`, :func:`train`.
"""

from __future__ import annotations

from valueshift.training.api import finetune, run_finetune, sample_examples
from valueshift.training.batching import epoch_batches, padding_efficiency
from valueshift.training.config import CorpusSettings, FinetuneConfig, LoraSettings, ObjectiveSettings, TrainConfig
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
    "CorpusSettings",
    "FinetuneConfig",
    "LoraSettings",
    "MaskedLM",
    "Objective",
    "ObjectiveSettings",
    "SpanCorruption",
    "TrainConfig",
    "TrainResult",
    "collate",
    "epoch_batches",
    "finetune",
    "objective_for",
    "padding_efficiency",
    "run_finetune",
    "sample_examples",
    "train",
    "training_steps",
]
