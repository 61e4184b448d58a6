"""``valueshift model tiny``: build a small offline model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from valueshift.cli._common import OverwriteOption

__all__ = ["register"]


def tiny(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the model to (HF save_pretrained layout).")],
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random weights.")] = 0,
    size: Annotated[Literal["tiny", "small"], typer.Option("--size", help="tiny (~1.8M params) or small (~12M).")] = (
        "tiny"
    ),
    kind: Annotated[
        Literal["seq2seq", "masked", "causal"],
        typer.Option("--kind", help="seq2seq (mT5), masked (XLM-R) or causal (Llama)."),
    ] = "seq2seq",
    overwrite: Annotated[bool, OverwriteOption] = False,
) -> None:
    """Build a small random-init model with the project's multilingual tokenizer, offline and deterministic."""
    from valueshift.models import build_tiny_model

    path = build_tiny_model(out, seed=seed, size=size, kind=kind, overwrite=overwrite)
    typer.echo(f"wrote {kind} {size} model (seed {seed}) to {path}")


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help="Build models for offline work.", no_args_is_help=True)
    sub.command("tiny")(tiny)
    app.add_typer(sub, name="model")
