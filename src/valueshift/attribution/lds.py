"""Linear datamodeling score (LDS; Park et al. 2023): do summed attribution scores predict retrained values?

Lifecycle (``valueshift attribute validate``): read a finished attribution run and its fine-tuning run -> for
``m < subsets``: keep a random ``fraction`` of the (lang, unit_id) keys (``default_rng([seed, m])``), retrain the
base model on those examples with the run's own TrainConfig (one piece per subset, so a killed run resumes) and
measure the targets' values -> per method and target, Spearman between the measured values and the summed scores
of the kept examples across subsets (CI: bootstrap over subsets) -> mean over targets with a percentile bootstrap
CI over targets.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from valueshift.attribution.api import select_targets
from valueshift.attribution.examples import TrainingRun
from valueshift.errors import AttributionError

__all__ = ["LDS_COLUMNS", "lds_table", "retrain_values", "subset_masks", "validate"]

LDS_COLUMNS = ["method", "probe_id", "lang", "lds", "ci_low", "ci_high", "n_subsets"]


def subset_masks(examples: pd.DataFrame, subsets: int, fraction: float, seed: int) -> np.ndarray:
    """``(subsets, n)`` booleans: each row keeps ``fraction`` of the distinct (lang, unit_id) keys."""
    keys = pd.MultiIndex.from_frame(examples[["lang", "unit_id"]])
    distinct = keys.unique()
    out = np.zeros((subsets, len(examples)), dtype=bool)
    for m in range(subsets):
        pick = np.random.default_rng([seed, m]).permutation(len(distinct))[: max(1, round(fraction * len(distinct)))]
        out[m] = keys.isin(distinct[np.sort(pick)])
    return out


def retrain_values(training: TrainingRun, keep: np.ndarray, targets: list[Any], context: list[Any],
                   normalize: str, device: str) -> np.ndarray:  # fmt: skip
    """Fine-tune the run's base model on the kept examples (same TrainConfig, no checkpoints, a LoRA run saves its
    adapter only) with :func:`valueshift.training.run_finetune` -> the targets' values."""
    import torch

    from valueshift.attribution.featurize import target_values
    from valueshift.models import load_model
    from valueshift.scoring import make_scorer
    from valueshift.training import run_finetune
    from valueshift.training.config import FinetuneConfig, TrainConfig

    train = TrainConfig.build(**{**training.train, "save_every": 0})
    if train.lora is not None:
        train = train.model_copy(update={"lora": train.lora.model_copy(update={"merged": False})})
    config = FinetuneConfig.build(model=str(training.base_model), train=train)
    subset = training.examples.loc[keep, ["lang", "unit_id", "text"]]
    with tempfile.TemporaryDirectory() as tmp:
        out = run_finetune(config, Path(tmp) / "run", examples=subset, device=device, quiet=True)
        lm = load_model(str(training.base_model) if train.lora else str(out), device=device, dtype="float32")
        if train.lora is not None:  # adapter-only save: base + adapter, merged in memory
            from peft import PeftModel

            lm.model = PeftModel.from_pretrained(lm.model, str(out / "adapter")).merge_and_unload()
    lm.model.eval()
    value = target_values(make_scorer(lm), targets, context, normalize)
    with torch.no_grad():
        return np.array([float(value(i)) for i in range(len(targets))])


def lds_table(influence: pd.DataFrame, examples: pd.DataFrame, masks: np.ndarray, values: np.ndarray,
              targets: list[Any], *, lexical_sign: np.ndarray | None = None, n_boot: int = 1000,
              seed: int = 0) -> pd.DataFrame:  # fmt: skip
    """Per (method, target) Spearman of measured ``values`` ``(M, m)`` with summed scores of kept examples (95%
    percentile bootstrap CI over the M subsets), plus a ``probe_id='all'`` row per method: the mean with a 95%
    percentile bootstrap CI over targets (over subsets when there is one target); a target whose measured values
    vary but whose predicted sums are constant counts 0 in that mean (its own row stays NaN).

    BM25 scores have no direction; ``lexical_sign`` ``(m,)`` (the sign of each target's shift base -> tuned)
    gives them one: "text like the probe moved the value the way it moved" -- the kindest reading of the
    baseline."""
    from scipy.stats import spearmanr

    rows = []
    pos = {(e, lang): i for i, (e, lang) in enumerate(zip(examples["example_id"], examples["lang"], strict=True))}
    for method, g in influence.groupby("method", sort=False):
        per = []
        for t, tg in enumerate(targets):
            sel = g[(g.probe_id == tg[0].probe_id) & (g.lang == tg[0].lang)]
            score = np.zeros(len(examples))
            score[[pos[k] for k in zip(sel.example_id, sel.ft_lang, strict=True)]] = sel.score.to_numpy()
            if method == "lexical" and lexical_sign is not None and lexical_sign[t] != 0:
                score *= lexical_sign[t]
            predicted = masks.astype(np.float64) @ score  # (M,)
            r = spearmanr(predicted, values[:, t]).statistic if np.ptp(values[:, t]) > 0 else np.nan
            # a method whose summed scores are constant predicts nothing: worth 0 in the mean over targets (left
            # out, a BM25 with no word in common with most targets would be averaged over the one it can rank)
            per.append(0.0 if np.ptp(values[:, t]) > 0 and np.ptp(predicted) == 0 else float(r))
            t_lo, t_hi = _subset_ci(predicted, values[:, t], n_boot, seed) if np.isfinite(r) else (np.nan, np.nan)
            rows.append({"method": method, "probe_id": tg[0].probe_id, "lang": tg[0].lang, "lds": float(r),
                         "ci_low": t_lo, "ci_high": t_hi, "n_subsets": len(masks)})  # fmt: skip
        arr = np.array([r for r in per if np.isfinite(r)])
        boot = np.random.default_rng(seed).choice(arr, size=(n_boot, len(arr))).mean(axis=1) if len(arr) else arr
        lo, hi = np.percentile(boot, [2.5, 97.5]) if len(arr) > 1 else (np.nan, np.nan)
        if len(arr) == 1:  # one target: its interval over subsets (over targets there is nothing to resample)
            mine = rows[-len(targets) :]  # this method's target rows
            lo, hi = next(((r["ci_low"], r["ci_high"]) for r in mine if np.isfinite(r["lds"])), (np.nan, np.nan))
        rows.append({"method": method, "probe_id": "all", "lang": "all", "lds": float(arr.mean()) if len(arr)
                     else np.nan, "ci_low": float(lo), "ci_high": float(hi), "n_subsets": len(masks)})  # fmt: skip
    return pd.DataFrame(rows, columns=LDS_COLUMNS)


def _subset_ci(predicted: np.ndarray, measured: np.ndarray, n_boot: int, seed: int) -> tuple[float, float]:
    """95% percentile bootstrap CI of the Spearman correlation, resampling the retrained subsets."""
    from scipy.stats import rankdata

    idx = np.random.default_rng([seed, len(predicted)]).integers(0, len(predicted), size=(n_boot, len(predicted)))
    a, b = rankdata(predicted[idx], axis=1), rankdata(measured[idx], axis=1)
    a, b = a - a.mean(axis=1, keepdims=True), b - b.mean(axis=1, keepdims=True)
    den = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    rho = np.divide((a * b).sum(axis=1), den, out=np.full(n_boot, np.nan), where=den > 0)
    lo, hi = np.nanpercentile(rho, [2.5, 97.5])
    return float(lo), float(hi)


def validate(
    attribution: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    subsets: int = 10,
    fraction: float = 0.5,
    seed: int = 0,
    device: str = "auto",
    overwrite: bool = False,
) -> Path:
    """LDS of every method in a finished attribution run; writes ``lds.parquet`` (``LDS_COLUMNS``) into ``out``."""
    from valueshift.models.loading import resolve_device
    from valueshift.probes import load_probes
    from valueshift.runs import RunDir, running

    src = Path(attribution)
    manifest_path = src / "manifest.json"
    if not (src / "influence.parquet").is_file() or not manifest_path.is_file():
        raise AttributionError(f"{src}: not a finished attribution run (no influence.parquet); run attribute first")
    if subsets < 3 or not 0 < fraction < 1:
        raise AttributionError(f"subsets={subsets}, fraction={fraction}: need subsets >= 3 and 0 < fraction < 1")
    manifest = json.loads(manifest_path.read_text())
    cfg = manifest["config"]
    training = TrainingRun.load(manifest["run"])
    probe_set = load_probes(cfg["probes"], cfg["langs"])
    targets = select_targets(probe_set.probes, cfg["targets"])
    dev = str(resolve_device(device))
    config = {"attribution": manifest.get("run_key"), "subsets": subsets, "fraction": fraction, "seed": seed}
    inputs = {"attribution": str(manifest.get("outputs_sha256"))}
    rd = RunDir.open(out, command="attribute-validate", config=config, inputs=inputs, overwrite=overwrite)
    with running(rd):
        masks = subset_masks(training.examples, subsets, fraction, seed)
        values = []
        for m in range(subsets):
            v = rd.load_array(f"values-{m:03d}")
            if v is None:
                v = retrain_values(training, masks[m], targets, probe_set.probes, cfg["normalize"], dev)
                rd.save_array(f"values-{m:03d}", v)
            values.append(v)
        shifts = pd.read_parquet(src / "targets.parquet")
        sign = shifts.set_index(["probe_id", "lang"]).rank_sign.reindex([(t[0].probe_id, t[0].lang) for t in targets])
        table = lds_table(pd.read_parquet(src / "influence.parquet"), training.examples, masks, np.stack(values),
                          targets, lexical_sign=sign.fillna(0).to_numpy(), seed=seed)  # fmt: skip
        rd.write_table("lds.parquet", table)
        rd.finish(n_targets=len(targets), subsets=subsets)
    return Path(out)
