"""``valueshift finetune``: fine-tune a model on a multi-parallel corpus (thin wrapper over
:func:`valueshift.training.finetune`; defaults and help come from the training configs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from valueshift.cli._common import (
    DeviceOption,
    OverwriteOption,
    QuietOption,
    TrustRemoteCodeOption,
    WaitOption,
    default,
    option,
)
from valueshift.training.config import CorpusSettings, LoraSettings, Precision, TrainConfig

__all__ = ["register"]

C, T, L = CorpusSettings, TrainConfig, LoraSettings


def finetune_command(
    model: Annotated[str, typer.Option("--model", help="Hub id or save_pretrained directory of the base model.")],
    corpus: Annotated[str, option(C, "spec", "--corpus")],
    langs: Annotated[str, option(C, "langs", "--langs")],
    size: Annotated[int, option(C, "size", "--size")],
    strategy: Annotated[
        Literal["mono", "multi"],
        typer.Option("--strategy", help="mono: one run per language in OUT/<lang>/; multi: one run in OUT/multi/."),
    ],
    out: Annotated[Path, typer.Option("--out", help="Parent directory of the run directories.")],
    epochs: Annotated[int, option(T, "epochs", "--epochs")] = default(T, "epochs"),
    lr: Annotated[float, option(T, "lr", "--lr")] = default(T, "lr"),
    batch_size: Annotated[int, option(T, "batch_size", "--batch-size")] = default(T, "batch_size"),
    grad_accum: Annotated[int, option(T, "grad_accum", "--grad-accum")] = default(T, "grad_accum"),
    max_length: Annotated[int, option(T, "max_length", "--max-length")] = default(T, "max_length"),
    max_steps: Annotated[int | None, option(T, "max_steps", "--max-steps")] = default(T, "max_steps"),
    seed: Annotated[int, option(T, "seed", "--seed")] = default(T, "seed"),
    save_every: Annotated[int, option(T, "save_every", "--save-every")] = default(T, "save_every"),
    precision: Annotated[Precision, option(T, "precision", "--precision")] = default(T, "precision"),
    lora: Annotated[bool, typer.Option("--lora", help="Train LoRA adapters instead of all weights.")] = False,
    lora_r: Annotated[int, option(L, "r", "--lora-r")] = default(L, "r"),
    lora_alpha: Annotated[int, option(L, "alpha", "--lora-alpha")] = default(L, "alpha"),
    lora_targets: Annotated[
        str | None, typer.Option("--lora-targets", help="Comma-separated module names (default: peft's).")
    ] = None,
    size_per: Annotated[Literal["lang", "total"], option(C, "size_per", "--size-per")] = default(C, "size_per"),
    align: Annotated[Literal["strict", "intersect"], option(C, "align", "--align")] = default(C, "align"),
    min_chars: Annotated[int, option(C, "min_chars", "--min-chars")] = default(C, "min_chars"),
    max_chars: Annotated[int | None, option(C, "max_chars", "--max-chars")] = default(C, "max_chars"),
    device: Annotated[str, DeviceOption] = "auto",
    trust_remote_code: Annotated[bool, TrustRemoteCodeOption] = False,
    overwrite: Annotated[bool, OverwriteOption] = False,
    wait: Annotated[bool, WaitOption] = False,
    quiet: Annotated[bool, QuietOption] = False,
) -> None:
    """Fine-tune MODEL on SIZE sentences of CORPUS per language (mono) or on all languages at once (multi)."""
    from valueshift.training import finetune

    targets = [t.strip() for t in lora_targets.split(",") if t.strip()] if lora_targets else None
    lora_cfg = LoraSettings.build(r=lora_r, alpha=lora_alpha, target_modules=targets) if lora else None
    runs = finetune(
        model, corpus, langs, size, strategy, out, lora=lora_cfg, size_per=size_per, align=align,
        min_chars=min_chars, max_chars=max_chars, device=device, trust_remote_code=trust_remote_code,
        overwrite=overwrite, wait=wait, quiet=quiet,
        epochs=epochs, lr=lr, batch_size=batch_size, grad_accum=grad_accum, max_length=max_length,
        max_steps=max_steps, seed=seed, save_every=save_every, precision=precision,
    )  # fmt: skip
    for path in runs:
        typer.echo(f"wrote {path}")


def register(app: typer.Typer) -> None:
    app.command("finetune")(finetune_command)
