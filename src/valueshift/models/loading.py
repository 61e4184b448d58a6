"""Load any Hugging Face checkpoint (hub id or local directory) for scoring or training.

The scorer is chosen from the config: encoder-decoder models are ``seq2seq`` (mT5, T5), configs whose
architecture is a ``...ForMaskedLM`` are ``masked`` (XLM-R, mBERT), decoder-only LMs are ``causal``.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from valueshift.errors import ModelError
from valueshift.models.tokenizer import TOKENIZER_FILES, check_tokenizer_fit
from valueshift.textio import read_utf8

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
# Pickle-based weight files: loading them can run arbitrary code, so valueshift refuses them.
_PICKLED = ("*.bin", "*.pt", "*.pth", "*.ckpt", "*.pkl")
_CONVERT = (
    "valueshift never unpickles checkpoints: convert the weights to model.safetensors where you trust the file "
    "(e.g. load it and call save_pretrained(dir, safe_serialization=True))"
)


def _looks_like_path(name: str) -> bool:
    """Hub ids are ``name`` or ``org/name``; anything else (``./x``, ``/abs``, ``a/b/c``) is a local path."""
    return not _HUB_ID.match(name)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else 'no message'}"


def _local_dir(name: str) -> Path | None:
    """The model directory ``name`` names, None for a hub id; an error for a path that is no model directory."""
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelError(f"{name}: not a model directory (no config.json); build one with `valueshift model tiny`")
        return path
    if path.exists():
        raise ModelError(f"{name}: is a file; pass the save_pretrained folder that holds config.json")
    if _looks_like_path(name):
        raise ModelError(f"{name}: no such model directory (expected a save_pretrained folder or a hub id)")
    return None


def _check_config_json(path: Path, trust_remote_code: bool) -> None:
    file = path / "config.json"
    try:
        config = json.loads(read_utf8(file, ModelError))
    except json.JSONDecodeError as exc:
        raise ModelError(
            f"{file}:{exc.lineno}: invalid JSON ({exc.msg}); restore config.json from the checkpoint"
        ) from exc
    if not isinstance(config, dict):
        raise ModelError(f"{file}:1: must be a JSON object; restore config.json from the checkpoint")
    if "auto_map" in config and not trust_remote_code:
        raise ModelError(
            f"{file}: declares custom model code (auto_map), which runs arbitrary Python; pass "
            "--trust-remote-code (trust_remote_code=True) only if you trust this checkpoint"
        )
    _check_model_type(file, config.get("model_type"), "auto_map" in config)


def _check_model_type(file: Path, model_type: object, custom: bool) -> None:
    import transformers
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES

    if custom:  # custom code defines its own type
        return
    if not isinstance(model_type, str) or not model_type:
        raise ModelError(f"{file}: no model_type field; restore config.json from the checkpoint")
    if model_type not in CONFIG_MAPPING_NAMES:
        raise ModelError(
            f"{file}: model_type {model_type!r} is unknown to transformers {transformers.__version__}; fix the "
            "field, or install a transformers version that knows the architecture"
        )


def _check_files(path: Path) -> None:
    """Weights in safetensors form with a readable header, and tokenizer files, before transformers sees them."""
    from safetensors import safe_open

    weights = sorted(path.glob("*.safetensors"))
    if not weights:
        pickled = sorted(p.name for pattern in _PICKLED for p in path.glob(pattern))
        if pickled:
            raise ModelError(f"{path}: holds only pickle weights ({', '.join(pickled)}); {_CONVERT}")
        raise ModelError(f"{path}: no model.safetensors; the directory holds no weights (save_pretrained writes them)")
    for file in weights:
        try:
            with safe_open(str(file), framework="pt"):
                pass
        except Exception as exc:  # SafetensorError and OSError: a cut-short copy or a foreign file
            raise ModelError(
                f"{file}: not a readable safetensors file ({_first_line(exc)}); the copy is probably truncated: "
                "copy or download it again"
            ) from exc
    if not any((path / f).is_file() for f in TOKENIZER_FILES):
        raise ModelError(
            f"{path}: no tokenizer files ({', '.join(TOKENIZER_FILES[:3])}, ...); without them transformers builds a "
            "default tokenizer that turns every word into <unk>: copy them from the checkpoint the weights came from"
        )


def _load_error(name: str, local: Path | None, exc: BaseException, what: str = "model") -> ModelError:
    if local is not None:
        return ModelError(
            f"{name}: cannot load the {what} ({_first_line(exc)}); check the files against the checkpoint it was "
            "saved from"
        )
    return ModelError(
        f"{name}: no such local directory, and cannot load it as a hub id ({_first_line(exc)}); pass a "
        "save_pretrained folder, or download the checkpoint where a hub is reachable first"
    )


def _embedding_rows(model: Any) -> int:
    return int(model.get_input_embeddings().weight.shape[0])


def _config_rows(config: Any) -> int | None:
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    rows = getattr(text, "vocab_size", None)
    return int(rows) if isinstance(rows, int) and rows > 0 else None


class _QuietTransformers:
    """valueshift shows its own progress; transformers' per-load bars and the untied-lm_head notice that every
    real mT5 checkpoint triggers are noise here."""

    def __enter__(self) -> None:
        from transformers.utils import logging as hf_logging

        self._log = hf_logging
        self._verbosity, self._bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()

    def __exit__(self, *exc: object) -> None:
        self._log.set_verbosity(self._verbosity)
        if self._bars:
            self._log.enable_progress_bar()


def _config_and_tokenizer(
    name: str, trust_remote_code: bool, kind: ModelKind | None
) -> tuple[Any, Any, ModelKind, Path | None, str]:
    """Everything but the weights, checked: config, tokenizer, scorer kind, local directory, source string."""
    from transformers import AutoConfig, AutoTokenizer

    local = _local_dir(name)
    if local is not None:
        _check_config_json(local, trust_remote_code)
        _check_files(local)
    source = str(local) if local is not None else name
    try:
        config = AutoConfig.from_pretrained(source, trust_remote_code=trust_remote_code)
    except Exception as exc:  # transformers raises OSError, ValueError, KeyError, ... for unusable configs
        raise _load_error(name, local, exc, "config") from exc
    if getattr(config, "auto_map", None) and not trust_remote_code:
        raise ModelError(
            f"{name}: the config declares custom model code (auto_map), which runs arbitrary Python; pass "
            "--trust-remote-code (trust_remote_code=True) only if you trust this checkpoint"
        )
    kind = kind or model_kind(config)
    with _QuietTransformers():
        try:
            tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=trust_remote_code)
        except Exception as exc:
            raise _load_error(name, local, exc, "tokenizer") from exc
    if not getattr(tokenizer, "is_fast", False):
        raise ModelError(f"{name}: valueshift needs a tokenizers-backed (fast) tokenizer for offset mapping")
    rows = _config_rows(config)
    if rows is not None:
        check_tokenizer_fit(tokenizer, rows, kind, name)
    return config, tokenizer, kind, local, source


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
        Run code shipped with the checkpoint. Off unless the user asks: it executes arbitrary Python, and a
        config that declares such code (``auto_map``) is refused without it.
    kind
        Force the scorer kind instead of inferring it from the config.

    Returns
    -------
    LoadedModel
        The model in eval mode on ``device``.

    Raises
    ------
    ModelError
        For every unusable input, before the weights are read where possible: a missing directory, invalid
        ``config.json``, an unknown ``model_type``, ``auto_map`` without ``trust_remote_code``, pickle-only
        weights, a truncated safetensors file, missing tokenizer files, or a tokenizer that does not fit the
        model (:func:`~valueshift.models.tokenizer.check_tokenizer_fit`).

    Notes
    -----
    Weights load only from ``*.safetensors``; valueshift never unpickles ``.bin`` checkpoints.
    """
    import transformers

    from valueshift.models.kinds import get_kind

    name = str(name_or_path)
    config, tokenizer, kind, local, source = _config_and_tokenizer(name, trust_remote_code, kind)
    auto_cls = getattr(transformers, get_kind(kind).auto_class)
    torch_device = resolve_device(device)
    torch_dtype = resolve_dtype(dtype, torch_device)
    with _QuietTransformers():
        try:
            model = auto_cls.from_pretrained(
                source, config=config, dtype=torch_dtype, trust_remote_code=trust_remote_code, use_safetensors=True
            )
        except Exception as exc:  # safetensors, torch and transformers each raise their own types
            raise _load_error(name, local, exc) from exc
    check_tokenizer_fit(tokenizer, _embedding_rows(model), kind, name)
    model.to(torch_device).eval()
    return LoadedModel(model, tokenizer, kind, name, torch_device, torch_dtype)


def load_tokenizer(name_or_path: str | os.PathLike[str], *, trust_remote_code: bool = False) -> Any:
    """Only the tokenizer of a checkpoint (checking probes needs no weights), checked against its config."""
    return _config_and_tokenizer(str(name_or_path), trust_remote_code, None)[1]
