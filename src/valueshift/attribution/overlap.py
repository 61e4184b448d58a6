"""Parallel overlap: how many of a target's most influential examples are translations of each other.

For a target (probe, test language) and each fine-tuning language ``a``, take the top-k examples among ``a``'s
examples. A pair of languages ``(a, b)`` shares ``n`` units (same ``unit_id``). By chance -- ``b``'s top-k a
uniformly random k-subset of ``b``'s ``N_b`` units -- ``n`` is hypergeometric: ``N_b`` units, ``M`` of them in
``a``'s top-k, ``k_b`` drawn; expected ``k_b M / N_b``; ``p_value = P(X >= n)``. The ``all`` rows count, over
every language's top-k, the examples whose unit is in some other language's top-k, next to the share expected by
chance, ``mean over examples of 1 - prod_b (1 - k_b / N_b)``. The paper reports under 5% (Choenni et al. 2024, sec. 5).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

__all__ = ["OVERLAP_COLUMNS", "parallel_overlap"]

OVERLAP_COLUMNS = [
    "method", "probe_id", "lang", "ft_lang_a", "ft_lang_b", "k", "n_top", "n_parallel", "share",
    "share_expected", "p_value",
]  # fmt: skip


def parallel_overlap(top: pd.DataFrame, examples: pd.DataFrame) -> pd.DataFrame:
    """Overlap rows per (method, probe_id, lang) and language pair, plus ``all`` summaries per target and overall.

    Parameters
    ----------
    top
        ``method, probe_id, lang, ft_lang, unit_id`` of each target's top-k examples per fine-tuning language.
    examples
        The run's ``train_examples.parquet`` (``lang, unit_id``): the units each language could have drawn.
    """
    from scipy.stats import hypergeom

    units = {lang: set(g["unit_id"]) for lang, g in examples.groupby("lang")}
    rows: list[dict[str, object]] = []
    for (method, pid, lang), g in top.groupby(["method", "probe_id", "lang"], sort=False):
        tops = {a: set(ga["unit_id"]) for a, ga in g.groupby("ft_lang")}
        if len(tops) < 2:
            continue
        for a, b in itertools.combinations(sorted(tops), 2):
            m = len(tops[a] & units[b])
            shared = len(tops[a] & tops[b])
            expected = len(tops[b]) * m / len(units[b])
            p = float(hypergeom.sf(shared - 1, len(units[b]), m, len(tops[b])))
            rows.append(_row(method, pid, lang, a, b, len(tops[a]), len(tops[a]), shared, expected, p))
        n_par, n_all, exp = 0, 0, 0.0
        for a, ua in tops.items():
            for u in ua:
                others = [b for b in tops if b != a and u in units[b]]
                n_par += any(u in tops[b] for b in others)
                exp += 1.0 - float(np.prod([1.0 - len(tops[b]) / len(units[b]) for b in others]))
                n_all += 1
        rows.append(_row(method, pid, lang, "all", "all", max(map(len, tops.values())), n_all, n_par, exp, np.nan))
    table = pd.DataFrame(rows, columns=OVERLAP_COLUMNS)
    if len(table):
        alls = table[table.ft_lang_a == "all"]
        for method, g in alls.groupby("method"):
            n_all, n_par = int(g.n_top.sum()), int(g.n_parallel.sum())
            exp = float((g.share_expected * g.n_top).sum())
            summary = _row(method, "all", "all", "all", "all", int(g.k.max()), n_all, n_par, exp, np.nan)
            table = pd.concat([table, pd.DataFrame([summary])], ignore_index=True)
    return table


def _row(method: str, pid: str, lang: str, a: str, b: str, k: int, n_top: int, n_par: int, expected: float,
         p: float) -> dict[str, object]:  # fmt: skip
    """``expected`` is a count; shares are per ``n_top``."""
    return {
        "method": method, "probe_id": pid, "lang": lang, "ft_lang_a": a, "ft_lang_b": b, "k": k, "n_top": n_top,
        "n_parallel": n_par, "share": n_par / n_top if n_top else np.nan,
        "share_expected": expected / n_top if n_top else np.nan, "p_value": p,
    }  # fmt: skip
