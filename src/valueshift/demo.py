"""The main job on embedded defaults (``make demo``): the study's pipeline end to end, offline, on CPU.

1. build a tiny mT5 with the project's tokenizer (``valueshift model tiny``);
2. probe it on the builtin WVS-7 set in every language the set has (``valueshift probe``);
3. fine-tune it multilingually on the builtin parallel sample in fa, ko, hi, ru (``valueshift finetune``);
4. probe the tuned model the same way;
5. compare them: shifts, cross-language similarity and its preservation, alignment with WVS-7 moral means
   (``valueshift analyze``), with figures.

Each stage is a run directory under ``--out``; a finished stage is reused, so an interrupted demo resumes. The
weights are random, so the numbers mean nothing; the point is that every code path real checkpoints use runs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

__all__ = ["run_demo"]

FINETUNE_LANGS = "fa,ko,hi,ru"


def run_demo(out: Path, *, size: str = "small", seed: int = 0, quiet: bool = False) -> Path:
    """Run the demo pipeline into ``out`` and return the analysis directory.

    Every stage is a keyed run directory, so a rerun reuses finished stages and resumes an interrupted one.
    """
    from rich.console import Console

    from valueshift.analysis import AnalysisConfig, analyze
    from valueshift.models import build_tiny_model
    from valueshift.report import write_figures
    from valueshift.scoring import ProbeConfig, run_probe
    from valueshift.training import finetune

    console = Console(stderr=True, quiet=quiet)
    model = out / "model"
    if not (model / "config.json").is_file():
        console.print(f"[bold]1/5[/] building a {size} mT5 (seed {seed})")
        build_tiny_model(model, size=size, seed=seed)  # type: ignore[arg-type]
    console.print("[bold]2/5[/] probing the base model")
    base = ProbeConfig.build(model=str(model), probes="builtin-wvs", average_templates=True)
    run_probe(base, out / "base", quiet=quiet)
    console.print("[bold]3/5[/] fine-tuning (multilingual, fa ko hi ru)")
    [tuned_model] = finetune(str(model), "builtin:sample", FINETUNE_LANGS, 150, "multi", out / "finetune", epochs=2,
                             seed=seed, quiet=quiet)  # fmt: skip
    console.print("[bold]4/5[/] probing the tuned model")
    run_probe(base.model_copy(update={"model": str(tuned_model)}), out / "tuned", quiet=quiet)
    console.print("[bold]5/5[/] analysing shifts, similarity and human alignment")
    result = analyze(out / "base", [out / "tuned"], out / "analysis", labels=["multi"], config=AnalysisConfig())
    write_figures(out / "analysis")
    console.print(_summary_table(result))
    console.print(f"tables and figures: {out / 'analysis'}")
    return out / "analysis"


def _summary_table(result: Any) -> Any:
    """Per test language: how many probes moved, flipped, and by how much."""
    from rich.table import Table

    table = Table(title="value shifts after multilingual fine-tuning (demo model with random weights)")
    for col in ("lang", "probes", "shifted", "flipped", "mean |delta|"):
        table.add_column(col, justify="right")
    for row in result.shift_summary.itertuples():
        table.add_row(row.lang, str(row.n_probes), f"{row.share_shifted:.0%}", f"{row.share_flipped:.0%}",
                      f"{row.mean_abs_delta:.2f}")  # fmt: skip
    pres = result.preservation
    if not pres.empty:
        r = pres.iloc[0]
        table.caption = (
            f"cross-language similarity preserved ({r.method}): Mantel r = {r.mantel_r:.2f}, p = {r.mantel_p:.4f}"
        )
    return table


def main() -> None:
    """``python -m valueshift.demo [OPTIONS]`` is ``valueshift demo [OPTIONS]`` (one argument parser)."""
    from valueshift.cli import main as cli_main

    cli_main(["demo", *sys.argv[1:]])


if __name__ == "__main__":
    main()
