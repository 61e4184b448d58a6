"""``valueshift finetune``: fine-tune a model on a multi-parallel corpus (thin wrapper over
:func:`valueshift.training.finetune`)."""

from __future__ import annotations

from pathlib import Path

import typer

from valueshift.cli._common import OverwriteOption, QuietOption

__all__ = ["register"]


def finetune_command(
    model: str = typer.Option(..., "--model", help="Hub id or save_pretrained directory."),
    corpus: str = typer.Option(
        ..., "--corpus", help="textdir:PATH, flores:PATH, tanzil:PATH, bible-xml:PATH or ntrex:PATH."
    ),
    langs: str = typer.Option(..., "--langs", help="Fine-tuning languages, e.g. fa,ko,hi,ru."),
    size: int = typer.Option(..., "--size", help="Sentences (per language unless --size-per total)."),
    strategy: str = typer.Option(..., "--strategy", help="mono: DIR/<lang>/ per language; multi: DIR/multi/."),
    out: Path = typer.Option(..., "--out", help="Parent directory of the run directories."),
    epochs: int = typer.Option(1, "--epochs"),
    lr: float = typer.Option(3e-4, "--lr", help="Peak learning rate (linear warmup, then linear decay)."),
    batch_size: int = typer.Option(16, "--batch-size"),
    grad_accum: int = typer.Option(1, "--grad-accum", help="Batches per optimizer step."),
    max_length: int = typer.Option(256, "--max-length", help="Tokens kept per sentence."),
    max_steps: int | None = typer.Option(None, "--max-steps", help="Stop after this many steps."),
    seed: int = typer.Option(0, "--seed", help="Sampling, data order, noise, dropout."),
    lora: bool = typer.Option(False, "--lora", help="Train LoRA adapters (saved merged + adapter/)."),
    lora_r: int = typer.Option(8, "--lora-r"),
    lora_alpha: int = typer.Option(16, "--lora-alpha"),
    lora_targets: str | None = typer.Option(None, "--lora-targets", help="Comma-separated module names."),
    save_every: int = typer.Option(0, "--save-every", help="Checkpoint every K steps (0: final model only)."),
    size_per: str = typer.Option("lang", "--size-per", help="lang: --size per language; total: per run."),
    align: str = typer.Option("strict", "--align", help="strict, or intersect (units in all languages)."),
    min_chars: int = typer.Option(1, "--min-chars", help="Drop units shorter than this in any language."),
    max_chars: int | None = typer.Option(None, "--max-chars", help="Drop units longer than this."),
    precision: str = typer.Option("auto", "--precision", help="auto, fp32, bf16 or fp16 (autocast)."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    overwrite: bool = OverwriteOption,
    quiet: bool = QuietOption,
) -> None:
    """Fine-tune MODEL on SIZE sentences of CORPUS per language (mono) or on all languages at once (multi)."""
    from valueshift.training import finetune

    runs = finetune(
        model, corpus, langs, size, strategy, out,  # type: ignore[arg-type]
        epochs=epochs, lr=lr, batch_size=batch_size, seed=seed,
        lora=lora, lora_r=lora_r, lora_alpha=lora_alpha,
        lora_targets=[t.strip() for t in lora_targets.split(",")] if lora_targets else None,
        save_every=save_every, size_per=size_per, align=align, min_chars=min_chars,  # type: ignore[arg-type]
        max_chars=max_chars, overwrite=overwrite, device=device, quiet=quiet, grad_accum=grad_accum,
        max_length=max_length, max_steps=max_steps, precision=precision,
    )  # fmt: skip
    for path in runs:
        typer.echo(f"wrote {path}")


def register(app: typer.Typer) -> None:
    app.command("finetune")(finetune_command)
