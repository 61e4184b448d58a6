"""Reporting: figures (matplotlib, Agg/SVG canvases, no pyplot state) for the analysis tables."""

from __future__ import annotations

from valueshift.report.figures import (
    alignment_bars,
    save_figure,
    shift_count_bars,
    shift_distributions,
    similarity_heatmaps,
    write_figures,
)

__all__ = [
    "alignment_bars",
    "save_figure",
    "shift_count_bars",
    "shift_distributions",
    "similarity_heatmaps",
    "write_figures",
]
