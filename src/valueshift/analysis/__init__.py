"""Analysis stage: value shifts, significance, cross-language similarity, human alignment, cultural distance.

Entry point :func:`analyze` (CLI ``valueshift analyze``); the lifecycle is in
:mod:`valueshift.analysis.pipeline`. Building blocks are importable for notebooks::

    from valueshift.analysis import analyze, AnalysisConfig
    res = analyze("runs/base", ["runs/ft-fa-seed1", "runs/ft-fa-seed2"], out="runs/analysis")
    res.shifts.query("shifted")
"""

from __future__ import annotations

from valueshift.analysis.alignment import HumanReference, human_alignment, load_human, model_items
from valueshift.analysis.config import AnalysisConfig
from valueshift.analysis.distance import cultural_distance
from valueshift.analysis.output import read_result, run_analysis
from valueshift.analysis.pipeline import AnalysisResult, analyze, compute_analysis
from valueshift.analysis.profiles import ProfileOptions, build_profiles
from valueshift.analysis.shifts import (
    DEFAULT_ALPHA,
    DEFAULT_N_BOOT,
    DEFAULT_N_PERM,
    DEFAULT_THRESHOLD,
    compute_shifts,
    shift_consistency,
    summarize_shifts,
)
from valueshift.analysis.similarity import preservation, similarity_matrix, similarity_table
from valueshift.analysis.stats import bh_fdr, bootstrap_mean_ci, correlate, mantel, sign_flip_test
from valueshift.analysis.tables import (
    ProbeTable,
    check_tables_match,
    infer_label,
    load_probe_table,
    probe_table_from_frame,
)

__all__ = [
    "DEFAULT_ALPHA",
    "DEFAULT_N_BOOT",
    "DEFAULT_N_PERM",
    "DEFAULT_THRESHOLD",
    "AnalysisConfig",
    "AnalysisResult",
    "HumanReference",
    "ProbeTable",
    "ProfileOptions",
    "analyze",
    "bh_fdr",
    "bootstrap_mean_ci",
    "build_profiles",
    "check_tables_match",
    "compute_analysis",
    "compute_shifts",
    "correlate",
    "cultural_distance",
    "human_alignment",
    "infer_label",
    "load_human",
    "load_probe_table",
    "mantel",
    "model_items",
    "preservation",
    "probe_table_from_frame",
    "read_result",
    "run_analysis",
    "shift_consistency",
    "sign_flip_test",
    "similarity_matrix",
    "similarity_table",
    "summarize_shifts",
]
