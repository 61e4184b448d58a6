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
5. write ``shifts.parquet``, ``shift_summary.parquet``, ``consistency.parquet``, ``similarity.parquet``,
   ``preservation.parquet``, ``alignment.parquet``, ``distance.parquet``, ``summary.json`` and ``figures/``
   through :class:`~valueshift.runs.RunDir`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from valueshift.analysis.alignment import human_alignment, load_human
from valueshift.analysis.distance import cultural_distance
from valueshift.analysis.profiles import ProfileOptions, build_profiles
from valueshift.analysis.shifts import (
    DEFAULT_ALPHA,
    DEFAULT_N_BOOT,
    DEFAULT_N_PERM,
    DEFAULT_THRESHOLD,
    compute_shifts,
    shift_consistency,
    summarize_shifts,
)
from valueshift.analysis.similarity import METHODS, preservation, similarity_matrix, similarity_table
from valueshift.analysis.tables import (
    ProbeTable,
    check_tables_match,
    group_conditions,
    infer_label,
    load_probe_table,
    probe_table_from_frame,
    stack_values,
)
from valueshift.errors import AnalysisError, ConfigError, ValueshiftError
from valueshift.langs import FINETUNE_LANGS

__all__ = ["AnalysisConfig", "AnalysisResult", "analyze", "run_analysis"]

TableLike = str | os.PathLike[str] | ProbeTable | pd.DataFrame


@dataclass(frozen=True)
class AnalysisConfig:
    """Settings of ``valueshift analyze``; every default is documented in docs/analysis.md.

    Attributes
    ----------
    threshold
        ``shifted = |delta| > threshold`` (nats of log-odds); 0.5.
    alpha
        FDR level for ``significant``; 0.05.
    n_boot
        Bootstrap resamples of the seeds; 2000.
    n_perm
        Permutations for the Mantel tests, random sign patterns for >12 seeds, random country sets for the
        cultural-distance reference; 9999.
    ci_level
        Bootstrap CI level; 0.95.
    seed
        Seed of the one ``numpy.random.Generator`` used for every resampling step; 0.
    methods
        Correlation types for similarity; pearson and spearman.
    profile
        :class:`~valueshift.analysis.profiles.ProfileOptions` (orient, groups="center", zscore=False).
    human
        ``--human`` sources: ``wvs-moral`` (default), ``hofstede`` or parquet paths; ``()`` for none.
    finetune_langs
        Languages whose countries' cultural distance is reported; fa, ko, hi, ru (Choenni et al. 2024).
    intersect
        Analyse the (probe, lang) pairs all tables share instead of failing on a mismatch; False.
    figures
        Write figures; True.
    """

    threshold: float = DEFAULT_THRESHOLD
    alpha: float = DEFAULT_ALPHA
    n_boot: int = DEFAULT_N_BOOT
    n_perm: int = DEFAULT_N_PERM
    ci_level: float = 0.95
    seed: int = 0
    methods: tuple[str, ...] = METHODS
    profile: ProfileOptions = field(default_factory=ProfileOptions)
    human: tuple[str, ...] = ("wvs-moral",)
    finetune_langs: tuple[str, ...] = FINETUNE_LANGS
    intersect: bool = False
    figures: bool = True

    def __post_init__(self) -> None:
        if not (self.threshold >= 0 and math.isfinite(self.threshold)):
            raise ConfigError(f"threshold={self.threshold}: must be a finite number >= 0, e.g. 0.5")
        if not 0 < self.alpha < 1:
            raise ConfigError(f"alpha={self.alpha}: must be in (0, 1), e.g. 0.05")
        if not 0 < self.ci_level < 1:
            raise ConfigError(f"ci_level={self.ci_level}: must be in (0, 1), e.g. 0.95")
        for name in ("n_boot", "n_perm"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name}={getattr(self, name)}: must be >= 1")
        bad = [m for m in self.methods if m not in METHODS]
        if bad or not self.methods:
            raise ConfigError(f"methods={list(self.methods)}: use pearson and/or spearman")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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
    if isinstance(x, ProbeTable):
        x.label = label
        return x
    if isinstance(x, pd.DataFrame):
        return probe_table_from_frame(x, label=label)
    return load_probe_table(x, label=label)


def _clean(obj: Any) -> Any:
    """JSON-safe copy: NaN → None, numpy scalars → Python."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is pd.NA:
        return None
    return obj


def _lang_countries(langs: Sequence[str], notes: list[str]) -> dict[str, str | None]:
    try:
        from valueshift.reference import country_for_lang
    except ImportError as exc:
        notes.append(f"human data unavailable (valueshift.reference: {exc})")
        return {}
    return {lg: country_for_lang(lg) for lg in langs}


def run_analysis(base: ProbeTable, tuned: Sequence[ProbeTable], config: AnalysisConfig) -> AnalysisResult:
    """Compute every table in memory (no files); ``tuned`` labels define the conditions.

    Raises
    ------
    AnalysisError
        If the tables do not match (languages, probe sets, probes) and ``config.intersect`` is False.
    """
    notes = check_tables_match(base, tuned, intersect=config.intersect)
    conditions = group_conditions(tuned)
    rng = np.random.default_rng(config.seed)
    shifts = pd.concat(
        [
            compute_shifts(base, seeds, condition=label, threshold=config.threshold, alpha=config.alpha,
                           n_boot=config.n_boot, n_perm=config.n_perm, ci_level=config.ci_level, rng=rng)
            for label, seeds in conditions.items()
        ],
        ignore_index=True,
    )  # fmt: skip
    frames: dict[str, pd.DataFrame] = {"base": base.frame}
    for label, seeds in conditions.items():
        frame, vals = stack_values(base, seeds)
        with np.errstate(invalid="ignore"):
            mean = np.nanmean(vals, axis=1) if np.isfinite(vals).any() else np.full(len(frame), np.nan)
        frames[label] = frame.assign(value=mean)
    profiles = {k: build_profiles(f, config.profile) for k, f in frames.items()}
    tuned_prof = {k: v for k, v in profiles.items() if k != "base"}
    sim = similarity_table(profiles["base"], tuned_prof, config.methods)  # type: ignore[arg-type]
    pres = preservation(profiles["base"], tuned_prof, config.methods, n_perm=config.n_perm, rng=rng)  # type: ignore[arg-type]
    for label, seeds in conditions.items():
        if len(seeds) >= 2 and 2.0 / 2 ** min(len(seeds), 12) >= config.alpha:
            notes.append(
                f"condition {label}: {len(seeds)} seeds; an exact sign-flip test cannot reach "
                f"p < {config.alpha} with fewer than 6 seeds, so no probe can be significant"
            )
    lang_country = _lang_countries(base.langs, notes) if (config.human or config.finetune_langs) else {}
    align_parts = []
    sims = {k: similarity_matrix(p, "pearson") for k, p in profiles.items()}
    for source in config.human if lang_country else ():
        try:
            human = load_human(source)
        except (ImportError, ValueshiftError) as exc:  # reference data missing or unreadable
            notes.append(f"--human {source}: skipped ({exc})")
            continue
        part = human_alignment(frames, human, sims, lang_country=lang_country, n_perm=config.n_perm, rng=rng)
        for msg in part["note"].dropna().unique():
            if str(msg).startswith("skipped"):
                notes.append(f"--human {source}: {msg}")
        align_parts.append(part)
    from valueshift.analysis.alignment import COLUMNS

    alignment = pd.concat(align_parts, ignore_index=True) if align_parts else pd.DataFrame(columns=COLUMNS)
    distance, dist_summary = pd.DataFrame(), {}
    if config.finetune_langs:
        try:
            from valueshift.reference import country_for_lang, load_hofstede_scores

            ft_map = {lg: country_for_lang(lg) for lg in config.finetune_langs}
            distance, dist_summary = cultural_distance(
                config.finetune_langs, load_hofstede_scores(), ft_map, n_draws=config.n_perm, rng=rng
            )
        except (ImportError, ValueshiftError) as exc:
            notes.append(f"cultural distance skipped (valueshift.reference: {exc})")
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
    return _clean({
        "config": config.to_dict(),
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


def analyze(
    base: TableLike,
    tuned: Sequence[TableLike],
    out: str | os.PathLike[str] | None = None,
    *,
    labels: Sequence[str] | None = None,
    config: AnalysisConfig | None = None,
    overwrite: bool = False,
) -> AnalysisResult:
    """Compare a base model's probe table with tuned ones and write the analysis tables.

    Parameters
    ----------
    base
        The base model's run dir, ``probe_scores.parquet`` path, frame or :class:`ProbeTable`.
    tuned
        One or more tuned tables (same forms). Tables with one label are seeds of one condition.
    out
        Output run directory; None computes without writing.
    labels
        Condition label per tuned table; default :func:`~valueshift.analysis.tables.infer_label` (directory
        name without a ``-seedN`` suffix), a ``ProbeTable``'s own label, ``tuned`` for frames (so unlabelled
        frames are seeds of one condition).
    config
        :class:`AnalysisConfig`; defaults when None.
    overwrite
        Redo a finished analysis in ``out``.

    Returns
    -------
    AnalysisResult

    References
    ----------
    Choenni, Lauscher & Shutova (2024), ACL, sec. 4 (shifts, similarity, human alignment).
    """
    config = config or AnalysisConfig()
    tuned = list(tuned)
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
            table.label = infer_label(t, table.manifest)  # type: ignore[arg-type]
        tuned_t.append(table)
    for source in config.human:
        if source not in ("wvs-moral", "hofstede"):
            load_human(source)  # a user file: fail now, naming the problem, before anything is written
    result = run_analysis(base_t, tuned_t, config)
    if out is not None:
        from valueshift.analysis.output import write_result

        write_result(result, out, config=config, overwrite=overwrite, inputs=[base_t, *tuned_t])
    return result
