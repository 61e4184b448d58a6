"""``valueshift model tiny``: build a small offline model."""

from __future__ import annotations

from pathlib import Path

import typer

from valueshift.cli._common import OverwriteOption


def tiny(
    out: Path = typer.Option(..., "--out", help="Directory to write the model to (HF save_pretrained layout)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the random weights."),
    size: str = typer.Option("tiny", "--size", help="tiny (~1.8M params) or small (~12M)."),
    kind: str = typer.Option("seq2seq", "--kind", help="seq2seq (mT5), masked (XLM-R) or causal (Llama)."),
    overwrite: bool = OverwriteOption,
) -> None:
    """Build a small random-init model with the project's multilingual tokenizer, offline and deterministic."""
    from valueshift.models import build_tiny_model

    path = build_tiny_model(out, seed=seed, size=size, kind=kind, overwrite=overwrite)  # type: ignore[arg-type]
    typer.echo(f"wrote {kind} {size} model (seed {seed}) to {path}")


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help="Build models for offline work.", no_args_is_help=True)
    sub.command("tiny")(tiny)
    app.add_typer(sub, name="model")
