"""Model loading (hub id or local directory) and the tiny offline models used by tests and the demo."""

from __future__ import annotations

from valueshift.models.loading import LoadedModel, ModelKind, load_model, load_tokenizer, model_kind
from valueshift.models.tiny import TINY_SIZES, build_tiny_model, tiny_model_path

__all__ = [
    "TINY_SIZES",
    "LoadedModel",
    "ModelKind",
    "build_tiny_model",
    "load_model",
    "load_tokenizer",
    "model_kind",
    "tiny_model_path",
]
