"""valueshift's own probe format: JSON Lines, one probe per line.

Fields (``*`` required)::

    probe_id*     "106a"         stable id shared by translations
    lang*         "de"           ISO 639-1
    template*     "... [MASK] ..." exactly one [MASK]
    answer_pos*   "wichtig"
    answer_neg    "unwichtig"    null only for option probes, which need "group"
    question_id   "Q106"         default: "Q" + leading digits of probe_id
    group         "Q152"         option probes compared with each other
    direction     1 | -1 | null  +1 if answer_pos means a higher number on the survey's answer scale
    template_id   0              paraphrase index (several templates per probe and language)
    gloss         "importance of family"
    probe_set     "builtin-wvs"  default: the file's stem

Blank lines and lines starting with ``//`` are skipped. Unknown keys are dropped with one warning per file
(newer files may carry fields this version does not know). Files are UTF-8, a byte-order mark is accepted. Field
types and length caps are checked per line (:mod:`valueshift.probes.validate`): a bad line is skipped with a
warning naming ``file:line`` and the field, or fails the load with ``strict``.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from valueshift.errors import ProbeError
from valueshift.probes.schema import Defect, Probe, ProbeSet
from valueshift.probes.validate import build_probe_set
from valueshift.textio import read_utf8

__all__ = ["JSONL_FIELDS", "load_jsonl", "write_jsonl"]

JSONL_FIELDS = (
    "probe_id", "lang", "template", "answer_pos", "answer_neg", "question_id", "group", "direction",
    "template_id", "gloss", "probe_set",
)  # fmt: skip


def _read_records(path: Path, default_set: str) -> tuple[list[dict[str, Any]], list[Defect]]:
    records: list[dict[str, Any]] = []
    defects: list[Defect] = []
    unknown: set[str] = set()
    for lineno, line in enumerate(read_utf8(path, ProbeError).split("\n"), start=1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        source = f"{path}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            defects.append(Defect(source, "", "", "malformed_row", f"invalid JSON ({exc.msg} at column {exc.colno})"))
            continue
        except RecursionError:  # json nests by recursion; thousands of "[" exhaust the stack
            defects.append(Defect(source, "", "", "malformed_row", "invalid JSON (nested too deeply)"))
            continue
        if not isinstance(obj, dict):
            defects.append(Defect(source, "", "", "malformed_row", "each line must be a JSON object"))
            continue
        unknown.update(k for k in obj if k not in JSONL_FIELDS)
        rec = {k: obj.get(k) for k in JSONL_FIELDS}
        rec["probe_set"] = rec["probe_set"] or default_set
        rec["source"] = source
        records.append(rec)
    if unknown:
        shown = ", ".join(sorted(unknown)[:10]) + (f" (and {len(unknown) - 10} more)" if len(unknown) > 10 else "")
        warnings.warn(f"{path}: ignoring unknown field(s) {shown}", stacklevel=3)
    return records, defects


def load_jsonl(paths: str | Path | Iterable[str | Path], name: str | None = None) -> ProbeSet:
    """Load one JSONL file, a directory of ``*.jsonl`` files, or several files into one :class:`ProbeSet`."""
    if isinstance(paths, (str, Path)):
        p = Path(paths)
        files = sorted(p.glob("*.jsonl")) if p.is_dir() else [p]
        name = name or p.stem
    else:
        files = [Path(x) for x in paths]
        name = name or (files[0].stem if files else "probes")
    if not files:
        raise ProbeError(f"{paths}: no *.jsonl probe files found")
    records: list[dict[str, Any]] = []
    defects: list[Defect] = []
    for f in files:
        if not f.is_file():
            raise ProbeError(f"{f}: no such probe file")
        r, d = _read_records(f, name)
        records += r
        defects += d
    probe_set = build_probe_set(name, records, source=str(paths) if isinstance(paths, (str, Path)) else name)
    probe_set.defects[:0] = defects
    return probe_set


def write_jsonl(path: str | Path, probes: Iterable[Probe]) -> None:
    """Write probes in the JSONL format (fields above, ``source`` dropped), atomically."""
    from valueshift.runs import atomic_path

    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8") as fh:
        for p in probes:
            row = {k: getattr(p, k) for k in JSONL_FIELDS}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
