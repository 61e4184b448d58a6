"""Reporting: figures of the analysis tables and one self-contained HTML report of a study.

``build_report(DIR, "report.html")`` finds every run directory below ``DIR`` by its manifest and writes one
HTML file (inline SVG figures, sortable tables, no network access); ``write_figures(analysis_dir)`` draws the
analysis figures as PNG + SVG files. Figures are built without pyplot state (Agg/SVG canvases).
"""

from __future__ import annotations

from valueshift.report.build import build_report, render_report
from valueshift.report.discover import Run, Study, discover
from valueshift.report.figures import (
    alignment_bars,
    save_figure,
    shift_count_bars,
    shift_distributions,
    similarity_heatmaps,
    write_figures,
)

__all__ = [
    "Run",
    "Study",
    "alignment_bars",
    "build_report",
    "discover",
    "render_report",
    "save_figure",
    "shift_count_bars",
    "shift_distributions",
    "similarity_heatmaps",
    "write_figures",
]
