"""``valueshift analyze``: value shifts, similarity, human alignment and figures from probe tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from valueshift.analysis.config import AnalysisConfig
from valueshift.analysis.profiles import ProfileOptions
from valueshift.cli._common import OverwriteOption, QuietOption, WaitOption, default, option

__all__ = ["register"]

A, P = AnalysisConfig, ProfileOptions


def analyze_cmd(
    base: Annotated[Path, typer.Option("--base", help="Run dir (or probe_scores.parquet) of the base model.")],
    tuned: Annotated[
        list[Path], typer.Option("--tuned", help="Run dir (or parquet) of a tuned model; repeat for seeds/conditions.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Output run directory.")],
    label: Annotated[
        list[str] | None,
        typer.Option(
            "--label",
            help="Condition label per --tuned, in order; tables sharing a label are seeds. "
            "Default: the tuned dir name without a -seedN suffix.",
        ),
    ] = None,
    human: Annotated[list[str] | None, option(A, "human", "--human")] = None,
    threshold: Annotated[float, option(A, "threshold", "--threshold")] = default(A, "threshold"),
    alpha: Annotated[float, option(A, "alpha", "--alpha")] = default(A, "alpha"),
    n_boot: Annotated[int, option(A, "n_boot", "--n-boot")] = default(A, "n_boot"),
    n_perm: Annotated[int, option(A, "n_perm", "--n-perm")] = default(A, "n_perm"),
    ci_level: Annotated[float, option(A, "ci_level", "--ci-level")] = default(A, "ci_level"),
    groups: Annotated[Literal["center", "keep", "drop"], option(P, "groups", "--groups")] = default(P, "groups"),
    orient: Annotated[bool, option(P, "orient", "--orient/--no-orient")] = default(P, "orient"),
    zscore: Annotated[bool, option(P, "zscore", "--zscore")] = default(P, "zscore"),
    calibrate: Annotated[Literal["none", "pmi", "center", "pairs"], option(P, "calibrate", "--calibrate")] = default(
        P, "calibrate"
    ),
    finetune_langs: Annotated[
        str, typer.Option("--finetune-langs", help="Languages for the cultural-distance table ('' = skip).")
    ] = ",".join(default(A, "finetune_langs")),
    intersect: Annotated[bool, option(A, "intersect", "--intersect")] = default(A, "intersect"),
    seed: Annotated[int, option(A, "seed", "--seed")] = default(A, "seed"),
    figures: Annotated[bool, typer.Option("--figures/--no-figures", help="Also draw PNG + SVG figures.")] = True,
    overwrite: Annotated[bool, OverwriteOption] = False,
    wait: Annotated[bool, WaitOption] = False,
    quiet: Annotated[bool, QuietOption] = False,
) -> None:
    """Compare a base model's probe table with tuned ones: shifts, similarity, alignment, figures."""
    from valueshift.analysis import analyze

    config = AnalysisConfig.build(
        threshold=threshold, alpha=alpha, n_boot=n_boot, n_perm=n_perm, ci_level=ci_level, seed=seed,
        profile=ProfileOptions(orient=orient, groups=groups, zscore=zscore, calibrate=calibrate),
        human=tuple(human) if human else default(A, "human"), finetune_langs=finetune_langs, intersect=intersect,
    )  # fmt: skip
    result = analyze(base, tuned, out, labels=label or None, config=config, overwrite=overwrite, wait=wait)
    if figures:
        from valueshift.report import write_figures

        write_figures(out)
    if not quiet:
        for note in result.summary.get("notes", []):
            typer.echo(f"note: {note}", err=True)
    for label_, info in result.summary["conditions"].items():
        typer.echo(
            f"{label_}: {info['n_seeds']} seed(s), {info['n_shifted']} of {info['n_probes']} probe-language "
            f"pairs shifted, {info['n_flipped']} flipped"
        )
    typer.echo(f"analysis written to {out}")


def register(app: typer.Typer) -> None:
    """Add ``analyze`` to the CLI."""
    app.command("analyze")(analyze_cmd)
