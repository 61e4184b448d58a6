"""``valueshift probes``: list probe sets and check their quality (over :mod:`valueshift.probes.check`)."""

from __future__ import annotations

import json
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

    rows = []
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


def register(app: typer.Typer) -> None:
    """Add the ``probes`` command group to ``app``."""
    sub = typer.Typer(help="Inspect probe sets: list them, check their quality.", no_args_is_help=True)
    sub.command("check")(check)
    sub.command("list")(list_sets)
    app.add_typer(sub, name="probes")
