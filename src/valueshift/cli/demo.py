"""``valueshift demo``: the whole pipeline on embedded defaults, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from valueshift.cli._common import QuietOption

__all__ = ["register"]


def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the demo's run directories.")] = Path("runs/demo"),
    size: Annotated[
        Literal["small", "tiny"], typer.Option("--size", help="small (~12M params, default) or tiny (~1.8M) mT5.")
    ] = "small",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the model and the fine-tuning run.")] = 0,
    quiet: Annotated[bool, QuietOption] = False,
) -> None:
    """Build a tiny mT5, probe it, fine-tune it on fa/ko/hi/ru, probe again and analyse the shifts."""
    from valueshift.demo import run_demo

    path = run_demo(out, size=size, seed=seed, quiet=quiet)
    typer.echo(f"demo finished: {path}")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
