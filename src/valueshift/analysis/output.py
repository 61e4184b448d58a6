"""Writing an :class:`~valueshift.analysis.pipeline.AnalysisResult` into a run directory."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from valueshift.runs import RunDir, file_fingerprint, running

if TYPE_CHECKING:
    from valueshift.analysis.pipeline import AnalysisConfig, AnalysisResult
    from valueshift.analysis.tables import ProbeTable

__all__ = ["TABLES", "write_result"]

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


def write_result(
    result: AnalysisResult,
    out: str | os.PathLike[str],
    *,
    config: AnalysisConfig,
    overwrite: bool = False,
    inputs: Sequence[ProbeTable] = (),
) -> list[Path]:
    """Write every table, ``summary.json`` and (if ``config.figures``) ``figures/*.png|svg`` atomically.

    Returns the written paths and records them on ``result`` (``out``, ``files``).
    """
    fingerprints = {}
    for t in inputs:
        key = f"{t.label}:{t.source}"
        fingerprints[key] = file_fingerprint(t.source) if Path(t.source).is_file() else "<memory>"
    run = RunDir.open(
        out,
        command="analyze",
        config=config.to_dict(),
        overwrite=overwrite,
        inputs=fingerprints,
        seed=config.seed,
    )
    files: list[Path] = []
    with running(run):
        for name, attr in TABLES.items():
            files.append(run.write_table(name, getattr(result, attr)))
        files.append(run.write_json("summary.json", result.summary))
        if config.figures:
            from valueshift.report.figures import write_figures

            files.extend(write_figures(result, run.path / "figures"))
        run.finish(outputs=[str(f.relative_to(run.path)) for f in files])
    result.out, result.files = run.path, files
    return files
