"""Recovery metrics of known-truth (planted) studies: effect, detector rates, echo across languages, attribution.

Lifecycle: probe the control and treatment runs of each seed (same base corpus, seed and settings; treatment =
control + planted lines, :mod:`valueshift.corpora.planted`) -> :func:`planted_effects` (per probe and language:
the difference in differences ``(treatment - base) - (control - base) = treatment - control`` per seed, its mean,
bootstrap CI over seeds, sign-flip p, BH q, rank) -> :func:`detector_rates` (sensitivity on the planted probes in
the planted languages, false-positive rate on the others, at the threshold and with the significance test) ->
:func:`echo_table` (each planted probe's effect in every test language as a share of its effect in the planted
language(s), per condition) -> :func:`attribution_recovery` (precision@k / recall@k of the planted lines in the
top-k of every method of an attribution run's ``influence.parquet``).

Only rows of template :data:`~valueshift.corpora.planted.PROBE_TEMPLATE` are used when the tables hold several
templates: planting uses the paraphrases, probing the held-out template. The planted answer sets the expected
sign: ``value = score(pos) - score(neg)``, so planting ``neg`` should lower it (``expected_sign`` -1).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

import numpy as np
import pandas as pd

from valueshift.analysis.shifts import DEFAULT_ALPHA, DEFAULT_N_BOOT, DEFAULT_N_PERM, DEFAULT_THRESHOLD
from valueshift.analysis.stats import bh_fdr, bootstrap_mean_ci, sign_flip_test
from valueshift.corpora.planted import PROBE_TEMPLATE
from valueshift.errors import AnalysisError
from valueshift.seeding import keyed_rng

__all__ = [
    "EFFECT_COLUMNS", "RecoverySummary", "attribution_recovery", "detector_rates", "echo_table", "planted_effects",
    "read_recovery",
]  # fmt: skip

EFFECT_COLUMNS = [
    "condition", "lang", "probe_id", "planted", "planted_lang", "expected_sign", "effect", "ci_low", "ci_high",
    "n_seeds", "p", "q", "sign_correct", "rank",
]  # fmt: skip
Table: TypeAlias = pd.DataFrame | str | os.PathLike[str]


def _values(table: Table, template: int) -> pd.Series:
    """``value`` by (lang, probe_id), from a probe table or its run directory, held-out template only."""
    if not isinstance(table, pd.DataFrame):
        path = Path(table)
        table = pd.read_parquet(path / "probe_scores.parquet" if path.is_dir() else path)
    df = table
    if "template_id" in df.columns and df["template_id"].notna().any():
        df = df[df["template_id"] == template]
    if df.duplicated(["lang", "probe_id"]).any():
        raise AnalysisError("a probe table has several rows per (lang, probe_id) after selecting the template")
    return df.set_index(["lang", "probe_id"])["value"].astype(float)


def _expected_signs(planted: pd.DataFrame) -> dict[str, int]:
    """probe_id -> the sign planting moves its value: +1 for the positive answer, -1 for the negative (default)."""
    side = planted.get("answer_side", pd.Series(["neg"] * len(planted), index=planted.index))
    return dict(zip(planted["probe_id"], np.where(side == "pos", 1, -1).tolist(), strict=True))


def planted_effects(
    control: Sequence[Table],
    treatment: Sequence[Table],
    planted: pd.DataFrame,
    *,
    condition: str = "",
    template: int = PROBE_TEMPLATE,
    ci_level: float = 0.95,
    n_boot: int = DEFAULT_N_BOOT,
    n_perm: int = DEFAULT_N_PERM,
    seed: int = 0,
) -> pd.DataFrame:
    """Treatment - control effect per (lang, probe_id), paired by seed (``control[i]`` and ``treatment[i]``).

    Parameters
    ----------
    control, treatment
        Probe tables (DataFrames, parquet paths or probe run directories), one per seed, in the same seed order.
    planted
        The ``planted.parquet`` record (``lang, probe_id, answer``): which probes were planted, where, which way.
    condition
        Label written to the ``condition`` column (e.g. ``mono-parallel``).

    Returns
    -------
    DataFrame
        Columns :data:`EFFECT_COLUMNS`. ``planted``: the probe was planted (in any language);
        ``planted_lang``: and in this language. ``effect`` is the mean over seeds; CI a percentile bootstrap over
        seeds (NaN with one seed); ``p`` the two-sided sign-flip test, ``q`` BH within the condition.
        ``rank``: 1 = the largest move in the expected direction among all probes of the language (planted probes
        only; NA elsewhere).

    Examples
    --------
    >>> c = [pd.DataFrame({"lang": ["de", "de"], "probe_id": ["1", "2"], "value": [1.0, 0.0]})] * 2
    >>> t = [pd.DataFrame({"lang": ["de", "de"], "probe_id": ["1", "2"], "value": [v, 0.5]}) for v in (-1.0, 0.0)]
    >>> rec = pd.DataFrame({"lang": ["de"], "probe_id": ["1"], "answer": ["unwichtig"], "answer_side": ["neg"]})
    >>> e = planted_effects(c, t, rec)
    >>> e.loc[e.planted, ["effect", "sign_correct", "rank"]].values.tolist()
    [[-1.5, True, 1]]
    """
    if len(control) != len(treatment) or not control:
        raise AnalysisError(f"need one control per treatment table (got {len(control)} and {len(treatment)})")
    diffs = [_values(t, template) - _values(c, template) for c, t in zip(control, treatment, strict=True)]
    d = pd.concat(diffs, axis=1)
    if d.isna().all(axis=1).any():
        missing = d.index[d.isna().all(axis=1)][:3].tolist()
        raise AnalysisError(f"control and treatment tables do not cover the same probes (e.g. {missing})")
    arr = d.to_numpy()
    rng = keyed_rng(seed, "recovery", condition)
    low, high = bootstrap_mean_ci(arr, n_boot=n_boot, level=ci_level, rng=rng)
    p = sign_flip_test(arr, n_perm=n_perm, rng=rng) if arr.shape[1] > 1 else np.full(len(arr), np.nan)
    sign_by_probe = _expected_signs(planted)
    planted_pairs = set(zip(planted["lang"], planted["probe_id"], strict=True))
    out = pd.DataFrame({"lang": d.index.get_level_values(0), "probe_id": d.index.get_level_values(1)})
    out.insert(0, "condition", condition)
    out["planted"] = out["probe_id"].isin(sign_by_probe)
    out["planted_lang"] = [(lg, pid) in planted_pairs for lg, pid in zip(out.lang, out.probe_id, strict=True)]
    out["expected_sign"] = out["probe_id"].map(sign_by_probe).astype("Int64")
    out["effect"] = np.nanmean(arr, axis=1)
    out["ci_low"], out["ci_high"] = low, high
    out["n_seeds"] = np.isfinite(arr).sum(axis=1)
    out["p"], out["q"] = p, bh_fdr(p)
    out["sign_correct"] = pd.array(
        [None if pd.isna(s) else bool(np.sign(e) == s) for e, s in zip(out.effect, out.expected_sign, strict=True)],
        dtype="boolean",
    )
    ranks = pd.array([pd.NA] * len(out), dtype="Int64")
    for i in np.flatnonzero(out["planted"].to_numpy()):
        same = out["lang"].to_numpy() == out["lang"].iat[i]
        moved = out["effect"].to_numpy()[same] * int(out["expected_sign"].iat[i])
        ranks[i] = int((moved > out["effect"].iat[i] * int(out["expected_sign"].iat[i])).sum()) + 1
    out["rank"] = ranks
    return out[EFFECT_COLUMNS]


def detector_rates(
    effects: pd.DataFrame, *, threshold: float = DEFAULT_THRESHOLD, alpha: float = DEFAULT_ALPHA
) -> pd.DataFrame:
    """The shift detector against the control: sensitivity on planted (probe, language) pairs, FPR on the others.

    Only the planted languages count (in the others the truth is unknown: an echo is expected but not known).
    ``threshold``: ``|effect| > threshold`` in the planted direction (FPR: in either direction);
    ``significant``: ``q < alpha`` (and the planted direction for sensitivity). The sign-flip test cannot reach
    0.05 with fewer than 6 seeds, so ``significant`` rates are 0 there by construction.

    Returns
    -------
    DataFrame
        One row per (condition, rule): ``rule`` (``threshold`` / ``significant``), ``sensitivity``,
        ``false_positive_rate``, ``n_planted``, ``n_other``.
    """
    rows = []
    for cond, e in effects.groupby("condition", sort=False):
        langs = set(e.loc[e["planted_lang"], "lang"])
        e = e[e["lang"].isin(langs)]
        hit = e["planted_lang"].to_numpy()
        other = ~e["planted"].to_numpy()
        sign = e["expected_sign"].fillna(0).to_numpy(dtype=float)
        eff = e["effect"].to_numpy()
        for rule, flag in (
            ("threshold", np.abs(eff) > threshold),
            ("significant", np.nan_to_num(e["q"].to_numpy(dtype=float), nan=1.0) < alpha),
        ):
            right_way = flag & (np.sign(eff) == sign)
            rows.append({
                "condition": cond, "rule": rule, "threshold": threshold, "alpha": alpha,
                "sensitivity": right_way[hit].mean() if hit.any() else np.nan,
                "false_positive_rate": flag[other].mean() if other.any() else np.nan,
                "n_planted": int(hit.sum()), "n_other": int(other.sum()),
            })  # fmt: skip
    return pd.DataFrame(rows)


def echo_table(effects: pd.DataFrame) -> pd.DataFrame:
    """Each planted probe's effect in every test language as a share of its effect in the planted language(s).

    Returns
    -------
    DataFrame
        One row per (condition, probe_id, lang): ``effect``, ``ci_low``, ``ci_high``, ``planted_effect`` (mean
        effect over the planting languages), ``echo`` (``effect / planted_effect``; 1 in a planted language),
        ``planted_lang``.

    Examples
    --------
    >>> e = pd.DataFrame({"condition": "m", "lang": ["de", "fa"], "probe_id": "1", "planted": True,
    ...                   "planted_lang": [True, False], "effect": [-2.0, -0.5], "ci_low": 0.0, "ci_high": 0.0})
    >>> echo_table(e).echo.tolist()
    [1.0, 0.25]
    """
    p = effects[effects["planted"]].copy()
    home = p[p["planted_lang"]].groupby(["condition", "probe_id"])["effect"].mean().rename("planted_effect")
    p = p.merge(home, on=["condition", "probe_id"], how="left")
    p["echo"] = p["effect"] / p["planted_effect"].where(p["planted_effect"] != 0)
    cols = ["condition", "probe_id", "lang", "planted_lang", "effect", "ci_low", "ci_high", "planted_effect", "echo"]
    return p[cols].sort_values(["condition", "probe_id", "planted_lang", "lang"], ascending=[True, True, False, True])


def attribution_recovery(
    influence: pd.DataFrame | str | os.PathLike[str], planted: pd.DataFrame, *, ks: Sequence[int] = (5, 10, 20)
) -> pd.DataFrame:
    """Precision@k and recall@k of the planted lines in each method's ranking (``influence.parquet``).

    A line counts as relevant for a target probe when it was planted for that probe, in the ranking's
    fine-tuning language (``ft_lang``, ``unit_id`` in ``planted``). ``chance`` is the relevant share of the
    ranked lines: the expected precision of a random ranking.

    Gradient methods are ranked by influence **in the planted direction** (``score * expected_sign``, largest
    first; ``score > 0`` = the line moves the value up), not by the attribution run's own ``rank``: that one
    follows the treatment's base -> tuned shift, whose sign is set by the whole corpus and need not be the planted
    direction (the planted effect is treatment - control). The lexical baseline has no direction and keeps its rank.

    Returns
    -------
    DataFrame
        One row per (method, probe_id, lang, ft_lang, k): ``precision``, ``recall``, ``chance``,
        ``n_relevant``, ``n_ranked``.

    Examples
    --------
    >>> inf = pd.DataFrame({"method": "trak", "probe_id": "1", "lang": "de", "ft_lang": "de",
    ...                     "unit_id": ["a", "planted:0", "b", "planted:1"], "score": [-0.5, -0.9, 0.3, 0.1]})
    >>> rec = pd.DataFrame({"lang": ["de", "de"], "probe_id": "1", "unit_id": ["planted:0", "planted:1"],
    ...                     "answer_side": "neg"})
    >>> attribution_recovery(inf, rec, ks=[2])[["precision", "recall", "chance"]].values.tolist()
    [[0.5, 0.5, 0.5]]
    """
    if not isinstance(influence, pd.DataFrame):
        path = Path(influence)
        influence = pd.read_parquet(path / "influence.parquet" if path.is_dir() else path)
    relevant = set(zip(planted["probe_id"].astype(str), planted["lang"], planted["unit_id"].astype(str), strict=True))
    direction = {str(p): sign for p, sign in _expected_signs(planted).items()}
    inf = influence.copy()
    inf["relevant"] = [
        (str(p), lg, str(u)) in relevant
        for p, lg, u in zip(inf["probe_id"], inf["ft_lang"], inf["unit_id"], strict=True)
    ]
    rows = []
    for (method, pid, lang, ft), g in inf.groupby(["method", "probe_id", "lang", "ft_lang"], sort=False):
        if method == "lexical" or str(pid) not in direction:
            order = g["rank"].to_numpy()
        else:  # 1 = the line that moves the value furthest towards the planted answer
            ascending = -g["score"].to_numpy(dtype=float) * direction[str(pid)]  # most planted-ward first
            order = np.argsort(np.argsort(ascending, kind="stable"), kind="stable") + 1
        n_rel = int(g["relevant"].sum())
        for k in ks:
            found = int((g["relevant"].to_numpy() & (order <= k)).sum())
            rows.append({
                "method": method, "probe_id": pid, "lang": lang, "ft_lang": ft, "k": int(k),
                "precision": found / min(k, len(g)), "recall": found / n_rel if n_rel else np.nan,
                "chance": n_rel / len(g), "n_relevant": n_rel, "n_ranked": len(g),
            })  # fmt: skip
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class RecoverySummary:
    """What a recovery run found, in the shape a reader checks against what was planted.

    ``headline``: one row per (condition, planted probe, planting language): effect, CI, p, q, sign_correct,
    ci_excludes_0 (recovered = sign_correct and ci_excludes_0), rank, ``n_probes`` (probes ranked in that
    language) and, when the run recorded it, the planted ``answer`` word. ``echo``, ``detector``: the run's tables.
    ``attribution``: precision@k / recall@k / chance averaged over the attributed runs (seeds) per (condition,
    method, probe_id, k), over the rankings that hold planted lines (fine-tuning languages planted in), with
    ``lift = precision / chance`` and ``n_runs``; empty when nothing was attributed.
    """

    headline: pd.DataFrame
    echo: pd.DataFrame
    detector: pd.DataFrame
    attribution: pd.DataFrame


def read_recovery(run_dir: str | os.PathLike[str]) -> RecoverySummary:
    """The tables of a recovery run directory (``effects``, ``echo``, ``detector``, ``attribution_recovery``)."""
    path = Path(run_dir)
    if not (path / "effects.parquet").is_file():
        raise AnalysisError(f"{path}: no effects.parquet; is this a recovery run directory?")
    effects = pd.read_parquet(path / "effects.parquet")
    n_probes = effects.groupby(["condition", "lang"])["probe_id"].nunique().rename("n_probes")
    headline = effects[effects["planted_lang"]].join(n_probes, on=["condition", "lang"])
    headline["ci_excludes_0"] = (headline["ci_low"] > 0) | (headline["ci_high"] < 0)  # False without a CI
    keep = ["condition", "probe_id", "lang", "expected_sign", "effect", "ci_low", "ci_high", "n_seeds", "p", "q",
            "sign_correct", "ci_excludes_0", "rank", "n_probes"]  # fmt: skip
    extra = [c for c in ("strategy", "run", "plant_strategy", "rate") if c in headline.columns]
    if (path / "planted.parquet").is_file():  # the planted answer word in each planting language
        answers = pd.read_parquet(path / "planted.parquet").drop_duplicates(["condition", "lang", "probe_id"])
        headline = headline.merge(answers[["condition", "lang", "probe_id", "answer"]], how="left",
                                  on=["condition", "lang", "probe_id"])  # fmt: skip
        extra.append("answer")
    attribution = pd.DataFrame()
    if (path / "attribution_recovery.parquet").is_file():
        rec = pd.read_parquet(path / "attribution_recovery.parquet")
        # rankings of a fine-tuning language nobody planted in (a multilingual run's other languages) hold no
        # planted line: their precision is 0 by construction and would only dilute the mean
        rec = rec[rec["n_relevant"] > 0]
        keys = ["condition", "method", "probe_id", "k"]
        attribution = rec.groupby(keys, sort=False).agg(
            precision=("precision", "mean"), recall=("recall", "mean"), chance=("chance", "mean"),
            n_runs=("precision", "size"),
        ).reset_index()  # fmt: skip
        attribution["lift"] = attribution["precision"] / attribution["chance"].where(attribution["chance"] > 0)
    return RecoverySummary(
        headline=headline[keep + extra].reset_index(drop=True),
        echo=pd.read_parquet(path / "echo.parquet"),
        detector=pd.read_parquet(path / "detector.parquet"),
        attribution=attribution,
    )
