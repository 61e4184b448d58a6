"""Hofstede's VSM-2013 index formulas, and model-derived VSM item scores from a probe table.

Lifecycle: probe table (``probe_scores.parquet``, the 24 ``VSM01`` ... ``VSM24`` probes)
→ :func:`item_means_from_probe_scores` (one 1-5 score per language and item)
→ :func:`hofstede_indices` (PDI, IDV, MAS, UAI, LTO, IVR per language).

The Values Survey Module 2013 asks 24 content questions, each answered on a 1-5 scale (items 1-14: 1 = of
utmost importance ... 5 = of very little or no importance; 15-20: frequency, health, pride, fear of the boss;
21-24: 1 = strongly agree ... 5 = strongly disagree). With ``mNN`` the mean score of item NN in a sample, the
manual defines six indices, each the sum of two weighted differences of item means plus a constant ``C`` that
shifts the scores into a 0-100 range and does not change differences between samples:

====  ==========================================
PDI   35 (m07 − m02) + 25 (m20 − m23) + C(pd)
IDV   35 (m04 − m01) + 35 (m09 − m06) + C(ic)
MAS   35 (m05 − m03) + 35 (m08 − m10) + C(mf)
UAI   40 (m18 − m15) + 25 (m21 − m24) + C(ua)
LTO   40 (m13 − m14) + 25 (m19 − m22) + C(ls)
IVR   35 (m12 − m11) + 40 (m17 − m16) + C(ir)
====  ==========================================

The manual stresses that index values are meaningful only as comparisons between at least two matched samples;
for language models that means comparing languages (or checkpoints) with each other, not with country scores.

References
----------
Hofstede, G., & Minkov, M. (2013). *Values Survey Module 2013 Manual*, sec. 4 ("Computing index scores").
Geert Hofstede BV. https://geerthofstede.com/research-and-vsm/vsm-2013/

Arora, A., Kaffee, L.-A., & Augenstein, I. (2023). Probing Pre-Trained Language Models for Cross-Cultural
Differences in Values. C3NLP 2023 (Hofstede probes: the 24 VSM-2013 items as cloze sentences).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from valueshift.errors import AnalysisError, ConfigError
from valueshift.probes.schema import ProbeSet

__all__ = [
    "VSM_DIMENSIONS",
    "VSM_FORMULAS",
    "hofstede_indices",
    "item_means_from_probe_scores",
    "item_score",
    "parse_vsm_item",
]

# dimension -> two terms (weight, item added, item subtracted); VSM 2013 Manual, sec. 4.
VSM_FORMULAS: dict[str, tuple[tuple[float, int, int], tuple[float, int, int]]] = {
    "pdi": ((35.0, 7, 2), (25.0, 20, 23)),
    "idv": ((35.0, 4, 1), (35.0, 9, 6)),
    "mas": ((35.0, 5, 3), (35.0, 8, 10)),
    "uai": ((40.0, 18, 15), (25.0, 21, 24)),
    "lto": ((40.0, 13, 14), (25.0, 19, 22)),
    "ivr": ((35.0, 12, 11), (40.0, 17, 16)),
}
VSM_DIMENSIONS: tuple[str, ...] = tuple(VSM_FORMULAS)
_ITEM = re.compile(r"^(?:VSM|M|Q)?0*(\d{1,2})$", re.IGNORECASE)
_SCALE_LOW, _SCALE_HIGH = 1.0, 5.0


def parse_vsm_item(item: object) -> int:
    """Item number 1-24 from ``7``, ``"7"``, ``"VSM07"`` or ``"m07"``.

    >>> parse_vsm_item("VSM07"), parse_vsm_item("m20"), parse_vsm_item(3)
    (7, 20, 3)
    """
    m = _ITEM.match(str(item).strip()) if not isinstance(item, (int, np.integer)) else None
    number = int(item) if isinstance(item, (int, np.integer)) else (int(m.group(1)) if m else -1)
    if not 1 <= number <= 24:
        raise AnalysisError(f"{item!r} is not a VSM-2013 item: use 1-24, 'VSM01'-'VSM24' or 'm01'-'m24'")
    return number


def _keys(df: pd.DataFrame, by: Sequence[str] | None) -> list[str]:
    keys = [c for c in ("model", "probe_set", "lang") if c in df.columns] if by is None else list(by)
    missing = [k for k in keys if k not in df.columns]
    if missing or not keys:
        raise AnalysisError(f"table lacks the grouping column(s) {missing or ['lang']}; columns: {list(df.columns)}")
    return keys


def hofstede_indices(
    item_means: pd.DataFrame,
    constants: Mapping[str, float] | None = None,
    *,
    by: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Compute the six VSM-2013 indices from item means.

    Parameters
    ----------
    item_means
        Tidy table with ``item`` (1-24, ``"VSM01"`` or ``"m01"``), ``mean`` (the 1-5 item mean) and the
        grouping columns, one row per group and item.
    constants
        ``C`` per dimension (``{"pdi": 20, ...}``); missing dimensions use 0. The manual leaves ``C`` to the
        user, to bring scores into 0-100; it cancels in any comparison between groups.
    by
        Grouping columns; default ``model`` and ``probe_set`` (where present) and ``lang``.

    Returns
    -------
    pandas.DataFrame
        The grouping columns plus ``pdi, idv, mas, uai, lto, ivr``. An index whose items are missing (or NaN)
        is NaN; the other indices of that group are still computed.

    References
    ----------
    Hofstede & Minkov (2013), VSM 2013 Manual, sec. 4.

    Examples
    --------
    All items at 3 except m07 = 4 and m02 = 2: PDI = 35 (4 − 2) = 70, every other index 0.

    >>> rows = [{"lang": "de", "item": i, "mean": 3.0} for i in range(1, 25)]
    >>> rows[6]["mean"], rows[1]["mean"] = 4.0, 2.0
    >>> hofstede_indices(pd.DataFrame(rows)).iloc[0].to_dict()
    {'lang': 'de', 'pdi': 70.0, 'idv': 0.0, 'mas': 0.0, 'uai': 0.0, 'lto': 0.0, 'ivr': 0.0}
    """
    constants = dict(constants or {})
    unknown = sorted(set(constants) - set(VSM_DIMENSIONS))
    if unknown:
        raise ConfigError(f"unknown Hofstede constant(s) {unknown}; use {', '.join(VSM_DIMENSIONS)}")
    for col in ("item", "mean"):
        if col not in item_means.columns:
            raise AnalysisError(f"item means lack column {col!r}; columns: {list(item_means.columns)}")
    keys = _keys(item_means, by)
    df = item_means[[*keys, "item", "mean"]].copy()
    df["item"] = [parse_vsm_item(x) for x in df["item"]]
    dup = df.duplicated([*keys, "item"])
    if dup.any():
        first = df.loc[dup].iloc[0]
        raise AnalysisError(
            f"item {first['item']} appears twice for {dict(first[keys])}; average first "
            "(item_means_from_probe_scores averages templates and probes of one item)"
        )
    wide = df.pivot_table(index=keys, columns="item", values="mean", aggfunc="first", dropna=False)
    wide = wide.reindex(columns=range(1, 25))  # (G, 24): group x item
    out = wide.index.to_frame(index=False)
    for dim, terms in VSM_FORMULAS.items():
        total = np.zeros(len(wide))
        for weight, plus, minus in terms:
            total = total + weight * (wide[plus].to_numpy(float) - wide[minus].to_numpy(float))
        out[dim] = total + float(constants.get(dim, 0.0))
    return out


def item_score(value: np.ndarray | float, direction: np.ndarray | float) -> np.ndarray:
    """Expected 1-5 VSM answer implied by a probe's log-odds.

    ``p = sigmoid(value)`` is the probability of ``answer_pos`` against ``answer_neg``. ``direction`` = +1
    means ``answer_pos`` stands for the top of the 1-5 scale (5) and ``answer_neg`` for the bottom (1); -1 the
    reverse. The score is the expectation over the two poles, ``p·pole_pos + (1 − p)·pole_neg``, which
    simplifies to ``3 + 2·direction·(2p − 1) = 3 + 2·direction·tanh(value / 2)``.

    >>> float(item_score(0.0, 1)), float(item_score(np.log(3), 1)), float(item_score(np.log(3), -1))
    (3.0, 4.0, 2.0)
    """
    v = np.asarray(value, dtype=float)
    d = np.asarray(direction, dtype=float)
    mid, half = (_SCALE_LOW + _SCALE_HIGH) / 2, (_SCALE_HIGH - _SCALE_LOW) / 2
    return mid + half * d * np.tanh(v / 2.0)


def _attach_directions(df: pd.DataFrame, directions: Mapping[str, int] | ProbeSet | None) -> pd.DataFrame:
    if directions is None:
        if "direction" not in df.columns:
            raise AnalysisError(
                "the probe table has no 'direction' column; pass directions=<the ProbeSet that was scored> "
                "or a {question_id: +1/-1} mapping"
            )
        return df
    df = df.drop(columns=["direction"], errors="ignore")
    if isinstance(directions, ProbeSet):
        on = ["lang", "probe_id", "template_id"] if "template_id" in df.columns else ["lang", "probe_id"]
        table = pd.DataFrame(
            [(p.lang, p.probe_id, p.template_id, p.direction) for p in directions],
            columns=["lang", "probe_id", "template_id", "direction"],
        )
        table = table[[*on, "direction"]].drop_duplicates(on)
        return df.merge(table, on=on, how="left")
    return df.assign(direction=df["question_id"].map(dict(directions)))


def item_means_from_probe_scores(
    probe_scores: pd.DataFrame,
    directions: Mapping[str, int] | ProbeSet | None = None,
    *,
    by: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Turn scored VSM probes into model-derived 1-5 item means.

    Parameters
    ----------
    probe_scores
        A probe table (``lang``, ``question_id`` ``"VSM01"`` ... ``"VSM24"``, ``value`` = log-odds of
        ``answer_pos`` vs ``answer_neg``, and ``direction`` +1/-1 unless ``directions`` is given). Rows of
        other questions (WVS probes) are ignored.
    directions
        Where the table has no ``direction``: the :class:`ProbeSet` that was scored (joined on ``lang,
        probe_id``) or a mapping ``question_id -> ±1``.
    by
        Grouping columns; default ``model`` and ``probe_set`` (where present) and ``lang``.

    Returns
    -------
    pandas.DataFrame
        Grouping columns, ``item`` (int 1-24), ``mean`` (the average :func:`item_score` over the item's probes
        and templates) and ``n`` (rows averaged). Rows without a direction or value are left out, with a
        warning.

    Notes
    -----
    Averaging expected answers, not log-odds, mirrors the manual's averaging of respondents' answers.

    References
    ----------
    Hofstede & Minkov (2013), VSM 2013 Manual, sec. 3-4 (answer scales, item means).
    """
    for col in ("question_id", "value"):
        if col not in probe_scores.columns:
            raise AnalysisError(f"the probe table lacks column {col!r}; columns: {list(probe_scores.columns)}")
    keys = _keys(probe_scores, by)
    df = probe_scores[probe_scores["question_id"].astype(str).str.fullmatch(r"VSM\d{2}")].copy()
    if df.empty:
        raise AnalysisError("the probe table has no VSM01-VSM24 rows; score a Hofstede probe set first")
    df = _attach_directions(df, directions)
    bad_dir = df["direction"].notna() & ~df["direction"].isin([1, -1])
    if bad_dir.any():
        raise AnalysisError(f"direction must be +1 or -1, got {df.loc[bad_dir, 'direction'].iloc[0]!r}")
    usable = df["direction"].notna() & df["value"].notna()
    if not usable.all():
        dropped = df.loc[~usable, "question_id"].astype(str).unique()
        warnings.warn(
            f"left out {int((~usable).sum())} probe row(s) without direction or value ({', '.join(dropped[:8])})",
            stacklevel=2,
        )
    df = df[usable]
    df["item"] = [parse_vsm_item(q) for q in df["question_id"]]
    df["score"] = item_score(df["value"].to_numpy(float), df["direction"].to_numpy(float))
    out = df.groupby([*keys, "item"], as_index=False).agg(mean=("score", "mean"), n=("score", "size"))
    return out.sort_values([*keys, "item"], ignore_index=True)
