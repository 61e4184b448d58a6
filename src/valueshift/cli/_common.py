"""Option types shared by several commands."""

from __future__ import annotations

import typer

QuietOption = typer.Option(False, "--quiet", "-q", help="No progress bars.")
OverwriteOption = typer.Option(False, "--overwrite", help="Redo a finished run in --out.")
SeedOption = typer.Option(0, "--seed", help="Seed for python, numpy and torch.")
