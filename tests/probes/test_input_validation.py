"""Probe loaders on hostile input: field types, length caps, BOM, Arora quoting, set checks, and a fuzz that
only ProbeError escapes while valid lines survive next to invalid ones."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from valueshift.errors import ConfigError, ProbeError
from valueshift.langs import parse_langs
from valueshift.probes import ProbeSet, load_arora, load_jsonl, load_probes
from valueshift.probes.check import check_probes
from valueshift.probes.validate import MAX_ANSWER_CHARS, MAX_TEMPLATE_CHARS

GOOD = {"probe_id": "1", "lang": "de", "template": "Das ist [MASK].", "answer_pos": "gut", "answer_neg": "schlecht"}
HEADER = "\t0\t1\t2\t3\n"
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _write(path: Path, *records: object) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records), encoding="utf-8")
    return path


def _quiet_load(path: Path) -> ProbeSet:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_jsonl(path)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("template", ["Das ist [MASK]."]),
        ("answer_pos", {"a": 1}),
        ("answer_neg", 3),
        ("lang", 7),
        ("gloss", ["x"]),
        ("probe_id", 1.5),
        ("probe_id", True),
        ("template_id", "x"),
        ("template_id", 1.7),
        ("template_id", -1),
        ("template_id", True),
        ("direction", 2),
        ("direction", "1"),
        ("direction", True),
        ("template", "x" * MAX_TEMPLATE_CHARS + " [MASK]"),
        ("answer_pos", "y" * (MAX_ANSWER_CHARS + 1)),
    ],
)
def test_bad_field_skips_only_its_line(tmp_path: Path, field: str, value: object) -> None:
    path = _write(tmp_path / "p.jsonl", {**GOOD, "probe_id": "2", field: value}, GOOD)
    ps = _quiet_load(path)
    assert [p.probe_id for p in ps] == ["1"]
    (bad,) = ps.errors
    assert bad.kind == "bad_field" and bad.source == f"{path}:1" and f"field {field}" in bad.message
    with pytest.raises(ProbeError, match=rf"p\.jsonl:1.*field {field}"):
        load_probes(str(path), strict=True)


def test_valid_types_are_kept(tmp_path: Path) -> None:
    path = _write(tmp_path / "p.jsonl", {**GOOD, "probe_id": 7, "template_id": 2, "direction": -1})
    (p,) = load_jsonl(path)
    assert (p.probe_id, p.template_id, p.direction) == ("7", 2, -1)


def test_bom_keeps_the_first_probe(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD).encode() + b"\n")
    assert [p.probe_id for p in load_jsonl(path)] == ["1"]
    (tmp_path / "ar").mkdir()
    (tmp_path / "ar" / "de.csv").write_bytes(("\ufeff" + HEADER + "0\t1\tDas ist [MASK]\tgut\tschlecht\n").encode())
    assert len(load_arora(tmp_path / "ar")) == 1


@pytest.mark.parametrize("content", ["", "// only a comment\n", "\n\n"])
def test_no_probe_at_all_is_an_error_at_load_time(tmp_path: Path, content: str) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ProbeError, match=r"no valid probe left in .*p\.jsonl"):
        load_probes(str(path))


def test_every_line_bad_names_the_first_problem(tmp_path: Path) -> None:
    path = _write(tmp_path / "p.jsonl", {**GOOD, "template_id": 1.7}, "not json")
    with pytest.raises(ProbeError, match=r"no valid probe left in .*for languages de: first problem: .*p\.jsonl:"):
        load_probes(str(path))


def test_check_refuses_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text("", encoding="utf-8")
    with pytest.raises(ProbeError, match="holds no probes"):
        check_probes(str(path))


def test_arora_stray_quote_costs_one_line(tmp_path: Path) -> None:
    rows = [
        '0\t1\t"Familie ist [MASK]\twichtig\tunwichtig',
        "1\t2\tFreunde sind [MASK]\twichtig\tunwichtig",
        '2\t3\t"Arbeit ist ""sehr"" [MASK]"\twichtig\tunwichtig',  # pandas quoting is still understood
        "3\t4\tFreizeit ist [MASK]\twichtig\tunwichtig",
    ]
    (tmp_path / "de.csv").write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    ps = load_arora(tmp_path)
    assert [p.probe_id for p in ps] == ["2", "3", "4"]
    assert ps.probes[1].template == 'Arbeit ist "sehr" [MASK]'
    assert [(d.source.rsplit(":", 1)[1], d.kind) for d in ps.errors] == [("2", "malformed_row")]


def test_arora_quoted_line_break_is_not_joined(tmp_path: Path) -> None:
    # joining lines until a quote closes is what let one stray quote swallow the rest of a language
    text = HEADER + '0\t1\t"Familie\nist [MASK]"\twichtig\tunwichtig\n1\t2\tFreunde sind [MASK]\tja\tnein\n'
    (tmp_path / "de.csv").write_text(text, encoding="utf-8")
    ps = load_arora(tmp_path)
    assert [(p.probe_id, p.source.rsplit(":", 1)[1]) for p in ps] == [("2", "4")]
    assert [d.source.rsplit(":", 1)[1] for d in ps.errors] == ["2", "3"]


def test_arora_sets_are_not_interchangeable(tmp_path: Path) -> None:
    (tmp_path / "wvs").mkdir()
    (tmp_path / "hof").mkdir()
    wvs_rows = "".join(f"{i}\t{i + 1}\tSatz {i} [MASK]\ta\tb\n" for i in range(30))
    hof_rows = "".join(f"{i}\t{i}\tSatz {i} [MASK]\ta\tb\n" for i in range(24))
    (tmp_path / "wvs" / "de.csv").write_text(HEADER + wvs_rows, encoding="utf-8")
    (tmp_path / "hof" / "de.csv").write_text(HEADER + hof_rows, encoding="utf-8")
    assert len(load_arora(tmp_path / "wvs", "wvs")) == 30
    assert len(load_arora(tmp_path / "hof", "hofstede")) == 24
    with pytest.raises(ProbeError, match=r"de\.csv:\d+: id '24' is not a VSM-2013 item"):
        load_arora(tmp_path / "wvs", "hofstede")
    with pytest.raises(ProbeError, match="looks like the Hofstede probe folder"):
        load_arora(tmp_path / "hof", "wvs")


def test_shared_arora_folders_load_and_refuse_each_other(shared_data: Path) -> None:
    root = shared_data / "arora-value-probes"
    if not root.is_dir():
        pytest.skip(f"{root} not found")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert len(load_arora(root / "wvs", "wvs")) > 3000
        assert len(load_arora(root / "hofstede", "hofstede")) == 13 * 24
    with pytest.raises(ProbeError, match="VSM-2013"):
        load_arora(root / "wvs", "hofstede")
    with pytest.raises(ProbeError, match="arora-hofstede"):
        load_arora(root / "hofstede", "wvs")


@pytest.mark.parametrize("spec", ["", ",", " , ", [], [" "]])
def test_empty_language_selection_is_an_error(spec: str | list[str]) -> None:
    with pytest.raises(ConfigError, match=r"--langs .*no language selected"):
        parse_langs(spec, ["de", "fa"])


def test_language_selection_strips_spaces_and_all_is_case_insensitive() -> None:
    assert parse_langs(" fa , de ", ["de", "fa"]) == ["fa", "de"]
    assert parse_langs("ALL", ["de", "fa"]) == ["de", "fa"]
    assert parse_langs(None, ["de"]) == ["de"]


# -- fuzz -------------------------------------------------------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_FIELD_NAMES = st.sampled_from([*GOOD, "template_id", "direction", "group", "gloss", "question_id", "x"])
_RECORD = st.dictionaries(_FIELD_NAMES, _JSON, max_size=8).map(json.dumps)
_LINE = st.one_of(_RECORD, st.text(max_size=60).map(lambda t: t.replace("\n", " ")))


@FUZZ
@given(lines=st.lists(_LINE, max_size=6), position=st.integers(0, 6))
def test_fuzz_jsonl_only_probe_error_escapes_and_valid_lines_survive(
    tmp_path: Path, lines: list[str], position: int
) -> None:
    valid = {**GOOD, "probe_id": "valid-1"}
    lines = [*lines]
    lines.insert(min(position, len(lines)), json.dumps(valid))
    path = tmp_path / "fuzz.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        ps = _quiet_load(path)
    except ProbeError:
        return
    assert "valid-1" in {p.probe_id for p in ps}


_PIECES = [*'ab "\r\\[]', "[MASK]", '""', "\u2028", "é"]
_CELL = st.lists(st.sampled_from(_PIECES), max_size=8).map("".join)
_TSV_LINE = st.lists(_CELL, min_size=0, max_size=7).map("\t".join)


@FUZZ
@given(lines=st.lists(_TSV_LINE, max_size=6), position=st.integers(0, 6))
def test_fuzz_arora_only_probe_error_escapes_and_valid_lines_survive(
    tmp_path: Path, lines: list[str], position: int
) -> None:
    lines = [*lines]
    lines.insert(min(position, len(lines)), "99\t1\tGültig ist [MASK]\tja\tnein")
    folder = tmp_path / "ar"
    folder.mkdir(exist_ok=True)
    (folder / "de.csv").write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ps = load_arora(folder)
    except ProbeError:
        return
    # a fuzzed line may hold the same id; the first of a duplicate pair wins, so the valid one may lose to it
    assert any(p.template == "Gültig ist [MASK]" for p in ps) or any(d.kind == "duplicate_id" for d in ps.errors)
    assert all("\n" not in p.template for p in ps), "a record never spans lines"
