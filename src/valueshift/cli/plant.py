"""``valueshift plant``: a control and a treatment example table (base sample + planted probe statements).

Thin wrapper over :func:`valueshift.corpora.planted.run_plant`; fine-tune each arm from the tables it writes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from valueshift.cli._common import OverwriteOption, default, option
from valueshift.corpora.planted import PlantSettings
from valueshift.training.config import CorpusSettings

__all__ = ["register"]

C, P = CorpusSettings, PlantSettings


def plant_command(
    corpus: Annotated[str, option(C, "spec", "--corpus")],
    langs: Annotated[str, option(C, "langs", "--langs")],
    size: Annotated[int, option(C, "size", "--size")],
    probe_ids: Annotated[str, typer.Option("--probe-ids", help="Planted probe ids, comma-separated, e.g. 1,106a.")],
    plant_langs: Annotated[str, typer.Option("--plant-langs", help="Planting languages (default: --langs).")] = "",
    rate: Annotated[float, option(P, "rate", "--rate")] = 0.05,
    answer: Annotated[Literal["pos", "neg"], option(P, "answer", "--answer")] = default(P, "answer"),
    strategy: Annotated[Literal["parallel", "specific"], option(P, "strategy", "--strategy")] = default(P, "strategy"),
    probes: Annotated[str, option(P, "probes", "--probes")] = default(P, "probes"),
    seed: Annotated[int, typer.Option("--seed", help="Seed of the base sample and of the planting order.")] = 0,
    out: Annotated[Path, typer.Option("--out", help="Run directory for the three tables.")] = Path("planted"),
    overwrite: Annotated[bool, OverwriteOption] = False,
) -> None:
    """Write control_examples.parquet, treatment_examples.parquet and planted.parquet to OUT."""
    from valueshift.corpora.planted import run_plant

    corpus_cfg = CorpusSettings.build(spec=corpus, langs=langs, size=size)
    settings = PlantSettings.build(
        probes=probes, probe_ids=[p.strip() for p in probe_ids.split(",") if p.strip()], answer=answer,
        langs=plant_langs or langs, rate=rate, strategy=strategy, seed=seed,
    )  # fmt: skip
    path = run_plant(corpus_cfg, settings, out, seed=seed, overwrite=overwrite)
    typer.echo(f"wrote control, treatment and planted tables to {path}")


def register(app: typer.Typer) -> None:
    app.command("plant")(plant_command)
