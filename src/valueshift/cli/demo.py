"""``valueshift demo``: ``experiments/demo.toml`` through the experiment grid, on embedded defaults, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from valueshift.cli._common import QuietOption

__all__ = ["register"]


def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder of the demo grid's run directories.")] = Path("runs/demo"),
    experiment: Annotated[
        Path | None, typer.Option("--experiment", help="Experiment file (default: experiments/demo.toml).")
    ] = None,
    jobs: Annotated[int, typer.Option("--jobs", min=1, help="Nodes run at once (processes).")] = 1,
    quiet: Annotated[bool, QuietOption] = False,
) -> None:
    """Known truth on a tiny offline mT5: plant an answer in German lines, recover it, its echo, its lines; report."""
    from valueshift.demo import DEMO_EXPERIMENT, run_demo

    path = run_demo(out, experiment=experiment or DEMO_EXPERIMENT, jobs=jobs, quiet=quiet)
    typer.echo(f"demo finished: results in {out}, report in {path / 'report.html'}")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
