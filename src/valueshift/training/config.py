"""Typed, validated fine-tuning settings; saved in every manifest and checkpoint so a resume is exact.

Lifecycle: ``TrainConfig(...)`` checks every field when built -> ``config.to_json()`` goes into the manifest (the
config hash decides whether an unfinished run may be resumed) -> the trainer reads it. Runtime-only settings
(device, quiet) are arguments of :func:`valueshift.training.finetune`, not fields, so they never change a hash.

The paper does not report its fine-tuning hyper-parameters (STUDY.md); the defaults below are common choices for
mT5 fine-tuning and are documented parameters, not findings.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["LoraSettings", "ObjectiveSettings", "Precision", "TrainConfig"]

Precision = Literal["auto", "fp32", "bf16", "fp16"]


class LoraSettings(BaseModel):
    """LoRA adapters via peft. The final model is saved merged (plain HF weights) plus ``adapter/``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    r: int = Field(8, ge=1, description="rank of the update matrices")
    alpha: int = Field(16, ge=1, description="scaling numerator: the update is scaled by alpha / r")
    dropout: float = Field(0.05, ge=0.0, lt=1.0, description="dropout on the adapter input")
    target_modules: list[str] | None = Field(
        None, description="module names to adapt; None = peft's default for the architecture (mT5: q, v)"
    )


class ObjectiveSettings(BaseModel):
    """Knobs of the pre-training objectives (see :mod:`valueshift.training.objectives`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    noise_density: float = Field(0.15, gt=0.0, lt=1.0, description="span corruption: share of noised tokens")
    mean_span: float = Field(3.0, ge=1.0, description="span corruption: mean noise span length")
    mlm_probability: float = Field(0.15, gt=0.0, lt=1.0, description="masked LM: share of predicted tokens")


class TrainConfig(BaseModel):
    """Everything that determines a fine-tuning run's result."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    epochs: int = Field(1, ge=1, description="passes over the run's examples")
    lr: float = Field(3e-4, gt=0.0, le=1.0, description="peak learning rate (AdamW)")
    batch_size: int = Field(16, ge=1, description="examples per forward pass")
    grad_accum: int = Field(1, ge=1, description="forward passes per optimizer step")
    warmup_ratio: float = Field(0.06, ge=0.0, lt=1.0, description="share of steps with linear warmup")
    weight_decay: float = Field(0.01, ge=0.0, description="AdamW decoupled weight decay")
    max_grad_norm: float = Field(1.0, gt=0.0, description="gradient clipping (global L2 norm)")
    max_length: int = Field(256, ge=4, description="tokens kept per text (longer texts are truncated)")
    max_steps: int | None = Field(None, ge=1, description="stop after this many steps (None = all epochs)")
    bucket: bool = Field(True, description="length-bucketed batches (dynamic padding wastes less)")
    seed: int = Field(0, ge=0, description="data order, noise, dropout")
    save_every: int = Field(0, ge=0, description="checkpoint every k steps (0 = final model only)")
    log_every: int = Field(1, ge=1, description="train_log.jsonl line every k steps")
    precision: Precision = Field("auto", description="auto: bf16 autocast on a GPU that has it, else fp32")
    objective: ObjectiveSettings = Field(default_factory=ObjectiveSettings)
    lora: LoraSettings | None = Field(None, description="None = full fine-tuning")

    @field_validator("lr")
    @classmethod
    def _lr_sane(cls, v: float) -> float:
        if v > 0.1:
            raise ValueError(f"lr={v} is far above any fine-tuning rate; use e.g. 3e-4 (full) or 1e-3 (LoRA)")
        return v

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
