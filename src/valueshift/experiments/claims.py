"""Study-level claims across conditions, each a tested statement with an estimate, a CI and a verdict.

Lifecycle (the ``claims`` node): read the probe tables of every base and tuned run, the per-condition analyses
and any attribution runs -> four claims -> ``claims.parquet`` (columns :data:`CLAIM_COLUMNS`), ``factors.parquet``
(the statsmodels type-II ANOVA table) and ``preservation_runs.parquet`` (Mantel r per run).

1. **Factors** (:func:`factor_claims`): per-probe ``|delta|`` (tuned minus base value, per (probe, test language),
   seed and monolingual run) ~ ``C(size) + C(language) + C(domain)`` by OLS; type-II sums of squares and partial
   eta-squared ``SS_f / (SS_f + SS_resid)`` (statsmodels ``anova_lm(typ=2)``). CIs: percentile bootstrap that
   resamples probes and seeds (as frequency weights, so each resample is one weighted least-squares fit).
   A factor with one level is left out.
2. **Preservation**: Mantel r (Pearson r of the upper triangles of base and tuned similarity matrices) per run;
   the claim is ``mean r(multi) - mean r(mono)`` over cells (model, probe set, corpus, size, seed), bootstrapped
   over cells.
3. **Alignment** per condition (mean Pearson r with human data over test languages, CI over languages), and the
   best condition.
4. **Parallel overlap** of top influencers vs chance (when attribution ran): mean ``share - share_expected`` over
   targets, CI over targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CLAIM_COLUMNS", "anova_table", "factor_claims", "partial_eta2_boot", "run_claims"]

CLAIM_COLUMNS = ["claim", "subject", "model", "probe_set", "estimate", "ci_low", "ci_high", "verdict", "n", "detail"]
FACTORS = ("size", "language", "domain")


def _row(claim: str, subject: str, estimate: float, ci: tuple[float, float], verdict: str, n: int,
         detail: str = "", model: str = "", probe_set: str = "") -> dict[str, Any]:  # fmt: skip
    values = (claim, subject, model, probe_set, float(estimate), float(ci[0]), float(ci[1]), verdict, int(n), detail)
    return dict(zip(CLAIM_COLUMNS, values, strict=True))


def anova_table(df: pd.DataFrame, factors: Sequence[str], response: str = "abs_delta") -> pd.DataFrame:
    """statsmodels type-II ANOVA of ``response ~ C(f1) + C(f2) + ...`` with a ``partial_eta2`` column."""
    import statsmodels.api as sm
    from statsmodels.formula.api import ols

    formula = f"{response} ~ " + " + ".join(f"C({f})" for f in factors)
    table = sm.stats.anova_lm(ols(formula, data=df).fit(), typ=2)
    resid = float(table.loc["Residual", "sum_sq"])
    table["partial_eta2"] = table["sum_sq"] / (table["sum_sq"] + resid)
    table.loc["Residual", "partial_eta2"] = np.nan
    table.index = [str(i).removeprefix("C(").removesuffix(")") for i in table.index]
    return table


def _design(df: pd.DataFrame, factors: Sequence[str]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Intercept + treatment dummies, and the column indices of each factor."""
    cols, groups = [np.ones(len(df))], []
    for f in factors:
        levels = sorted(df[f].astype(str).unique())
        idx = []
        for level in levels[1:]:
            idx.append(len(cols))
            cols.append((df[f].astype(str) == level).to_numpy(float))
        groups.append(np.array(idx))
    return np.column_stack(cols), groups


def partial_eta2_boot(X: np.ndarray, groups: list[np.ndarray], y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Type-II partial eta-squared of each factor in a weighted main-effects fit (weights = row counts)."""
    G = X.T @ (X * w[:, None])
    h = X.T @ (w * y)
    yy = float(w @ (y * y))

    def rss(cols: np.ndarray) -> float:
        b = np.linalg.lstsq(G[np.ix_(cols, cols)], h[cols], rcond=None)[0]
        return yy - float(b @ h[cols])

    every = np.arange(X.shape[1])
    full = rss(every)
    ss = np.array([rss(np.setdiff1d(every, g)) - full for g in groups])
    return ss / (ss + full)


def factor_claims(
    rows: pd.DataFrame, *, n_boot: int, level: float, seed: int
) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """Factor-share claims (see the module docstring) for one model and probe set; also the ANOVA table."""
    factors = [f for f in FACTORS if rows[f].nunique() > 1]
    if not factors:
        return [], pd.DataFrame()
    table = anova_table(rows, factors)
    X, groups = _design(rows, factors)
    y = rows["abs_delta"].to_numpy(float)
    probe_idx = pd.factorize(rows["probe"])[0]
    seed_idx = pd.factorize(rows["seed"])[0]
    n_p, n_s = probe_idx.max() + 1, seed_idx.max() + 1
    rng = np.random.default_rng([seed, 1])
    boots = np.empty((n_boot, len(factors)))
    for b in range(n_boot):
        cp = np.bincount(rng.integers(0, n_p, n_p), minlength=n_p)
        cs = np.bincount(rng.integers(0, n_s, n_s), minlength=n_s)
        boots[b] = partial_eta2_boot(X, groups, y, (cp[probe_idx] * cs[seed_idx]).astype(float))
    est = table.loc[factors, "partial_eta2"].to_numpy(float)
    lo, hi = np.nanquantile(boots, [(1 - level) / 2, (1 + level) / 2], axis=0)
    best = int(np.argmax(est))
    p_largest = (np.argmax(boots, axis=1)[:, None] == np.arange(len(factors))).mean(axis=0)
    out = [
        _row("factor_share", f, est[i], (lo[i], hi[i]), "largest" if i == best else "smaller", len(rows),
             f"partial eta^2 of |delta| (type-II ANOVA); bootstrap P(largest) = {p_largest[i]:.2f}")
        for i, f in enumerate(factors)
    ]  # fmt: skip
    out.append(_row("largest_factor", factors[best], est[best], (lo[best], hi[best]), factors[best], len(rows),
                    f"P(largest) = {p_largest[best]:.2f} over {n_boot} resamples of probes and seeds"))  # fmt: skip
    return out, table.reset_index(names="term")


def _mean_ci(x: np.ndarray, n_boot: int, level: float, rng: np.random.Generator) -> tuple[float, float, float]:
    x = np.asarray(x, float)[np.isfinite(x)]
    if len(x) == 0:
        return np.nan, np.nan, np.nan
    means = x[rng.integers(0, len(x), (n_boot, len(x)))].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return float(x.mean()), float(lo), float(hi)


def _values(run_dir: Path) -> pd.DataFrame:
    frame = pd.read_parquet(run_dir / "probe_scores.parquet")
    keys = ["probe_set", "probe_id", "lang", "group", "direction"]
    return frame.groupby(keys, dropna=False, sort=False)["value"].mean().reset_index()


def _mantel_r(base: pd.DataFrame, tuned: pd.DataFrame, profile: dict[str, Any], method: str) -> float:
    from valueshift.analysis import ProfileOptions, build_profiles, similarity_matrix

    opts = ProfileOptions(**profile)
    mb = similarity_matrix(build_profiles(base, opts), method)  # type: ignore[arg-type]
    mt = similarity_matrix(build_profiles(tuned, opts), method).loc[mb.index, mb.columns]  # type: ignore[arg-type]
    iu = np.triu_indices(len(mb), k=1)
    a, b = mb.to_numpy()[iu], mt.to_numpy()[iu]
    ok = np.isfinite(a) & np.isfinite(b)
    return float(np.corrcoef(a[ok], b[ok])[0, 1]) if ok.sum() >= 3 else np.nan


def run_claims(node: Any, deps: dict[str, Path], job: dict[str, Any], *, overwrite: bool = False) -> None:
    """The ``claims`` node: compute every claim from the upstream run directories into ``node.out``."""
    from valueshift.runs import RunDir, running

    p, s = node.params, node.params["settings"]
    rng = np.random.default_rng([s["seed"], 2])
    runs: list[pd.DataFrame] = []
    values: dict[str, pd.DataFrame] = {}
    for tid, meta in p["tuned"].items():
        base = values.setdefault(meta["base"], _values(deps[meta["base"]]))
        tuned = _values(deps[tid])
        merged = base.merge(tuned, on=["probe_set", "probe_id", "lang"], suffixes=("_base", ""))
        delta = pd.DataFrame({"probe": merged["probe_id"].astype(str) + "|" + merged["lang"],
                              "abs_delta": (merged["value"] - merged["value_base"]).abs()})  # fmt: skip
        runs.append(delta.assign(**{k: meta[k] for k in ("model", "probe_set", "domain", "size", "strategy", "seed")},
                                 language=meta["run"], corpus=meta["corpus"], node=tid,
                                 mantel_r=_mantel_r(base, tuned, p["profile"], s["method"])))  # fmt: skip
    rows = pd.concat(runs, ignore_index=True).dropna(subset=["abs_delta"])
    claims, anovas = [], []
    for (model, ps), g in rows.groupby(["model", "probe_set"], sort=False):
        mono = g[g["strategy"] == "mono"]
        got, table = factor_claims(mono if len(mono) else g, n_boot=s["n_boot"], level=s["ci_level"], seed=s["seed"])
        claims += [{**c, "model": model, "probe_set": ps} for c in got]
        anovas.append(table.assign(model=model, probe_set=ps))
    per_run = rows.drop_duplicates("node")[["node", "model", "probe_set", "corpus", "domain", "size", "strategy",
                                            "language", "seed", "mantel_r"]].reset_index(drop=True)  # fmt: skip
    cells = per_run.groupby(["model", "probe_set", "corpus", "size", "seed", "strategy"])["mantel_r"].mean().unstack()
    if {"multi", "mono"} <= set(cells.columns):
        est, lo, hi = _mean_ci((cells["multi"] - cells["mono"]).to_numpy(), s["n_boot"], s["ci_level"], rng)
        verdict = "multi preserves more" if lo > 0 else "mono preserves more" if hi < 0 else "no clear difference"
        claims.append(_row("preservation_multi_minus_mono", "all", est, (lo, hi), verdict, len(cells),
                           f"Mantel r ({s['method']}) of base vs tuned similarity; cells: model, probes, corpus, "
                           "size, seed"))  # fmt: skip
    claims += _alignment_claims(p["analyses"], deps, s, rng)
    claims += _overlap_claims(p["attributions"], deps, s, rng)
    run = RunDir.open(node.out, **job, overwrite=overwrite, seed=s["seed"])
    with running(run):
        run.write_table("claims.parquet", pd.DataFrame(claims, columns=CLAIM_COLUMNS))
        run.write_table("factors.parquet", pd.concat(anovas, ignore_index=True) if anovas else pd.DataFrame())
        run.write_table("preservation_runs.parquet", per_run)
        run.finish(n_claims=len(claims))


def _alignment_claims(analyses: dict[str, Any], deps: dict[str, Path], s: dict[str, Any],
                      rng: np.random.Generator) -> list[dict[str, Any]]:  # fmt: skip
    out = []
    for aid, meta in analyses.items():
        table = pd.read_parquet(deps[aid] / "alignment.parquet")
        table = table[(table["scope"] == "language") & (table["condition"] != "base")]
        for (source, label), g in table.groupby(["source", "condition"], sort=False):
            est, lo, hi = _mean_ci(g["pearson_r"].to_numpy(), s["n_boot"], s["ci_level"], rng)
            subject = f"{meta['corpus']}/{meta['strategy']}-{meta['size']}/{label} vs {source}"
            verdict = "aligned" if lo > 0 else "anti-aligned" if hi < 0 else "not distinguishable from 0"
            out.append(_row("alignment", subject, est, (lo, hi), verdict, len(g), "mean Pearson r over test langs",
                            meta["model"], meta["probe_set"]))  # fmt: skip
    if out:
        best = max((r for r in out if np.isfinite(r["estimate"])), key=lambda r: r["estimate"], default=None)
        if best is not None:
            out.append({**best, "claim": "best_alignment", "verdict": best["subject"]})
    return out


def _overlap_claims(attributions: list[str], deps: dict[str, Path], s: dict[str, Any],
                    rng: np.random.Generator) -> list[dict[str, Any]]:  # fmt: skip
    parts = [pd.read_parquet(deps[a] / "overlap.parquet").assign(node=a) for a in attributions]
    parts = [p for p in parts if len(p)]
    if not parts:
        return []
    table = pd.concat(parts, ignore_index=True)
    per_target = table[(table["ft_lang_a"] == "all") & (table["probe_id"] != "all")]
    out = []
    for method, g in per_target.groupby("method", sort=False):
        est, lo, hi = _mean_ci((g["share"] - g["share_expected"]).to_numpy(), s["n_boot"], s["ci_level"], rng)
        verdict = "above chance" if lo > 0 else "below chance" if hi < 0 else "at chance"
        out.append(_row("parallel_overlap_minus_chance", str(method), est, (lo, hi), verdict, len(g),
                        f"mean share {g['share'].mean():.3f} vs chance {g['share_expected'].mean():.3f}"))  # fmt: skip
    return out
