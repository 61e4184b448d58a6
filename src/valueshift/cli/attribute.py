"""``valueshift attribute``: which fine-tuning examples moved a probe's value; ``attribute validate``: LDS."""

from __future__ import annotations

from pathlib import Path

import typer

attribute_app = typer.Typer(
    help="Attribute probe values of a fine-tuned model to its training examples (TRAK, TracIn, cosine, BM25).",
    invoke_without_command=True,
    no_args_is_help=False,
)


@attribute_app.callback()
def attribute(
    ctx: typer.Context,
    run: Path | None = typer.Option(None, "--run", help="Fine-tuning run directory (train_examples.parquet)."),
    probes: str | None = typer.Option(None, "--probes", "-p", help="Probe spec (builtin-wvs, a .jsonl, ...)."),
    langs: str = typer.Option("all", "--langs", "-l", help="Test languages, comma-separated, or 'all'."),
    targets: str = typer.Option("all", "--targets", help="'all' or probe ids, comma-separated."),
    method: str = typer.Option("trak", "--method", help="trak | tracin | cosine | lexical"),
    top_k: int = typer.Option(100, "--top-k", help="Examples kept per target and fine-tuning language."),
    proj_dim: int = typer.Option(2048, "--proj-dim", help="Gradient projection dimension."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Attribution run directory."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda"),
    overwrite: bool = typer.Option(False, "--overwrite", help="Redo a finished run in --out."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Attribute probe values to training examples; writes influence/top_examples/overlap/targets tables."""
    if ctx.invoked_subcommand is not None:
        return
    from valueshift.attribution import attribute as run_attribute
    from valueshift.errors import AttributionError

    missing = [name for name, v in (("--run", run), ("--probes", probes), ("--out", out)) if v is None]
    if missing:
        raise AttributionError(f"missing option(s) {', '.join(missing)}; see valueshift attribute --help")
    assert run is not None and probes is not None and out is not None
    path = run_attribute(run, probes, out, langs=langs, targets=targets, method=method, top_k=top_k,
                         proj_dim=proj_dim, device=device, overwrite=overwrite, quiet=quiet)  # fmt: skip
    typer.echo(f"wrote {path}")


@attribute_app.command("validate")
def validate(
    attribution: Path = typer.Option(..., "--attribution", help="A finished attribution run directory."),
    out: Path = typer.Option(..., "--out", "-o", help="Where lds.parquet goes."),
    subsets: int = typer.Option(10, "--subsets", help="Random halves to retrain on."),
    fraction: float = typer.Option(0.5, "--fraction", help="Share of (lang, unit_id) keys kept per subset."),
    seed: int = typer.Option(0, "--seed", help="Seed of the subsets."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda"),
    overwrite: bool = typer.Option(False, "--overwrite", help="Redo a finished run in --out."),
) -> None:
    """Linear datamodeling score: retrain on random subsets, correlate values with summed scores."""
    from valueshift.attribution import validate as run_validate

    path = run_validate(attribution, out, subsets=subsets, fraction=fraction, seed=seed, device=device,
                        overwrite=overwrite)  # fmt: skip
    typer.echo(f"wrote {path / 'lds.parquet'}")


def register(app: typer.Typer) -> None:
    app.add_typer(attribute_app, name="attribute")
