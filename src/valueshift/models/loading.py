"""Load any Hugging Face checkpoint (hub id or local directory) for scoring or training.

The scorer is chosen from the config: encoder-decoder models are ``seq2seq`` (mT5, T5), configs whose
architecture is a ``...ForMaskedLM`` are ``masked`` (XLM-R, mBERT), decoder-only LMs are ``causal``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from valueshift.errors import ModelError

__all__ = [
    "LoadedModel",
    "ModelKind",
    "load_model",
    "load_tokenizer",
    "model_kind",
    "resolve_device",
    "resolve_dtype",
]

ModelKind = Literal["seq2seq", "masked", "causal"]
_DTYPES = ("auto", "float32", "bfloat16", "float16")


@dataclass
class LoadedModel:
    """A model, its tokenizer and what the scorers need to know about them."""

    model: Any  # transformers.PreTrainedModel
    tokenizer: Any  # transformers tokenizer (tokenizers-backed)
    kind: ModelKind
    name_or_path: str
    device: Any  # torch.device
    dtype: Any  # torch.dtype

    @property
    def vocab_size(self) -> int:
        """Ids the tokenizer can produce; model rows past this (mT5 pads 250100 to 250112) are masked."""
        return len(self.tokenizer)


def resolve_device(device: str) -> Any:
    """``auto`` -> cuda when available, else cpu; ``cuda`` without a GPU is an error."""
    import torch

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ModelError("--device cuda was requested but no CUDA device is available; use --device cpu or auto")
    if device != "cpu" and not device.startswith("cuda"):
        raise ModelError(f"unknown device {device!r}: use auto, cpu or cuda")
    return torch.device(device)


def resolve_dtype(dtype: str, device: Any) -> Any:
    """``auto`` is float32 everywhere: value log-odds are small differences of large sums, and mT5 overflows in
    float16; pass ``bfloat16`` explicitly to trade precision (0.6-1.2 nats drift on random weights) for speed."""
    import torch

    if dtype not in _DTYPES:
        raise ModelError(f"unknown dtype {dtype!r}: use one of {', '.join(_DTYPES)}")
    if dtype == "auto":
        return torch.float32
    if device.type == "cpu" and dtype == "float16":
        raise ModelError("--dtype float16 is not supported on CPU; use float32 or bfloat16")
    return getattr(torch, dtype)


def model_kind(config: Any) -> ModelKind:
    """Which scorer fits a config."""
    if getattr(config, "is_encoder_decoder", False):
        return "seq2seq"
    archs = " ".join(getattr(config, "architectures", None) or [])
    if "MaskedLM" in archs:
        return "masked"
    if "CausalLM" in archs or "LMHead" in archs:
        return "causal"
    from transformers.models.auto.modeling_auto import (
        MODEL_FOR_CAUSAL_LM_MAPPING_NAMES,
        MODEL_FOR_MASKED_LM_MAPPING_NAMES,
    )

    if config.model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES:
        return "causal"
    if config.model_type in MODEL_FOR_MASKED_LM_MAPPING_NAMES:
        return "masked"
    raise ModelError(
        f"model type {config.model_type!r} is neither seq2seq, masked LM nor causal LM; valueshift cannot score it"
    )


_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?$")


def _looks_like_path(name: str) -> bool:
    """Hub ids are ``name`` or ``org/name``; anything else (``./x``, ``/abs``, ``a/b/c``) is a local path."""
    return not _HUB_ID.match(name)


def load_model(
    name_or_path: str | os.PathLike[str],
    *,
    device: str = "auto",
    dtype: str = "auto",
    trust_remote_code: bool = False,
    kind: ModelKind | None = None,
) -> LoadedModel:
    """Load a checkpoint and its tokenizer through the Auto classes.

    Parameters
    ----------
    name_or_path
        A hub id (``google/mt5-small``; needs a reachable hub or a populated local cache) or a local directory in
        ``save_pretrained`` layout.
    device, dtype
        See :func:`resolve_device` and :func:`resolve_dtype`.
    trust_remote_code
        Run code shipped with the checkpoint. Off unless the user asks: it executes arbitrary Python.
    kind
        Force the scorer kind instead of inferring it from the config.

    Returns
    -------
    LoadedModel
        The model in eval mode on ``device``.

    Notes
    -----
    Weights load through transformers, which prefers ``*.safetensors`` and reads legacy ``.bin`` files only with
    ``torch.load(weights_only=True)``; valueshift never unpickles arbitrary objects.
    """
    import transformers
    from transformers import AutoConfig, AutoTokenizer

    name = str(name_or_path)
    path = Path(name).expanduser()
    if _looks_like_path(name) and not path.is_dir():
        raise ModelError(f"{name}: no such model directory (expected a save_pretrained folder or a hub id)")
    if path.is_dir() and not (path / "config.json").is_file():
        raise ModelError(f"{name}: not a model directory (no config.json); build one with `valueshift model tiny`")
    source = str(path) if path.is_dir() else name
    try:
        config = AutoConfig.from_pretrained(source, trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"cannot load model {name!r}: {str(exc).splitlines()[0]} - pass a local directory, or download the "
            "checkpoint where a hub is reachable first"
        ) from exc
    kind = kind or model_kind(config)
    auto_cls = {
        "seq2seq": transformers.AutoModelForSeq2SeqLM,
        "masked": transformers.AutoModelForMaskedLM,
        "causal": transformers.AutoModelForCausalLM,
    }[kind]
    torch_device = resolve_device(device)
    torch_dtype = resolve_dtype(dtype, torch_device)
    hf_logging = transformers.utils.logging
    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    # valueshift shows its own progress; transformers' per-load bars and the untied-lm_head notice that every
    # real mT5 checkpoint triggers are noise here
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=trust_remote_code)
        model = auto_cls.from_pretrained(source, config=config, dtype=torch_dtype, trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load model {name!r}: {str(exc).splitlines()[0]}") from exc
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()
    if not getattr(tokenizer, "is_fast", False):
        raise ModelError(f"{name}: valueshift needs a tokenizers-backed (fast) tokenizer for offset mapping")
    model.to(torch_device).eval()
    return LoadedModel(model, tokenizer, kind, name, torch_device, torch_dtype)


def load_tokenizer(name_or_path: str | os.PathLike[str], *, trust_remote_code: bool = False) -> Any:
    """Only the tokenizer of a checkpoint (checking probes needs no weights)."""
    from transformers import AutoTokenizer

    name = str(name_or_path)
    path = Path(name).expanduser()
    if _looks_like_path(name) and not path.is_dir():
        raise ModelError(f"{name}: no such model directory (expected a save_pretrained folder or a hub id)")
    try:
        return AutoTokenizer.from_pretrained(str(path) if path.is_dir() else name, trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load the tokenizer of {name!r}: {str(exc).splitlines()[0]}") from exc
