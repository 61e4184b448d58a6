"""``attribute``: which fine-tuning examples moved a probe's value (``valueshift attribute``).

Lifecycle: validate everything (options, the fine-tuning run, probes, targets, device, ``--out``) before any model
is loaded -> open the run directory -> per checkpoint: featurize (pieces resume after a kill) -> scores of the
chosen method (TRAK also writes the TracIn, gradient-cosine and BM25 baselines from the same features) ->
``influence.parquet``, ``top_examples.parquet``, ``overlap.parquet``, ``targets.parquet`` -> manifest ``done``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from valueshift.attribution.config import AttributionConfig
from valueshift.attribution.examples import Checkpoint, TrainingRun
from valueshift.attribution.grads import check_patterns
from valueshift.errors import AttributionError, ValueshiftError
from valueshift.probes.schema import MASK, Probe

__all__ = ["INFLUENCE_COLUMNS", "attribute", "attribution_job", "influence_table", "select_targets"]

COMMAND = "attribute"
INFLUENCE_COLUMNS = ["method", "probe_id", "lang", "example_id", "ft_lang", "unit_id", "score", "rank"]


def select_targets(probes: Sequence[Probe], targets: str | Sequence[str]) -> list[list[Probe]]:
    """Probes grouped by (probe_id, lang) -- templates of one probe form one target, valued by their mean."""
    groups: dict[tuple[str, str], list[Probe]] = {}
    for p in probes:
        groups.setdefault((p.probe_id, p.lang), []).append(p)
    if isinstance(targets, str) and targets != "all":
        targets = [t.strip() for t in targets.split(",") if t.strip()]
    if targets == "all":
        return list(groups.values())
    wanted = list(targets)
    known = {pid for pid, _ in groups}
    unknown = [t for t in wanted if t not in known]
    if unknown or not wanted:
        raise AttributionError(
            f"--targets {','.join(unknown) or '(empty)'}: not in the probe set "
            f"(it has {len(known)} probe ids, e.g. {', '.join(sorted(known)[:5])}); use ids from it or 'all'"
        )
    return [g for (pid, _), g in groups.items() if pid in set(wanted)]


def _query(target: Sequence[Probe]) -> str:
    return " ".join(p.template.replace(MASK, " ") + " " + " ".join(p.answers) for p in target)


def influence_table(
    method: str, scores: np.ndarray, targets: Sequence[Sequence[Probe]], examples: pd.DataFrame, sign: np.ndarray
) -> pd.DataFrame:
    """Long table (``INFLUENCE_COLUMNS``) from ``scores`` ``(m, n)``; ``rank`` 1 = most influential within
    (target, fine-tuning language) by ``scores * sign`` (sign per target: +1, -1, or 0 for |score|)."""
    m, n = scores.shape
    key = np.where(sign[:, None] == 0, np.abs(scores), scores * sign[:, None])
    df = pd.DataFrame({
        "method": method,
        "probe_id": np.repeat([t[0].probe_id for t in targets], n),
        "lang": np.repeat([t[0].lang for t in targets], n),
        "example_id": np.tile(examples["example_id"].to_numpy(), m),
        "ft_lang": np.tile(examples["lang"].to_numpy(), m),
        "unit_id": np.tile(examples["unit_id"].to_numpy(), m),
        "score": scores.reshape(-1),
        "_key": key.reshape(-1),
    })  # fmt: skip
    df["rank"] = df.groupby(["probe_id", "lang", "ft_lang"])["_key"].rank(ascending=False, method="first").astype(int)
    return df.drop(columns="_key")[INFLUENCE_COLUMNS]


def _inputs(training: TrainingRun, checkpoints: Sequence[Checkpoint]) -> dict[str, str]:
    """Content of the run's examples and of every model the features come from (the base model too)."""
    from valueshift.runs import file_fingerprint, model_fingerprint

    files = [training.path / "train_examples.parquet", *(c.path / "model.safetensors" for c in checkpoints
                                                          if c.name != "base")]  # fmt: skip
    out = {"run": ";".join(f"{f.parent.name}/{f.name}:{file_fingerprint(f)[:16]}" for f in files)}
    if any(c.name == "base" for c in checkpoints):
        try:
            out["base_model"] = model_fingerprint(str(training.base_model))
        except (OSError, ValueshiftError) as exc:
            raise AttributionError(
                f"base model {training.base_model!r} of {training.path} is not readable ({exc}); "
                "checkpoints='trajectory' needs it -- use checkpoints='all' or 'final'"
            ) from exc
    return out


def attribution_job(
    training: TrainingRun,
    probes: str,
    langs: Sequence[str],
    targets: Sequence[Sequence[Probe]],
    cfg: AttributionConfig,
) -> dict[str, Any]:
    """An attribution's identity (``command``, ``config``, ``inputs``: content of the run's examples and of every
    model the features come from); the one rule :func:`attribute` and the experiment grid both key on."""
    config = {"probes": probes, "langs": list(langs), "targets": sorted({t[0].probe_id for t in targets}),
              **cfg.to_json()}  # fmt: skip
    inputs = _inputs(training, training.select_checkpoints(cfg.checkpoints))
    return {"command": COMMAND, "config": config, "inputs": inputs}


def _values(model: str, targets: list[list[Probe]], context: list[Probe], cfg: AttributionConfig,
            device: Any) -> np.ndarray:  # fmt: skip
    """Target values under ``model`` (a directory or hub id)."""
    import torch

    from valueshift.attribution.featurize import target_values
    from valueshift.models import load_model
    from valueshift.scoring import make_scorer

    lm = load_model(model, device=str(device), dtype="float32")
    lm.model.eval()
    value = target_values(make_scorer(lm), targets, context, cfg.normalize)
    with torch.no_grad():
        return np.array([float(value(i)) for i in range(len(targets))])


def _tuned_values(training: TrainingRun, targets: list[list[Probe]], context: list[Probe], cfg: AttributionConfig,
                  device: Any) -> np.ndarray:  # fmt: skip
    """Target values under the run's last saved model."""
    return _values(str(training.checkpoints[-1].path), targets, context, cfg, device)


def _base_values(training: TrainingRun, targets: list[list[Probe]], context: list[Probe], cfg: AttributionConfig,
                 device: Any) -> np.ndarray | None:  # fmt: skip
    """Target values under the run's base model (for ``rank_by='shift'``), or None if it cannot be loaded."""
    try:
        return _values(str(training.base_model), targets, context, cfg, device)
    except ValueshiftError as exc:
        warnings.warn(f"base model {training.base_model!r} not loadable ({exc}); ranking by |score|", stacklevel=3)
        return None


def attribute(
    run: str | os.PathLike[str],
    probes: str,
    out: str | os.PathLike[str],
    *,
    langs: str | Sequence[str] | None = "all",
    targets: str | Sequence[str] = "all",
    method: str = "trak",
    top_k: int = 100,
    proj_dim: int = 2048,
    device: str = "auto",
    overwrite: bool = False,
    quiet: bool = True,
    **options: Any,
) -> Path:
    """Attribute probe values of a fine-tuned model to its training examples; write tables into ``out``.

    Parameters
    ----------
    run
        A fine-tuning run directory (``train_examples.parquet``, ``checkpoints/step-K/``, final model).
    probes, langs
        Probe spec and test languages (as ``valueshift probe``).
    out
        The attribution run directory.
    targets
        ``all`` or probe ids (comma-separated or a list); a target is (probe_id, lang), valued by the mean over
        its templates.
    method, top_k, proj_dim, **options
        :class:`~valueshift.attribution.config.AttributionConfig` fields.
    device
        ``auto``, ``cpu`` or ``cuda``.

    Returns
    -------
    Path
        ``out``, holding ``influence.parquet``, ``top_examples.parquet``, ``overlap.parquet``,
        ``targets.parquet`` and ``manifest.json``.
    """
    from valueshift.attribution.featurize import featurize_checkpoint
    from valueshift.attribution.lexical import bm25_scores
    from valueshift.attribution.overlap import parallel_overlap
    from valueshift.attribution.trak import cosine_scores, tracin_scores, trak_scores
    from valueshift.models.loading import resolve_device
    from valueshift.probes import load_probes
    from valueshift.runs import RunDir, Status, running

    # -- validate everything before writing anything ---------------------------------------------------------
    cfg = AttributionConfig.build(method=method, top_k=top_k, proj_dim=proj_dim, **options)
    training = TrainingRun.load(Path(run))
    probe_set = load_probes(probes, langs if langs is None or isinstance(langs, str) else list(langs))
    chosen = select_targets(probe_set.probes, targets)
    dev = resolve_device(device)
    ckpts = training.select_checkpoints(cfg.checkpoints)
    check_patterns(cfg.params, training.checkpoints[-1].path)
    job = attribution_job(training, probes, probe_set.langs, chosen, cfg)
    config, inputs = job["config"], job["inputs"]
    found = RunDir.prepare(out, command=COMMAND, config=config, inputs=inputs, overwrite=overwrite)
    if found.status is Status.DONE and not overwrite:
        return Path(out)

    rd = RunDir.open(out, command=COMMAND, config=config, inputs=inputs, overwrite=overwrite, seed=cfg.seed)
    with running(rd):
        examples = training.examples
        context = probe_set.probes
        results: dict[str, np.ndarray] = {}
        values = None
        if cfg.method != "lexical":
            feats = [featurize_checkpoint(rd, training, c, chosen, context, cfg, dev, quiet=quiet) for c in ckpts]
            phis, tgts, w = [f.train for f in feats], [f.targets for f in feats], [c.weight for c in ckpts]
            crosses = [f.cross for f in feats]
            cross = [c for c in crosses if c is not None] if all(c is not None for c in crosses) else None
            results["trak"] = trak_scores(phis, tgts, cfg.damping, weights=w, cross=cross)
            results["tracin"] = tracin_scores(phis, tgts, w, cross=cross)
            results["cosine"] = cosine_scores(phis, tgts, w, cross=cross)
            values = _tuned_values(training, chosen, context, cfg, dev)
        results["lexical"] = bm25_scores([_query(t) for t in chosen], examples["text"].tolist())
        base = _base_values(training, chosen, context, cfg, dev) if cfg.rank_by == "shift" and values is not None \
            else None  # fmt: skip
        m = len(chosen)
        if cfg.rank_by == "score":
            sign = np.ones(m)
        elif base is not None and values is not None:
            sign = np.where(values - base < 0, -1.0, 1.0)
        else:
            sign = np.zeros(m)
        order = [cfg.method] + [k for k in results if k != cfg.method]
        influence = pd.concat(
            [influence_table(k, results[k], chosen, examples, np.ones(m) if k == "lexical" else sign) for k in order],
            ignore_index=True,
        )
        top = influence[influence["rank"] <= cfg.top_k].merge(
            examples[["example_id", "lang", "text"]].rename(columns={"lang": "ft_lang"}), on=["example_id", "ft_lang"]
        )
        tgt_table = pd.DataFrame({
            "probe_id": [t[0].probe_id for t in chosen], "lang": [t[0].lang for t in chosen],
            "n_templates": [len(t) for t in chosen], "value_base": base if base is not None else np.nan,
            "value_tuned": values if values is not None else np.nan, "rank_sign": sign,
        })  # fmt: skip
        rd.write_table("influence.parquet", influence)
        rd.write_table("top_examples.parquet", top.sort_values(["method", "probe_id", "lang", "ft_lang", "rank"]))
        rd.write_table("overlap.parquet", parallel_overlap(top, examples))
        rd.write_table("targets.parquet", tgt_table)
        rd.finish(n_targets=m, n_examples=len(examples), methods=order, device=str(dev), run=str(training.path),
                  checkpoints={c.name: c.weight for c in ckpts})  # fmt: skip
    return Path(out)
