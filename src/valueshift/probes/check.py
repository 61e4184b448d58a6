"""Probe quality checker: every defect of a probe set, per language, before any model is run.

Lifecycle: :func:`check_probes` (a spec) or :func:`check_probe_set` (a loaded set) → :class:`CheckReport`
(``summary()`` per language, ``defects``, ``ok``, ``to_dict()``); ``valueshift probes check`` prints it.

Rules. The loader's own defects come first (:mod:`valueshift.probes.validate`): ``no_mask``,
``multiple_masks``, ``empty_answer``, ``identical_answers``, ``duplicate_id``, ``missing_field``,
``unknown_lang``, ``malformed_row`` (errors) and ``single_answer``, ``mask_inside_word``, ``lonely_option``
(warnings). The checker adds, all as warnings because the probe can still be scored:

``answer_in_template``
    An answer occurs, as a whole word or phrase, in the sentence around the slot: the model may copy it.
``missing_in_lang``
    A probe id that other languages have (loaded or defective) is absent from this language, so
    cross-language comparisons lose it.
``no_direction``
    A two-answer probe without ``direction``: it cannot be compared with the survey's answer scale.
``too_many_tokens``
    With a tokenizer: an answer is longer than ``max_tokens`` tokens. The answer is tokenized as it appears in
    context, ``tokenizer(" " + answer, add_special_tokens=False)``, when the slot follows a space or starts
    the sentence, and without the space when the slot is glued to the word before it (Malay ``ber[MASK]``), an
    approximation, since the real split there depends on the neighbouring letters.

References
----------
Arora, Kaffee & Augenstein (2023), C3NLP: the probe files whose known defects this checker finds (no mask in
bn 110b, sr 106a/130d/152b/156b; 18 one-answer option probes per language; masks inside words).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from valueshift.errors import ConfigError, ProbeError
from valueshift.langs import parse_langs
from valueshift.probes.registry import resolve_probe_spec
from valueshift.probes.schema import Defect, DefectsBySeverity, Probe, ProbeSet

__all__ = ["CHECK_RULES", "CheckReport", "check_probe_set", "check_probes", "load_tokenizer"]

CHECK_RULES: tuple[str, ...] = ("answer_in_template", "missing_in_lang", "no_direction", "too_many_tokens")
Tokenizer = Callable[..., Any]


@dataclass
class CheckReport(DefectsBySeverity):
    """Result of a check: the probes looked at and every defect found.

    Attributes
    ----------
    probe_set
        Name of the set.
    langs
        Languages checked, in order.
    n_probes
        Loaded (scorable) probes per language.
    defects
        Loader and checker defects, in file order then rule order.
    max_tokens, model
        The token limit and model name, when ``too_many_tokens`` was checked.
    """

    probe_set: str
    langs: list[str]
    n_probes: dict[str, int]
    defects: list[Defect] = field(default_factory=list)
    max_tokens: int | None = None
    model: str | None = None

    @property
    def ok(self) -> bool:
        """True when no defect is an error."""
        return not self.errors

    def summary(self) -> pd.DataFrame:
        """One row per language: ``lang, probes, errors, warnings`` and one count column per defect kind."""
        frame = self.defects_frame()
        kinds = list(dict.fromkeys(frame["kind"]))
        rows = []
        for lang in [*self.langs, *(["?"] if (frame["lang"] == "?").any() else [])]:
            sub = frame[frame["lang"] == lang]
            row: dict[str, Any] = {
                "lang": lang,
                "probes": self.n_probes.get(lang, 0),
                "errors": int((sub["severity"] == "error").sum()),
                "warnings": int((sub["severity"] == "warning").sum()),
            }
            row.update({k: int((sub["kind"] == k).sum()) for k in kinds})
            rows.append(row)
        return pd.DataFrame(rows, columns=["lang", "probes", "errors", "warnings", *kinds])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: set, languages, ``ok``, per-language summary and every defect."""
        return {
            "probe_set": self.probe_set,
            "langs": self.langs,
            "model": self.model,
            "max_tokens": self.max_tokens,
            "ok": self.ok,
            "n_errors": len(self.errors),
            "n_warnings": len(self.warnings),
            "summary": self.summary().to_dict(orient="records"),
            "defects": [asdict(d) for d in self.defects],
        }


def _file_of(source: str) -> str:
    head, _, tail = source.rpartition(":")
    return head if tail.isdigit() else source


def _phrase_in(answer: str, text: str) -> bool:
    pattern = r"(?<!\w)" + re.escape(answer.casefold()) + r"(?!\w)"
    return re.search(pattern, text.casefold()) is not None


def _answer_in_template(p: Probe) -> list[Defect]:
    before, after = p.split()
    context = f"{before} {after}"
    return [
        Defect(p.source, p.lang, p.probe_id, "answer_in_template",
               f"answer {a!r} also occurs in the sentence around the slot: {p.template[:60]!r}", "warning")
        for a in p.answers if _phrase_in(a, context)
    ]  # fmt: skip


def _missing_in_lang(probe_set: ProbeSet, langs: list[str]) -> list[Defect]:
    ids: dict[str, dict[str, str]] = {lang: {} for lang in langs}  # lang -> probe id -> file
    items: list[Probe | Defect] = [*probe_set.probes, *probe_set.defects]
    for item in items:
        if item.lang in ids and item.probe_id:
            ids[item.lang].setdefault(item.probe_id, _file_of(item.source))
    if len(langs) < 2:
        return []
    every = list(dict.fromkeys(pid for lang in langs for pid in ids[lang]))
    out = []
    for lang in langs:
        file = next(iter(ids[lang].values()), "?")
        for pid in every:
            if pid not in ids[lang]:
                have = [other for other in langs if pid in ids[other]]
                msg = f"probe {pid} exists in {', '.join(have)} but not in {lang}"
                out.append(Defect(file, lang, pid, "missing_in_lang", msg, "warning"))
    return out


def _context_text(p: Probe, answer: str) -> str:
    before, _ = p.split()
    glued = bool(before) and not before[-1].isspace()
    return answer if glued else " " + answer


def _token_lengths(tokenizer: Tokenizer, texts: list[str]) -> dict[str, int]:
    unique = list(dict.fromkeys(texts))
    if not unique:
        return {}
    ids = tokenizer(unique, add_special_tokens=False)["input_ids"]
    return {t: len(i) for t, i in zip(unique, ids, strict=True)}


def _too_many_tokens(probes: list[Probe], tokenizer: Tokenizer, max_tokens: int) -> list[Defect]:
    texts = {(p.lang, p.probe_id, p.template_id, a): _context_text(p, a) for p in probes for a in p.answers}
    lengths = _token_lengths(tokenizer, list(texts.values()))
    out = []
    for p in probes:
        for a in p.answers:
            n = lengths[texts[(p.lang, p.probe_id, p.template_id, a)]]
            if n > max_tokens:
                out.append(Defect(p.source, p.lang, p.probe_id, "too_many_tokens",
                                  f"answer {a!r} is {n} tokens (limit {max_tokens})", "warning"))  # fmt: skip
    return out


def check_probe_set(
    probe_set: ProbeSet,
    *,
    langs: str | list[str] | None = None,
    tokenizer: Tokenizer | None = None,
    max_tokens: int = 3,
    model: str | None = None,
) -> CheckReport:
    """Check a loaded probe set.

    Parameters
    ----------
    probe_set
        As a loader returns it, defects included (do not pass the result of ``load_probes(strict=True)``).
    langs
        ``"all"``/None, ``"de,fa"`` or a list; defects without a language (malformed lines) are always kept.
    tokenizer
        A Hugging Face tokenizer (anything called as ``tokenizer(texts, add_special_tokens=False)`` returning
        ``{"input_ids": [[...], ...]}``); enables ``too_many_tokens``.
    max_tokens
        Longest answer, in tokens, that passes ``too_many_tokens``.
    model
        Name recorded in the report.

    Returns
    -------
    CheckReport

    Raises
    ------
    ProbeError
        The selection holds no probe and no error defect (an empty file): there is nothing to pass.
    """
    if max_tokens < 1:
        raise ConfigError(f"--max-tokens must be at least 1, got {max_tokens}")
    selected = parse_langs(langs, probe_set.all_langs)
    keep = set(selected)
    probes = [p for p in probe_set.probes if p.lang in keep]
    defects = [d for d in probe_set.defects if d.lang in keep or not d.lang]
    if not probes and not any(d.severity == "error" for d in defects):
        # nothing to check and nothing wrong found would read as a pass
        raise ProbeError(
            f"{probe_set.source or probe_set.name}: holds no probes for languages {', '.join(selected) or 'any'}; "
            "a probe file needs at least one probe line"
        )
    for p in probes:
        defects += _answer_in_template(p)
        if p.answer_neg is not None and p.direction is None:
            msg = "no direction: cannot be placed on the survey's answer scale"
            defects.append(Defect(p.source, p.lang, p.probe_id, "no_direction", msg, "warning"))
    defects += _missing_in_lang(probe_set, selected)
    if tokenizer is not None:
        defects += _too_many_tokens(probes, tokenizer, max_tokens)
    n_probes = {lang: sum(p.lang == lang for p in probes) for lang in selected}
    return CheckReport(probe_set.name, selected, n_probes, defects,
                       max_tokens if tokenizer is not None else None, model)  # fmt: skip


def load_tokenizer(model: str) -> Tokenizer:
    """The tokenizer of ``model`` (hub id or directory), checked against the model's config."""
    from valueshift.models import load_tokenizer as load

    return load(model)


def check_probes(
    spec: str | ProbeSet,
    *,
    langs: str | list[str] | None = None,
    model: str | None = None,
    max_tokens: int = 3,
    tokenizer: Tokenizer | None = None,
) -> CheckReport:
    """Load a probe spec (``arora-wvs:DIR``, a ``.jsonl``, a builtin name) and check it.

    ``model`` loads a tokenizer for ``too_many_tokens`` (or pass ``tokenizer`` directly); see
    :func:`check_probe_set` for the other parameters.
    """
    probe_set = resolve_probe_spec(spec) if isinstance(spec, str) else spec
    if tokenizer is None and model is not None:
        tokenizer = load_tokenizer(model)
    return check_probe_set(probe_set, langs=langs, tokenizer=tokenizer, max_tokens=max_tokens, model=model)
