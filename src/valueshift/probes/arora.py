"""Loader for the Arora et al. (2023) probe files: a directory of tab-separated ``<lang>.csv`` files.

Format (see ../shared/data/arora-value-probes/SOURCE.md): a pandas ``to_csv(sep="\\t")`` dump with header
``\\t0\\t1\\t2\\t3``: row index, question id (``106a``), sentence with ``[MASK]``, first answer, second answer
(empty for one-answer option probes). Fields may be quoted and hold newlines, so line numbers are tracked per
record. The files are GPL-3.0 and are read in place, never copied.

Reference: Arora, Kaffee, Augenstein. Probing Pre-Trained Language Models for Cross-Cultural Differences in
Values. C3NLP 2023.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from valueshift.errors import ProbeError
from valueshift.langs import is_known_lang
from valueshift.probes.schema import Defect, ProbeSet
from valueshift.probes.validate import build_probe_set

__all__ = ["load_arora"]

_HEADER = ["", "0", "1", "2", "3"]


def _records(path: Path, kind: str, set_name: str) -> Iterator[dict[str, Any]]:
    lang = path.stem
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProbeError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    reader = csv.reader(text.splitlines(keepends=True), delimiter="\t")
    start = 1
    for row in reader:
        line, start = start, reader.line_num + 1
        if line == 1:
            if row != _HEADER:
                raise ProbeError(f"{path}:1: not an Arora probe file: header should be '\\t0\\t1\\t2\\t3', got {row!r}")
            continue
        if not row or all(not c.strip() for c in row):
            continue
        source = f"{path}:{line}"
        if len(row) != 5:
            yield {"source": source, "lang": lang, "probe_id": row[1] if len(row) > 1 else "",
                   "malformed": f"expected 5 tab-separated fields, found {len(row)}"}  # fmt: skip
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
            rec["question_id"] = f"VSM{int(pid) + 1:02d}" if pid.strip().isdigit() else pid.strip()
        yield rec


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
        for rec in _records(f, kind, name):
            if "malformed" in rec:
                pre_defects.append(
                    Defect(rec["source"], rec["lang"], rec["probe_id"], "malformed_row", rec["malformed"])
                )
            else:
                records.append(rec)
    probe_set = build_probe_set(name, records)
    probe_set.defects[:0] = pre_defects
    return probe_set
