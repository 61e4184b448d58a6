"""The main job on embedded defaults (``make demo``): ``experiments/demo.toml`` run through the experiment grid.

The grid (see docs/experiments.md) builds a small random-init mT5 offline, probes it on the builtin WVS-7 set in
every language the set has, fine-tunes it multilingually on the builtin parallel sample in fa, ko, hi, ru, probes
the tuned model, analyses the shifts (similarity, preservation, alignment with WVS-7 moral means), tests the
study-level claims and writes a report with figures. Each node is a run directory under ``--out``; a finished
node is reused, so an interrupted demo resumes. The weights are random, so the numbers mean nothing; the point is
that every code path real checkpoints use runs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

__all__ = ["DEMO_EXPERIMENT", "run_demo"]

# the repository's experiments/ folder (src/valueshift/demo.py -> repo root)
DEMO_EXPERIMENT = Path(__file__).resolve().parents[2] / "experiments" / "demo.toml"


def run_demo(out: Path, *, experiment: Path = DEMO_EXPERIMENT, jobs: int = 1, quiet: bool = False) -> Path:
    """Run the demo grid into ``out`` and return the report directory."""
    from rich.console import Console

    from valueshift.analysis import read_result
    from valueshift.errors import ExperimentError
    from valueshift.experiments import run_experiment

    console = Console(stderr=True, quiet=quiet)

    def on_event(nid: str, state: Any) -> None:
        console.print(f"{state.state:>7} {nid}" + ("" if state.state == "done" else f": {state.message}"))

    states = run_experiment(experiment, out, jobs=jobs, on_event=on_event)
    bad = {k: v for k, v in states.items() if v.state != "done"}
    if bad:
        raise ExperimentError(f"{len(bad)} demo node(s) did not finish: " + "; ".join(
            f"{k}: {v.state} {v.message}" for k, v in bad.items()))  # fmt: skip
    for nid in states:
        if nid.startswith("analyze/"):
            console.print(_summary_table(read_result(out / nid)))
            console.print(f"tables and figures: {out / nid}")
    console.print(f"study-level claims: {out / 'claims' / 'claims.parquet'}")
    console.print(f"report: {out / 'report' / 'report.html'} (open it in a browser; offline, one file)")
    return out / "report"


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
