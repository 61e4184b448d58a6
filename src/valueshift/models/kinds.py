"""One registry of model kinds: what each kind of language model is scored, trained and adapted with.

A kind is chosen from a checkpoint's config (:func:`valueshift.models.loading.model_kind`) and then every stage
asks this registry instead of branching on the kind's name. Entries name their classes as lazy ``module:attr``
strings so ``import valueshift`` stays cheap.

Lifecycle: ``spec = get_kind(lm.kind)`` -> ``spec.scorer_class()`` / ``spec.objective_class()`` /
``spec.example_loss()`` / ``spec.peft_task``. A new kind is one :func:`register_kind` call.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from valueshift.errors import ModelError

__all__ = ["KINDS", "ModelKindSpec", "get_kind", "kind_names", "register_kind"]


def _resolve(target: str) -> Any:
    module, attr = target.split(":")
    return getattr(import_module(module), attr)


@dataclass(frozen=True)
class ModelKindSpec:
    """Everything that differs between seq2seq, masked and causal LMs, in one record.

    Attributes
    ----------
    name
        ``seq2seq``, ``masked`` or ``causal``.
    auto_class
        The ``transformers`` Auto class that loads it.
    scorer
        ``module:Class`` of its :class:`~valueshift.scoring.base.Scorer`.
    objective
        ``module:Class`` of its fine-tuning :class:`~valueshift.training.objectives.Objective`.
    example_loss
        ``module:function`` computing one summed token loss per example; the trainer reduces it and
        attribution differentiates it, so both use the same quantity.
    label_shift
        Label positions never predicted at the start of a sequence (1 for causal LMs, else 0).
    peft_task
        peft ``TaskType`` name for LoRA, or None where peft has no task type (masked LMs).
    """

    name: str
    auto_class: str
    scorer: str
    objective: str
    example_loss: str
    peft_task: str | None
    label_shift: int = 0

    def scorer_class(self) -> Any:
        return _resolve(self.scorer)

    def objective_class(self) -> Any:
        return _resolve(self.objective)

    def loss_function(self) -> Any:
        return _resolve(self.example_loss)


KINDS: dict[str, ModelKindSpec] = {}


def register_kind(spec: ModelKindSpec) -> ModelKindSpec:
    """Add a kind; a second record under one name is a programming error, not an override."""
    if spec.name in KINDS:
        raise ValueError(f"model kind {spec.name!r} is already registered")
    KINDS[spec.name] = spec
    return spec


def kind_names() -> list[str]:
    return list(KINDS)


def get_kind(name: str) -> ModelKindSpec:
    """The record of ``name``; an unknown name is a ModelError with a did-you-mean."""
    try:
        return KINDS[name]
    except KeyError:
        close = difflib.get_close_matches(name, KINDS, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ModelError(f"unknown model kind {name!r}: {hint}valueshift knows {', '.join(KINDS)}") from None


_LOSSES = "valueshift.training.losses:{}_example_losses"
register_kind(ModelKindSpec(
    "seq2seq", "AutoModelForSeq2SeqLM", "valueshift.scoring.seq2seq:Seq2SeqScorer",
    "valueshift.training.objectives:SpanCorruption", _LOSSES.format("seq2seq"), "SEQ_2_SEQ_LM",
))  # fmt: skip
register_kind(ModelKindSpec(
    "masked", "AutoModelForMaskedLM", "valueshift.scoring.masked:MaskedLMScorer",
    "valueshift.training.objectives:MaskedLM", _LOSSES.format("masked"), None,
))  # fmt: skip
register_kind(ModelKindSpec(
    "causal", "AutoModelForCausalLM", "valueshift.scoring.causal:CausalLMScorer",
    "valueshift.training.objectives:CausalLM", _LOSSES.format("causal"), "CAUSAL_LM", label_shift=1,
))  # fmt: skip
