"""Scoring probes: probe set + model -> probe table (``probe_scores.parquet``).

Lifecycle for a run on disk (``valueshift probe``): :func:`run_probe` takes a :class:`ProbeConfig`, validates
probes and ``out``, looks the run up by its key (config + content of model and probes), loads the model, claims
the run directory, scores language by language (each finished language is kept, so a killed run resumes where
it stopped), then writes the table and marks the manifest done. Notebooks call :func:`probe` (keywords; in memory
unless ``out`` is given) or :func:`score_probes` (a loaded model) and get a DataFrame.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from valueshift.errors import ConfigError
from valueshift.models.loading import LoadedModel, load_model
from valueshift.probes import ProbeSet, load_probes
from valueshift.probes.schema import Probe
from valueshift.scoring.base import ClozeRequest, Scorer
from valueshift.scoring.config import Dtype, ProbeConfig
from valueshift.scoring.normalize import NORMALIZATIONS, Normalization, add_values

__all__ = [
    "PROBE_TABLE_COLUMNS",
    "aggregate_templates",
    "make_scorer",
    "probe",
    "probe_job",
    "probes_fingerprint",
    "run_probe",
    "score_probes",
    "scored_chars",
]

PROBE_TABLE_COLUMNS = [
    "model", "probe_set", "lang", "probe_id", "question_id", "template_id", "group", "direction",
    "answer_pos", "answer_neg", "logp_pos", "logp_neg", "n_tokens_pos", "n_tokens_neg",
    "n_chars_pos", "n_chars_neg", "normalize", "value",
]  # fmt: skip


def make_scorer(lm: LoadedModel, *, batch_size: int = 32, mask_padded_vocab: bool = True) -> Scorer:
    """The scorer registered for the model's kind (seq2seq span-fill, masked-LM PLL, causal continuation)."""
    from valueshift.models.kinds import get_kind

    cls = get_kind(lm.kind).scorer_class()
    return cls(lm, batch_size=batch_size, mask_padded_vocab=mask_padded_vocab)


def _check_normalize(normalize: str) -> None:
    if normalize not in NORMALIZATIONS:
        raise ConfigError(f"unknown --normalize {normalize!r}: use one of {', '.join(NORMALIZATIONS)}")


def score_probes(
    probes: ProbeSet | Iterable[Probe],
    lm: LoadedModel,
    *,
    normalize: str = "sum",
    batch_size: int = 32,
    scorer: Scorer | None = None,
    quiet: bool = True,
    model_name: str | None = None,
) -> pd.DataFrame:
    """Score probes with a loaded model.

    Parameters
    ----------
    probes
        The probes (any languages).
    lm
        From :func:`valueshift.models.load_model`.
    normalize
        ``sum``, ``mean``, ``char`` or ``pmi`` (see :mod:`valueshift.scoring.normalize`).
    batch_size
        Prompts (seq2seq) or sequences (masked, causal) per forward pass; results do not depend on it.
    scorer
        A ready scorer (default: :func:`make_scorer`).
    quiet
        No progress bar.
    model_name
        Value of the ``model`` column (default: the model's name or path).

    Returns
    -------
    pandas.DataFrame
        One row per probe (and template), columns :data:`PROBE_TABLE_COLUMNS` (+ ``logp_*_neutral`` for pmi).
    """
    from valueshift.progress import progress_bar

    _check_normalize(normalize)
    probes = list(probes)
    scorer = scorer or make_scorer(lm, batch_size=batch_size)
    requests = [ClozeRequest(p.template, a) for p in probes for a in p.answers]
    if normalize == "pmi":
        requests += [scorer.neutral_request(r) for r in requests]
    with progress_bar(len(set(requests)), "scoring", quiet=quiet) as bar:
        scores = dict(zip(requests, scorer.score(requests, on_progress=bar.advance), strict=True))
    rows: list[dict[str, Any]] = []
    for p in probes:
        row: dict[str, Any] = {
            "model": model_name or lm.name_or_path, "probe_set": p.probe_set, "lang": p.lang,
            "probe_id": p.probe_id, "question_id": p.question_id, "template_id": p.template_id, "group": p.group,
            "direction": p.direction, "answer_pos": p.answer_pos, "answer_neg": p.answer_neg,
        }  # fmt: skip
        for side, answer in (("pos", p.answer_pos), ("neg", p.answer_neg)):
            s = scores[ClozeRequest(p.template, answer)] if answer is not None else None
            row[f"logp_{side}"] = s.logprob if s else np.nan
            row[f"n_tokens_{side}"] = s.n_tokens if s else pd.NA
            row[f"n_chars_{side}"] = scored_chars(scorer, p, answer) if answer is not None else pd.NA
            if normalize == "pmi":
                neutral = scorer.neutral_request(ClozeRequest(p.template, answer)) if answer is not None else None
                row[f"logp_{side}_neutral"] = scores[neutral].logprob if neutral else np.nan
        rows.append(row)
    table = pd.DataFrame(rows)
    for col in ("n_tokens_pos", "n_tokens_neg", "n_chars_pos", "n_chars_neg", "direction", "template_id"):
        table[col] = table[col].astype("Int64")
    table = add_values(table, normalize)
    extra = [c for c in table.columns if c not in PROBE_TABLE_COLUMNS]
    return table[PROBE_TABLE_COLUMNS + extra]


def scored_chars(scorer: Scorer, p: Probe, answer: str) -> int:
    """Characters of the text whose tokens were scored: the answer, plus the rest of the sentence for causal LMs."""
    from valueshift.scoring.causal import CausalLMScorer

    return len(answer + p.split()[1]) if isinstance(scorer, CausalLMScorer) else len(answer)


def aggregate_templates(table: pd.DataFrame) -> pd.DataFrame:
    """Average values over paraphrased templates: one row per (model, lang, probe_id).

    Adds ``value_std`` (spread across templates, ddof=1; NaN for a single template) and ``n_templates``.
    Log-probability columns are averaged too.
    """
    keys = ["model", "probe_set", "lang", "probe_id"]
    first = ["question_id", "group", "direction", "answer_pos", "answer_neg", "normalize"]
    numeric = [c for c in table.columns if c.startswith(("logp_", "n_tokens_", "n_chars_"))]
    g = table.groupby(keys, sort=False, dropna=False)
    out = g[first].first()
    out[numeric] = g[numeric].mean()
    out["value"] = g["value"].mean()
    out["value_std"] = g["value"].std(ddof=1)
    out["n_templates"] = g["value"].size()
    out = out.reset_index()
    out["template_id"] = pd.array([pd.NA] * len(out), dtype="Int64")
    return out


def probe(
    model: str | os.PathLike[str] | LoadedModel,
    probes: str | ProbeSet,
    langs: str | Sequence[str] = "all",
    *,
    out: str | os.PathLike[str] | None = None,
    normalize: Normalization = "sum",
    average_templates: bool = False,
    strict: bool = False,
    dtype: Dtype = "auto",
    batch_size: int = 32,
    device: str = "auto",
    quiet: bool = True,
    overwrite: bool = False,
) -> pd.DataFrame:
    """Score a model on value probes: the keyword convenience over :func:`run_probe`.

    With ``out=None`` the table is computed in memory (a loaded model or probe set may be passed); with ``out``
    it is a cached, resumable run directory (see :func:`run_probe`) and the table is read back from it.

    Examples
    --------
    >>> table = valueshift.probe("google/mt5-small", "builtin-wvs", langs="de,fa")  # doctest: +SKIP
    >>> table.pivot(index="probe_id", columns="lang", values="value")  # doctest: +SKIP
    """
    lang_spec = langs if isinstance(langs, str) else ",".join(langs)
    if out is not None:
        if isinstance(model, LoadedModel) or not isinstance(probes, str):
            raise ConfigError("probe(out=...) needs a model path or hub id and a probe spec, so the run can be keyed")
        config = ProbeConfig.build(model=str(model), probes=probes, langs=lang_spec, normalize=normalize,
                                   average_templates=average_templates, strict=strict, dtype=dtype)  # fmt: skip
        path = run_probe(config, out, batch_size=batch_size, device=device, quiet=quiet, overwrite=overwrite)
        return pd.read_parquet(path)
    _check_normalize(normalize)
    probe_set = load_probes(probes, lang_spec, strict=strict)
    lm = model if isinstance(model, LoadedModel) else load_model(model, device=device, dtype=dtype)
    table = score_probes(probe_set, lm, normalize=normalize, batch_size=batch_size, quiet=quiet)
    return aggregate_templates(table) if average_templates else table


def probes_fingerprint(probe_set: ProbeSet) -> str:
    """Content hash of the selected probes (so an edited probe file changes a run's key)."""
    from valueshift.runs import canonical_json

    records = sorted(
        (p.lang, p.probe_id, p.template_id, p.template, p.answer_pos, p.answer_neg, p.direction, p.group)
        for p in probe_set
    )
    return hashlib.sha256(canonical_json([list(r) for r in records], "probes").encode()).hexdigest()


def probe_job(config: ProbeConfig) -> tuple[ProbeSet, dict[str, Any]]:
    """The probes a run scores and its identity (``command``, ``config``, ``inputs``: content of model and probes);
    the one rule :func:`run_probe` and the experiment grid both key on."""
    from valueshift.runs import model_fingerprint

    probe_set = load_probes(config.probes, config.langs, strict=config.strict)
    inputs = {"model": model_fingerprint(config.model), "probes": probes_fingerprint(probe_set)}
    return probe_set, {"command": "probe", "config": config.to_json(), "inputs": inputs}


def run_probe(
    config: ProbeConfig,
    out: str | os.PathLike[str],
    *,
    batch_size: int = 32,
    device: str = "auto",
    trust_remote_code: bool = False,
    overwrite: bool = False,
    wait: bool = False,
    quiet: bool = False,
) -> Path:
    """Score ``config`` into the run directory ``out`` (``probe_scores.parquet`` + ``manifest.json``).

    Probes, options and ``out`` are validated before the model loads, so bad input leaves nothing behind. The
    run's key covers the config and the content of the model and the probes: a finished run with the same key is
    returned as it is; a finished run with another key is refused unless ``overwrite``; an unfinished one with the
    same key resumes language by language, and one with another key (the model changed) is recomputed.
    """
    from valueshift.analysis.bias import LEAN_LEVEL, answer_bias
    from valueshift.probes.registry import builtin_version
    from valueshift.runs import RunDir, Status, running

    if batch_size < 1:
        raise ConfigError(f"--batch-size must be at least 1, got {batch_size}")
    probe_set, job = probe_job(config)
    found = RunDir.prepare(out, **job, overwrite=overwrite, wait=wait)
    target = Path(out) / "probe_scores.parquet"
    if found.status is Status.DONE and not overwrite:
        from valueshift.progress import note

        note(f"{out}: up to date (a finished run with this key); pass --overwrite to recompute")
        return target
    lm = load_model(config.model, device=device, dtype=config.dtype, trust_remote_code=trust_remote_code)
    scorer = make_scorer(lm, batch_size=batch_size)
    run = RunDir.open(out, **job, overwrite=overwrite, wait=wait)
    with running(run):
        run.update(model_revision=getattr(lm.model.config, "_commit_hash", None), device=str(lm.device))
        parts = []
        for lang in probe_set.langs:
            part = run.load_partial(f"lang={lang}")
            if part is None:
                part = score_probes(probe_set.select([lang]), lm, normalize=config.normalize, scorer=scorer,
                                    quiet=quiet, model_name=config.model)  # fmt: skip
                run.save_partial(f"lang={lang}", part)
            parts.append(part)
        table = pd.concat(parts, ignore_index=True)
        bias = answer_bias(table)
        flagged = bias.loc[bias["lean_flag"].astype(bool), "lang"].astype(str).tolist()
        if flagged:  # one line here; the per-language detail is in the table and in `valueshift probes bias`
            warnings.warn(
                f"answer bias beyond ±{LEAN_LEVEL} nats in {len(flagged)} of {len(bias)} language(s) "
                f"({', '.join(flagged)}): compare them only after calibration; details in "
                f"{Path(out) / 'probe_bias.parquet'} and docs/validity.md",
                stacklevel=2,
            )
        if config.average_templates:
            table = aggregate_templates(table)
        run.write_table("probe_bias.parquet", bias)
        run.write_table("probe_scores.parquet", table)
        run.write_json("probe_defects.json", [str(d) for d in probe_set.defects])
        run.finish(n_rows=len(table), n_defects=len(probe_set.defects), langs=probe_set.langs,
                   probe_set_version=builtin_version(config.probes))  # fmt: skip
    return run.path / "probe_scores.parquet"
