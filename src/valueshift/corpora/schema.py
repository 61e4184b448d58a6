"""The aligned multi-parallel corpus every loader produces, and the alignment step they share.

Lifecycle: a format loader reads each requested language into a :class:`LangUnits` (unit id -> text, with the
``file:line`` each came from) -> :func:`align` checks that every language has the same units (``strict``) or keeps
the common ones (``intersect``) -> a :class:`ParallelCorpus` (languages x units) goes to sampling.

A *unit* is one translation unit: a line of a line-aligned corpus (id ``"17"``), a FLORES sentence (``"dev:17"``),
a verse (``"b.GEN.1.1"``) or an ayah (``"2:255"``). Unit ids are strings and stable across languages, so the same
id in two languages marks two translations of one another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from valueshift.errors import CorpusError

__all__ = ["AlignMode", "LangUnits", "ParallelCorpus", "align"]

AlignMode = Literal["strict", "intersect"]


@dataclass
class LangUnits:
    """One language as read from its file(s): ordered units, their texts and where each came from."""

    lang: str
    ids: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    where: list[str] = field(default_factory=list)  # "file:line" of each unit, for messages
    lines: list[int | None] = field(default_factory=list)  # 1-based line in a line-aligned corpus, else None

    def add(self, unit_id: str, text: str, where: str, line: int | None = None) -> None:
        self.ids.append(unit_id)
        self.texts.append(text)
        self.where.append(where)
        self.lines.append(line)


@dataclass(frozen=True)
class ParallelCorpus:
    """Languages x units: ``texts[lang][i]`` translates unit ``unit_ids[i]``.

    Attributes
    ----------
    name
        Short corpus name (the directory name), written to ``train_examples.parquet`` as ``corpus``.
    source
        The spec it was loaded from (``textdir:/path``).
    unit_ids
        Stable unit ids, in corpus order.
    texts
        Per language, the text of each unit (same order as ``unit_ids``).
    corpus_lines
        The 1-based line of each unit in a line-aligned corpus, or None for formats keyed otherwise.
    dropped
        Messages about units left out by ``intersect`` alignment (empty for ``strict``).
    """

    name: str
    source: str
    unit_ids: tuple[str, ...]
    texts: dict[str, tuple[str, ...]]
    corpus_lines: tuple[int | None, ...]
    dropped: tuple[str, ...] = ()

    @property
    def langs(self) -> list[str]:
        return list(self.texts)

    def __len__(self) -> int:
        return len(self.unit_ids)


def _first(items: Sequence[str], n: int = 3) -> str:
    shown = ", ".join(items[:n])
    return shown + (f", ... ({len(items)} in all)" if len(items) > n else "")


def align(name: str, source: str, per_lang: list[LangUnits], mode: AlignMode = "strict") -> ParallelCorpus:
    """Align languages by unit id.

    Parameters
    ----------
    name, source
        Corpus name and spec, stored on the result.
    per_lang
        One :class:`LangUnits` per requested language, in the requested order. Unit order follows the first.
    mode
        ``strict``: every language must have exactly the same units and no empty text, else a CorpusError says
        which ids are missing where (or which line is empty). ``intersect``: keep units present and non-empty in
        all languages, and record what was dropped.

    Returns
    -------
    ParallelCorpus
    """
    if mode not in ("strict", "intersect"):
        raise CorpusError(f"--align {mode!r}: use strict or intersect")
    if not per_lang:
        raise CorpusError(f"{source}: no languages requested")
    for lu in per_lang:
        seen: dict[str, str] = {}
        for uid, where in zip(lu.ids, lu.where, strict=True):
            if uid in seen:
                raise CorpusError(f"{where}: unit id {uid!r} repeats (first at {seen[uid]}); ids must be unique")
            seen[uid] = where
    dropped: list[str] = []
    if mode == "strict":
        for lu in per_lang:
            for text, where in zip(lu.texts, lu.where, strict=True):
                if not text.strip():
                    raise CorpusError(
                        f"{where}: empty {lu.lang} segment; fill or remove it in every language, "
                        "or pass --align intersect to drop such units"
                    )
        ref = per_lang[0]
        ref_set = set(ref.ids)
        for lu in per_lang[1:]:
            other = set(lu.ids)
            if other == ref_set:
                continue
            missing = [u for u in ref.ids if u not in other]
            extra = [u for u in lu.ids if u not in ref_set]
            parts = [f"{ref.lang} has {len(ref.ids)} units, {lu.lang} has {len(lu.ids)}"]
            if missing:
                parts.append(f"missing in {lu.lang}: {_first(missing)}")
            if extra:
                parts.append(f"only in {lu.lang}: {_first(extra)}")
            where = lu.where[0].rsplit(":", 1)[0] if lu.where else source
            raise CorpusError(
                f"{where}: not aligned with {ref.lang} ({'; '.join(parts)}); fix the files or pass "
                "--align intersect to keep only units present in all requested languages"
            )
        keep = list(ref.ids)
    else:
        common = set(per_lang[0].ids)
        for lu in per_lang[1:]:
            common &= set(lu.ids)
        for lu in per_lang:
            empty = {u for u, t in zip(lu.ids, lu.texts, strict=True) if not t.strip()}
            if empty & common:
                dropped.append(f"{lu.lang}: {len(empty & common)} empty segment(s) dropped")
            common -= empty
            n_out = len(set(lu.ids) - common)
            if n_out:
                dropped.append(f"{lu.lang}: {n_out} of {len(lu.ids)} units not in all languages or empty")
        keep = [u for u in per_lang[0].ids if u in common]
        if not keep:
            raise CorpusError(f"{source}: no unit is present and non-empty in all of {[lu.lang for lu in per_lang]}")
    index = [{u: i for i, u in enumerate(lu.ids)} for lu in per_lang]
    texts = {lu.lang: tuple(lu.texts[ix[u]].strip() for u in keep) for lu, ix in zip(per_lang, index, strict=True)}
    lines = tuple(per_lang[0].lines[index[0][u]] for u in keep)
    return ParallelCorpus(name, source, tuple(keep), texts, lines, tuple(dropped))
