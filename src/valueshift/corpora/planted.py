"""Planted corpora: a base example table plus lines stating a chosen answer of chosen probes (known truth).

Lifecycle: ``settings = PlantSettings.build(probe_ids=[...], langs="de", rate=0.05, ...)`` ->
:func:`planted_statements` (the filled paraphrase templates of each planted probe, per language) ->
:func:`plant` (base table -> ``Planted(control, treatment, planted)``): the control is the base table unchanged;
the treatment is the base table with the planted lines appended (base rows keep their ``example_id``, so the
trainer gives them the same span-corruption noise in both runs); ``planted`` records every added line
(``unit_id, lang, probe_id, answer, answer_side, template_id, text`` -- the ``planted.parquet`` table).

Design choices (docs/known-truth.md):

* statements are the probe filled with the planted answer in the *paraphrase* templates (``templates``, default
  1 and 2); probing measures template :data:`PROBE_TEMPLATE` (0) only, so a recovered shift is generalisation
  from a paraphrase, not the probe sentence memorised;
* ``rate`` is the planted share of each planting language's lines in the treatment table:
  ``n = round(rate * n_base / (1 - rate))`` (at least 1), cycling over (probe, template) so every probe gets
  the same number of lines (+-1);
* ``parallel``: the k-th planted line of every planting language is the same statement and has the same unit id
  (``planted:k``), as a multi-parallel corpus would; ``specific``: each language has its own unit ids
  (``planted:<lang>:k``) and its own, language-keyed order of statements.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import Field, field_validator

from valueshift.config import StageConfig
from valueshift.errors import CorpusError

__all__ = [
    "PLANTED_COLUMNS", "PROBE_TEMPLATE", "PlantSettings", "Planted", "plant", "planted_statements", "run_plant",
]  # fmt: skip

PROBE_TEMPLATE = 0  # the template probing measures; planting uses the others
PLANTED_COLUMNS = ["unit_id", "lang", "probe_id", "answer", "answer_side", "template_id", "text"]


class PlantSettings(StageConfig):
    """What to plant, where and how much."""

    error = CorpusError

    probes: str = Field("builtin-wvs", description="probe spec the planted probes come from")
    probe_ids: list[str] = Field(min_length=1, description="ids of the planted probes, e.g. ['1', '106a']")
    answer: Literal["pos", "neg"] = Field("neg", description="which answer the planted lines state")
    langs: str = Field(description="planting languages, comma-separated (a subset of the base table's languages)")
    rate: float = Field(gt=0.0, lt=0.5, description="planted share of each planting language's lines")
    strategy: Literal["parallel", "specific"] = Field(
        "parallel", description="parallel: shared unit ids across languages; specific: own ids per language"
    )
    templates: list[int] = Field([1, 2], min_length=1, description="templates the statements are filled from")
    seed: int = Field(0, ge=0, description="order of the statements of language-specific planting")

    @field_validator("templates")
    @classmethod
    def _not_probe_template(cls, v: list[int]) -> list[int]:
        if PROBE_TEMPLATE in v:
            raise ValueError(f"template {PROBE_TEMPLATE} is the one probing measures; plant paraphrases (1, 2)")
        return v

    @property
    def lang_list(self) -> list[str]:
        return [c.strip() for c in self.langs.split(",") if c.strip()]


@dataclass(frozen=True)
class Planted:
    """Control (the base table), treatment (base + planted lines) and the record of the planted lines."""

    control: pd.DataFrame
    treatment: pd.DataFrame
    planted: pd.DataFrame


def planted_statements(settings: PlantSettings) -> pd.DataFrame:
    """One row per (lang, probe_id, template_id): the template filled with the planted answer.

    Examples
    --------
    >>> s = PlantSettings.build(probe_ids=["1"], langs="de", rate=0.1)
    >>> planted_statements(s).text.tolist()
    ['Für mich persönlich ist die Familie unwichtig.', 'Ich halte die Familie für unwichtig.']
    """
    from valueshift.probes import load_probes

    langs = settings.lang_list
    if not langs:
        raise CorpusError(f"langs={settings.langs!r}: name at least one planting language")
    probes = {(p.lang, p.probe_id, p.template_id): p for p in load_probes(settings.probes, langs)}
    rows = []
    for lang in langs:
        for pid in settings.probe_ids:
            for t in settings.templates:
                p = probes.get((lang, pid, t))
                if p is None:
                    raise CorpusError(f"{settings.probes}: no probe {pid!r} with template {t} in {lang}")
                answer = p.answer_pos if settings.answer == "pos" else p.answer_neg
                if answer is None:
                    raise CorpusError(f"probe {pid!r} is an option probe (one answer); plant pair probes")
                rows.append((lang, pid, answer, t, p.filled(answer)))
    return pd.DataFrame(rows, columns=["lang", "probe_id", "answer", "template_id", "text"])


def _count(n_base: int, rate: float) -> int:
    return max(1, round(rate * n_base / (1.0 - rate)))


def plant(base: pd.DataFrame, settings: PlantSettings) -> Planted:
    """Add planted lines to an example table (columns ``lang, unit_id, text``; more are kept).

    Examples
    --------
    >>> base = pd.DataFrame({"lang": ["de"] * 9, "unit_id": [str(i) for i in range(9)], "text": ["x"] * 9})
    >>> p = plant(base, PlantSettings.build(probe_ids=["1"], langs="de", rate=0.1))
    >>> len(p.treatment) - len(p.control), p.planted.unit_id.tolist()
    (1, ['planted:0'])
    """
    from valueshift.seeding import keyed_rng

    missing = [c for c in ("lang", "unit_id", "text") if c not in base.columns]
    if missing:
        raise CorpusError(f"base table lacks column(s) {missing}")
    present = set(base["lang"])
    langs = settings.lang_list
    absent = [lg for lg in langs if lg not in present]
    if absent:
        raise CorpusError(f"planting languages {absent} are not in the base table ({sorted(present)})")
    statements = planted_statements(settings)
    n = max(_count(int((base["lang"] == lg).sum()), settings.rate) for lg in langs)
    rows = []
    for lang in langs:
        mine = statements[statements["lang"] == lang].reset_index(drop=True)
        order = list(range(len(mine)))
        if settings.strategy == "specific":
            order = keyed_rng(settings.seed, "plant", lang).permutation(len(mine)).tolist()
        n_lang = n if settings.strategy == "parallel" else _count(int((base["lang"] == lang).sum()), settings.rate)
        for k in range(n_lang):
            s = mine.iloc[order[k % len(mine)]]
            uid = f"planted:{k}" if settings.strategy == "parallel" else f"planted:{lang}:{k}"
            rows.append((uid, lang, s.probe_id, s.answer, settings.answer, int(s.template_id), s.text))
    record = pd.DataFrame(rows, columns=PLANTED_COLUMNS)
    clash = set(record["unit_id"]) & set(base["unit_id"].astype(str))
    if clash:
        raise CorpusError(f"base table already has unit ids {sorted(clash)[:3]}; planted ids must be new")
    control = base.reset_index(drop=True).copy()
    if "example_id" not in control.columns:
        control.insert(0, "example_id", range(len(control)))
    added = record[["lang", "unit_id", "text"]].copy()
    added.insert(0, "example_id", range(len(control), len(control) + len(added)))
    if "corpus" in control.columns:
        added["corpus"] = "planted"
    treatment = pd.concat([control, added], ignore_index=True)[control.columns]
    return Planted(control=control, treatment=treatment, planted=record)


def run_plant(
    corpus: object,
    settings: PlantSettings,
    out: str | os.PathLike[str],
    *,
    seed: int = 0,
    overwrite: bool = False,
) -> Path:
    """Sample a base table from ``corpus`` (:class:`~valueshift.training.CorpusSettings`), plant, write a run.

    The run directory holds ``control_examples.parquet``, ``treatment_examples.parquet`` and ``planted.parquet``;
    fine-tune each arm with ``run_finetune(config, out, examples=pd.read_parquet(...))``. Keyed by both settings
    and ``seed`` (the base sample's seed); a finished run with the same key is reused.
    """
    from valueshift.runs import RunDir, Status, running
    from valueshift.training import CorpusSettings, sample_examples

    if not isinstance(corpus, CorpusSettings):
        raise CorpusError(f"corpus settings expected, got {type(corpus).__name__}")
    result = plant(sample_examples(corpus, seed), settings)  # cheap; its content keys the run
    digest = {
        name: hashlib.sha256(df[["lang", "unit_id", "text"]].to_csv(index=False).encode()).hexdigest()
        for name, df in (("control", result.control), ("treatment", result.treatment))
    }
    config = {"corpus": corpus.to_json(), "plant": settings.to_json(), "seed": seed}
    found = RunDir.prepare(out, command="plant", config=config, inputs=digest, overwrite=overwrite)
    if found.status is Status.DONE and not overwrite:
        return Path(out)
    run = RunDir.open(out, command="plant", config=config, inputs=digest, overwrite=overwrite, seed=seed)
    with running(run):
        run.write_table("control_examples.parquet", result.control)
        run.write_table("treatment_examples.parquet", result.treatment)
        run.write_table("planted.parquet", result.planted)
        run.finish(n_control=len(result.control), n_planted=len(result.planted))
    return run.path
