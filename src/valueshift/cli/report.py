"""``valueshift report DIR -o report.html``: one self-contained HTML report of the runs below a folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from valueshift.cli._common import QuietOption

__all__ = ["register"]


def report_cmd(
    directory: Annotated[Path, typer.Argument(help="A grid output, an analysis directory or any run directory.")],
    out: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--out",
            help="HTML file to write (default: DIR/report.html, or DIR-report.html "
            "beside DIR when DIR is itself a run directory).",
        ),
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="Page title (default: from DIR's name).")] = None,
    quiet: Annotated[bool, QuietOption] = False,
) -> None:
    """Write one HTML file (inline figures, sortable tables, no network) of every run found below DIR."""
    from valueshift.report import build_report
    from valueshift.runs import MANIFEST

    if out is None:
        is_run = (directory / MANIFEST).is_file()
        out = directory.parent / f"{directory.resolve().name}-report.html" if is_run else directory / "report.html"
    path = build_report(directory, out, title=title)
    if not quiet:
        typer.echo(f"report written to {path} ({path.stat().st_size / 1e6:.2f} MB)")


def register(app: typer.Typer) -> None:
    """Add ``report`` to the CLI."""
    app.command("report")(report_cmd)
