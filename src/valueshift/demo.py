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

import argparse
from pathlib import Path
from typing import Any

from valueshift.runs import read_manifest

__all__ = ["run_demo"]

FINETUNE_LANGS = "fa,ko,hi,ru"


def _done(path: Path) -> bool:
    manifest = read_manifest(path) if path.is_dir() else None
    return bool(manifest and manifest.get("status") == "done")


def run_demo(out: Path, *, size: str = "small", seed: int = 0, quiet: bool = False) -> Path:
    """Run the demo pipeline into ``out`` and return the analysis directory."""
    from rich.console import Console

    from valueshift.analysis import AnalysisConfig, analyze
    from valueshift.models import build_tiny_model
    from valueshift.scoring import run_probe
    from valueshift.training import finetune

    console = Console(stderr=True, quiet=quiet)
    out.mkdir(parents=True, exist_ok=True)
    model = out / "model"
    if not (model / "config.json").is_file():
        console.print(f"[bold]1/5[/] building a {size} mT5 (seed {seed})")
        build_tiny_model(model, size=size, seed=seed, overwrite=True)  # type: ignore[arg-type]
    stages = [
        ("2/5 probing the base model", out / "base", lambda d: run_probe(
            str(model), "builtin-wvs", d, average_templates=True, quiet=quiet)),
        ("3/5 fine-tuning (multilingual, fa ko hi ru)", out / "finetune", lambda d: finetune(
            str(model), "builtin:sample", FINETUNE_LANGS, 150, "multi", d, epochs=2, seed=seed, quiet=quiet)),
        ("4/5 probing the tuned model", out / "tuned", lambda d: run_probe(
            str(out / "finetune" / "multi"), "builtin-wvs", d, average_templates=True, quiet=quiet)),
    ]  # fmt: skip
    for title, path, step in stages:
        marker = path / "multi" if path.name == "finetune" else path
        if _done(marker):
            console.print(f"[dim]{title}: done earlier, reused[/]")
            continue
        console.print(f"[bold]{title}[/]")
        step(path)
    console.print("[bold]5/5 analysing shifts, similarity and human alignment[/]")
    result = analyze(out / "base", [out / "tuned"], out / "analysis", labels=["multi"], config=AnalysisConfig(),
                     overwrite=True)  # fmt: skip
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
    parser = argparse.ArgumentParser(prog="python -m valueshift.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/demo"))
    parser.add_argument("--size", default="small", choices=["tiny", "small"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    from valueshift.cli import main as cli_main

    cli_main(["demo", "--out", str(args.out), "--size", args.size, "--seed", str(args.seed)]
             + (["--quiet"] if args.quiet else []))  # fmt: skip


if __name__ == "__main__":
    main()
