"""The probe record, defect records and the probe-set container."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Literal

import pandas as pd

__all__ = ["MASK", "Defect", "DefectsBySeverity", "Probe", "ProbeSet", "question_id_from_probe_id"]

MASK = "[MASK]"
_QNUM = re.compile(r"^[Qq]?(\d+)")


@dataclass(frozen=True, slots=True)
class Probe:
    """One cloze probe in one language.

    Attributes
    ----------
    probe_set
        Name of the set (``arora-wvs``, ``builtin-wvs``, a JSONL file stem, ...).
    lang
        ISO 639-1 code.
    probe_id
        Stable id shared by the translations of a probe (Arora ids: WVS-7 question number plus a/b/c/d).
    question_id
        The survey item the probe measures (``Q106``; ``VSM07`` for Hofstede items).
    template
        Sentence with exactly one ``[MASK]`` slot.
    answer_pos, answer_neg
        The two opposite fillers. ``answer_neg`` is None for one-answer option probes, which are compared
        with the other probes of their ``group``.
    group
        Probes compared with each other (a/b/c/d options of one question); None for pair probes.
    direction
        +1 if ``answer_pos`` stands for a higher number on the survey's answer scale, -1 if lower, None unknown.
    template_id
        Index of the paraphrase; several templates of one (lang, probe_id) are averaged by the scorer on request.
    gloss
        Short English gloss of the probe.
    source
        ``file:line`` the probe came from, for error messages.
    """

    probe_set: str
    lang: str
    probe_id: str
    question_id: str
    template: str
    answer_pos: str
    answer_neg: str | None = None
    group: str | None = None
    direction: int | None = None
    template_id: int = 0
    gloss: str | None = None
    source: str = ""

    @property
    def answers(self) -> tuple[str, ...]:
        return (self.answer_pos,) if self.answer_neg is None else (self.answer_pos, self.answer_neg)

    def filled(self, answer: str) -> str:
        """The template with ``answer`` in the slot (no spaces added: masks may sit inside words)."""
        return self.template.replace(MASK, answer, 1)

    def split(self) -> tuple[str, str]:
        """The template's text before and after the mask."""
        before, _, after = self.template.partition(MASK)
        return before, after


@dataclass(frozen=True, slots=True)
class Defect:
    """A problem found in a probe file.

    ``severity`` is ``error`` (the probe cannot be scored and is skipped, or ``--strict`` fails) or ``warning``
    (the probe is loaded, but results deserve a look).
    """

    source: str  # file:line
    lang: str
    probe_id: str
    kind: str  # machine-readable: no_mask, multiple_masks, empty_answer, identical_answers, duplicate_id, ...
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        return f"{self.source}: {self.severity}: probe {self.probe_id or '?'} ({self.lang}): {self.message}"


class DefectsBySeverity:
    """``errors`` and ``warnings`` views of a ``defects`` list (shared by probe sets and check reports)."""

    defects: list[Defect]

    @property
    def errors(self) -> list[Defect]:
        return [d for d in self.defects if d.severity == "error"]

    @property
    def warnings(self) -> list[Defect]:
        return [d for d in self.defects if d.severity == "warning"]

    def defects_frame(self) -> pd.DataFrame:
        """One row per defect; a defect no language can be assigned to (a malformed line) has ``lang`` ``?``."""
        cols = ["source", "lang", "probe_id", "kind", "message", "severity"]
        return pd.DataFrame([{**asdict(d), "lang": d.lang or "?"} for d in self.defects], columns=cols)


@dataclass
class ProbeSet(DefectsBySeverity):
    """Probes of one set plus the defects found while loading them.

    ``source`` names where the set was read from (a file or folder), for messages.
    """

    name: str
    probes: list[Probe] = field(default_factory=list)
    defects: list[Defect] = field(default_factory=list)
    source: str = ""

    def __iter__(self) -> Iterator[Probe]:
        return iter(self.probes)

    def __len__(self) -> int:
        return len(self.probes)

    @property
    def langs(self) -> list[str]:
        """Languages with at least one loaded probe."""
        return list(dict.fromkeys(p.lang for p in self.probes))

    @property
    def all_langs(self) -> list[str]:
        """Languages the source mentions: those with probes, then those with only defects (so a selection of a
        language whose every line is broken reports the defects rather than "not available")."""
        return list(dict.fromkeys([*self.langs, *(d.lang for d in self.defects if d.lang)]))

    def select(self, langs: Iterable[str]) -> ProbeSet:
        keep = set(langs)
        return ProbeSet(
            self.name,
            [p for p in self.probes if p.lang in keep],
            [d for d in self.defects if d.lang in keep or not d.lang],  # unattributable rows stay visible
            self.source,
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per probe, every field a column."""
        return pd.DataFrame([asdict(p) for p in self.probes])


def question_id_from_probe_id(probe_id: str) -> str:
    """``106a`` -> ``Q106``; ids without a leading number are returned unchanged.

    >>> question_id_from_probe_id("106a")
    'Q106'
    """
    m = _QNUM.match(probe_id)
    return f"Q{int(m.group(1))}" if m else probe_id
