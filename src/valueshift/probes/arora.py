"""Loader for the Arora et al. (2023) probe files: a directory of tab-separated ``<lang>.csv`` files.

Format (see ../shared/data/arora-value-probes/SOURCE.md): a pandas ``to_csv(sep="\\t")`` dump with header
``\\t0\\t1\\t2\\t3``: row index, question id (``106a``), sentence with ``[MASK]``, first answer, second answer
(empty for one-answer option probes). The files are GPL-3.0 and are read in place, never copied.

Reading. Each physical line is one record, whatever its quotes: a field that is wholly quoted (``"..."``, inner
quotes doubled, as pandas writes fields holding quotes; the tl and tr files have such fields) is unquoted, any
other ``"`` inside a field is text, and a quote that does not close on its line makes that line a
``malformed_row`` defect while reading goes on with the next line. The csv module's default quoting would
instead swallow every following row of the language into one field. A line break inside a field is therefore
not supported (none of the published files has one).

Set check. ``arora-hofstede`` ids are the VSM-2013 item numbers 0-23; ``arora-wvs`` ids are WVS-7 question
numbers, which start at 1, with 272 rows per language. A folder of the other kind is refused, so WVS sentences
are never relabelled as VSM items (or the reverse).

Reference: Arora, Kaffee, Augenstein. Probing Pre-Trained Language Models for Cross-Cultural Differences in
Values. C3NLP 2023.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from valueshift.errors import ProbeError
from valueshift.langs import is_known_lang
from valueshift.probes.schema import Defect, ProbeSet
from valueshift.probes.validate import build_probe_set
from valueshift.textio import read_utf8

__all__ = ["load_arora", "split_record"]

_HEADER = ["", "0", "1", "2", "3"]
_N_FIELDS = len(_HEADER)
_VSM_ITEMS = 24  # VSM-2013 content items, ids 0-23


class _OpenQuote(ValueError):
    """A quoted field runs to the end of the line without its closing quote."""


def split_record(text: str) -> list[str]:
    """Split one record on tabs, unquoting wholly quoted fields.

    Raises ValueError for a quote that closes in the middle of a field, and :class:`_OpenQuote` (a ValueError)
    for one that does not close at all.
    """
    fields: list[str] = []
    i, n = 0, len(text)
    while True:
        if i < n and text[i] == '"':
            value, i = _quoted(text, i + 1)
            if i < n and text[i] != "\t":
                raise ValueError(f"text after the closing quote of field {len(fields) + 1}")
        else:
            end = text.find("\t", i)
            end = n if end < 0 else end
            value, i = text[i:end], end
        fields.append(value)
        if i >= n:
            return fields
        i += 1  # the tab


def _quoted(text: str, i: int) -> tuple[str, int]:
    """The value of a quoted field whose opening quote precedes ``i``, and the index after its closing quote."""
    parts: list[str] = []
    while True:
        q = text.find('"', i)
        if q < 0:
            raise _OpenQuote("a quoted field is not closed")
        parts.append(text[i:q])
        if text.startswith('""', q):
            parts.append('"')
            i = q + 2
            continue
        return "".join(parts), q + 1


def _rows(path: Path) -> Iterator[tuple[int, list[str] | str]]:
    """``(line, fields)`` per record, or ``(line, problem)`` for a line that cannot be read; blank lines skipped."""
    lines = read_utf8(path, ProbeError).split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
    for line, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            yield line, split_record(text)
        except _OpenQuote:
            yield line, "a quote opens a field but does not close on this line; remove the stray '\"' or close it"
        except ValueError as exc:
            yield line, f"stray '\"' ({exc}); remove it or quote the whole field"


def _records(path: Path, kind: str, set_name: str) -> Iterator[dict[str, Any]]:
    lang = path.stem
    header = True
    for line, row in _rows(path):
        source = f"{path}:{line}"
        if header:
            header = False
            if row != _HEADER:
                raise ProbeError(f"{source}: not an Arora probe file: header should be '\\t0\\t1\\t2\\t3', got {row!r}")
            continue
        if isinstance(row, str) or len(row) != _N_FIELDS:
            problem = row if isinstance(row, str) else f"expected {_N_FIELDS} tab-separated fields, found {len(row)}"
            yield {"source": source, "lang": lang, "probe_id": "", "malformed": problem}
            continue
        _, pid, template, pos, neg = row
        rec: dict[str, Any] = {
            "source": source,
            "lang": lang,
            "probe_id": pid.strip(),
            "template": template,
            "answer_pos": pos,
            "answer_neg": neg,
            "probe_set": set_name,
        }
        if kind == "hofstede":
            # ids 0-23 are VSM-2013 content items 1-24, in order
            rec["question_id"] = f"VSM{int(pid) + 1:02d}" if _is_number(pid.strip()) else pid.strip()
        yield rec
    if header:
        yield {"source": f"{path}:1", "lang": lang, "probe_id": "", "malformed": "empty file (no header line)"}


def _check_kind(path: Path, kind: str, records: list[dict[str, Any]]) -> None:
    """Refuse a file of the other Arora set: VSM ids are 0-23, WVS question numbers start at 1."""
    ids = [r["probe_id"] for r in records if "malformed" not in r]
    if kind == "hofstede":
        bad = next((r for r in records if "malformed" not in r and not _is_vsm_id(r["probe_id"])), None)
        if bad is not None or len(ids) > _VSM_ITEMS:
            where = bad["source"] if bad is not None else f"{path}:{_VSM_ITEMS + 2}"
            found = f"id {bad['probe_id']!r}" if bad is not None else f"{len(ids)} rows"
            raise ProbeError(
                f"{where}: {found} is not a VSM-2013 item (ids 0-{_VSM_ITEMS - 1}, {_VSM_ITEMS} rows): this looks "
                "like the WVS probe folder; use arora-wvs:DIR for it, arora-hofstede: for the hofstede/ folder"
            )
    elif ids and "0" in ids and all(_is_vsm_id(i) for i in ids):
        raise ProbeError(
            f"{path}: ids are 0-{_VSM_ITEMS - 1}, the VSM-2013 items (WVS question numbers start at 1): this looks "
            "like the Hofstede probe folder; use arora-hofstede:DIR for it"
        )


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _is_vsm_id(pid: str) -> bool:
    return _is_number(pid) and int(pid) < _VSM_ITEMS


def load_arora(directory: str | Path, kind: Literal["wvs", "hofstede"] = "wvs") -> ProbeSet:
    """Load every ``<lang>.csv`` in ``directory``.

    Parameters
    ----------
    directory
        ``.../arora-value-probes/wvs`` or ``.../hofstede`` (or the parent directory: the ``kind`` subfolder
        is used when it exists).
    kind
        ``wvs`` or ``hofstede``; names the set ``arora-wvs`` / ``arora-hofstede``.

    Returns
    -------
    ProbeSet
        All loadable probes; ``defects`` lists what was skipped (no mask) and what deserves a look
        (one-answer options, masks inside words).
    """
    directory = Path(directory)
    if (directory / kind).is_dir():
        directory = directory / kind
    if not directory.is_dir():
        raise ProbeError(f"{directory}: no such directory (expected a folder of <lang>.csv Arora probe files)")
    files = sorted(directory.glob("*.csv"))
    if not files:
        raise ProbeError(f"{directory}: holds no <lang>.csv files")
    name = f"arora-{kind}"
    records: list[dict[str, Any]] = []
    pre_defects: list[Defect] = []
    for f in files:
        if not is_known_lang(f.stem):
            pre_defects.append(Defect(f"{f}:1", f.stem, "", "unknown_lang",
                                      f"file name {f.name!r} is not an ISO 639-1 code; file skipped"))  # fmt: skip
            continue
        recs = list(_records(f, kind, name))
        _check_kind(f, kind, recs)
        for rec in recs:
            if "malformed" in rec:
                pre_defects.append(
                    Defect(rec["source"], rec["lang"], rec["probe_id"], "malformed_row", rec["malformed"])
                )
            else:
                records.append(rec)
    probe_set = build_probe_set(name, records, source=str(directory))
    probe_set.defects[:0] = pre_defects
    return probe_set
