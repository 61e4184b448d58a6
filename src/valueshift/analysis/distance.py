"""Cultural distance between the fine-tuning languages' countries on Hofstede's dimensions.

Choenni et al. (2024, sec. 6) leave open whether their fine-tuning languages (fa, ko, hi, ru) are culturally
diverse enough to move a model in different directions. :func:`cultural_distance` answers it with numbers: the
Euclidean distance between the mapped countries on the six Hofstede dimensions, each dimension z-scored over
all countries with complete scores, and where the set's mean pairwise distance falls among random sets of as
many countries drawn from the same pool (``percentile`` near 1 = unusually diverse; ``p_diverse`` = share of
random sets at least as spread out).

References
----------
Hofstede, G., Hofstede, G. J., & Minkov, M. (2010). *Cultures and Organizations*, 3rd ed., ch. 2 (dimensions).

Choenni, R., Lauscher, A., & Shutova, E. (2024). ACL 2024, sec. 6 (limitations: language choice).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd

from valueshift.reference.tables import HOFSTEDE_DIMENSIONS
from valueshift.seeding import keyed_rng

__all__ = ["cultural_distance"]


def cultural_distance(
    langs: Sequence[str],
    hofstede: pd.DataFrame,
    lang_country: dict[str, str | None],
    *,
    n_draws: int = 9999,
    seed: int = 0,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Pairwise distances between the languages' countries and how diverse the set is.

    Parameters
    ----------
    langs
        Fine-tuning languages (default in the pipeline: ``valueshift.langs.FINETUNE_LANGS``).
    hofstede
        ``country, pdi, idv, mas, uai, lto, ivr`` (:func:`valueshift.reference.load_hofstede_scores`).
    lang_country
        Language → country.
    n_draws
        Random country sets for the reference distribution (default 9999).

    Returns
    -------
    (pairs, summary)
        ``pairs``: ``lang_a, lang_b, country_a, country_b, distance`` (NaN when a country lacks scores);
        ``summary``: ``mean_distance, percentile, p_diverse, n_countries_pool, n_langs``.
    """
    pool = hofstede.dropna(subset=list(HOFSTEDE_DIMENSIONS)).drop_duplicates("country").set_index("country")
    z = pool[list(HOFSTEDE_DIMENSIONS)].astype(float)
    z = (z - z.mean()) / z.std(ddof=0).replace(0.0, np.nan)  # (C, 6)
    rows = []
    for a, b in combinations(langs, 2):
        ca, cb = lang_country.get(a), lang_country.get(b)
        dist = math.nan
        if ca in z.index and cb in z.index:
            dist = float(np.linalg.norm(z.loc[ca].to_numpy() - z.loc[cb].to_numpy()))
        rows.append((a, b, ca, cb, dist))
    pairs = pd.DataFrame(rows, columns=["lang_a", "lang_b", "country_a", "country_b", "distance"])
    summary = {"mean_distance": math.nan, "percentile": math.nan, "p_diverse": math.nan,
               "n_countries_pool": float(len(z)), "n_langs": float(len(langs))}  # fmt: skip
    countries = [lang_country.get(lg) for lg in langs]
    k = len(langs)
    if k < 2 or pairs["distance"].isna().any() or len(z) <= k:
        return pairs, summary
    obs = float(pairs["distance"].mean())
    x = z.to_numpy()  # (C, 6)
    full = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))  # (C, C)
    rng = keyed_rng(seed, "cultural_distance", *sorted(langs))
    draws = np.array([rng.choice(len(x), size=k, replace=False) for _ in range(n_draws)])  # (D, k)
    i, j = np.triu_indices(k, k=1)
    means = full[draws[:, i], draws[:, j]].mean(axis=1)  # (D,)
    summary.update(
        mean_distance=obs,
        percentile=float((means < obs).mean()),
        p_diverse=float((1 + (means >= obs).sum()) / (n_draws + 1)),
    )
    summary["countries"] = ",".join(str(c) for c in countries)  # type: ignore[assignment]
    return pairs, summary
