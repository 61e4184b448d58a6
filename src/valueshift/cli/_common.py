"""Option helpers shared by the commands: defaults and help texts come from the stage configs, written once."""

from __future__ import annotations

from typing import Any

import typer
from pydantic import BaseModel

__all__ = [
    "DeviceOption",
    "OverwriteOption",
    "QuietOption",
    "TrustRemoteCodeOption",
    "WaitOption",
    "default",
    "option",
]

QuietOption = typer.Option("--quiet", "-q", help="No progress bars.")
OverwriteOption = typer.Option(
    "--overwrite", help="Replace a finished valueshift run in --out (never touches files valueshift did not write)."
)
WaitOption = typer.Option("--wait", help="If another process is writing --out, wait for it instead of failing.")
DeviceOption = typer.Option("--device", help="auto (cuda when available), cpu or cuda.")
TrustRemoteCodeOption = typer.Option(
    "--trust-remote-code", help="Run code shipped with the checkpoint (off: it executes arbitrary Python)."
)


def option(model: type[BaseModel], field: str, *flags: str, **kwargs: Any) -> Any:
    """A typer option whose help is the config field's description."""
    description = model.model_fields[field].description or ""
    return typer.Option(*flags, help=description[:1].upper() + description[1:] + ".", **kwargs)


def default(model: type[BaseModel], field: str) -> Any:
    """The config field's default (the only place it is written)."""
    return model.model_fields[field].get_default(call_default_factory=True)
