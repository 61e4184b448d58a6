"""From answer log-probabilities to probe values.

A probe's ``value`` is the normalised log-odds of its positive answer:
``value = norm(pos) - norm(neg)``, where ``norm`` is one of

``sum``   the summed log-probability (favours short answers: fewer tokens, fewer factors below one)
``mean``  per scored token (lm-eval's ``acc_norm`` by tokens)
``char``  per character of the scored text (lm-eval's ``acc_norm``; fair across scripts whose token counts
          differ)
``pmi``   minus log p(answer | neutral prompt): removes the answer's prior (Holtzman et al. 2021)

For an option probe (one answer, compared within its ``group``) ``value`` is the log-odds of this option
against the other options of the group: ``norm(i) - logsumexp(norm(j), j != i)``, which equals the pair
formula for a group of two.
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np
import pandas as pd

from valueshift.errors import ConfigError

__all__ = ["NORMALIZATIONS", "Normalization", "add_values", "normalized_score"]

Normalization = Literal["sum", "mean", "char", "pmi"]
NORMALIZATIONS: tuple[str, ...] = get_args(Normalization)


def normalized_score(
    logp: pd.Series, n_tokens: pd.Series, n_chars: pd.Series, logp_neutral: pd.Series | None, method: str
) -> pd.Series:
    """Apply one normalisation to columns of answer scores."""
    if method == "sum":
        return logp
    if method == "mean":
        return logp / n_tokens
    if method == "char":
        return logp / n_chars
    if method == "pmi":
        if logp_neutral is None:
            raise ConfigError("pmi normalisation needs neutral-prompt scores (logp_*_neutral columns)")
        return logp - logp_neutral
    raise ConfigError(f"unknown normalisation {method!r}: use one of {', '.join(NORMALIZATIONS)}")


def add_values(table: pd.DataFrame, method: str) -> pd.DataFrame:
    """Add ``value`` (and ``normalize``) to a probe table with logp/n_tokens/n_chars columns per answer."""
    t = table.copy()
    neutral = "logp_pos_neutral" in t.columns
    s_pos = normalized_score(
        t.logp_pos, t.n_tokens_pos, t.n_chars_pos, t.get("logp_pos_neutral") if neutral else None, method
    )
    s_neg = normalized_score(
        t.logp_neg, t.n_tokens_neg, t.n_chars_neg, t.get("logp_neg_neutral") if neutral else None, method
    )
    value = s_pos - s_neg
    options = t.answer_neg.isna() & t.group.notna()
    if options.any():
        keys = ["model", "lang", "group", "template_id"]
        opt = t.loc[options, keys].assign(score=s_pos[options])
        for _, idx in opt.groupby(keys, dropna=False).groups.items():
            scores = opt.loc[idx, "score"].to_numpy(dtype=float)
            for k, row in enumerate(idx):
                others = np.delete(scores, k)
                value[row] = scores[k] - np.logaddexp.reduce(others) if len(others) else np.nan
    t["value"] = value.astype(float)
    t["normalize"] = method
    return t
