"""``valueshift analyze``: value shifts, similarity, human alignment and figures from probe tables."""

from __future__ import annotations

from pathlib import Path

import typer

from valueshift.cli._common import OverwriteOption, QuietOption

__all__ = ["register"]


def analyze_cmd(
    base: Path = typer.Option(..., "--base", help="Run dir (or probe_scores.parquet) of the base model."),
    tuned: list[Path] = typer.Option(
        ..., "--tuned", help="Run dir (or parquet) of a tuned model; repeat for seeds and conditions."
    ),
    out: Path = typer.Option(..., "--out", help="Output directory."),
    label: list[str] = typer.Option(
        [],
        "--label",
        help="Condition label per --tuned, in order; tables sharing a label are seeds. "
        "Default: the tuned dir name without a -seedN suffix.",
    ),
    human: list[str] = typer.Option(
        ["wvs-moral"], "--human", help="Human data: wvs-moral, hofstede, an imported WVS parquet, or none."
    ),
    threshold: float = typer.Option(0.5, "--threshold", help="|delta| (log-odds) above which a probe is shifted."),
    alpha: float = typer.Option(0.05, "--alpha", help="FDR level for significance (several seeds)."),
    n_boot: int = typer.Option(2000, "--n-boot", help="Bootstrap resamples of the seeds."),
    n_perm: int = typer.Option(9999, "--n-perm", help="Permutations (Mantel, sign-flip beyond 12 seeds)."),
    groups: str = typer.Option("center", "--groups", help="Option probes in profiles: center, keep or drop."),
    orient: bool = typer.Option(True, "--orient/--no-orient", help="Orient profile values by probe direction."),
    zscore: bool = typer.Option(False, "--zscore", help="Z-score each language's profile."),
    finetune_langs: str = typer.Option(
        "fa,ko,hi,ru",
        "--finetune-langs",
        help="Fine-tuning languages for the cultural-distance table ('' = skip).",
    ),
    intersect: bool = typer.Option(
        False, "--intersect", help="Analyse shared probes instead of failing on a mismatch."
    ),
    figures: bool = typer.Option(True, "--figures/--no-figures", help="Write PNG + SVG figures."),
    seed: int = typer.Option(0, "--seed", help="Seed of every resampling step."),
    overwrite: bool = OverwriteOption,
    quiet: bool = QuietOption,
) -> None:
    """Compare a base model's probe table with tuned ones: shifts, similarity, alignment, figures."""
    from valueshift.analysis import AnalysisConfig, ProfileOptions, analyze
    from valueshift.langs import parse_langs

    sources = tuple(h for h in human if h.lower() != "none")
    ft = tuple(parse_langs(finetune_langs, finetune_langs.split(","))) if finetune_langs.strip() else ()
    config = AnalysisConfig(
        threshold=threshold, alpha=alpha, n_boot=n_boot, n_perm=n_perm, seed=seed,
        profile=ProfileOptions(orient=orient, groups=groups, zscore=zscore),  # type: ignore[arg-type]
        human=sources, finetune_langs=ft, intersect=intersect, figures=figures,
    )  # fmt: skip
    result = analyze(base, tuned, out, labels=label or None, config=config, overwrite=overwrite)
    if not quiet:
        for note in result.summary.get("notes", []):
            typer.echo(f"note: {note}", err=True)
    for label_, info in result.summary["conditions"].items():
        typer.echo(
            f"{label_}: {info['n_seeds']} seed(s), {info['n_shifted']} of {info['n_probes']} probe-language "
            f"pairs shifted, {info['n_flipped']} flipped"
        )
    typer.echo(f"analysis written to {result.out}")


def register(app: typer.Typer) -> None:
    """Add ``analyze`` to the CLI."""
    app.command("analyze")(analyze_cmd)
