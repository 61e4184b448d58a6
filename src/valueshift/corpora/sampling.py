"""Parallel-consistent sampling: the same unit ids in every language, so the multi-parallel structure is known.

Lifecycle: :func:`sample_unit_ids` (one seeded permutation of the eligible unit ids) -> :func:`plan_examples`
(the example table of each run: one per language for ``mono``, one ``multi`` run over all languages).

Size semantics (``size_per``):

``lang`` (default, as in the paper's "2K sentences" per fine-tuning language)
    every language gets ``size`` sentences; a ``multi`` run holds ``size x n_langs`` examples, the same ``size``
    units in each language (fully multi-parallel).
``total``
    a run holds ``size`` examples: a ``mono`` run ``size`` sentences, a ``multi`` run ``size // n_langs`` per
    language (the remainder goes to the first languages), again the same units in each language.

Units are drawn once, from the units whose text passes the length filter in *every* requested language, so the
``mono`` runs of two languages train on translations of each other and a ``multi`` run is their union. Smaller
selections are prefixes of the same permutation, so 2K units are a subset of 10K units for the same seed.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from valueshift.corpora.schema import ParallelCorpus
from valueshift.errors import CorpusError

__all__ = ["EXAMPLE_COLUMNS", "SizePer", "Strategy", "plan_examples", "sample_unit_ids"]

Strategy = Literal["mono", "multi"]
SizePer = Literal["lang", "total"]
EXAMPLE_COLUMNS = ["example_id", "lang", "corpus", "unit_id", "corpus_line", "text"]


def sample_unit_ids(
    corpus: ParallelCorpus,
    size: int,
    *,
    seed: int,
    langs: list[str] | None = None,
    min_chars: int = 1,
    max_chars: int | None = None,
) -> list[str]:
    """Draw ``size`` unit ids with a seeded permutation, the same for every language.

    Parameters
    ----------
    corpus
        The aligned corpus.
    size
        How many units; more than the eligible units is an error naming both numbers.
    seed
        Seed of the permutation (numpy PCG64); same seed, same ids.
    langs
        Languages whose texts must pass the length filter (default: all of the corpus).
    min_chars, max_chars
        Keep units whose text has between ``min_chars`` and ``max_chars`` characters in every language.

    Returns
    -------
    list of str
        Unit ids in permutation order (a prefix of a larger draw with the same seed and filter).
    """
    if size < 1:
        raise CorpusError(f"--size {size}: must be at least 1")
    langs = langs or corpus.langs
    eligible = np.ones(len(corpus), dtype=bool)
    for lang in langs:
        n = np.fromiter((len(t) for t in corpus.texts[lang]), dtype=np.int64, count=len(corpus))
        eligible &= n >= min_chars
        if max_chars is not None:
            eligible &= n <= max_chars
    idx = np.flatnonzero(eligible)
    if size > len(idx):
        filt = "" if len(idx) == len(corpus) else f" ({len(corpus)} before the length filter)"
        raise CorpusError(
            f"{corpus.source}: --size {size} is larger than the {len(idx)} units available in "
            f"{', '.join(langs)}{filt}; lower --size or use a larger corpus"
        )
    perm = np.random.default_rng(seed).permutation(idx)
    return [corpus.unit_ids[i] for i in perm[:size]]


def _table(corpus: ParallelCorpus, picks: list[tuple[str, list[str]]]) -> pd.DataFrame:
    pos = {u: i for i, u in enumerate(corpus.unit_ids)}
    rows = []
    for lang, ids in picks:
        for u in sorted(ids, key=pos.__getitem__):  # corpus order within a language: easy to read and diff
            i = pos[u]
            rows.append((lang, corpus.name, u, corpus.corpus_lines[i], corpus.texts[lang][i]))
    df = pd.DataFrame(rows, columns=EXAMPLE_COLUMNS[1:])
    df.insert(0, "example_id", np.arange(len(df), dtype=np.int64))
    df["corpus_line"] = df["corpus_line"].astype("Int64")
    return df


def plan_examples(
    corpus: ParallelCorpus,
    langs: list[str],
    size: int,
    *,
    strategy: Strategy,
    seed: int,
    size_per: SizePer = "lang",
    min_chars: int = 1,
    max_chars: int | None = None,
) -> dict[str, pd.DataFrame]:
    """The example table of every run a strategy implies.

    Returns
    -------
    dict of str to DataFrame
        ``{lang: table}`` for ``mono``, ``{"multi": table}`` for ``multi``. Columns :data:`EXAMPLE_COLUMNS`;
        ``example_id`` is the row number (0-based), rows grouped by language in ``langs`` order.

    Examples
    --------
    >>> from valueshift.corpora.schema import ParallelCorpus
    >>> texts = {"de": ("a", "b", "c"), "fa": ("x", "y", "z")}
    >>> c = ParallelCorpus("toy", "toy", ("1", "2", "3"), texts, (1, 2, 3))
    >>> t = plan_examples(c, ["de", "fa"], 2, strategy="multi", seed=0)["multi"]
    >>> list(t.lang), t.unit_id[t.lang == "de"].tolist() == t.unit_id[t.lang == "fa"].tolist()
    (['de', 'de', 'fa', 'fa'], True)
    """
    if strategy not in ("mono", "multi"):
        raise CorpusError(f"--strategy {strategy!r}: use mono or multi")
    if size_per not in ("lang", "total"):
        raise CorpusError(f"--size-per {size_per!r}: use lang or total")
    n_langs = len(langs)
    if strategy == "multi" and size_per == "total" and size < n_langs:
        raise CorpusError(f"--size {size} with --size-per total is smaller than the {n_langs} languages")
    ids = sample_unit_ids(corpus, size, seed=seed, langs=langs, min_chars=min_chars, max_chars=max_chars)
    if strategy == "mono":
        return {lang: _table(corpus, [(lang, ids)]) for lang in langs}
    if size_per == "lang":
        return {"multi": _table(corpus, [(lang, ids) for lang in langs])}
    share = [size // n_langs + (1 if i < size % n_langs else 0) for i in range(n_langs)]
    return {"multi": _table(corpus, [(lang, ids[:k]) for lang, k in zip(langs, share, strict=True)])}
