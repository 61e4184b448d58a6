"""The analysis stage's entry point: :func:`analyze` (base + tuned probe tables → tables, summary, figures).

Lifecycle (each step's module documents its statistics):

1. load and validate: :func:`~valueshift.analysis.tables.load_probe_table`,
   :func:`~valueshift.analysis.tables.check_tables_match` (an :class:`AnalysisError` names what differs;
   nothing is written before this passes), tuned tables grouped into conditions by label (seeds share one);
2. shifts (:mod:`~valueshift.analysis.shifts`), their summary and direction consistency;
3. profiles (:mod:`~valueshift.analysis.profiles`), cross-language similarity and its preservation
   (:mod:`~valueshift.analysis.similarity`);
4. human alignment (:mod:`~valueshift.analysis.alignment`) and cultural distance of the fine-tuning languages
   (:mod:`~valueshift.analysis.distance`); unavailable sources are skipped with a note;
5. with ``out``: write ``shifts.parquet``, ``shift_summary.parquet``, ``consistency.parquet``,
   ``similarity.parquet``, ``preservation.parquet``, ``alignment.parquet``, ``distance.parquet`` and
   ``summary.json`` through :class:`~valueshift.runs.RunDir` (figures are drawn from these files by
   :mod:`valueshift.report`, which reads run directories; analysis never imports it).

Every random step draws from a stream keyed by ``(seed, step, condition)`` (:func:`valueshift.seeding.keyed_rng`),
so a condition's results are a function of that condition alone, whatever else shares the call.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from valueshift.analysis.alignment import COLUMNS as ALIGNMENT_COLUMNS
from valueshift.analysis.alignment import human_alignment, load_human
from valueshift.analysis.bias import bias_warnings
from valueshift.analysis.config import AnalysisConfig
from valueshift.analysis.distance import cultural_distance
from valueshift.analysis.profiles import build_profiles, calibrate_values
from valueshift.analysis.shifts import compute_shifts, shift_consistency, summarize_shifts
from valueshift.analysis.similarity import preservation, similarity_matrix, similarity_table
from valueshift.analysis.tables import (
    ProbeTable,
    check_tables_match,
    group_conditions,
    infer_label,
    load_probe_table,
    probe_table_from_frame,
    stack_values,
)
from valueshift.errors import AnalysisError, ValueshiftError
from valueshift.reference import country_for_lang, load_hofstede_scores
from valueshift.runs import json_safe

__all__ = ["AnalysisConfig", "AnalysisResult", "TableLike", "analyze", "compute_analysis", "resolve_tables"]

TableLike: TypeAlias = "str | os.PathLike[str] | ProbeTable | pd.DataFrame"


@dataclass
class AnalysisResult:
    """Everything :func:`analyze` computed; tables are tidy frames (see docs/analysis.md for columns)."""

    shifts: pd.DataFrame
    shift_summary: pd.DataFrame
    consistency: pd.DataFrame
    similarity: pd.DataFrame
    preservation: pd.DataFrame
    alignment: pd.DataFrame
    distance: pd.DataFrame
    summary: dict[str, Any]
    profiles: dict[str, pd.DataFrame] = field(default_factory=dict)
    out: Path | None = None
    files: list[Path] = field(default_factory=list)


def _as_table(x: TableLike, label: str) -> ProbeTable:
    """A private copy: analysis never changes the caller's tables (``--intersect`` filters them)."""
    if isinstance(x, ProbeTable):
        return dataclasses.replace(x, frame=x.frame.copy(), label=label)
    if isinstance(x, pd.DataFrame):
        return probe_table_from_frame(x, label=label)
    return load_probe_table(Path(x), label=label)


def _lang_countries(langs: Sequence[str]) -> dict[str, str | None]:
    return {lg: country_for_lang(lg) for lg in langs}


def _condition_frames(
    base: ProbeTable, conditions: dict[str, list[ProbeTable]], calibrate: str
) -> dict[str, pd.DataFrame]:
    """Per condition, the base rows with the mean value over its seeds (``base`` itself first).

    Shifts use raw values; these frames feed similarity and alignment. With ``calibrate="pmi"`` every table is
    turned into neutral-prompt values *before* the seeds are averaged, and the score columns are dropped: a
    condition's frame is built on the base's rows and must never carry the base's scores.
    """

    def prepared(t: ProbeTable) -> ProbeTable:
        frame = calibrate_values(t.frame, "pmi").assign(normalize="pmi") if calibrate == "pmi" else t.frame
        keep = [c for c in frame.columns if not str(c).startswith("logp_")]
        return dataclasses.replace(t, frame=frame[keep])

    base_p = prepared(base)
    frames: dict[str, pd.DataFrame] = {"base": base_p.frame}
    for label, seeds in conditions.items():
        frame, vals = stack_values(base_p, [prepared(t) for t in seeds])
        with np.errstate(invalid="ignore"):
            mean = np.nanmean(vals, axis=1) if np.isfinite(vals).any() else np.full(len(frame), np.nan)
        frames[label] = frame.assign(value=mean)
    return frames


def compute_analysis(base: ProbeTable, tuned: Sequence[ProbeTable], config: AnalysisConfig) -> AnalysisResult:
    """Compute every table in memory (no files); ``tuned`` labels define the conditions.

    Raises
    ------
    AnalysisError
        If the tables do not match (languages, probe sets, probes) and ``config.intersect`` is False.
    """
    base = dataclasses.replace(base, frame=base.frame.copy())
    tuned = [dataclasses.replace(t, frame=t.frame.copy()) for t in tuned]
    notes = check_tables_match(base, tuned, intersect=config.intersect)
    for t in (base, *tuned):
        if t.bias is not None:
            notes += [f"answer bias in {t.label} ({t.source}): {w}" for w in bias_warnings(t.bias)]
    conditions = group_conditions(tuned)
    shifts = pd.concat(
        [
            compute_shifts(base, seeds, condition=label, threshold=config.threshold, alpha=config.alpha,
                           n_boot=config.n_boot, n_perm=config.n_perm, ci_level=config.ci_level, seed=config.seed)
            for label, seeds in conditions.items()
        ],
        ignore_index=True,
    )  # fmt: skip
    frames = _condition_frames(base, conditions, config.profile.calibrate)
    profiles = {k: build_profiles(f, config.profile) for k, f in frames.items()}
    tuned_prof = {k: v for k, v in profiles.items() if k != "base"}
    sim = similarity_table(profiles["base"], tuned_prof, config.methods)
    pres = preservation(profiles["base"], tuned_prof, config.methods, n_perm=config.n_perm, seed=config.seed)
    for label, seeds in conditions.items():
        if len(seeds) >= 2 and 2.0 / 2 ** min(len(seeds), 12) >= config.alpha:
            notes.append(
                f"condition {label}: {len(seeds)} seeds; an exact sign-flip test cannot reach "
                f"p < {config.alpha} with fewer than 6 seeds, so no probe can be significant"
            )
    lang_country = _lang_countries(base.langs)
    calibrated = {k: calibrate_values(f, config.profile.calibrate) for k, f in frames.items()}
    align_parts = []
    sims = {k: similarity_matrix(p, "pearson") for k, p in profiles.items()}
    for source in config.human:
        try:
            human = load_human(source)
        except ValueshiftError as exc:  # reference data missing or unreadable
            notes.append(f"--human {source}: skipped ({exc})")
            continue
        part = human_alignment(calibrated, human, sims, lang_country=lang_country, n_perm=config.n_perm,
                               seed=config.seed)  # fmt: skip
        for msg in part["note"].dropna().unique():
            if str(msg).startswith("skipped"):
                notes.append(f"--human {source}: {msg}")
        align_parts.append(part)
    alignment = pd.concat(align_parts, ignore_index=True) if align_parts else pd.DataFrame(columns=ALIGNMENT_COLUMNS)
    distance, dist_summary = pd.DataFrame(), dict[str, Any]()
    if config.finetune_langs:
        try:
            ft_map = {lg: country_for_lang(lg) for lg in config.finetune_langs}
            distance, dist_summary = cultural_distance(
                config.finetune_langs, load_hofstede_scores(), ft_map, n_draws=config.n_perm, seed=config.seed
            )
        except ValueshiftError as exc:
            notes.append(f"cultural distance skipped ({exc})")
    summary = _summary(config, conditions, base, shifts, pres, alignment, dist_summary, notes)
    return AnalysisResult(
        shifts=shifts, shift_summary=summarize_shifts(shifts), consistency=shift_consistency(shifts),
        similarity=sim, preservation=pres, alignment=alignment, distance=distance, summary=summary,
        profiles=profiles,
    )  # fmt: skip


def _summary(
    config: AnalysisConfig,
    conditions: dict[str, list[ProbeTable]],
    base: ProbeTable,
    shifts: pd.DataFrame,
    pres: pd.DataFrame,
    alignment: pd.DataFrame,
    dist_summary: dict[str, Any],
    notes: list[str],
) -> dict[str, Any]:
    totals = summarize_shifts(shifts)
    totals = totals[totals["lang"] == "all"].set_index("condition")
    lang_rows = alignment[alignment["scope"] == "language"] if len(alignment) else alignment
    align = []
    if len(lang_rows):
        means = lang_rows.groupby(["source", "condition"], sort=False)[["pearson_r", "agreement"]].mean()
        align = means.reset_index().to_dict("records")
    return json_safe({
        "config": config.to_json(),
        "base": {"source": base.source, "model": base.model, "langs": base.langs},
        "conditions": {
            label: {"n_seeds": len(seeds), "sources": [t.source for t in seeds],
                    **totals.loc[label].drop(["lang"]).to_dict()}
            for label, seeds in conditions.items()
        },
        "preservation": pres.to_dict("records"),
        "alignment_mean": align,
        "cultural_distance": dist_summary,
        "notes": notes,
    })  # fmt: skip


def resolve_tables(
    base: TableLike, tuned: Sequence[TableLike], labels: Sequence[str] | None = None
) -> tuple[ProbeTable, list[ProbeTable]]:
    """Load and label the tables (private copies); see :func:`analyze` for the label rule."""
    tuned = list(tuned)
    if not tuned:
        raise AnalysisError("no tuned table given; pass at least one --tuned run")
    if labels is not None and len(labels) != len(tuned):
        raise AnalysisError(f"{len(labels)} --label value(s) for {len(tuned)} --tuned table(s); give one per table")
    base_t = _as_table(base, "base")
    tuned_t = []
    for i, t in enumerate(tuned):
        if labels is not None:
            label = labels[i]
        elif isinstance(t, ProbeTable):
            label = t.label
        elif isinstance(t, pd.DataFrame):
            label = "tuned"
        else:
            label = ""
        table = _as_table(t, label or "tuned")
        if not label:
            table.label = infer_label(Path(t), table.manifest)  # type: ignore[arg-type]
        tuned_t.append(table)
    return base_t, tuned_t


def analyze(
    base: TableLike,
    tuned: Sequence[TableLike],
    out: str | os.PathLike[str] | None = None,
    *,
    labels: Sequence[str] | None = None,
    config: AnalysisConfig | None = None,
    overwrite: bool = False,
    wait: bool = False,
) -> AnalysisResult:
    """Compare a base model's probe table with tuned ones: the keyword convenience over
    :func:`compute_analysis` (in memory) and :func:`~valueshift.analysis.output.run_analysis` (``out`` given).

    Parameters
    ----------
    base
        The base model's run dir, ``probe_scores.parquet`` path, frame or :class:`ProbeTable`.
    tuned
        One or more tuned tables (same forms). Tables with one label are seeds of one condition.
    out
        Output run directory; None computes without writing. A finished analysis with the same key (settings
        and table contents) is read back instead of recomputed.
    labels
        Condition label per tuned table; default :func:`~valueshift.analysis.tables.infer_label` (directory
        name without a ``-seedN`` suffix), a ``ProbeTable``'s own label, ``tuned`` for frames (so unlabelled
        frames are seeds of one condition).
    config
        :class:`AnalysisConfig`; defaults when None.
    overwrite, wait
        Replace a finished analysis with another key in ``out``; wait for another process writing it.

    Returns
    -------
    AnalysisResult

    References
    ----------
    Choenni, Lauscher & Shutova (2024), ACL, sec. 4 (shifts, similarity, human alignment).
    """
    config = config or AnalysisConfig()
    base_t, tuned_t = resolve_tables(base, tuned, labels)
    for source in config.human:
        if source not in ("wvs-moral", "hofstede"):
            load_human(source)  # a user file: fail now, naming the problem, before anything is written
    if out is None:
        return compute_analysis(base_t, tuned_t, config)
    from valueshift.analysis.output import run_analysis

    return run_analysis(config, base_t, tuned_t, out, overwrite=overwrite, wait=wait)
