"""Loaders for corpora aligned by a key rather than by line: FLORES-101/200, Tanzil, christos-c bible-corpus XML.

Lifecycle: ``load_flores`` / ``load_tanzil`` / ``load_bible_xml`` (path, langs) -> each language becomes a
:class:`~valueshift.corpora.schema.LangUnits` keyed by the format's own id ->
:func:`~valueshift.corpora.schema.align`.

=============  =======================================================  =====================
format         layout                                                   unit id
=============  =======================================================  =====================
FLORES         ``dev/<code>.dev``, ``devtest/<code>.devtest``           ``dev:17``
Tanzil         ``<lang>[.<translation>].txt``, lines ``sura|aya|text``  ``2:255``
bible-corpus   ``<Name>.xml``, ``<seg id="b.GEN.1.1" type="verse">``    ``b.GEN.1.1``
=============  =======================================================  =====================

The XML is read with expat, which does not fetch external entities and reports line numbers for messages.
"""

from __future__ import annotations

import re
import xml.parsers.expat
from collections.abc import Iterable, Sequence
from pathlib import Path

from valueshift.corpora.codes import FLORES_CODES, iso1_from_any
from valueshift.corpora.linefiles import read_lines, select_langs
from valueshift.corpora.schema import AlignMode, LangUnits, ParallelCorpus, align
from valueshift.errors import CorpusError
from valueshift.langs import is_known_lang

__all__ = ["load_bible_xml", "load_flores", "load_tanzil"]

_WS = re.compile(r"\s+")


# -- FLORES --------------------------------------------------------------------------------------------------
def _flores_root(path: Path) -> Path:
    if (path / "dev").is_dir():
        return path
    for sub in sorted(path.glob("flores*")):  # the release tarball unpacks to flores200_dataset/ or flores101_dataset/
        if (sub / "dev").is_dir():
            return sub
    raise CorpusError(
        f"{path}: not a FLORES release (no dev/ folder); point to the folder that holds dev/ and devtest/"
    )


def load_flores(
    path: str | Path,
    langs: Iterable[str] | str,
    *,
    splits: Sequence[str] = ("dev", "devtest"),
    align_mode: AlignMode = "strict",
) -> ParallelCorpus:
    """Load FLORES-101/200 from its release layout.

    Parameters
    ----------
    path
        The folder holding ``dev/`` and ``devtest/`` (or its parent, e.g. the unpacked tarball).
    langs
        ISO 639-1 codes; mapped to file codes by :data:`~valueshift.corpora.codes.FLORES_CODES`
        (``fa`` -> ``pes_Arab`` for FLORES-200, ``fas`` for FLORES-101).
    splits
        Which splits to concatenate, in order.
    align_mode
        ``strict`` or ``intersect``.

    Returns
    -------
    ParallelCorpus
        Unit ids ``"<split>:<line>"``; ``corpus_lines`` are None (a line number alone is ambiguous across splits).
    """
    root = _flores_root(Path(path))
    files: dict[str, list[Path]] = {}
    for iso1, codes in FLORES_CODES.items():
        for code in codes:
            found = [root / s / f"{code}.{s}" for s in splits]
            if all(f.is_file() for f in found):
                files[iso1] = found
                break
    if not files:
        raise CorpusError(f"{root}: no <code>.dev files for any known language (e.g. dev/pes_Arab.dev, dev/fas.dev)")
    chosen = select_langs(langs, files, root)
    per_lang = []
    for lang in chosen:
        lu = LangUnits(lang)
        for split, f in zip(splits, files[lang], strict=True):
            for i, text in enumerate(read_lines(f), start=1):
                lu.add(f"{split}:{i}", text, f"{f}:{i}")
        per_lang.append(lu)
    return align(root.name, f"flores:{root}", per_lang, align_mode)


# -- Tanzil --------------------------------------------------------------------------------------------------
def _tanzil_units(lang: str, f: Path) -> LangUnits:
    lu = LangUnits(lang)
    for i, line in enumerate(read_lines(f), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue  # Tanzil files end with a block of '#' comment lines (licence, version)
        parts = line.split("|", 2)
        if len(parts) != 3 or not parts[0].strip().isdigit() or not parts[1].strip().isdigit():
            raise CorpusError(f"{f}:{i}: expected 'sura|aya|text' (two integers and the text), got {line[:60]!r}")
        lu.add(f"{int(parts[0])}:{int(parts[1])}", parts[2], f"{f}:{i}")
    if not lu.ids:
        raise CorpusError(f"{f}: holds no 'sura|aya|text' lines")
    return lu


def load_tanzil(path: str | Path, langs: Iterable[str] | str, *, align_mode: AlignMode = "strict") -> ParallelCorpus:
    """Load Tanzil text-format files (``sura|aya|text``; ``#`` comment lines), aligned by (sura, aya).

    ``path`` is a folder of ``<lang>.txt`` or ``<lang>.<translation>.txt`` files (Tanzil's own download names, e.g.
    ``fa.makarem.txt``); one file per language. Unit ids are ``"sura:aya"``.
    """
    path = Path(path)
    if not path.is_dir():
        raise CorpusError(f"{path}: no such directory (expected a folder of Tanzil <lang>.<translation>.txt files)")
    files: dict[str, list[Path]] = {}
    for f in sorted(path.glob("*.txt")):
        lang = f.name.split(".")[0]
        if is_known_lang(lang):
            files.setdefault(lang, []).append(f)
    chosen = select_langs(langs, files, path)
    for lang in chosen:
        if len(files[lang]) > 1:
            names = ", ".join(f.name for f in files[lang])
            raise CorpusError(f"{path}: several {lang} translations ({names}); keep one per language in the folder")
    return align(path.name, f"tanzil:{path}", [_tanzil_units(lang, files[lang][0]) for lang in chosen], align_mode)


# -- christos-c bible-corpus XML -----------------------------------------------------------------------------
def _bible_units(lang: str, f: Path) -> tuple[LangUnits, str | None]:
    """Verses of one XML file, and the header's ``iso639`` code (None if absent)."""
    lu = LangUnits(lang)
    header: list[str] = []
    current: list[str] | None = None
    seg_id, seg_line = "", 0
    parser = xml.parsers.expat.ParserCreate("utf-8")

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal current, seg_id, seg_line
        if tag == "language" and "iso639" in attrs:
            header.append(attrs["iso639"])
        elif tag == "seg" and attrs.get("type", "verse") == "verse" and "id" in attrs:
            current, seg_id, seg_line = [], attrs["id"], parser.CurrentLineNumber

    def chars(data: str) -> None:
        if current is not None:
            current.append(data)

    def end(tag: str) -> None:
        nonlocal current
        if tag == "seg" and current is not None:
            lu.add(seg_id, _WS.sub(" ", "".join(current)).strip(), f"{f}:{seg_line}")
            current = None

    parser.StartElementHandler = start
    parser.CharacterDataHandler = chars
    parser.EndElementHandler = end
    try:
        with f.open("rb") as fh:
            parser.ParseFile(fh)
    except xml.parsers.expat.ExpatError as exc:
        raise CorpusError(
            f"{f}:{exc.lineno}: not well-formed XML ({xml.parsers.expat.errors.messages[exc.code]})"
        ) from exc
    except OSError as exc:
        raise CorpusError(f"{f}: cannot read ({exc.strerror})") from exc
    if not lu.ids:
        raise CorpusError(f'{f}: holds no <seg type="verse" id=...> elements; is it a bible-corpus XML file?')
    return lu, header[0] if header else None


def _bible_lang(f: Path) -> str | None:
    stem = f.stem
    if is_known_lang(stem):
        return stem
    return iso1_from_any(stem.split("-")[0])


def load_bible_xml(path: str | Path, langs: Iterable[str] | str, *, align_mode: AlignMode = "strict") -> ParallelCorpus:
    """Load christos-c bible-corpus XML files, aligned by verse id (``b.GEN.1.1``).

    ``path`` is a folder of ``<Language>.xml`` (``Farsi.xml``, ``Korean.xml``) or ``<iso639-1>.xml`` files, or
    its parent holding ``bibles/``. A full Bible is preferred over a ``-NT``/``-PART`` file of the same language.
    """
    path = Path(path)
    if (path / "bibles").is_dir():
        path = path / "bibles"
    if not path.is_dir():
        raise CorpusError(f"{path}: no such directory (expected a folder of bible-corpus <Language>.xml files)")
    files: dict[str, Path] = {}
    for f in sorted(path.glob("*.xml"), key=lambda p: ("-" in p.stem, p.name)):
        lang = _bible_lang(f)
        if lang is not None and lang not in files:
            files[lang] = f
    chosen = select_langs(langs, files, path)
    per_lang = []
    for lang in chosen:
        lu, iso = _bible_units(lang, files[lang])
        if iso is not None and iso1_from_any(iso) not in (None, lang):
            raise CorpusError(
                f"{files[lang]}: header says language {iso!r} but the file name says {lang}; rename the file"
            )
        per_lang.append(lu)
    return align(path.name, f"bible-xml:{path}", per_lang, align_mode)
