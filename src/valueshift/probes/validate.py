"""Validation shared by every probe loader: raw records in, probes and defects out.

Rules (``kind`` of the :class:`Defect`):

errors (the probe is skipped, or ``strict`` raises)
    ``unknown_lang``, ``no_mask``, ``multiple_masks``, ``empty_answer``, ``identical_answers``, ``duplicate_id``,
    ``missing_field``, ``bad_field`` (a field of the wrong type or over its length cap, see below)
warnings (the probe is loaded)
    ``single_answer`` (one answer only: scored as an option against the rest of its group),
    ``mask_inside_word`` (the slot is glued to letters, e.g. Turkish ``[MASK]dir``),
    ``lonely_option`` (an option probe whose group has no other member in that language)

Field types: ``lang``, ``template``, ``answer_pos`` are strings; ``answer_neg``, ``question_id``, ``group``,
``gloss``, ``probe_set`` strings or null; ``probe_id`` a string or a non-negative integer; ``template_id`` a
non-negative integer or null (0); ``direction`` 1, -1 or null. Nothing is converted to text: a JSON list where
an answer belongs is a defect, not the answer ``"['a', 'b']"``. Booleans are not integers.

Length caps (characters): ``template`` and ``gloss`` :data:`MAX_TEMPLATE_CHARS`; answers and ids
:data:`MAX_ANSWER_CHARS`. A cloze sentence is one sentence; a longer field is a broken file (a missing line
break, a pasted document) and would also cost the scorer memory.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from valueshift.errors import ProbeError
from valueshift.langs import is_known_lang
from valueshift.probes.schema import MASK, Defect, Probe, ProbeSet, question_id_from_probe_id

__all__ = ["MAX_ANSWER_CHARS", "MAX_TEMPLATE_CHARS", "build_probe_set", "raise_if_errors"]

MAX_TEMPLATE_CHARS = 2_000
MAX_ANSWER_CHARS = 200
_INSIDE_WORD = re.compile(r"\w" + re.escape(MASK) + r"|" + re.escape(MASK) + r"\w")
_TEXT_FIELDS: dict[str, tuple[bool, int]] = {  # field -> (required, length cap)
    "lang": (True, MAX_ANSWER_CHARS),
    "template": (True, MAX_TEMPLATE_CHARS),
    "answer_pos": (True, MAX_ANSWER_CHARS),
    "answer_neg": (False, MAX_ANSWER_CHARS),
    "question_id": (False, MAX_ANSWER_CHARS),
    "group": (False, MAX_ANSWER_CHARS),
    "gloss": (False, MAX_TEMPLATE_CHARS),
    "probe_set": (False, MAX_ANSWER_CHARS),
}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def field_problem(rec: dict[str, Any]) -> str | None:
    """The first field of ``rec`` with a wrong type or length, as ``"field X ..."``; None when all are fine."""
    pid = rec.get("probe_id")
    if pid is not None and not isinstance(pid, str) and not (_is_int(pid) and pid >= 0):
        return f"field probe_id must be a string, got {type(pid).__name__} {_shown(pid)}"
    if isinstance(pid, str) and len(pid) > MAX_ANSWER_CHARS:
        return f"field probe_id is {len(pid):,} characters long (limit {MAX_ANSWER_CHARS})"
    for name, (_, cap) in _TEXT_FIELDS.items():
        value = rec.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            return f"field {name} must be a string, got {type(value).__name__} {_shown(value)}"
        if len(value) > cap:
            return f"field {name} is {len(value):,} characters long (limit {cap:,}); is a line break missing?"
    tid = rec.get("template_id")
    if tid is not None and not (_is_int(tid) and tid >= 0):
        return f"field template_id must be a non-negative integer, got {_shown(tid)}"
    direction = rec.get("direction")
    if direction is not None and not (_is_int(direction) and direction in (-1, 1)):
        return f"field direction must be 1, -1 or null, got {_shown(direction)}"
    return None


def _clean(value: Any) -> str | None:
    text = value.strip() if isinstance(value, str) else None
    return text or None


def build_probe_set(name: str, records: Iterable[dict[str, Any]], source: str = "") -> ProbeSet:
    """Turn raw records into a :class:`ProbeSet`, collecting every defect instead of stopping at the first.

    Each record needs ``source``, ``lang``, ``probe_id``, ``template``, ``answer_pos`` and may carry
    ``answer_neg``, ``question_id``, ``group``, ``direction``, ``template_id``, ``gloss``, ``probe_set``.
    A record with one answer and no ``group`` joins the group of its question id (Arora's a/b/c/d options).
    ``source`` names the file or folder the set came from.
    """
    out = ProbeSet(name, source=source)
    seen: set[tuple[str, str, int]] = set()
    for rec in records:
        where = str(rec.get("source", "?"))
        raw_pid = rec.get("probe_id")
        lang = _clean(rec.get("lang")) or ""
        pid = str(raw_pid).strip() if _is_int(raw_pid) else _clean(raw_pid) or ""

        def defect(kind: str, msg: str, severity: str = "error", *, _s: str = where, _l: str = lang,
                   _p: str = pid) -> None:  # fmt: skip
            out.defects.append(Defect(_s, _l, _p, kind, msg, severity))  # type: ignore[arg-type]

        problem = field_problem(rec)
        if problem is not None:
            defect("bad_field", f"{problem}; line skipped")
            continue
        template = (rec.get("template") or "").strip()
        if not pid or not template or not lang:
            missing = [k for k, v in (("lang", lang), ("probe_id", pid), ("template", template)) if not v]
            defect("missing_field", f"missing {', '.join(missing)}")
            continue
        if not is_known_lang(lang):
            defect("unknown_lang", f"unknown language code {lang!r} (use ISO 639-1, e.g. fa, ko)")
            continue
        n_masks = template.count(MASK)
        if n_masks == 0:
            defect("no_mask", f"template has no {MASK} slot: {template[:60]!r}")
            continue
        if n_masks > 1:
            defect("multiple_masks", f"template has {n_masks} {MASK} slots; exactly one is needed")
            continue
        pos, neg = _clean(rec.get("answer_pos")), _clean(rec.get("answer_neg"))
        group = _clean(rec.get("group"))
        qid = _clean(rec.get("question_id")) or question_id_from_probe_id(pid)
        if pos is None:
            defect("empty_answer", "answer_pos is empty")
            continue
        if neg is None and group is None:
            # Arora's 152a-d, 154a-d, ...: options of one question, compared across the variants.
            group = qid
            defect("single_answer", f"one answer only; scored as an option within group {group}", "warning")
        if neg is not None and pos == neg:
            defect("identical_answers", f"both answers are {pos!r}")
            continue
        tid = int(rec.get("template_id") or 0)
        key = (lang, pid, tid)
        if key in seen:
            defect("duplicate_id", f"probe id {pid} appears more than once in {lang} (template {tid})")
            continue
        seen.add(key)
        if _INSIDE_WORD.search(template):
            defect("mask_inside_word", f"{MASK} is glued to letters: {template[:60]!r}", "warning")
        out.probes.append(
            Probe(
                probe_set=_clean(rec.get("probe_set")) or name,
                lang=lang,
                probe_id=pid,
                question_id=qid,
                template=template,
                answer_pos=pos,
                answer_neg=neg,
                group=group,
                direction=rec.get("direction"),
                template_id=tid,
                gloss=_clean(rec.get("gloss")),
                source=where,
            )
        )
    _check_groups(out)
    return out


def _check_groups(probe_set: ProbeSet) -> None:
    options = Counter((p.lang, p.group, p.template_id) for p in probe_set.probes if p.answer_neg is None)
    for p in probe_set.probes:
        if p.answer_neg is None and options[(p.lang, p.group, p.template_id)] < 2:
            probe_set.defects.append(
                Defect(p.source, p.lang, p.probe_id, "lonely_option",
                       f"option probe has no other member of group {p.group} in {p.lang}", "warning")
            )  # fmt: skip


def raise_if_errors(
    probe_set: ProbeSet, *, strict: bool, langs: Sequence[str] | None = None, max_listed: int = 20
) -> None:
    """Raise when nothing is left to score, or in ``strict`` mode on any error defect; otherwise emit one
    warning summarising the skipped probes. ``langs`` names the selection in the first message."""
    errors = probe_set.errors
    where = probe_set.source or probe_set.name
    if not probe_set.probes:
        langs = ", ".join(probe_set.all_langs if langs is None else langs) or "none"
        detail = f"first problem: {errors[0]}" if errors else "it holds no probe lines"
        more = f" (and {len(errors) - 1} more; `valueshift probes check` lists them)" if len(errors) > 1 else ""
        raise ProbeError(f"no valid probe left in {where} for languages {langs}: {detail}{more}")
    if not errors:
        return
    if strict:
        more = f" (and {len(errors) - 1} more; `valueshift probes check` lists them)" if len(errors) > 1 else ""
        raise ProbeError(f"{len(errors)} invalid probe(s) in {where} (--strict): {errors[0]}{more}")
    listed = "\n  ".join(str(d) for d in errors[:max_listed])
    more = f"\n  ... and {len(errors) - max_listed} more" if len(errors) > max_listed else ""
    warnings.warn(f"skipped {len(errors)} invalid probe(s) in {where}:\n  {listed}{more}", stacklevel=2)
