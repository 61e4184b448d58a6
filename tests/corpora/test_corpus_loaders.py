"""Each native-format loader on its fixture, bad input with precise messages, and the text-dir loader on the
real shared corpora."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from valueshift.corpora import (
    load_bible_xml,
    load_corpus,
    load_flores,
    load_ntrex,
    load_tanzil,
    load_textdir,
)
from valueshift.errors import CorpusError

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "corpora"


def test_textdir_fixture() -> None:
    c = load_textdir(FIX / "textdir", "de,fa")
    assert c.langs == ["de", "fa"]
    assert c.unit_ids == ("1", "2", "3", "4", "5", "6")
    assert c.corpus_lines == (1, 2, 3, 4, 5, 6)
    assert c.texts["de"][3].startswith("Der Zug nach Norden")
    assert c.texts["fa"][3].startswith("قطار شمال")


def test_textdir_on_shared_flores(shared_data: Path) -> None:
    path = shared_data / "parallel" / "flores200_sib"
    c = load_corpus(f"textdir:{path}", "fa,ko,hi,ru")
    assert len(c) == 1004 and c.name == "flores200_sib"
    assert c.unit_ids[0] == "1" and c.unit_ids[-1] == "1004"
    en = (path / "en.txt").read_text(encoding="utf-8").split("\n")
    c2 = load_textdir(path, ["en"])
    assert c2.texts["en"][16] == en[16].strip()
    assert all(t for lang in c.langs for t in c.texts[lang])


@pytest.mark.parametrize("corpus", ["bible", "quran", "ntrex128"])
def test_textdir_on_other_shared_corpora(shared_data: Path, corpus: str) -> None:
    c = load_textdir(shared_data / "parallel" / corpus, "fa,ru")
    expected = {"bible": 11971, "quran": 6236, "ntrex128": 1997}[corpus]
    assert len(c) == expected


def _copy_textdir(tmp_path: Path) -> Path:
    d = tmp_path / "td"
    shutil.copytree(FIX / "textdir", d)
    return d


def test_textdir_line_count_mismatch(tmp_path: Path) -> None:
    d = _copy_textdir(tmp_path)
    lines = (d / "fa.txt").read_text(encoding="utf-8").splitlines()
    (d / "fa.txt").write_text("\n".join(lines[:4]) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"line counts differ \(de.txt 6, fa.txt 4\).*--align intersect"):
        load_textdir(d, "de,fa")
    c = load_textdir(d, "de,fa", align_mode="intersect")
    assert c.unit_ids == ("1", "2", "3", "4")
    assert any("fa" not in m and "de" in m for m in c.dropped)


def test_textdir_empty_line(tmp_path: Path) -> None:
    d = _copy_textdir(tmp_path)
    lines = (d / "de.txt").read_text(encoding="utf-8").splitlines()
    lines[2] = "   "
    (d / "de.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"de\.txt:3: empty de segment"):
        load_textdir(d, "de,fa")
    c = load_textdir(d, "de,fa", align_mode="intersect")
    assert "3" not in c.unit_ids and len(c) == 5


def test_textdir_bad_encoding(tmp_path: Path) -> None:
    d = _copy_textdir(tmp_path)
    (d / "de.txt").write_bytes("Zeile eins\nGrüße aus Köln\n".encode("latin-1"))
    with pytest.raises(CorpusError, match=r"de\.txt:2: not UTF-8"):
        load_textdir(d, "de,fa")


def test_textdir_bom_and_crlf(tmp_path: Path) -> None:
    d = tmp_path / "bom"
    d.mkdir()
    (d / "de.txt").write_bytes("\ufeffEins\r\nZwei\r\n".encode())
    (d / "fa.txt").write_bytes("یک\nدو\n".encode())
    c = load_textdir(d, "de,fa")
    assert c.texts["de"] == ("Eins", "Zwei")


def test_unknown_language() -> None:
    with pytest.raises(CorpusError, match=r"has no ko text; available languages: de, en, fa"):
        load_textdir(FIX / "textdir", "de,ko")
    with pytest.raises(CorpusError, match="unknown language code"):
        load_textdir(FIX / "textdir", "de,xx")


def test_unknown_spec_kind() -> None:
    with pytest.raises(CorpusError, match="Did you mean 'textdir'"):
        load_corpus(f"textdr:{FIX / 'textdir'}", "de")
    with pytest.raises(CorpusError, match="no such directory"):
        load_corpus("textdir:/nonexistent/corpus", "de")


def test_flores_fixture() -> None:
    c = load_flores(FIX / "flores", "de,fa,en")
    assert c.unit_ids == ("dev:1", "dev:2", "dev:3", "dev:4", "devtest:1", "devtest:2")
    assert c.corpus_lines == (None,) * 6
    assert c.texts["en"][4].startswith("Children collect")
    only_dev = load_corpus(f"flores:{FIX / 'flores'}", "fa", splits=("dev",))
    assert len(only_dev) == 4


def test_tanzil_fixture(tmp_path: Path) -> None:
    c = load_tanzil(FIX / "tanzil", "de,fa")
    assert c.unit_ids == ("1:1", "1:2", "2:1", "2:2")
    assert c.texts["fa"][2].startswith("در موزه")
    d = tmp_path / "tz"
    shutil.copytree(FIX / "tanzil", d)
    with (d / "de.invented.txt").open("a", encoding="utf-8") as fh:
        fh.write("3|x|kaputt\n")
    with pytest.raises(CorpusError, match=r"de\.invented\.txt:8: expected 'sura\|aya\|text'"):
        load_tanzil(d, "de,fa")


def test_bible_xml_fixture() -> None:
    with pytest.raises(CorpusError, match=r"missing in fa: b\.GEN\.1\.4"):
        load_bible_xml(FIX / "bible", "de,fa")
    c = load_corpus(f"bible-xml:{FIX / 'bible'}", "de,fa", align="intersect")
    assert c.unit_ids == ("b.GEN.1.1", "b.GEN.1.2", "b.GEN.1.3", "b.GEN.1.5")
    assert c.texts["de"][0] == "Die alte Brücke über den Fluss wurde im Frühling neu gestrichen."


def test_bible_xml_malformed(tmp_path: Path) -> None:
    d = tmp_path / "bx"
    d.mkdir()
    (d / "German.xml").write_text('<cesDoc>\n<seg id="b.GEN.1.1" type="verse">x</seg>\n<seg>\n</cesDoc>\n')
    with pytest.raises(CorpusError, match=r"German\.xml:4: not well-formed XML"):
        load_bible_xml(d, "de")


def test_ntrex_fixture() -> None:
    c = load_ntrex(FIX / "ntrex", "en,de,fa")
    assert len(c) == 6 and c.name == "ntrex128"
    assert c.texts["en"][0].startswith("The old bridge")
    assert c.corpus_lines[5] == 6
