"""Value shifts between a base and a tuned model: deltas, label flips, thresholds, significance, summaries.

Lifecycle: :func:`compute_shifts` (one condition: base table + one or more seed tables → tidy shift rows)
→ :func:`summarize_shifts` (counts and shares per condition and language)
→ :func:`shift_consistency` (does a shift point the same way across test languages / fine-tuning languages?).

Definitions (Choenni et al. 2024, sec. 4.1 "value shifts"; both the label-flip and the log-odds view):

* ``delta = mean_s(value_tuned_s) - value_base`` per (probe, language), over the condition's seeds ``s``;
  ``delta_oriented = delta * direction`` (> 0: moved up the survey's answer scale).
* ``flipped``: the winning answer changed — for a pair probe ``sign(value)`` (``answer_pos`` wins when > 0);
  for an option probe, whether it is the top option of its group.
* ``shifted``: ``|delta| > threshold`` (default :data:`DEFAULT_THRESHOLD` = 0.5 nats of log-odds, an odds
  ratio of about 1.65).
* With >= 2 seeds: a percentile bootstrap CI of the mean delta, a two-sided sign-flip permutation test of
  mean delta = 0, Benjamini-Hochberg q-values within the condition, ``significant = q < alpha``. With one seed
  these are NaN / NA.

References
----------
Choenni, R., Lauscher, A., & Shutova, E. (2024). The Echoes of Multilinguality: Tracing Cultural Value Shifts
during LM Fine-tuning. ACL 2024, sec. 4.

Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate. *JRSS B* 57(1), 289-300.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd

from valueshift.analysis.stats import bh_fdr, bootstrap_mean_ci, correlate, sign_flip_test
from valueshift.analysis.tables import ProbeTable, stack_values
from valueshift.seeding import keyed_rng

__all__ = [
    "DEFAULT_ALPHA",
    "DEFAULT_N_BOOT",
    "DEFAULT_N_PERM",
    "DEFAULT_THRESHOLD",
    "compute_shifts",
    "shift_consistency",
    "summarize_shifts",
]

DEFAULT_THRESHOLD = 0.5  # |delta| in nats of log-odds above which a probe counts as shifted
DEFAULT_ALPHA = 0.05  # FDR level for `significant`
DEFAULT_N_BOOT = 2000  # bootstrap resamples of the seeds
DEFAULT_N_PERM = 9999  # random sign patterns when there are more than 12 seeds (fewer: exact enumeration)


def _winners(frame: pd.DataFrame, values: np.ndarray) -> pd.array:
    """Nullable bool per row: pair probe value > 0, or option probe is the top option of its group."""
    win = pd.array(np.where(np.isfinite(values), values > 0, False), dtype="boolean")
    win[~np.isfinite(values)] = pd.NA
    is_opt = frame["group"].notna().to_numpy()
    if is_opt.any():
        sub = pd.DataFrame(
            {"k1": frame["probe_set"], "k2": frame["lang"], "k3": frame["group"].astype(str), "v": values}
        )[is_opt]
        top = sub.groupby(["k1", "k2", "k3"])["v"].transform("max").to_numpy()
        opt = pd.array(sub["v"].to_numpy() >= top, dtype="boolean")
        opt[~np.isfinite(sub["v"].to_numpy())] = pd.NA
        win[is_opt] = opt
    return win


def compute_shifts(
    base: ProbeTable,
    seeds: Sequence[ProbeTable],
    *,
    condition: str,
    threshold: float = DEFAULT_THRESHOLD,
    alpha: float = DEFAULT_ALPHA,
    n_boot: int = DEFAULT_N_BOOT,
    n_perm: int = DEFAULT_N_PERM,
    ci_level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Shift rows of one fine-tuning condition.

    Parameters
    ----------
    base
        The base model's table.
    seeds
        One table per seed of the tuned condition (already checked to match ``base``).
    condition
        Label written to the ``condition`` column.
    threshold
        ``shifted = |delta| > threshold``; default 0.5 (nats of log-odds).
    alpha
        FDR level: ``significant = q_value < alpha``; default 0.05.
    n_boot, n_perm, ci_level
        Bootstrap resamples (default 2000), random sign patterns beyond 12 seeds (default 9999), CI level.
    seed
        Resampling draws come from the stream keyed by ``(seed, "shifts", condition)``, so a condition's CIs and
        p-values do not depend on which other conditions are analysed with it.

    Returns
    -------
    pandas.DataFrame
        One row per (probe, lang): ``condition, probe_set, probe_id, question_id, group, direction, lang,
        value_base, value_tuned, delta, delta_oriented, abs_delta, flipped, shifted, n_seeds, delta_sd,
        ci_low, ci_high, p_value, q_value, significant``. ``flipped``/``significant`` are nullable booleans.
    """
    rng = keyed_rng(seed, "shifts", condition)
    frame, tuned = stack_values(base, seeds)  # tuned: (N, S)
    vb = frame["value"].to_numpy(float)
    d = tuned - vb[:, None]  # (N, S) per-seed deltas
    n_seeds = np.isfinite(d).sum(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows give NaN, which is what we want
        vt = np.nanmean(tuned, axis=1)
        delta = np.nanmean(d, axis=1)
        sd = np.nanstd(d, axis=1, ddof=1) if d.shape[1] > 1 else np.full(len(d), np.nan)
    direction = frame["direction"].to_numpy(float)
    out = frame[["probe_set", "probe_id", "question_id", "group", "direction", "lang"]].copy()
    out.insert(0, "condition", condition)
    out["value_base"] = vb
    out["value_tuned"] = vt
    out["delta"] = delta
    out["delta_oriented"] = delta * direction
    out["abs_delta"] = np.abs(delta)
    wb, wt = _winners(frame, vb), _winners(frame, vt)
    out["flipped"] = pd.array(wb != wt, dtype="boolean")
    out["shifted"] = np.where(np.isfinite(delta), np.abs(delta) > threshold, False)
    out["n_seeds"] = n_seeds.astype(int)
    out["delta_sd"] = sd
    if d.shape[1] >= 2:
        low, high = bootstrap_mean_ci(d, n_boot=n_boot, level=ci_level, rng=rng)
        p = sign_flip_test(d, n_perm=n_perm, rng=rng)
        q = bh_fdr(p)
        sig = pd.array(q < alpha, dtype="boolean")
        sig[~np.isfinite(q)] = pd.NA
    else:
        low = high = p = q = np.full(len(d), np.nan)
        sig = pd.array([pd.NA] * len(d), dtype="boolean")
    out["ci_low"], out["ci_high"], out["p_value"], out["q_value"] = low, high, p, q
    out["significant"] = sig
    return out.reset_index(drop=True)


def summarize_shifts(shifts: pd.DataFrame) -> pd.DataFrame:
    """Counts and shares of shifted probes per condition and language (``lang = "all"`` for the total).

    Returns
    -------
    pandas.DataFrame
        ``condition, lang, n_probes, n_shifted, share_shifted, n_flipped, share_flipped, n_significant,
        n_shifted_significant, mean_abs_delta, n_seeds``; ``n_significant`` is NaN with a single seed.
    """
    rows = []
    for (cond, lang), g in [
        *shifts.groupby(["condition", "lang"], sort=False),
        *(((c, "all"), g) for c, g in shifts.groupby("condition", sort=False)),
    ]:
        n = int(g["delta"].notna().sum())
        has_sig = g["significant"].notna().any()
        sig = g["significant"].fillna(False).astype(bool)
        rows.append({
            "condition": cond, "lang": lang, "n_probes": n,
            "n_shifted": int(g["shifted"].sum()), "share_shifted": g["shifted"].sum() / n if n else np.nan,
            "n_flipped": int(g["flipped"].fillna(False).sum()),
            "share_flipped": g["flipped"].fillna(False).sum() / n if n else np.nan,
            "n_significant": float(sig.sum()) if has_sig else np.nan,
            "n_shifted_significant": float((sig & g["shifted"]).sum()) if has_sig else np.nan,
            "mean_abs_delta": float(g["abs_delta"].mean()), "n_seeds": int(g["n_seeds"].max()),
        })  # fmt: skip
    return pd.DataFrame(rows)


def _agreement(wide: pd.DataFrame, shifted: pd.DataFrame) -> tuple[float, int]:
    """Mean over probes (>= 2 shifted columns) of the share of shifted columns with the majority sign."""
    signs = np.sign(wide.where(shifted).to_numpy(float))  # (P, C) NaN where not shifted
    n_pos = (signs > 0).sum(axis=1)
    n_neg = (signs < 0).sum(axis=1)
    n = n_pos + n_neg
    ok = n >= 2
    if not ok.any():
        return np.nan, 0
    return float((np.maximum(n_pos, n_neg)[ok] / n[ok]).mean()), int(ok.sum())


def _mean_pairwise_r(wide: pd.DataFrame) -> tuple[float, int]:
    rs = [correlate(wide[a].to_numpy(), wide[b].to_numpy())[0] for a, b in combinations(wide.columns, 2)]
    rs = [r for r in rs if np.isfinite(r)]
    return (float(np.mean(rs)) if rs else np.nan), len(rs)


def shift_consistency(shifts: pd.DataFrame) -> pd.DataFrame:
    """Does a probe shift the same way across test languages, and across fine-tuning conditions?

    Two scopes (Choenni et al. 2024, sec. 4.1):

    * ``across_test_langs`` — per condition, compare each probe's delta over the test languages;
    * ``across_conditions`` — per test language, compare each probe's delta over the conditions.

    For each: ``direction_agreement`` = mean over probes shifted in >= 2 columns of the share of those columns
    whose delta has the majority sign (0.5-1; 1 = all agree), ``n_probes`` such probes, and
    ``mean_pairwise_r`` = mean Pearson correlation of the delta vectors between columns (``n_pairs``).

    Returns
    -------
    pandas.DataFrame
        ``scope, condition, lang, direction_agreement, n_probes, mean_pairwise_r, n_pairs`` (``lang`` is None
        for ``across_test_langs``, ``condition`` None for ``across_conditions``); NaN where not computable.
    """
    rows = []
    key = shifts["probe_set"].astype(str) + ":" + shifts["probe_id"].astype(str)
    df = shifts.assign(_k=key)

    def measures(g: pd.DataFrame, across: str) -> tuple[float, int, float, int]:
        # probes x {test languages | conditions}: agreement of shift signs and mean pairwise r of deltas
        wide = g.pivot(index="_k", columns=across, values="delta")
        sh = g.pivot(index="_k", columns=across, values="shifted").astype(bool)
        return (*_agreement(wide, sh), *_mean_pairwise_r(wide))

    for cond, g in df.groupby("condition", sort=False):
        rows.append(("across_test_langs", cond, None, *measures(g, "lang")))
    if df["condition"].nunique() >= 2:
        for lang, g in df.groupby("lang", sort=False):
            rows.append(("across_conditions", None, lang, *measures(g, "condition")))
    cols = ["scope", "condition", "lang", "direction_agreement", "n_probes", "mean_pairwise_r", "n_pairs"]
    return pd.DataFrame(rows, columns=cols)
