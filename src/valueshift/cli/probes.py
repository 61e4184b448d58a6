"""``valueshift probes``: list probe sets, check their quality (over :mod:`valueshift.probes.check`) and measure
a model's answer bias on them (over :mod:`valueshift.analysis.bias`)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import typer

__all__ = ["register"]

_EXAMPLES_PER_KIND = 5


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def _format(value: str) -> str:
    if value not in ("table", "json"):
        raise typer.BadParameter(f"--format must be table or json, got {value!r}")
    return value


def _print_report(report: Any, limit: int) -> None:
    from rich.table import Table

    console = _console()
    summary = report.summary()
    table = Table(title=f"probe set {report.probe_set}" + (f" (tokens: {report.model})" if report.model else ""))
    for col in summary.columns:
        table.add_column(col.replace("_", " "), justify="left" if col == "lang" else "right")
    for row in summary.itertuples(index=False):
        cells = [str(v) for v in row]
        if row.errors:
            cells[2] = f"[bold red]{cells[2]}[/]"
        table.add_row(*cells)
    console.print(table)
    frame = report.defects_frame()
    for kind, sub in frame.groupby("kind", sort=False):
        colour = "red" if (sub["severity"] == "error").any() else "yellow"
        console.print(f"[{colour}]{kind}[/]: {len(sub)}")
        shown = sub if (sub["severity"] == "error").any() else sub.head(limit)
        for rec in shown.itertuples(index=False):
            console.print(f"  {rec.source}: {rec.lang} {rec.probe_id}: {rec.message}", markup=False)
        if len(shown) < len(sub):
            console.print(f"  ... {len(sub) - len(shown)} more (--limit, or --format json for all)")
    verdict = "[bold red]errors found[/]" if not report.ok else "[green]no errors[/]"
    console.print(f"{verdict}: {len(report.errors)} error(s), {len(report.warnings)} warning(s)")


def check(
    spec: str = typer.Argument(..., help="Probe spec: arora-wvs:DIR, arora-hofstede:DIR, FILE.jsonl, or a name."),
    langs: str = typer.Option("all", "--langs", help="Languages to check, e.g. de,fa."),
    model: str | None = typer.Option(None, "--model", help="Tokenizer of this model for --max-tokens."),
    max_tokens: int = typer.Option(3, "--max-tokens", help="Flag answers longer than this many tokens."),
    fmt: str = typer.Option("table", "--format", callback=_format, help="table or json."),
    limit: int = typer.Option(_EXAMPLES_PER_KIND, "--limit", help="Warnings listed per kind (table format)."),
    fail_on: str = typer.Option("error", "--fail-on", help="Exit 2 on: error (default) or warning."),
) -> None:
    """Count probes and defects per language; exit 2 when there are errors."""
    from valueshift.errors import ConfigError
    from valueshift.probes.check import check_probes

    if fail_on not in ("error", "warning"):
        raise ConfigError(f"--fail-on must be error or warning, got {fail_on!r}")
    report = check_probes(spec, langs=langs, model=model, max_tokens=max_tokens)
    if fmt == "json":
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        _print_report(report, limit)
    if report.errors or (fail_on == "warning" and report.warnings):
        raise typer.Exit(code=2)


def list_sets(
    fmt: str = typer.Option("table", "--format", callback=_format, help="table or json."),
) -> None:
    """List builtin and registered probe sets, with their languages and probe counts."""
    from valueshift.probes import available_probe_sets, resolve_probe_spec

    rows: list[dict[str, Any]] = []
    for name in available_probe_sets():
        ps = resolve_probe_spec(name)
        rows.append({"name": name, "langs": ps.langs, "probes": len(ps), "errors": len(ps.errors)})
    if fmt == "json":
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.table import Table

    table = Table(title="probe sets")
    for col in ("name", "langs", "probes", "errors"):
        table.add_column(col, justify="right" if col in ("probes", "errors") else "left")
    for r in rows:
        table.add_row(r["name"], ",".join(r["langs"]), str(r["probes"]), str(r["errors"]))
    console = _console()
    console.print(table)
    console.print("Also accepted as SPEC: arora-wvs:DIR, arora-hofstede:DIR, FILE.jsonl, a folder of *.jsonl.")


_BIAS_SHOWN = [
    ("lang", "lang"),
    ("n_probes", "n"),
    ("mean_value", "mean"),
    ("share_positive", ">0"),
    ("acquiescence", "acq"),
    ("n_pairs", "pairs"),
    ("mean_token_asymmetry", "Δtok"),
    ("mean_char_asymmetry", "Δchr"),
    ("negator_share_neg", "¬neg"),
    ("negator_share_pos", "¬pos"),
    ("lean_flag", "lean"),
]
_BIAS_CAPTION = (
    "mean: mean value (nats); >0: share of positive values; acq: acquiescence from the bipolar pairs; "
    "Δtok/Δchr: mean length of answer_neg minus answer_pos; ¬neg/¬pos: share of answers with a negator word "
    "(≥: a lower bound, –: not detectable)"
)


def _cell(col: str, value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        if not math.isfinite(value):
            return "–"
        if col.startswith(("share_", "negator_share")):
            return f"{value:.0%}"
        return f"{value:+.2f}" if col in ("mean_value", "acquiescence") else f"{value:.2f}"
    return str(value)


def _bias_out(out: str | None) -> Path | None:
    from valueshift.errors import ConfigError

    if out is None:
        return None
    path = Path(out)
    if path.suffix not in (".parquet", ".csv"):
        raise ConfigError(f"--out {out}: use a .parquet or .csv file name")
    if path.is_dir():
        raise ConfigError(f"--out {out}: is a directory; give a .parquet or .csv file name")
    return path


def _write_table(df: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    if path.suffix == ".csv":
        df.to_csv(tmp, index=False)
    else:
        df.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def bias(
    model: str = typer.Option(..., "--model", help="Model: a hub id or a local Hugging Face directory."),
    probes: str = typer.Option(..., "--probes", help="Probe spec: builtin-wvs, arora-wvs:DIR, FILE.jsonl, ..."),
    langs: str = typer.Option("all", "--langs", help="Languages, e.g. de,ko (default all)."),
    out: str | None = typer.Option(None, "--out", help="Also write the table to FILE.parquet or FILE.csv."),
    normalize: str = typer.Option("sum", "--normalize", help="Scoring normalisation: sum, mean, char or pmi."),
    batch_size: int = typer.Option(32, "--batch-size", help="Prompts or sequences per forward pass."),
    device: str = typer.Option("auto", "--device", help="auto, cpu, cuda, ..."),
    dtype: str = typer.Option("auto", "--dtype", help="auto (float32), float32 or bfloat16."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Score a model on probes and report its answer bias per language (see docs/validity.md).

    One row per language: mean value and share of positive values (lean toward answer_pos), acquiescence from
    the bipolar pairs, token/character asymmetry of the answers, share of answers with a negator word, and a
    flag when the lean exceeds the documented level.
    """
    from rich.markup import escape
    from rich.table import Table

    from valueshift.analysis.bias import LEAN_LEVEL, answer_bias, bias_warnings
    from valueshift.errors import ConfigError
    from valueshift.probes import load_probes
    from valueshift.scoring.api import probe
    from valueshift.scoring.normalize import NORMALIZATIONS

    path = _bias_out(out)
    if normalize not in NORMALIZATIONS:
        raise ConfigError(f"unknown --normalize {normalize!r}: use one of {', '.join(NORMALIZATIONS)}")
    if batch_size < 1:
        raise ConfigError(f"--batch-size must be at least 1, got {batch_size}")
    probe_set = load_probes(probes, langs)  # bad spec or languages: one line, exit 2, before the model loads
    scoring: dict[str, Any] = {"normalize": normalize, "batch_size": batch_size, "device": device, "dtype": dtype}
    table = probe(model, probe_set, "all", quiet=quiet, **scoring)
    result = answer_bias(table)
    console = _console()
    view = Table(title=f"answer bias of {model} on {probe_set.name} (normalize={normalize}, lean level "
                 f"±{LEAN_LEVEL:g} nats)", caption=_BIAS_CAPTION)  # fmt: skip
    for col, label in _BIAS_SHOWN:
        view.add_column(label, justify="left" if col == "lang" else "right")
    for rec in result.to_dict("records"):
        cells = [_cell(col, rec[col]) for col, _ in _BIAS_SHOWN]
        if rec["negator_coverage"] == "partial":
            cells[8] = "≥" + cells[8]
        view.add_row(*cells, style="bold red" if rec["lean_flag"] else None)
    console.print(view)
    for line in bias_warnings(result):
        console.print(f"[yellow]warning:[/] {escape(line)}", markup=True)
    if path is not None:
        _write_table(result, path)
        console.print(f"wrote {path}")


def register(app: typer.Typer) -> None:
    """Add the ``probes`` command group to ``app``."""
    sub = typer.Typer(
        help="Inspect probe sets: list them, check their quality, measure a model's answer bias.",
        no_args_is_help=True,
    )
    sub.command("bias")(bias)
    sub.command("check")(check)
    sub.command("list")(list_sets)
    app.add_typer(sub, name="probes")
