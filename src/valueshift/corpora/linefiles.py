"""Loaders for line-aligned corpora: a directory of ``<lang>.txt`` files, and the NTREX-128 release layout.

Lifecycle: ``load_textdir(path, langs)`` / ``load_ntrex(path, langs)`` -> :func:`~valueshift.corpora.schema.align`
-> :class:`~valueshift.corpora.schema.ParallelCorpus` whose unit id is the 1-based line number (``"17"``) and whose
``corpus_lines`` are the same numbers.

Lines are split on ``\\n`` only: ``str.splitlines`` would also split on U+2028, U+0085 and form feeds, which occur
inside real segments and would silently shift every later line.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from valueshift.corpora.codes import NTREX_CODES
from valueshift.corpora.schema import AlignMode, LangUnits, ParallelCorpus, align
from valueshift.errors import CorpusError
from valueshift.langs import is_known_lang, parse_langs
from valueshift.textio import read_utf8

__all__ = ["load_ntrex", "load_textdir", "read_lines", "select_langs"]


def read_lines(path: Path) -> list[str]:
    """The lines of a UTF-8 text file, without line ends (a final newline does not make an extra line)."""
    text = read_utf8(path, CorpusError)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln.rstrip("\r") for ln in lines]


def select_langs(requested: Iterable[str] | str, available: Iterable[str], where: object) -> list[str]:
    """Check requested ISO 639-1 codes against what a corpus offers; one message naming the unknown ones.

    ``all`` selects every language the corpus offers; an empty selection is an error.
    """
    return parse_langs(requested, sorted(set(available)), error=CorpusError, where=str(where))


def _line_units(lang: str, path: Path) -> LangUnits:
    lu = LangUnits(lang)
    for i, text in enumerate(read_lines(path), start=1):
        lu.add(str(i), text, f"{path}:{i}", i)
    return lu


def _check_dir(path: Path, what: str) -> None:
    if not path.is_dir():
        raise CorpusError(f"{path}: no such directory (expected {what})")


def load_textdir(path: str | Path, langs: Iterable[str] | str, *, align_mode: AlignMode = "strict") -> ParallelCorpus:
    """Load a directory of line-aligned ``<lang>.txt`` files (the layout of ../shared/data/parallel/*).

    Parameters
    ----------
    path
        Directory with one ``<iso639-1>.txt`` per language; line i of every file translates the same segment.
    langs
        Languages to load (comma-separated string or iterable).
    align_mode
        ``strict`` (equal line counts, no empty lines) or ``intersect``.

    Returns
    -------
    ParallelCorpus
        Unit ids are line numbers (``"1"``, ``"2"``, ...).
    """
    path = Path(path)
    _check_dir(path, "a folder of <lang>.txt files")
    available = {p.stem for p in path.glob("*.txt") if is_known_lang(p.stem)}
    chosen = select_langs(langs, available, path)
    per_lang = [_line_units(lang, path / f"{lang}.txt") for lang in chosen]
    if align_mode == "strict":
        counts = {lu.lang: len(lu.ids) for lu in per_lang}
        if len(set(counts.values())) > 1:
            shown = ", ".join(f"{lang}.txt {n}" for lang, n in counts.items())
            raise CorpusError(
                f"{path}: line counts differ ({shown}); line-aligned files must have the same number of lines, "
                "or pass --align intersect to keep the lines all of them have"
            )
    return align(path.name, f"textdir:{path}", per_lang, align_mode)


def load_ntrex(path: str | Path, langs: Iterable[str] | str, *, align_mode: AlignMode = "strict") -> ParallelCorpus:
    """Load the NTREX-128 release layout: ``newstest2019-ref.<code>.txt`` plus the English
    ``newstest2019-src.eng.txt``.

    ``path`` may be the release root or its ``NTREX-128/`` folder. Codes map to ISO 639-1 through
    :data:`~valueshift.corpora.codes.NTREX_CODES` (fa -> ``fas``, zh -> ``zho-CN``, tl -> ``fil``).
    """
    path = Path(path)
    if (path / "NTREX-128").is_dir():
        path = path / "NTREX-128"
    _check_dir(path, "the NTREX-128 folder of newstest2019-ref.<code>.txt files")
    files: dict[str, Path] = {}
    src = path / "newstest2019-src.eng.txt"
    if src.is_file():
        files["en"] = src
    for iso1, codes in NTREX_CODES.items():
        for code in codes:
            f = path / f"newstest2019-ref.{code}.txt"
            if iso1 not in files and f.is_file():
                files[iso1] = f
    if not files:
        raise CorpusError(f"{path}: holds no newstest2019-ref.<code>.txt files; is this the NTREX-128 folder?")
    chosen = select_langs(langs, files, path)
    per_lang = [_line_units(lang, files[lang]) for lang in chosen]
    if align_mode == "strict":
        counts = {files[lu.lang].name: len(lu.ids) for lu in per_lang}
        if len(set(counts.values())) > 1:
            shown = ", ".join(f"{n} {c}" for n, c in counts.items())
            raise CorpusError(f"{path}: line counts differ ({shown}); pass --align intersect to keep common lines")
    return align("ntrex128", f"ntrex:{path}", per_lang, align_mode)
