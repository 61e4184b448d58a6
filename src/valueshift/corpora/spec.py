"""Corpus specs: one string names a corpus format and its location (``textdir:PATH``).

=====================  ==============================================================
``textdir:PATH``       a folder of line-aligned ``<lang>.txt`` files
``flores:PATH``        FLORES-101/200 release (``dev/``, ``devtest/``)
``tanzil:PATH``        Tanzil ``sura|aya|text`` files, one per language
``bible-xml:PATH``     christos-c bible-corpus XML files
``ntrex:PATH``         NTREX-128 ``newstest2019-ref.<code>.txt`` files
``builtin:NAME``       a small corpus shipped with valueshift (``builtin:sample``: 150 lines,
                       en de fa hi ko ru, written for demos and tests)
=====================  ==============================================================

Kinds map to lazy ``module:function`` strings so ``import valueshift.corpora`` stays cheap.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from valueshift.corpora.schema import AlignMode, ParallelCorpus
from valueshift.errors import CorpusError

__all__ = ["CORPUS_KINDS", "builtin_corpus_dir", "load_corpus"]

CORPUS_KINDS: dict[str, str] = {
    "textdir": "valueshift.corpora.linefiles:load_textdir",
    "flores": "valueshift.corpora.keyed:load_flores",
    "tanzil": "valueshift.corpora.keyed:load_tanzil",
    "bible-xml": "valueshift.corpora.keyed:load_bible_xml",
    "ntrex": "valueshift.corpora.linefiles:load_ntrex",
}


def builtin_corpus_dir(name: str) -> Path:
    """The folder of a corpus shipped in ``valueshift/resources/corpus/``."""
    root = Path(str(resources.files("valueshift") / "resources" / "corpus"))
    path = root / name
    if not name or not path.is_dir():
        names = sorted(d.name for d in root.iterdir() if d.is_dir()) if root.is_dir() else []
        raise CorpusError(f"no builtin corpus {name!r}; builtin corpora: {', '.join(names) or 'none'}")
    return path


def load_corpus(spec: str, langs: Iterable[str] | str, *, align: AlignMode = "strict", **kwargs: Any) -> ParallelCorpus:
    """Load the corpus a spec names, for the languages ``langs``.

    Parameters
    ----------
    spec
        ``KIND:PATH`` with KIND one of :data:`CORPUS_KINDS`.
    langs
        ISO 639-1 codes (comma-separated string or iterable).
    align
        ``strict`` (misalignment is an error) or ``intersect`` (keep units present in all languages).
    **kwargs
        Passed to the format loader (e.g. ``splits`` for FLORES).
    """
    kind, sep, path = spec.partition(":")
    if kind == "builtin":
        kind, path = "textdir", str(builtin_corpus_dir(path))
    if not sep or not path:
        raise CorpusError(f"corpus spec {spec!r}: expected KIND:PATH with KIND one of {', '.join(CORPUS_KINDS)}")
    if kind not in CORPUS_KINDS:
        hint = difflib.get_close_matches(kind, list(CORPUS_KINDS), n=1)
        dym = f" Did you mean {hint[0]!r}?" if hint else ""
        raise CorpusError(f"unknown corpus kind {kind!r} in {spec!r}.{dym} Use one of: {', '.join(CORPUS_KINDS)}")
    module, _, func = CORPUS_KINDS[kind].partition(":")
    loader = getattr(importlib.import_module(module), func)
    return loader(path, langs, align_mode=align, **kwargs)
