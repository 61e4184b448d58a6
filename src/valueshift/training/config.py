"""Typed, validated fine-tuning settings; saved in every manifest and checkpoint so a resume is exact.

Lifecycle: ``FinetuneConfig.build(model=..., corpus=CorpusSettings(...), train=TrainConfig(...))`` checks every
field -> ``config.to_json()`` goes into the manifest and the run key -> the trainer reads ``config.train``.
Runtime-only settings (device, quiet) are arguments of :func:`valueshift.training.run_finetune`, not fields, so
they never change a key.

Choenni et al. (2024) do not report their fine-tuning hyper-parameters; the defaults below are common choices for
mT5 fine-tuning and are documented parameters, not findings.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from valueshift.config import StageConfig
from valueshift.errors import ConfigError

__all__ = [
    "CorpusSettings",
    "FinetuneConfig",
    "LoraSettings",
    "ObjectiveSettings",
    "Precision",
    "TrainConfig",
]

Precision = Literal["auto", "fp32", "bf16", "fp16"]


class LoraSettings(StageConfig):
    """LoRA adapters via peft, saved in ``adapter/``; the final model is also saved merged unless ``merged`` is off."""

    r: int = Field(8, ge=1, description="rank of the update matrices")
    alpha: int = Field(16, ge=1, description="scaling numerator: the update is scaled by alpha / r")
    dropout: float = Field(0.05, ge=0.0, lt=1.0, description="dropout on the adapter input")
    target_modules: list[str] | None = Field(
        None, description="module names to adapt; None = peft's default for the architecture (mT5: q, v)"
    )
    merged: bool = Field(True, description="also save the merged model (off: adapter/ only, for many retrains)")


class ObjectiveSettings(StageConfig):
    """Knobs of the pre-training objectives (see :mod:`valueshift.training.objectives`)."""

    noise_density: float = Field(0.15, gt=0.0, lt=1.0, description="span corruption: share of noised tokens")
    mean_span: float = Field(3.0, ge=1.0, description="span corruption: mean noise span length")
    mlm_probability: float = Field(0.15, gt=0.0, lt=1.0, description="masked LM: share of predicted tokens")


class TrainConfig(StageConfig):
    """The optimisation settings of a fine-tuning run."""

    error = ConfigError

    epochs: int = Field(1, ge=1, description="passes over the run's examples")
    lr: float = Field(3e-4, gt=0.0, description="peak learning rate (AdamW), at most 0.1")
    batch_size: int = Field(16, ge=1, description="examples per forward pass")
    grad_accum: int = Field(1, ge=1, description="forward passes per optimizer step")
    warmup_ratio: float = Field(0.06, ge=0.0, lt=1.0, description="share of steps with linear warmup")
    weight_decay: float = Field(0.01, ge=0.0, description="AdamW decoupled weight decay")
    max_grad_norm: float = Field(1.0, gt=0.0, description="gradient clipping (global L2 norm)")
    max_length: int = Field(256, ge=4, description="tokens kept per text (longer texts are truncated)")
    max_steps: int | None = Field(None, ge=1, description="stop after this many steps (None = all epochs)")
    bucket: bool = Field(True, description="length-bucketed batches (dynamic padding wastes less)")
    seed: int = Field(0, ge=0, description="sampling, data order, noise, dropout")
    save_every: int = Field(0, ge=0, description="checkpoint every k steps (0 = final model only)")
    log_every: int = Field(1, ge=1, description="train_log.jsonl line every k steps")
    precision: Precision = Field("auto", description="auto: bf16 autocast on a GPU that has it, else fp32")
    objective: ObjectiveSettings = Field(default_factory=ObjectiveSettings, description="objective knobs")
    lora: LoraSettings | None = Field(None, description="None = full fine-tuning")

    @field_validator("lr")
    @classmethod
    def _lr_sane(cls, v: float) -> float:
        if v > 0.1:
            raise ValueError(f"lr={v} is far above any fine-tuning rate; use e.g. 3e-4 (full) or 1e-3 (LoRA)")
        return v


class CorpusSettings(StageConfig):
    """Which examples a run trains on: a parallel-consistent sample of a multi-parallel corpus."""

    error = ConfigError

    spec: str = Field(description="corpus spec: textdir:PATH, flores:PATH, tanzil:PATH, bible-xml:PATH, ntrex:PATH "
                      "or builtin:sample")  # fmt: skip
    langs: str = Field(description="the run's fine-tuning languages, comma-separated, e.g. fa,ko,hi,ru")
    size: int = Field(ge=1, description="sentences, per language (size_per=lang) or per run (size_per=total)")
    size_per: Literal["lang", "total"] = Field("lang", description="whether size counts per language or per run")
    draw_langs: str | None = Field(
        None,
        description="languages whose units the sample is drawn from (length filter and alignment); default: langs; "
        "set to all languages so one-language runs draw the same units as the multilingual run",
    )
    align: Literal["strict", "intersect"] = Field("strict", description="misalignment is an error, or intersect")
    min_chars: int = Field(1, ge=0, description="drop units shorter than this in any draw language")
    max_chars: int | None = Field(None, ge=1, description="drop units longer than this in any draw language")

    @model_validator(mode="after")
    def _chars(self) -> CorpusSettings:
        if self.max_chars is not None and self.max_chars < self.min_chars:
            raise ValueError(f"max_chars={self.max_chars} is below min_chars={self.min_chars}")
        return self


class FinetuneConfig(StageConfig):
    """Everything that determines one fine-tuning run: base model, examples and optimisation."""

    error = ConfigError

    model: str = Field(description="hub id or save_pretrained directory of the base model")
    corpus: CorpusSettings | None = Field(
        None, description="where the examples come from; None when an explicit example table is given"
    )
    train: TrainConfig = Field(default_factory=TrainConfig, description="optimisation settings")
