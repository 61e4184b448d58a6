"""BM25 lexical overlap between a probe's text and each training example: the no-model baseline (DATE-LM finds
such baselines competitive).

Query: the probe's template without the slot plus its answers (both, for a pair probe). Tokens: lower-cased
Unicode word characters (``\\w+``), so it works for every script that separates words by spaces or punctuation.
Okapi BM25 with ``k1 = 1.5``, ``b = 0.75`` and the non-negative idf ``log(1 + (N - df + 0.5) / (df + 0.5))``
(Robertson & Zaragoza 2009).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

__all__ = ["bm25_scores", "tokens"]

_WORD = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def bm25_scores(queries: Sequence[str], documents: Sequence[str], k1: float = 1.5, b: float = 0.75) -> np.ndarray:
    """``(len(queries), len(documents))`` BM25 scores."""
    docs = [Counter(tokens(d)) for d in documents]
    lengths = np.array([sum(d.values()) for d in docs], dtype=np.float64)
    avg = float(lengths.mean()) if len(docs) and lengths.mean() > 0 else 1.0
    df: Counter[str] = Counter()
    for d in docs:
        df.update(d.keys())
    n = len(docs)
    out = np.zeros((len(queries), n))
    for qi, q in enumerate(queries):
        for term in set(tokens(q)):
            if term not in df:
                continue
            idf = math.log(1.0 + (n - df[term] + 0.5) / (df[term] + 0.5))
            tf = np.array([d.get(term, 0) for d in docs], dtype=np.float64)
            out[qi] += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * lengths / avg))
    return out
