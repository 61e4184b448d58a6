"""``valueshift demo``: the whole pipeline on embedded defaults, offline."""

from __future__ import annotations

from pathlib import Path

import typer

from valueshift.cli._common import QuietOption


def demo(
    out: Path = typer.Option(Path("runs/demo"), "--out", help="Folder for the demo's run directories."),
    size: str = typer.Option("small", "--size", help="small (~12M params, default) or tiny (~1.8M) mT5."),
    seed: int = typer.Option(0, "--seed", help="Seed of the model and the fine-tuning run."),
    quiet: bool = QuietOption,
) -> None:
    """Build a tiny mT5, probe it, fine-tune it on fa/ko/hi/ru, probe again and analyse the shifts."""
    from valueshift.demo import run_demo

    path = run_demo(out, size=size, seed=seed, quiet=quiet)
    typer.echo(f"demo finished: {path}")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
