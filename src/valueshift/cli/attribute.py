"""``valueshift attribute``: which fine-tuning examples moved a probe's value; ``attribute validate``: LDS."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from valueshift.attribution.config import AttributionConfig
from valueshift.cli._common import default, option

attribute_app = typer.Typer(
    help="Attribute probe values of a fine-tuned model to its training examples (TRAK, TracIn, cosine, BM25).",
    invoke_without_command=True,
    no_args_is_help=False,
)


A = AttributionConfig


@attribute_app.callback()
def attribute(
    ctx: typer.Context,
    run: Path | None = typer.Option(None, "--run", help="Fine-tuning run directory (train_examples.parquet)."),
    probes: str | None = typer.Option(None, "--probes", "-p", help="Probe spec (builtin-wvs, a .jsonl, ...)."),
    langs: str = typer.Option("all", "--langs", "-l", help="Test languages, comma-separated, or 'all'."),
    targets: str = typer.Option("all", "--targets", help="'all' or probe ids, comma-separated."),
    # plain strings: a bad choice is named in one line by the config, like every other setting
    method: Annotated[str, option(A, "method", "--method")] = default(A, "method"),
    top_k: Annotated[int, option(A, "top_k", "--top-k")] = default(A, "top_k"),
    proj_dim: Annotated[int, option(A, "proj_dim", "--proj-dim")] = default(A, "proj_dim"),
    params: Annotated[str, option(A, "params", "--params")] = default(A, "params"),
    checkpoints: Annotated[str, option(A, "checkpoints", "--checkpoints")] = default(A, "checkpoints"),
    views: Annotated[str, option(A, "views", "--views")] = default(A, "views"),
    damping: Annotated[float, option(A, "damping", "--damping")] = default(A, "damping"),
    exact_targets: Annotated[bool, option(A, "exact_targets", "--exact-targets/--projected-targets")] = default(
        A, "exact_targets"
    ),
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
    selection: str | list[str] = params if params in ("default", "all") else [p.strip() for p in params.split(",")
                                                                              if p.strip()]  # fmt: skip
    path = run_attribute(run, probes, out, langs=langs, targets=targets, method=method, top_k=top_k,
                         proj_dim=proj_dim, device=device, overwrite=overwrite, quiet=quiet, params=selection,
                         checkpoints=checkpoints, views=views, damping=damping,
                         exact_targets=exact_targets)  # fmt: skip
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
