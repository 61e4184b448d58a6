"""``valueshift probe``: score a model on value probes."""

from __future__ import annotations

from pathlib import Path

import typer

from valueshift.cli._common import OverwriteOption, QuietOption


def probe(
    model: str = typer.Option(..., "--model", "-m", help="Hub id (google/mt5-small) or local model directory."),
    probes: str = typer.Option(
        ..., "--probes", "-p", help="arora-wvs:DIR, arora-hofstede:DIR, a .jsonl file, or a builtin set name."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Run directory for probe_scores.parquet + manifest.json."),
    langs: str = typer.Option("all", "--langs", "-l", help="Comma-separated ISO 639-1 codes, or 'all'."),
    normalize: str = typer.Option("sum", "--normalize", help="sum | mean | char | pmi (see docs/scoring.md)."),
    batch_size: int = typer.Option(32, "--batch-size", help="Prompts per forward pass; results do not depend on it."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda"),
    dtype: str = typer.Option("auto", "--dtype", help="auto (float32) | float32 | bfloat16 | float16"),
    average_templates: bool = typer.Option(
        False,
        "--average-templates",
        help="One row per probe: mean value over paraphrased templates, plus spread.",
    ),
    strict: bool = typer.Option(False, "--strict", help="Fail on any invalid probe instead of skipping it."),
    trust_remote_code: bool = typer.Option(
        False,
        "--trust-remote-code",
        help="Run code shipped with the checkpoint (off: it executes arbitrary Python).",
    ),
    overwrite: bool = OverwriteOption,
    quiet: bool = QuietOption,
) -> None:
    """Score a model on cloze value probes; write one row per (language, probe)."""
    from valueshift.scoring import run_probe

    path = run_probe(
        model, probes, out, langs=langs, normalize=normalize, batch_size=batch_size, device=device, dtype=dtype,
        average_templates=average_templates, strict=strict, trust_remote_code=trust_remote_code,
        overwrite=overwrite, quiet=quiet,
    )  # fmt: skip
    typer.echo(f"wrote {path}")


def register(app: typer.Typer) -> None:
    app.command("probe")(probe)
