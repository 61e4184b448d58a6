"""Figures of the analysis tables, as PNG + SVG, for papers and the HTML report.

Every function takes tidy tables (as written by ``valueshift analyze``) and returns a
:class:`matplotlib.figure.Figure` built without pyplot (no global state, no window: the Agg and SVG canvases
are used when saving), or None when the table has nothing to draw. :func:`write_figures` reads an analysis run
directory and draws all of them into its ``figures/``; :func:`save_figure` writes one figure atomically. The
report layer reads files only: it never needs the analysis code in memory.

Figures (Choenni et al. 2024, sec. 4): correlation heatmaps before/after fine-tuning (+ their difference),
shift counts per condition and language, per-language distributions of the shifts, human-alignment bars.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from valueshift.errors import RunError
from valueshift.runs import adopt, atomic_path, read_manifest

__all__ = [
    "alignment_bars",
    "save_figure",
    "shift_count_bars",
    "shift_distributions",
    "similarity_heatmaps",
    "write_figures",
]

FORMATS = ("png", "svg")


def _matrix(sim: pd.DataFrame, col: str) -> tuple[list[str], np.ndarray]:
    langs = list(dict.fromkeys([*sim["lang_a"], *sim["lang_b"]]))
    pos = {lg: i for i, lg in enumerate(langs)}
    m = np.eye(len(langs))
    for a, b, r in zip(sim["lang_a"], sim["lang_b"], sim[col], strict=True):
        m[pos[a], pos[b]] = m[pos[b], pos[a]] = r
    return langs, m


def _heat(fig: Figure, ax: Any, m: np.ndarray, langs: list[str], title: str, cmap: str, lim: float, label: str) -> None:
    im = ax.imshow(m, cmap=cmap, vmin=-lim, vmax=lim)
    ax.set_xticks(range(len(langs)), langs, rotation=90 if len(langs) > 8 else 0)
    ax.set_yticks(range(len(langs)), langs)
    ax.set_xlabel("language")
    ax.set_ylabel("language")
    ax.set_title(title)
    if len(langs) <= 8:
        for i in range(len(langs)):
            for j in range(len(langs)):
                if np.isfinite(m[i, j]):
                    colour = "white" if abs(m[i, j]) > 0.6 * lim else "black"
                    ax.text(j, i, f"{m[i, j]:.2f}", ha="center", va="center", fontsize=7, color=colour)
    fig.colorbar(im, ax=ax, shrink=0.8, label=label)


def similarity_heatmaps(similarity: pd.DataFrame, condition: str, method: str = "pearson") -> Figure | None:
    """Three heatmaps (before, after, after − before) of one condition's cross-language correlations.

    Panels: 3 axes, each with its own colour bar (6 axes in the figure); language codes on both axes.
    """
    sim = similarity[(similarity["condition"] == condition) & (similarity["method"] == method)]
    if sim.empty:
        return None
    langs, before = _matrix(sim, "r_base")
    _, after = _matrix(sim, "r_tuned")
    diff = after - before
    np.fill_diagonal(diff, 0.0)
    size = max(3.2, 0.35 * len(langs) + 1.5)
    if len(langs) <= 8:
        fig = Figure(figsize=(3 * size + 1.5, size), layout="constrained")
        axes = list(fig.subplots(1, 3))
    else:  # many languages: a 2 x 2 grid keeps the cells and their labels legible when scaled to a page
        size = 0.3 * len(langs) + 1.5
        fig = Figure(figsize=(2 * size + 1.5, 2 * size), layout="constrained")
        grid = fig.subplots(2, 2)
        fig.delaxes(grid[1, 1])
        axes = [grid[0, 0], grid[0, 1], grid[1, 0]]
    name = method.capitalize()
    _heat(fig, axes[0], before, langs, "base", "RdBu_r", 1.0, f"{name} r")
    _heat(fig, axes[1], after, langs, f"tuned: {condition}", "RdBu_r", 1.0, f"{name} r")
    lim = float(np.nanmax(np.abs(diff))) if np.isfinite(diff).any() and np.nanmax(np.abs(diff)) > 0 else 1.0
    _heat(fig, axes[2], diff, langs, "tuned − base", "PuOr_r", lim, f"Δ {name} r")
    fig.suptitle(f"Cross-language similarity of value profiles ({method})")
    return fig


def shift_count_bars(shift_summary: pd.DataFrame, colors: Mapping[str, str] | None = None) -> Figure | None:
    """Two panels: share of shifted probes per condition, and number shifted per language and condition.

    ``colors`` maps a condition to its colour (the report keeps one colour per condition in every figure).
    """
    if shift_summary.empty:
        return None
    total = shift_summary[shift_summary["lang"] == "all"]
    per = shift_summary[shift_summary["lang"] != "all"]
    conds = list(dict.fromkeys(total["condition"]))
    langs = list(dict.fromkeys(per["lang"]))
    fig = Figure(figsize=(4 + 0.5 * len(langs) * max(1, len(conds)) ** 0.5 + 3, 4), layout="constrained")
    ax0, ax1 = fig.subplots(1, 2, width_ratios=[1, max(2, len(langs) / 3)])
    shade = [colors.get(c, "tab:blue") for c in conds] if colors else "tab:blue"
    ax0.bar(conds, total["share_shifted"].to_numpy(float), color=shade, label="|Δ| > threshold")
    ax0.bar(conds, total["share_flipped"].to_numpy(float), color="white", alpha=0.6, width=0.5, hatch="//",
            edgecolor="black", label="label flipped")  # fmt: skip
    ax0.set_xlabel("fine-tuning condition")
    ax0.set_ylabel("share of probes")
    ax0.set_title("Shifted probes per condition")
    ax0.tick_params(axis="x", rotation=30)
    ax0.legend(fontsize=7)
    width = 0.8 / max(1, len(conds))
    x = np.arange(len(langs))
    for k, cond in enumerate(conds):
        g = per[per["condition"] == cond].set_index("lang").reindex(langs)
        ax1.bar(x + k * width - 0.4 + width / 2, g["n_shifted"].to_numpy(float), width, label=cond,
                color=colors.get(cond) if colors else None)  # fmt: skip
    ax1.set_xticks(x, langs)
    ax1.set_xlabel("test language")
    ax1.set_ylabel("number of shifted probes")
    ax1.set_title("Shifted probes per language")
    ax1.legend(title="condition", fontsize=7)
    return fig


def shift_distributions(shifts: pd.DataFrame, threshold: float | None = None) -> Figure | None:
    """One panel per condition: box plots of delta per test language (dashed lines at ± threshold)."""
    if shifts.empty:
        return None
    conds = list(dict.fromkeys(shifts["condition"]))
    langs = list(dict.fromkeys(shifts["lang"]))
    fig = Figure(figsize=(max(4.0, 0.45 * len(langs) + 2), 2.8 * len(conds)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(conds), 1, squeeze=False)[:, 0])
    for ax, cond in zip(axes, conds, strict=True):
        g = shifts[shifts["condition"] == cond]
        data = [g.loc[g["lang"] == lg, "delta"].dropna().to_numpy(float) for lg in langs]
        ax.boxplot(data, tick_labels=langs, showfliers=True, flierprops={"markersize": 2})
        ax.axhline(0.0, color="grey", lw=0.8)
        if threshold is not None:
            for t in (threshold, -threshold):
                ax.axhline(t, color="tab:red", lw=0.8, ls="--")
        ax.set_xlabel("test language")
        ax.set_ylabel("Δ value (log-odds, nats)")
        ax.set_title(f"Shift distribution: {cond}")
    return fig


def alignment_bars(
    alignment: pd.DataFrame, stat: str = "pearson_r", colors: Mapping[str, str] | None = None
) -> Figure | None:
    """One panel per human source: ``stat`` per language, bars for base and every condition (``colors``)."""
    rows = alignment[(alignment["scope"] == "language") & alignment["lang"].notna()] if len(alignment) else alignment
    if rows.empty or rows[stat].notna().sum() == 0:
        return None
    sources = list(dict.fromkeys(rows["source"]))
    fig = Figure(figsize=(max(5.0, 0.5 * rows["lang"].nunique() + 3), 3 * len(sources)), layout="constrained")
    axes = fig.subplots(len(sources), 1, squeeze=False)[:, 0]
    for ax, src in zip(axes, sources, strict=True):
        g = rows[rows["source"] == src]
        langs = list(dict.fromkeys(g["lang"]))
        conds = list(dict.fromkeys(g["condition"]))
        width = 0.8 / max(1, len(conds))
        x = np.arange(len(langs))
        for k, cond in enumerate(conds):
            v = g[g["condition"] == cond].set_index("lang").reindex(langs)[stat].to_numpy(float)
            ax.bar(x + k * width - 0.4 + width / 2, v, width, label=cond, color=colors.get(cond) if colors else None)
        ax.axhline(0.0, color="grey", lw=0.8)
        ax.set_xticks(x, langs)
        ax.set_xlabel("language")
        ax.set_ylabel(stat.replace("_", " ") + " (model vs human)")
        ax.set_title(f"Alignment with human data: {Path(src).name}")
        ax.legend(title="model", fontsize=7)
    return fig


def save_figure(fig: Figure, directory: str | os.PathLike[str], stem: str) -> list[Path]:
    """Write ``fig`` as ``stem.png`` (150 dpi) and ``stem.svg`` in ``directory``, atomically."""
    out = []
    for fmt in FORMATS:
        target = Path(directory) / f"{stem}.{fmt}"
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format=fmt, dpi=150)
        out.append(target)
    return out


def write_figures(run_dir: str | os.PathLike[str], directory: str | os.PathLike[str] | None = None) -> list[Path]:
    """Draw every figure of a finished analysis run directory into ``directory`` (default ``run_dir/figures``).

    The figures folder of a run directory is recorded as one of the run's outputs, so ``--overwrite`` may later
    replace it.
    """
    path = Path(run_dir)
    manifest = read_manifest(path)
    if manifest is None or manifest.get("command") != "analyze" or manifest.get("status") != "done":
        raise RunError(f"{path}: not a finished analysis run; run `valueshift analyze` first")
    tables = {name: pd.read_parquet(path / f"{name}.parquet") for name in
              ("similarity", "shift_summary", "shifts", "alignment")}  # fmt: skip
    threshold = float((manifest.get("config") or {}).get("threshold", np.nan))
    target = Path(directory) if directory is not None else path / "figures"
    if directory is None:
        adopt(path, "figures")
    files: list[Path] = []
    sim = tables["similarity"]
    for cond in dict.fromkeys(sim["condition"]):
        for method in dict.fromkeys(sim["method"]):
            fig = similarity_heatmaps(sim, cond, method)
            if fig is not None:
                files += save_figure(fig, target, f"similarity_{_slug(cond)}_{method}")
    for stem, fig in (
        ("shift_counts", shift_count_bars(tables["shift_summary"])),
        ("shift_distributions", shift_distributions(tables["shifts"], threshold if np.isfinite(threshold) else None)),
        ("alignment", alignment_bars(tables["alignment"])),
    ):
        if fig is not None:
            files += save_figure(fig, target, stem)
    return files


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in str(text))
