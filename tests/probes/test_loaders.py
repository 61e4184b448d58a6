"""Probe loading and validation: Arora's files (known defects) and our JSONL format (every bad-input case)."""

from __future__ import annotations

import json
import warnings
from collections import Counter
from pathlib import Path

import pytest

from valueshift.errors import ConfigError, ProbeError
from valueshift.langs import TEST_LANGS
from valueshift.probes import load_jsonl, load_probes, resolve_probe_spec

OPTION_IDS = {f"{q}{s}" for q in (152, 154, 156) for s in "abcd"} | {f"{q}{s}" for q in (173, 174, 175) for s in "ab"}
NO_MASK = {("bn", "110b"), ("sr", "106a"), ("sr", "130d"), ("sr", "152b"), ("sr", "156b")}


def test_arora_wvs_reports_exactly_the_known_defects(shared_data: Path) -> None:
    ps = resolve_probe_spec(f"arora-wvs:{shared_data / 'arora-value-probes' / 'wvs'}")
    assert sorted(ps.langs) == sorted(TEST_LANGS)
    errors = {(d.lang, d.probe_id) for d in ps.errors}
    assert errors == NO_MASK and all(d.kind == "no_mask" for d in ps.errors)
    single = Counter(d.lang for d in ps.defects if d.kind == "single_answer")
    assert {d.probe_id for d in ps.defects if d.kind == "single_answer"} == OPTION_IDS
    assert single == {lang: 18 - sum(1 for (l2, p) in NO_MASK if l2 == lang and p in OPTION_IDS) for lang in TEST_LANGS}
    inside = {(d.lang, d.probe_id) for d in ps.defects if d.kind == "mask_inside_word"}
    assert any(lang == "tr" for lang, _ in inside)
    assert any("[MASK]dir" in p.template for p in ps.probes if (p.lang, p.probe_id) in inside)
    assert {d.kind for d in ps.defects} == {"no_mask", "single_answer", "mask_inside_word"}
    assert len(ps) == 13 * 272 - 5
    per_lang = Counter(p.lang for p in ps)
    assert per_lang["bn"] == 271 and per_lang["sr"] == 268 and per_lang["de"] == 272
    de1 = next(p for p in ps if p.lang == "de" and p.probe_id == "1")
    assert (de1.question_id, de1.answer_pos, de1.answer_neg) == ("Q1", "wichtig", "unwichtig")
    assert de1.source.endswith("de.csv:2")
    opt = next(p for p in ps if p.lang == "de" and p.probe_id == "152a")
    assert opt.answer_neg is None and opt.group == "Q152"


def test_arora_hofstede_loads(shared_data: Path) -> None:
    ps = load_probes(f"arora-hofstede:{shared_data / 'arora-value-probes'}")
    assert len(ps) == 13 * 24 and not ps.errors
    assert {p.question_id for p in ps} == {f"VSM{i:02d}" for i in range(1, 25)}


def test_arora_german_row_with_embedded_newline_keeps_line_numbers(shared_data: Path) -> None:
    ps = resolve_probe_spec(f"arora-wvs:{shared_data / 'arora-value-probes' / 'wvs'}").select(["de"])
    lines = [int(p.source.rsplit(":", 1)[1]) for p in ps]
    assert lines == sorted(lines) and lines[-1] == 273  # 272 records, one spans two physical lines


def _write(path: Path, rows: list[dict | str]) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    return path


GOOD = {
    "probe_id": "1",
    "lang": "de",
    "template": "Familie ist [MASK].",
    "answer_pos": "wichtig",
    "answer_neg": "unwichtig",
}


@pytest.mark.parametrize(
    ("row", "kind"),
    [
        ({**GOOD, "template": "Familie ist wichtig."}, "no_mask"),
        ({**GOOD, "template": "[MASK] ist [MASK]."}, "multiple_masks"),
        ({**GOOD, "answer_pos": "  "}, "empty_answer"),
        ({**GOOD, "answer_neg": "wichtig"}, "identical_answers"),
        ({**GOOD, "lang": "xx"}, "unknown_lang"),
        ({**GOOD, "probe_id": None}, "missing_field"),
        ('{"probe_id": "1", "lang": ', "malformed_row"),
        ("[1, 2]", "malformed_row"),
    ],
)
def test_jsonl_defects_name_file_and_line(tmp_path: Path, row: dict | str, kind: str) -> None:
    f = _write(tmp_path / "p.jsonl", [{**GOOD, "probe_id": "0"}, row])
    ps = load_jsonl(f)
    assert [d.kind for d in ps.errors] == [kind]
    assert ps.errors[0].source == f"{f}:2"
    assert len(ps) == 1  # the good probe is still loaded
    with pytest.raises(ProbeError, match=r"p\.jsonl:2"):
        load_probes(str(f), strict=True)
    with pytest.warns(UserWarning, match="skipped 1 invalid"):
        assert len(load_probes(str(f))) == 1


def test_jsonl_duplicate_ids_and_unknown_fields(tmp_path: Path) -> None:
    f = _write(tmp_path / "dup.jsonl", [GOOD, {**GOOD, "future_field": 1}, {**GOOD, "template_id": 1}])
    with pytest.warns(UserWarning, match="future_field"):
        ps = load_jsonl(f)
    assert [(d.kind, d.source) for d in ps.errors] == [("duplicate_id", f"{f}:2")]
    assert [p.template_id for p in ps] == [0, 1]


def test_jsonl_fields_round_trip(tmp_path: Path) -> None:
    from valueshift.probes import write_jsonl

    rows = [
        {**GOOD, "question_id": "Q1", "direction": -1, "gloss": "family", "probe_set": "mine"},
        {
            "probe_id": "152a",
            "lang": "de",
            "template": "Wachstum ist [MASK].",
            "answer_pos": "wichtig",
            "group": "Q152",
        },
        {
            "probe_id": "152b",
            "lang": "de",
            "template": "Verteidigung ist [MASK].",
            "answer_pos": "wichtig",
            "group": "Q152",
        },
    ]
    ps = load_jsonl(_write(tmp_path / "a.jsonl", rows))
    assert ps.defects == [] and ps.probes[0].direction == -1 and ps.probes[0].probe_set == "mine"
    write_jsonl(tmp_path / "b.jsonl", ps.probes)
    again = load_jsonl(tmp_path / "b.jsonl")
    strip = lambda p: (p.probe_id, p.template, p.answer_pos, p.answer_neg, p.group, p.direction, p.gloss)  # noqa: E731
    assert [strip(p) for p in again] == [strip(p) for p in ps]


def test_bad_specs_and_languages(tmp_path: Path) -> None:
    with pytest.raises(ProbeError, match="Did you mean 'builtin-wvs'"):
        resolve_probe_spec("builtin-wsv")
    with pytest.raises(ProbeError, match="no such directory"):
        resolve_probe_spec(f"arora-wvs:{tmp_path / 'nope'}")
    (tmp_path / "de.csv").write_text("id,q,a\n1,2,3\n")
    with pytest.raises(ProbeError, match=r"de\.csv:1: not an Arora probe file"):
        resolve_probe_spec(f"arora-wvs:{tmp_path}")
    f = _write(tmp_path / "ok.jsonl", [GOOD])
    with pytest.raises(ConfigError, match="unknown language code"):
        load_probes(str(f), "de,xx")
    with pytest.raises(ConfigError, match="not available"):
        load_probes(str(f), "fa")
    (tmp_path / "latin1.jsonl").write_bytes('{"template": "caf\xe9"}'.encode("latin-1"))
    with pytest.raises(ProbeError, match="not UTF-8"):
        load_jsonl(tmp_path / "latin1.jsonl")


BUILTIN_LANGS = {"en", "hi", "ru", *TEST_LANGS}


@pytest.mark.parametrize(("name", "n_ids"), [("builtin-wvs", 272), ("builtin-hofstede", 24)])
def test_builtin_sets_cover_all_languages_cleanly(name: str, n_ids: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not even a warning-level defect
        ps = load_probes(name)
    assert not ps.defects
    assert set(ps.langs) == BUILTIN_LANGS
    ids = {lang: {p.probe_id for p in ps if p.lang == lang} for lang in ps.langs}
    assert all(len(v) == n_ids for v in ids.values()) and len({frozenset(v) for v in ids.values()}) == 1
    assert all(p.direction in (-1, 1) for p in ps)
    meta = {(p.probe_id, p.direction, p.group, p.question_id, p.gloss) for p in ps}
    assert len(meta) == n_ids, "direction, group, question id and gloss agree across languages and templates"
    for lang in ps.langs:  # three paraphrased templates in every language (v2), same answers in each
        templates: dict[str, set[int]] = {}
        answers: dict[str, set[tuple[str | None, str | None]]] = {}
        for p in ps.select([lang]):
            templates.setdefault(p.probe_id, set()).add(p.template_id)
            answers.setdefault(p.probe_id, set()).add((p.answer_pos, p.answer_neg))
        assert all(t == {0, 1, 2} for t in templates.values()), lang
        assert all(len(a) == 1 for a in answers.values()), lang


def test_builtin_arora_ids_match(shared_data: Path) -> None:
    arora = {p.probe_id for p in load_probes(f"arora-wvs:{shared_data / 'arora-value-probes' / 'wvs'}", "de")}
    assert {p.probe_id for p in load_probes("builtin-wvs", "en")} == arora
