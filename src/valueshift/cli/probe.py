"""``valueshift probe``: score a model on value probes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from valueshift.cli._common import (
    DeviceOption,
    OverwriteOption,
    QuietOption,
    TrustRemoteCodeOption,
    WaitOption,
    default,
    option,
)
from valueshift.scoring.config import Dtype, ProbeConfig
from valueshift.scoring.normalize import Normalization

__all__ = ["register"]

P = ProbeConfig


def probe(
    model: Annotated[str, option(P, "model", "--model", "-m")],
    probes: Annotated[str, option(P, "probes", "--probes", "-p")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Run directory for probe_scores.parquet + manifest.")],
    langs: Annotated[str, option(P, "langs", "--langs", "-l")] = default(P, "langs"),
    normalize: Annotated[Normalization, option(P, "normalize", "--normalize")] = default(P, "normalize"),
    dtype: Annotated[Dtype, option(P, "dtype", "--dtype")] = default(P, "dtype"),
    average_templates: Annotated[bool, option(P, "average_templates", "--average-templates")] = default(
        P, "average_templates"
    ),
    strict: Annotated[bool, option(P, "strict", "--strict")] = default(P, "strict"),
    batch_size: Annotated[
        int, typer.Option("--batch-size", help="Prompts per forward pass; results do not depend on it.")
    ] = 32,
    device: Annotated[str, DeviceOption] = "auto",
    trust_remote_code: Annotated[bool, TrustRemoteCodeOption] = False,
    overwrite: Annotated[bool, OverwriteOption] = False,
    wait: Annotated[bool, WaitOption] = False,
    quiet: Annotated[bool, QuietOption] = False,
) -> None:
    """Score a model on cloze value probes; write one row per (language, probe)."""
    from valueshift.scoring import run_probe

    config = ProbeConfig.build(model=model, probes=probes, langs=langs, normalize=normalize, dtype=dtype,
                               average_templates=average_templates, strict=strict)  # fmt: skip
    path = run_probe(config, out, batch_size=batch_size, device=device, trust_remote_code=trust_remote_code,
                     overwrite=overwrite, wait=wait, quiet=quiet)  # fmt: skip
    typer.echo(f"wrote {path}")


def register(app: typer.Typer) -> None:
    app.command("probe")(probe)
