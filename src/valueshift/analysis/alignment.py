"""Alignment of model values with human survey figures, per language and as a similarity structure.

Lifecycle: :func:`load_human` (a ``--human`` source → :class:`HumanReference`)
→ :func:`model_items` (a model's probe values → one oriented value per language and survey item)
→ :func:`human_alignment` (per-language correlation and agreement, per-item rows, matrix comparison).

Both views (Choenni et al. 2024, sec. 4.3 "alignment with human data"), correlation and agreement:

* **continuous** — per language, Pearson and Spearman correlation between the model's oriented item values and
  the mapped country's human figures over the items both cover, with n and p;
* **binary** — ``agreement``: the share of items where ``sign(model oriented value)`` matches the side of the
  scale midpoint the country's population is on.

Model values are *oriented* first: ``value * direction`` is > 0 when the model prefers the answer that is
higher on the survey's answer scale; probes without a direction are left out. Items with several probes are
averaged.

Sources:

``wvs-moral``
    WVS-7 moral items Q177-Q195 per country in [-1, 1] (Ramezani & Xu 2023); midpoint 0.
``hofstede``
    Hofstede's six dimensions; model dimensions come from the VSM probes through
    :func:`valueshift.analysis.hofstede.hofstede_indices`. The VSM index constants are arbitrary (Hofstede &
    Minkov 2013, sec. 4), so both sides are z-scored per dimension across the analysed languages' countries;
    correlations are then over the 6 dimensions per language, agreement compares sides of the sample mean,
    and ``scope = "item"`` rows correlate one dimension across languages.
a path
    A parquet written by the WVS importer (``country, question_id, mean, n``; ``mean`` on the WVS answer
    scale). The midpoint is ``(scale_min + scale_max) / 2`` when those columns exist, otherwise the item's
    mean over the file's countries (agreement is then relative to the average country).

References
----------
Ramezani, A., & Xu, Y. (2023). Knowledge of cultural moral norms in large language models. ACL 2023.

Hofstede, G., & Minkov, M. (2013). *Values Survey Module 2013 Manual*, sec. 4.

Mantel, N. (1967). *Cancer Research* 27(2), 209-220.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from valueshift.analysis.stats import correlate, mantel
from valueshift.errors import AnalysisError
from valueshift.seeding import keyed_rng

__all__ = ["HumanReference", "human_alignment", "load_human", "model_items"]

COLUMNS = [
    "source", "scope", "condition", "lang", "country", "item", "n", "pearson_r", "pearson_p", "spearman_r",
    "spearman_p", "agreement", "n_agreement", "note",
]  # fmt: skip


@dataclass
class HumanReference:
    """Human figures for one source.

    Attributes
    ----------
    name
        ``wvs-moral``, ``hofstede`` or the imported file's path.
    values
        Tidy ``country, item, value``.
    kind
        ``items`` (WVS items matched on ``question_id``) or ``hofstede`` (dimensions from VSM probes).
    midpoint
        Item → scale midpoint for the agreement rate (``items`` kind).
    """

    name: str
    values: pd.DataFrame
    kind: str = "items"
    midpoint: dict[str, float] = field(default_factory=dict)


def load_human(source: str) -> HumanReference:
    """Load a ``--human`` source (see the module docstring); raise :class:`AnalysisError` if unusable."""
    if source == "wvs-moral":
        from valueshift.reference import load_wvs_moral_means

        df = load_wvs_moral_means().rename(columns={"question_id": "item"})
        return HumanReference(source, df[["country", "item", "value"]], "items",
                              dict.fromkeys(df["item"].astype(str), 0.0))  # fmt: skip
    if source == "hofstede":
        from valueshift.reference import load_hofstede_scores

        wide = load_hofstede_scores()
        df = wide.melt(id_vars="country", var_name="item", value_name="value").dropna(subset=["value"])
        return HumanReference(source, df, "hofstede")
    path = Path(source)
    if not path.is_file():
        raise AnalysisError(
            f"--human {source}: not wvs-moral, hofstede or an existing parquet file "
            "(import the WVS csv with `valueshift human import-wvs` first)"
        )
    try:
        df = pd.read_parquet(path)
    except Exception as exc:
        raise AnalysisError(f"{path}: cannot read parquet ({exc})") from exc
    missing = [c for c in ("country", "question_id", "mean") if c not in df.columns]
    if missing:
        raise AnalysisError(f"{path}: missing column(s) {', '.join(missing)}; expected country, question_id, mean, n")
    df = df.rename(columns={"question_id": "item", "mean": "value"})
    df = df[np.isfinite(df["value"].astype(float))]
    if {"scale_min", "scale_max"} <= set(df.columns):
        mid = ((df["scale_min"] + df["scale_max"]) / 2).groupby(df["item"]).first()
    else:
        mid = df.groupby("item")["value"].mean()
    return HumanReference(str(path), df[["country", "item", "value"]], "items", mid.astype(float).to_dict())


def model_items(frame: pd.DataFrame, kind: str = "items") -> pd.DataFrame:
    """One oriented model value per (lang, item).

    ``items``: mean of ``value * direction`` over the probes of each ``question_id`` (probes without direction
    left out). ``hofstede``: the six VSM-2013 indices per language from the VSM probes.

    Returns
    -------
    pandas.DataFrame
        ``lang, item, value``.
    """
    if kind == "hofstede":
        from valueshift.analysis.hofstede import hofstede_indices, item_means_from_probe_scores

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            means = item_means_from_probe_scores(frame, by=["lang"])
        wide = hofstede_indices(means, by=["lang"])
        return wide.melt(id_vars="lang", var_name="item", value_name="value")
    df = frame[frame["direction"].notna() & frame["value"].notna()]
    df = df.assign(oriented=df["value"] * df["direction"], item=df["question_id"].astype(str))
    return df.groupby(["lang", "item"], sort=False)["oriented"].mean().rename("value").reset_index()


def _zscore_items(wide: pd.DataFrame) -> pd.DataFrame:
    """Standardise each column (item) across rows (countries / languages)."""
    sd = wide.std(axis=0, ddof=0).replace(0.0, np.nan)
    return (wide - wide.mean(axis=0)) / sd


def human_alignment(
    frames: dict[str, pd.DataFrame],
    human: HumanReference,
    similarity: dict[str, pd.DataFrame] | None = None,
    *,
    lang_country: dict[str, str | None],
    n_perm: int = 9999,
    seed: int = 0,
) -> pd.DataFrame:
    """Alignment rows for every condition (``base`` included).

    Parameters
    ----------
    frames
        Condition → probe rows with ``lang, question_id, direction, value`` (tuned: the seed mean).
    human
        From :func:`load_human`.
    similarity
        Condition → the model's cross-language similarity matrix; compared with the human cross-country matrix
        (Pearson correlation of the countries' item vectors) by a Mantel test (``scope = "matrix"``).
    lang_country
        Language → country (None: unmapped, gives a NaN row).
    n_perm, seed
        Mantel permutations, drawn from the stream keyed by ``(seed, "alignment", source, condition)``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`; ``scope`` ∈ {language, item, matrix}; NaN where not computable.
    """
    rows: list[dict[str, object]] = []
    hwide = human.values.pivot_table(index="country", columns="item", values="value", aggfunc="mean")
    for cond, frame in frames.items():
        try:
            items = model_items(frame, human.kind)
        except (ImportError, AnalysisError) as exc:
            rows.append({"source": human.name, "scope": "language", "condition": cond, "note": f"skipped: {exc}"})
            continue
        mwide = items.pivot_table(index="lang", columns="item", values="value", aggfunc="mean", dropna=False)
        langs = list(frame["lang"].drop_duplicates())
        mapped = {lg: lang_country.get(lg) for lg in langs}
        h = hwide.reindex([c for c in mapped.values() if c is not None and c in hwide.index])
        m = mwide.reindex(langs)
        if human.kind == "hofstede":  # VSM constants are arbitrary: compare standardised scores
            m, h = _zscore_items(m), _zscore_items(h)
        for lang in langs:
            country = mapped[lang]
            row: dict[str, object] = {"source": human.name, "scope": "language", "condition": cond,
                                      "lang": lang, "country": country}  # fmt: skip
            if country is None or country not in h.index:
                rows.append({**row, "n": 0, "note": "no country mapped" if country is None else "no human data"})
                continue
            common = [c for c in m.columns if c in h.columns]
            if not np.isfinite(m.loc[lang, common].to_numpy(float)).any():
                note = "no oriented model value on these items (probe direction unknown?)"
                rows.append({**row, "n": 0, "note": note})
                continue
            mv = m.loc[lang, common].to_numpy(float)
            hv = h.loc[country, common].to_numpy(float)
            pr, pp, n = correlate(mv, hv, "pearson")
            sr, sp, _ = correlate(mv, hv, "spearman")
            mids = np.array([0.0 if human.kind == "hofstede" else human.midpoint.get(c, math.nan) for c in common])
            ms, hs = np.sign(mv), np.sign(hv - mids)
            ok = np.isfinite(ms) & np.isfinite(hs) & (ms != 0) & (hs != 0)
            agree = float((ms[ok] == hs[ok]).mean()) if ok.any() else math.nan
            rows.append({**row, "n": n, "pearson_r": pr, "pearson_p": pp, "spearman_r": sr, "spearman_p": sp,
                         "agreement": agree, "n_agreement": int(ok.sum())})  # fmt: skip
        pairs = [(lg, c) for lg, c in mapped.items() if c is not None and c in h.index]
        if human.kind == "hofstede" and pairs:
            for item in m.columns.intersection(h.columns):
                mv = np.array([m.loc[lg, item] for lg, _ in pairs], float)
                hv = np.array([h.loc[c, item] for _, c in pairs], float)
                pr, pp, n = correlate(mv, hv, "pearson")
                sr, sp, _ = correlate(mv, hv, "spearman")
                rows.append({"source": human.name, "scope": "item", "condition": cond, "item": item,
                             "n": n, "pearson_r": pr, "pearson_p": pp, "spearman_r": sr,
                             "spearman_p": sp})  # fmt: skip
        if similarity is not None and cond in similarity:
            rng = keyed_rng(seed, "alignment", human.name, cond)
            rows.append(_matrix_row(human, cond, similarity[cond], h, pairs, n_perm, rng))
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["n"] = out["n"].fillna(0).astype(int)
    return out


def _matrix_row(
    human: HumanReference,
    cond: str,
    sim: pd.DataFrame,
    h: pd.DataFrame,
    pairs: list[tuple[str, str]],
    n_perm: int,
    rng: np.random.Generator,
) -> dict[str, object]:
    """Mantel test between the model's language similarity and the human country similarity matrices."""
    pairs = [(lg, c) for lg, c in pairs if lg in sim.index]
    row: dict[str, object] = {"source": human.name, "scope": "matrix", "condition": cond, "n": len(pairs)}
    if len(pairs) < 3:
        return {**row, "note": f"needs >= 3 languages with human data, has {len(pairs)}"}
    langs = [lg for lg, _ in pairs]
    hv = h.loc[[c for _, c in pairs]].to_numpy(float)  # (L, I) human item vectors
    hm = np.eye(len(pairs))
    for i in range(len(pairs)):
        for j in range(i + 1, len(pairs)):
            hm[i, j] = hm[j, i] = correlate(hv[i], hv[j], "pearson")[0]
    mm = sim.loc[langs, langs].to_numpy(float)
    pear = mantel(mm, hm, n_perm=n_perm, rng=rng)
    spear = mantel(mm, hm, method="spearman", n_perm=n_perm, rng=rng)
    return {**row, "pearson_r": pear["r"], "pearson_p": pear["p"], "spearman_r": spear["r"],
            "spearman_p": spear["p"], "note": "Mantel test: model vs human similarity matrix"}  # fmt: skip
