"""An analysis as a run directory: :func:`run_analysis` writes, :func:`read_result` reads back.

The run key covers the :class:`~valueshift.analysis.config.AnalysisConfig` and the *content* of every input
table with its condition label, so a cached analysis is reused exactly when nothing it depends on changed.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from valueshift.runs import RunDir, Status, running

if TYPE_CHECKING:
    from valueshift.analysis.config import AnalysisConfig
    from valueshift.analysis.pipeline import AnalysisResult
    from valueshift.analysis.tables import ProbeTable

__all__ = ["COMMAND", "TABLES", "analysis_job", "read_result", "run_analysis", "table_fingerprint"]

COMMAND = "analyze"
# file name -> AnalysisResult attribute
TABLES: dict[str, str] = {
    "shifts.parquet": "shifts",
    "shift_summary.parquet": "shift_summary",
    "consistency.parquet": "consistency",
    "similarity.parquet": "similarity",
    "preservation.parquet": "preservation",
    "alignment.parquet": "alignment",
    "distance.parquet": "distance",
}


def table_fingerprint(table: ProbeTable) -> str:
    """Content hash of a probe table's rows (independent of file paths and parquet metadata)."""
    frame = table.frame
    h = hashlib.sha256(",".join(map(str, frame.columns)).encode())
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


def read_result(run_dir: str | os.PathLike[str]) -> AnalysisResult:
    """The tables and summary of a finished analysis run directory."""
    from valueshift.analysis.pipeline import AnalysisResult

    path = Path(run_dir)
    tables = {attr: pd.read_parquet(path / name) for name, attr in TABLES.items()}
    summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
    files = [path / name for name in [*TABLES, "summary.json"]]
    return AnalysisResult(**tables, summary=summary, out=path, files=files)


def analysis_job(config: AnalysisConfig, base: ProbeTable, tuned: Sequence[ProbeTable]) -> dict[str, Any]:
    """An analysis's identity (``command``, ``config``, ``inputs``: every table's content with its label); the
    one rule :func:`run_analysis` and the experiment grid both key on."""
    inputs = {f"base:{base.label}": table_fingerprint(base)}
    inputs.update({f"tuned[{i}]:{t.label}": table_fingerprint(t) for i, t in enumerate(tuned)})
    return {"command": COMMAND, "config": config.to_json(), "inputs": inputs}


def run_analysis(
    config: AnalysisConfig,
    base: ProbeTable,
    tuned: Sequence[ProbeTable],
    out: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    wait: bool = False,
) -> AnalysisResult:
    """Analyse into the run directory ``out`` (or read a finished run with the same key back)."""
    from valueshift.analysis.pipeline import compute_analysis
    from valueshift.progress import note

    job = analysis_job(config, base, tuned)
    inputs = job["inputs"]
    found = RunDir.prepare(out, **job, overwrite=overwrite, wait=wait)
    if found.status is Status.DONE and not overwrite:
        note(f"{out}: up to date (a finished analysis with this key); pass --overwrite to recompute")
        return read_result(out)
    result = compute_analysis(base, tuned, config)
    run = RunDir.open(out, **job, overwrite=overwrite, wait=wait, seed=config.seed)
    files: list[Path] = []
    with running(run):
        for name, attr in TABLES.items():
            files.append(run.write_table(name, getattr(result, attr)))
        files.append(run.write_json("summary.json", result.summary))
        sources = {k: t.source for k, t in zip(inputs, [base, *tuned], strict=True)}
        run.finish(outputs=[f.name for f in files], sources=sources)
    result.out, result.files = run.path, files
    return result
