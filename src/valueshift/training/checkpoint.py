"""Checkpoints in HF layout plus the trainer state a resume needs; LoRA adapters and their merged weights.

Lifecycle: ``apply_lora(model, settings)`` (optional, before training) -> ``save_model_dir(model, tokenizer, dir)``
for each checkpoint and the final model -> ``save_trainer_state`` next to it -> on resume
``latest_checkpoint(run)`` -> ``load_weights(model, ckpt)`` + ``load_trainer_state(ckpt)``.

A checkpoint directory ``checkpoints/step-<k>/`` holds

- ``model.safetensors``, ``config.json``, tokenizer files: a plain ``save_pretrained`` model (for LoRA runs the
  adapters are merged into the weights, so scoring and attribution load it like any checkpoint);
- ``adapter/`` (LoRA runs only): the peft adapter, which is what a resume loads;
- ``trainer_state.pt``: optimizer, scheduler and RNG states and the data position, written with ``torch.save``
  of tensors and plain containers only and read back with ``weights_only=True``;
- ``trainer_state.json``: the same position in readable form.

Every directory is built under a temporary name and renamed into place, so a kill never leaves half a checkpoint.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from valueshift.errors import TrainingError
from valueshift.runs import atomic_dir
from valueshift.training.config import LoraSettings

__all__ = [
    "apply_lora",
    "base_model",
    "latest_checkpoint",
    "load_trainer_state",
    "load_weights",
    "merged_state_dict",
    "save_model_dir",
    "save_trainer_state",
    "write_dir_atomic",
]

_STEP = re.compile(r"^step-(\d+)$")


def apply_lora(model: Any, settings: LoraSettings, kind: str) -> Any:
    """Wrap ``model`` with LoRA adapters (peft); only the adapters train."""
    from peft import LoraConfig, TaskType, get_peft_model

    from valueshift.models.kinds import get_kind

    peft_task = get_kind(kind).peft_task
    task = TaskType[peft_task] if peft_task else None
    cfg = LoraConfig(
        r=settings.r, lora_alpha=settings.alpha, lora_dropout=settings.dropout,
        target_modules=settings.target_modules, task_type=task,
    )  # fmt: skip
    try:
        return get_peft_model(model, cfg)
    except ValueError as exc:
        raise TrainingError(f"--lora: {str(exc).splitlines()[0]}; name the layers with --lora-targets") from exc


def is_peft(model: Any) -> bool:
    return hasattr(model, "peft_config")


def base_model(model: Any) -> Any:
    """The transformers model under a peft wrapper (or ``model`` itself)."""
    return model.get_base_model() if is_peft(model) else model


def merged_state_dict(model: Any) -> dict[str, Any]:
    """Weights with LoRA updates added (W + B A * scale), under the base model's own names.

    Computed on copies: merging in place and unmerging afterwards would not restore W bit for bit, and
    identical seeds must give identical weights.
    """
    from peft.tuners.lora import LoraLayer

    base = base_model(model)
    deltas = {name: mod.get_delta_weight(mod.active_adapters[0])  # type: ignore[attr-defined]
              for name, mod in base.named_modules()
              if isinstance(mod, LoraLayer)}  # fmt: skip
    out: dict[str, Any] = {}
    for key, value in base.state_dict().items():
        if ".lora_" in key:
            continue
        name = key.replace(".base_layer.", ".")
        module = name.rsplit(".", 1)[0]
        if ".base_layer." in key and name.endswith(".weight") and module in deltas:
            value = value + deltas[module].to(value.dtype)
        out[name] = value.detach()
    return out


def write_dir_atomic(target: Path, fill: Any) -> Path:
    """Call ``fill(tmp_dir)``, then rename ``tmp_dir`` onto ``target`` (replacing it)."""
    with atomic_dir(target) as tmp:
        fill(tmp)
    return target


def save_model_dir(model: Any, tokenizer: Any, directory: Path, *, merged: bool = True) -> None:
    """Write ``model`` and ``tokenizer`` with ``save_pretrained`` (safetensors) into ``directory``; a LoRA model
    is written as ``adapter/`` plus, if ``merged``, the merged weights."""
    directory.mkdir(parents=True, exist_ok=True)
    if is_peft(model):
        if merged:
            base_model(model).save_pretrained(directory, state_dict=merged_state_dict(model), safe_serialization=True)
        model.save_pretrained(directory / "adapter", safe_serialization=True)
    else:
        model.save_pretrained(directory, safe_serialization=True)
    tokenizer.save_pretrained(directory)


def save_trainer_state(directory: Path, state: dict[str, Any], readable: dict[str, Any]) -> None:
    import torch

    torch.save(state, directory / "trainer_state.pt")
    (directory / "trainer_state.json").write_text(json.dumps(readable, indent=2, sort_keys=True) + "\n")


def load_trainer_state(directory: Path) -> dict[str, Any]:
    import torch

    path = directory / "trainer_state.pt"
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated or foreign file: say which and what to do
        raise TrainingError(
            f"{path}: cannot read the trainer state ({exc}); delete this checkpoint to resume from an earlier one, "
            "or pass --overwrite"
        ) from exc


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The complete checkpoint with the highest step under ``run_dir/checkpoints``, or None."""
    root = run_dir / "checkpoints"
    if not root.is_dir():
        return None
    found = [(int(m.group(1)), p) for p in root.iterdir() if (m := _STEP.match(p.name))]
    found = [(k, p) for k, p in found if (p / "trainer_state.pt").is_file()]
    return max(found)[1] if found else None


def load_weights(model: Any, directory: Path) -> None:
    """Load the trainable state saved in ``directory`` into ``model`` (the adapter for LoRA, else all weights)."""
    from safetensors.torch import load_file

    if is_peft(model):
        from peft import set_peft_model_state_dict

        f = directory / "adapter" / "adapter_model.safetensors"
        set_peft_model_state_dict(model, load_file(f))
        return
    f = directory / "model.safetensors"
    if not f.is_file():
        raise TrainingError(f"{directory}: no model.safetensors; delete this checkpoint or pass --overwrite")
    state = load_file(f)
    missing, unexpected = model.load_state_dict(state, strict=False)
    # tied weights (mT5's shared/encoder/decoder embeddings) are stored once; a missing key is fine only if it
    # shares memory with a key that was loaded
    params = dict(model.state_dict())
    loaded_ptrs = {params[k].data_ptr() for k in state if k in params}
    real_missing = [k for k in missing if params[k].data_ptr() not in loaded_ptrs]
    if real_missing or unexpected:
        raise TrainingError(
            f"{f}: does not match the model (missing {real_missing[:3]}, unexpected {list(unexpected)[:3]}); "
            "was it written by another model? pass --overwrite to start afresh"
        )
