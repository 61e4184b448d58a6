"""``valueshift human``: human reference data (wrappers over :mod:`valueshift.reference`)."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["distribution_path", "register"]


def distribution_path(out: Path) -> Path:
    """Where ``import-wvs`` writes the answer shares next to ``out``: ``<stem>_distribution.parquet``."""
    return out.with_name(f"{out.stem}_distribution.parquet")


def import_wvs(
    file: Path = typer.Argument(..., help="The official WVS_Cross-National_Wave_7_csv file."),
    out: Path = typer.Option(..., "--out", help="Parquet file for the per-country means."),
    items: str | None = typer.Option(None, "--items", help="Comma-separated items, e.g. Q177,Q182 (default: all)."),
) -> None:
    """Weighted per-country item means (W_WEIGHT) of a WVS wave-7 CSV, plus answer shares."""
    from valueshift.reference.wvs import import_wvs_tables, write_wvs_tables

    selected = [s.strip() for s in items.split(",") if s.strip()] if items else None
    tables = import_wvs_tables(file, selected)
    dist = distribution_path(out)
    write_wvs_tables(tables, out, dist)  # both files or neither
    n_countries = tables.means["country"].nunique()
    n_items = tables.means["question_id"].nunique()
    typer.echo(f"{n_countries} countries x {n_items} items -> {out} (answer shares: {dist})")


def countries() -> None:
    """Show the default language -> country mapping used for human alignment."""
    from valueshift.reference import DEFAULT_LANG_COUNTRY

    for lang, country in DEFAULT_LANG_COUNTRY.items():
        typer.echo(f"{lang}\t{country}")


def register(app: typer.Typer) -> None:
    """Add the ``human`` command group to ``app``."""
    sub = typer.Typer(help="Human reference data: import WVS files, show the language-country mapping.",
                      no_args_is_help=True)  # fmt: skip
    sub.command("import-wvs")(import_wvs)
    sub.command("countries")(countries)
    app.add_typer(sub, name="human")
