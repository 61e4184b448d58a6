"""The main job on embedded defaults (``make demo``): ``experiments/demo.toml`` run through the experiment grid.

The demo is a known-truth study (docs/known-truth.md): a tiny random-init mT5 built offline is fine-tuned on German
lines of the builtin parallel sample, once as is (control) and once with added lines that state the negative
answer of one probe in other words (treatment), for several seeds. The summary puts what was planted next to what
the pipeline found: the planted probe's effect (treatment - control) with its confidence interval and rank, its
echo in the other test languages, the shift detector's error rates against the control, and how many of the
planted lines each attribution method ranks at the top. Every node is a run directory under ``--out``; a finished
node is reused, so an interrupted demo resumes. The report (``report/report.html``) shows the same and the rest
of the study's pipeline (profiles, shifts, similarity, human alignment, claims).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

__all__ = ["DEMO_EXPERIMENT", "run_demo"]

# shipped with the package (an installed wheel has no experiments/ folder); experiments/demo.toml links here
DEMO_EXPERIMENT = Path(__file__).resolve().parent / "resources" / "experiments" / "demo.toml"
PRECISION_KS = (5, 10)  # precision@k columns of the attribution summary


def run_demo(out: Path, *, experiment: Path = DEMO_EXPERIMENT, jobs: int = 1, quiet: bool = False) -> Path:
    """Run the demo grid into ``out``, print what was planted next to what was recovered, return the report dir."""
    from rich.console import Console

    from valueshift.analysis.recovery import read_recovery
    from valueshift.errors import ExperimentError
    from valueshift.experiments import run_experiment
    from valueshift.experiments.spec import load_experiment
    from valueshift.probes import english_glosses

    console = Console(stderr=True, quiet=quiet)
    exp, _ = load_experiment(experiment)

    def on_event(nid: str, state: Any) -> None:
        console.print(f"{state.state:>7} {nid}" + ("" if state.state == "done" else f": {state.message}"))

    with warnings.catch_warnings():
        # every probe run of a random-init model leans to one answer; the report's probes section shows it once,
        # and a planted effect (treatment - control, same language) is free of a language-wide lean
        warnings.filterwarnings("ignore", message="answer bias beyond")
        states = run_experiment(experiment, out, jobs=jobs, on_event=on_event)
    bad = {k: v for k, v in states.items() if v.state != "done"}
    if bad:
        raise ExperimentError(f"{len(bad)} demo node(s) did not finish: " + "; ".join(
            f"{k}: {v.state} {v.message}" for k, v in bad.items()))  # fmt: skip
    glosses = english_glosses(exp.grid.probe_sets[0])
    for nid in states:
        if nid.startswith("recovery/"):
            summary = read_recovery(out / nid)
            tables = [_planted_table(summary, glosses), *_echo_tables(summary), _attribution_table(summary)]
            for table in tables:
                if table is not None:
                    console.print(table)
            console.print(_detector_line(summary))
            console.print(f"tables: {out / nid}")
    console.print(f"report: {out / 'report' / 'report.html'} (open it in a browser; offline, one file)")
    return out / "report"


def _ci(low: float, high: float) -> str:
    return f"[{low:+.2f}, {high:+.2f}]"


def _verdict(row: Any) -> str:
    """recovered = the planted direction with a CI that excludes 0."""
    if not bool(row.sign_correct):
        return "[red]not recovered[/red]"
    return "[green]recovered[/green]" if row.ci_excludes_0 else "right direction, CI includes 0"


def _planted_table(summary: Any, glosses: dict[str, str]) -> Any:
    from rich.markup import escape
    from rich.table import Table

    head = summary.headline
    several = head["condition"].nunique() > 1
    table = Table(title="known truth: what was planted, what was found (treatment - control, nats)")
    cols = ["condition"] * several + ["probe", "planted", "effect", "95% CI", "rank", "verdict"]
    for col in cols:
        table.add_column(col, justify="right" if col in ("effect", "95% CI", "rank") else "left")
    for r in head.itertuples():
        side = "neg" if r.expected_sign < 0 else "pos"
        answer = f"'{r.answer}'" if isinstance(getattr(r, "answer", None), str) else side
        table.add_row(*[escape(str(r.condition))] * several, str(r.probe_id), escape(f"{answer} in {r.lang}"),
                      f"{r.effect:+.2f}", _ci(r.ci_low, r.ci_high), f"{r.rank}/{r.n_probes}",
                      _verdict(r))  # fmt: skip
    probes = dict.fromkeys(head["probe_id"].astype(str))
    seeds = ", ".join(str(n) for n in dict.fromkeys(head["n_seeds"]))
    table.caption = (
        "; ".join(f"probe {p}: {escape(glosses.get(p, '?'))}" for p in probes)
        + f"{'' if several else f' ({escape(str(head.condition.iat[0]))})'}. CI over {seeds} seeds; value = "
        "log p(pos) - log p(neg), so planting 'neg' should lower it"
    )
    return table


def _echo_tables(summary: Any) -> list[Any]:
    from rich.markup import escape
    from rich.table import Table

    tables = []
    for (cond, probe), g in summary.echo.groupby(["condition", "probe_id"], sort=False):
        table = Table(title=escape(f"echo of probe {probe} ({cond}) in every test language (nats)"))
        for col in ("lang", "effect", "95% CI", "echo"):
            table.add_column(col, justify="left" if col == "lang" else "right")
        for r in g.itertuples():
            lang = f"{r.lang} (planted)" if r.planted_lang else r.lang
            table.add_row(lang, f"{r.effect:+.2f}", _ci(r.ci_low, r.ci_high), f"{r.echo:.2f}")
        table.caption = "echo = effect / planted-language effect; de/en share word pieces (a lexical echo)"
        tables.append(table)
    return tables


def _attribution_table(summary: Any) -> Any:
    from rich.table import Table

    att = summary.attribution
    if att.empty:
        return None
    table = Table(title="attribution: planted share of each method's top k")
    for col in ("method", *(f"top {k}" for k in PRECISION_KS), "chance", "runs"):
        table.add_column(col, justify="left" if col == "method" else "right")
    for method, g in att.groupby("method", sort=False):
        by_k = g.groupby("k")["precision"].mean()
        table.add_row(str(method), *(f"{by_k.get(k, float('nan')):.2f}" for k in PRECISION_KS),
                      f"{g['chance'].mean():.2f}", str(int(g['n_runs'].max())))  # fmt: skip
    table.caption = "mean over seeds; lexical (BM25) finds lines that repeat the probe's words, influential or not"
    return table


def _detector_line(summary: Any) -> str:
    parts = []
    for r in summary.detector.itertuples():
        rule = f"|effect| > {r.threshold:g}" if r.rule == "threshold" else f"q < {r.alpha:g}"
        parts.append(f"{rule}: sensitivity {r.sensitivity:.2f} ({r.n_planted} planted), false-positive rate "
                     f"{r.false_positive_rate:.2f} ({r.n_other} other probes)")  # fmt: skip
    return "shift detector against the control: " + "; ".join(parts)


def main() -> None:
    """``python -m valueshift.demo [OPTIONS]`` is ``valueshift demo [OPTIONS]`` (one argument parser)."""
    from valueshift.cli import main as cli_main

    cli_main(["demo", *sys.argv[1:]])


if __name__ == "__main__":
    main()
