"""Validation shared by every probe loader: raw records in, probes and defects out.

Rules (``kind`` of the :class:`Defect`):

errors (the probe is skipped, or ``strict`` raises)
    ``unknown_lang``, ``no_mask``, ``multiple_masks``, ``empty_answer``, ``identical_answers``, ``duplicate_id``,
    ``missing_field``
warnings (the probe is loaded)
    ``single_answer`` (one answer only: scored as an option against the rest of its group),
    ``mask_inside_word`` (the slot is glued to letters, e.g. Turkish ``[MASK]dir``),
    ``lonely_option`` (an option probe whose group has no other member in that language)
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Iterable
from typing import Any

from valueshift.errors import ProbeError
from valueshift.langs import is_known_lang
from valueshift.probes.schema import MASK, Defect, Probe, ProbeSet, question_id_from_probe_id

__all__ = ["build_probe_set", "raise_if_errors"]

_INSIDE_WORD = re.compile(r"\w" + re.escape(MASK) + r"|" + re.escape(MASK) + r"\w")


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _direction(value: Any, source: str) -> int | None:
    if value in (None, "", 0):
        return None
    try:
        d = int(value)
    except (TypeError, ValueError):
        d = 0
    if d not in (-1, 1):
        raise ProbeError(f"{source}: direction must be 1, -1 or null, got {value!r}")
    return d


def build_probe_set(name: str, records: Iterable[dict[str, Any]]) -> ProbeSet:
    """Turn raw records into a :class:`ProbeSet`, collecting every defect instead of stopping at the first.

    Each record needs ``source``, ``lang``, ``probe_id``, ``template``, ``answer_pos`` and may carry
    ``answer_neg``, ``question_id``, ``group``, ``direction``, ``template_id``, ``gloss``, ``probe_set``.
    A record with one answer and no ``group`` joins the group of its question id (Arora's a/b/c/d options).
    """
    out = ProbeSet(name)
    seen: set[tuple[str, str, int]] = set()
    for rec in records:
        source = str(rec.get("source", "?"))
        lang = _clean(rec.get("lang")) or ""
        pid = _clean(rec.get("probe_id")) or ""
        template = rec.get("template")
        template = str(template).strip() if template is not None else ""

        def defect(kind: str, msg: str, severity: str = "error", *, _s=source, _l=lang, _p=pid) -> None:
            out.defects.append(Defect(_s, _l, _p, kind, msg, severity))  # type: ignore[arg-type]

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
                probe_set=str(rec.get("probe_set") or name),
                lang=lang,
                probe_id=pid,
                question_id=qid,
                template=template,
                answer_pos=pos,
                answer_neg=neg,
                group=group,
                direction=_direction(rec.get("direction"), source),
                template_id=tid,
                gloss=_clean(rec.get("gloss")),
                source=source,
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


def raise_if_errors(probe_set: ProbeSet, *, strict: bool, max_listed: int = 20) -> None:
    """In ``strict`` mode raise on any error defect; otherwise emit one warning summarising them."""
    errors = probe_set.errors
    if not errors:
        return
    listed = "\n  ".join(str(d) for d in errors[:max_listed])
    more = f"\n  ... and {len(errors) - max_listed} more" if len(errors) > max_listed else ""
    if strict:
        raise ProbeError(f"{len(errors)} invalid probe(s) in {probe_set.name} (--strict):\n  {listed}{more}")
    warnings.warn(f"skipped {len(errors)} invalid probe(s) in {probe_set.name}:\n  {listed}{more}", stacklevel=2)
