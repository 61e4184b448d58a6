"""Aligned multi-parallel corpora and parallel-consistent sampling.

Lifecycle: :func:`load_corpus` (``KIND:PATH`` spec -> :class:`ParallelCorpus`, languages x translation units with
stable ids) -> :func:`plan_examples` (seeded, the same unit ids in every language -> one example table per run).
"""

from __future__ import annotations

from valueshift.corpora.keyed import load_bible_xml, load_flores, load_tanzil
from valueshift.corpora.linefiles import load_ntrex, load_textdir
from valueshift.corpora.sampling import EXAMPLE_COLUMNS, plan_examples, sample_unit_ids
from valueshift.corpora.schema import LangUnits, ParallelCorpus, align
from valueshift.corpora.spec import CORPUS_KINDS, load_corpus

__all__ = [
    "CORPUS_KINDS",
    "EXAMPLE_COLUMNS",
    "LangUnits",
    "ParallelCorpus",
    "align",
    "load_bible_xml",
    "load_corpus",
    "load_flores",
    "load_ntrex",
    "load_tanzil",
    "load_textdir",
    "plan_examples",
    "sample_unit_ids",
]
