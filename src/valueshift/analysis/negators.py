"""Negator words per language: whether an answer carries a separate negator ("tidak penting", "not important").

The word lists live in ``valueshift/resources/negators.csv`` (one row per form: ``word``, ``prefix``, ``suffix``
or ``none`` where a language negates inside words and no list detects it); :func:`load_negators` reads and checks
it once, :func:`has_negator` tests one answer, and the answer-bias table (:mod:`valueshift.analysis.bias`) tests a
whole probe table with rules built once per language.
"""

from __future__ import annotations

import math
import unicodedata
from functools import lru_cache
from importlib import resources

import pandas as pd

from valueshift.errors import AnalysisError

__all__ = ["Rules", "detect_negator", "has_negator", "load_negators", "negator_rules"]

_STRIP = "\"'“”„«»‹›()[]{}.,;:!?¿¡…،؛؟।॥。、"


def _norm_text(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold().replace("’", "'")


@lru_cache(maxsize=1)
def _negator_table() -> pd.DataFrame:
    path = resources.files("valueshift") / "resources" / "negators.csv"
    with path.open(encoding="utf-8") as fh:
        df = pd.read_csv(fh, dtype=str, keep_default_na=False)
    bad = df[~df["match"].isin(["word", "prefix", "suffix", "none"])]
    if len(bad):
        raise AnalysisError(f"negators.csv: unknown match kind {bad['match'].iloc[0]!r} (word, prefix, suffix, none)")
    mixed = df.groupby("lang")["coverage"].nunique()
    if (mixed > 1).any():
        raise AnalysisError(f"negators.csv: language {mixed[mixed > 1].index[0]} has rows of different coverage")
    df["form"] = [_norm_text(f) for f in df["form"]]
    return df


def load_negators() -> pd.DataFrame:
    """The per-language negator table shipped in ``valueshift/resources/negators.csv``.

    Returns
    -------
    pandas.DataFrame
        ``lang, form, match, coverage, note``: one row per negator form (NFC, case-folded). ``match`` is
        ``word`` (a whitespace token equal to the form, punctuation stripped), ``prefix`` (a token starting
        with it), ``suffix`` (a token ending with it) or ``none`` (the language negates inside words and no list
        detects it). ``coverage`` is ``full``, ``partial`` (a lower bound: some negation is glued to the verb)
        or ``none``.
    """
    return _negator_table().copy()


def has_negator(answer: object, lang: str, negators: pd.DataFrame | None = None) -> bool | None:
    """Whether ``answer`` contains a separate negator of ``lang``.

    Parameters
    ----------
    answer
        An answer string; None/NaN gives None.
    lang
        Language code of the answer.
    negators
        A table like :func:`load_negators` (default: the shipped one).

    Returns
    -------
    bool or None
        None when the answer is missing or the language's negation cannot be detected by a word list
        (coverage ``none``, or the language is not in the table).

    Examples
    --------
    >>> has_negator("tidak penting", "id"), has_negator("unwichtig", "de"), has_negator("katılmıyorum", "tr")
    (True, False, None)
    """
    table = _negator_table() if negators is None else negators
    return detect_negator(answer, negator_rules(table).get(lang))


Rules = tuple[tuple[str, str], ...] | None  # (form, match) pairs of a language; None: not detectable


def negator_rules(table: pd.DataFrame) -> dict[str, Rules]:
    """Per language, its negator forms once, so a whole table is checked without re-filtering per answer."""
    out: dict[str, Rules] = {}
    for lang, rows in table.groupby("lang", sort=False):
        out[str(lang)] = (
            None if (rows["match"] == "none").any() else tuple(zip(rows["form"], rows["match"], strict=True))
        )
    return out


def detect_negator(answer: object, rules: Rules) -> bool | None:
    if answer is None or (isinstance(answer, float) and math.isnan(answer)) or answer is pd.NA:
        return None
    if rules is None:
        return None
    tokens = [t.strip(_STRIP) for t in _norm_text(str(answer)).split()]
    tokens = [t for t in tokens if t]
    for form, match in rules:
        if match == "word" and form in tokens:
            return True
        if match == "prefix" and any(t.startswith(form) for t in tokens):
            return True
        if match == "suffix" and any(t.endswith(form) for t in tokens):
            return True
    return False
