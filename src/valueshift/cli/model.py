"""``valueshift model tiny`` (a small random-init offline model) and ``valueshift model pretrain`` (the same model
pretrained with span corruption on the shipped multilingual texts)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from valueshift.cli._common import OverwriteOption, QuietOption

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


def pretrain(
    out: Annotated[Path, typer.Option("--out", help="Run directory of the pretrained model (loadable as a model).")],
    size: Annotated[Literal["tiny", "small"], typer.Option("--size", help="tiny (~1.8M params) or small (~12M).")] = (
        "tiny"
    ),
    seed: Annotated[int, typer.Option("--seed", help="Seed of the initial weights, data order and noise.")] = 0,
    epochs: Annotated[int | None, typer.Option("--epochs", help="Passes over the shipped texts.")] = None,
    lr: Annotated[float | None, typer.Option("--lr", help="Peak learning rate.")] = None,
    steps: Annotated[int | None, typer.Option("--steps", help="Stop after this many steps (default: all epochs).")] = (
        None
    ),
    overwrite: Annotated[bool, OverwriteOption] = False,
    quiet: Annotated[bool, QuietOption] = False,
) -> None:
    """Pretrain the tiny seq2seq model with span corruption on the shipped texts (probe sentences left out)."""
    from valueshift.models.pretrain import PRETRAIN_EPOCHS, PRETRAIN_LR, build_pretrained_tiny_model

    path = build_pretrained_tiny_model(
        out, size=size, seed=seed, epochs=epochs or PRETRAIN_EPOCHS, lr=lr or PRETRAIN_LR, steps=steps,
        overwrite=overwrite, quiet=quiet,
    )  # fmt: skip
    typer.echo(f"wrote pretrained seq2seq {size} model (seed {seed}) to {path}")


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help="Build models for offline work.", no_args_is_help=True)
    sub.command("tiny")(tiny)
    sub.command("pretrain")(pretrain)
    app.add_typer(sub, name="model")
