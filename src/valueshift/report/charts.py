"""The report's own figures (probe profiles, answer bias, human scatter, Hofstede, attribution), without pyplot.

Like :mod:`valueshift.report.figures`, each function takes tidy tables and returns a
:class:`~matplotlib.figure.Figure` or None when there is nothing to draw. Colours of conditions come from
:func:`palette`, so one condition has one colour in every figure of a report (``base`` is always grey).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = [
    "BASE_COLOUR",
    "bias_bars",
    "echo_bars",
    "hofstede_panels",
    "human_scatter",
    "language_order",
    "lds_bars",
    "overlap_bars",
    "palette",
    "precision_bars",
    "profile_heatmap",
]

BASE_COLOUR = "#7f7f7f"
_CYCLE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf"]
VALUE_UNIT = "value (log-odds, nats)"


def palette(conditions: Sequence[str]) -> dict[str, str]:
    """One colour per condition, in order of first appearance; ``base`` grey; cycles after nine conditions."""
    names = [c for c in dict.fromkeys(conditions) if c != "base"]
    colours = {c: _CYCLE[i % len(_CYCLE)] for i, c in enumerate(names)}
    colours["base"] = BASE_COLOUR
    return colours


def language_order(matrix: pd.DataFrame) -> list[str]:
    """Columns of a probe x language matrix ordered so similar languages sit together.

    Average-linkage clustering on 1 − Pearson r between the language profiles (pairwise complete probes),
    leaves in optimal order; with fewer than three languages, or undefined correlations, the given order.
    """
    langs = list(matrix.columns)
    if len(langs) < 3:
        return langs
    from scipy.cluster.hierarchy import leaves_list, linkage, optimal_leaf_ordering
    from scipy.spatial.distance import squareform

    r = matrix.corr(min_periods=3).to_numpy(float)
    if not np.isfinite(r).all():
        return langs
    dist = np.clip(1.0 - r, 0.0, 2.0)
    np.fill_diagonal(dist, 0.0)
    condensed = squareform((dist + dist.T) / 2, checks=False)
    tree = optimal_leaf_ordering(linkage(condensed, "average"), condensed)
    return [langs[i] for i in leaves_list(tree)]


def profile_heatmap(matrix: pd.DataFrame, title: str) -> Figure | None:
    """Probe x language heatmap of values (rows sorted by mean value, columns by :func:`language_order`)."""
    if matrix.empty or matrix.shape[1] == 0:
        return None
    langs = language_order(matrix)
    m = matrix[langs]
    m = m.loc[m.mean(axis=1).sort_values(ascending=False).index]
    vals = m.to_numpy(float)
    finite = np.abs(vals[np.isfinite(vals)])
    lim = float(np.percentile(finite, 98)) if finite.size else 1.0
    lim = lim if lim > 0 else 1.0
    height = min(9.0, max(3.0, 0.06 * len(m) + 1.5))
    fig = Figure(figsize=(max(4.5, 0.42 * len(langs) + 2.5), height), layout="constrained")
    ax = fig.subplots()
    im = ax.imshow(vals, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(len(langs)), langs, rotation=90 if len(langs) > 10 else 0)
    if len(m) <= 40:
        ax.set_yticks(range(len(m)), [str(i) for i in m.index], fontsize=6)
    else:
        ax.set_yticks([])
    ax.set_xlabel("language (ordered by profile similarity)")
    ax.set_ylabel(f"probe ({len(m)}, sorted by mean value)")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, label=VALUE_UNIT, shrink=0.8)
    return fig


def bias_bars(bias: pd.DataFrame) -> Figure | None:
    """Per language: mean value (nats) and share of positive values, one bar per model (probe run)."""
    if bias.empty or "mean_value" not in bias.columns:
        return None
    langs = list(dict.fromkeys(bias["lang"]))
    models = list(dict.fromkeys(bias["run"]))
    colours = palette(models)
    fig = Figure(figsize=(max(5.0, 0.45 * len(langs) * max(1, len(models)) ** 0.5 + 2.5), 5.2), layout="constrained")
    ax0, ax1 = fig.subplots(2, 1, sharex=True)
    width = 0.8 / max(1, len(models))
    x = np.arange(len(langs))
    for k, model in enumerate(models):
        g = bias[bias["run"] == model].drop_duplicates("lang").set_index("lang").reindex(langs)
        pos = x + k * width - 0.4 + width / 2
        ax0.bar(pos, g["mean_value"].to_numpy(float), width, color=colours[model], label=model)
        ax1.bar(pos, g["share_positive"].to_numpy(float), width, color=colours[model], label=model)
    ax0.axhline(0.0, color="black", lw=0.8)
    for lv in (0.5, -0.5):
        ax0.axhline(lv, color="tab:red", lw=0.8, ls="--")
    ax0.set_ylabel("mean value (nats)")
    ax0.set_title("Answer lean per language (dashed: ±0.5 nats lean level)")
    ax1.axhline(0.5, color="black", lw=0.8)
    ax1.set_ylim(0, 1)
    ax1.set_ylabel("share of values > 0")
    ax1.set_xticks(x, langs, rotation=90 if len(langs) > 12 else 0)
    ax1.set_xlabel("language")
    if len(models) > 1:
        ax0.legend(title="probe run", fontsize=7)
    return fig


def human_scatter(points: pd.DataFrame, colours: Mapping[str, str], source: str) -> Figure | None:
    """Small multiples per language: human item mean (x) vs oriented model value (y, nats), per condition."""
    if points.empty:
        return None
    langs = list(dict.fromkeys(points["lang"]))
    ncol = min(4, len(langs))
    nrow = -(-len(langs) // ncol)
    fig = Figure(figsize=(2.6 * ncol + 0.6, 2.3 * nrow + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False)).ravel()
    lo, hi = float(points["human"].min()), float(points["human"].max())
    pad = 0.05 * (hi - lo) if hi > lo else 0.5
    for i, (ax, lang) in enumerate(zip(axes, langs, strict=False)):
        g = points[points["lang"] == lang]
        for cond, gc in g.groupby("condition", sort=False):
            ax.scatter(gc["human"], gc["model"], s=10, color=colours.get(str(cond), "black"), label=str(cond),
                       alpha=0.8)  # fmt: skip
        ax.axhline(0.0, color="grey", lw=0.6)
        ax.set_xlim(lo - pad, hi + pad)  # one human scale for every panel
        ax.set_title(f"{lang} ({g['country'].iloc[0]})", fontsize=9)
        ax.tick_params(labelsize=7)
        if i + ncol >= len(langs):  # lowest panel of its column
            ax.set_xlabel(f"human mean ({source})", fontsize=8)
        if i % ncol == 0:
            ax.set_ylabel("model value (oriented, nats)", fontsize=8)
    for ax in axes[len(langs) :]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, title="model", loc="outside right upper", fontsize=7)
    fig.suptitle(f"Model vs human, per item ({source})")
    return fig


def hofstede_panels(table: pd.DataFrame, colours: Mapping[str, str]) -> Figure | None:
    """One panel per VSM dimension: the country's score (x) vs the model's index (y), a point per language."""
    g = table.dropna(subset=["model_index", "country_score"])
    if g.empty:
        return None
    dims = list(dict.fromkeys(g["dimension"]))
    ncol = min(3, len(dims))
    nrow = -(-len(dims) // ncol)
    fig = Figure(figsize=(3.2 * ncol + 0.8, 2.8 * nrow + 0.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False)).ravel()
    for ax, dim in zip(axes, dims, strict=False):
        d = g[g["dimension"] == dim]
        for model, gm in d.groupby("model", sort=False):
            ax.scatter(gm["country_score"], gm["model_index"], s=14, color=colours.get(str(model), "black"),
                       label=str(model))  # fmt: skip
            for x, y, lang in zip(gm["country_score"], gm["model_index"], gm["lang"], strict=True):
                ax.annotate(str(lang), (x, y), fontsize=6, xytext=(2, 2), textcoords="offset points")
        ax.set_title(dim.upper(), fontsize=9)
        ax.set_xlabel("country score (0-100)", fontsize=8)
        ax.set_ylabel("model index (VSM formula, C = 0)", fontsize=8)
    for ax in axes[len(dims) :]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, title="model", loc="outside right upper", fontsize=7)
    fig.suptitle("Hofstede indices: model (per language) vs country scores")
    return fig


def lds_bars(lds: pd.DataFrame) -> Figure | None:
    """Mean LDS per attribution method with its confidence interval (error bars)."""
    if lds.empty or lds["lds"].notna().sum() == 0:
        return None
    g = lds.groupby("method", sort=False).agg(lds=("lds", "mean"), lo=("ci_low", "mean"), hi=("ci_high", "mean"))
    fig = Figure(figsize=(max(4.0, 0.9 * len(g) + 2), 3.2), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(g))
    y = g["lds"].to_numpy(float)
    err = np.vstack([y - g["lo"].to_numpy(float), g["hi"].to_numpy(float) - y])
    err = np.where(np.isfinite(err), np.abs(err), 0.0)
    ax.bar(x, y, color="#1f77b4")
    ax.errorbar(x, y, yerr=err, fmt="none", color="black", capsize=4)
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.set_xticks(x, list(g.index))
    ax.set_xlabel("attribution method")
    ax.set_ylabel("LDS (Spearman ρ)")
    ax.set_title("LDS per method (bars: CI)")
    return fig


def overlap_bars(overlap: pd.DataFrame) -> Figure | None:
    """Per method: observed share of top examples with a translation among another language's top vs chance."""
    rows = overlap[(overlap["probe_id"] == "all") & (overlap["ft_lang_a"] == "all")] if len(overlap) else overlap
    if rows.empty:
        return None
    fig = Figure(figsize=(max(4.0, 1.0 * len(rows) + 2), 3.2), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(rows))
    ax.bar(x - 0.2, rows["share"].to_numpy(float), 0.4, color="#1f77b4", label="observed")
    ax.bar(x + 0.2, rows["share_expected"].to_numpy(float), 0.4, color=BASE_COLOUR, label="chance")
    ax.set_xticks(x, list(rows["method"]))
    ax.set_xlabel("attribution method")
    ax.set_ylabel("share of top examples")
    ax.set_title("Parallel overlap vs chance")
    ax.legend(fontsize=7)
    return fig


def _panels(n: int, width: float, height: float) -> tuple[Figure, list[Any]]:
    """A figure of ``n`` panels, at most three per row (spare axes hidden)."""
    ncol = min(3, n)
    nrow = -(-n // ncol)
    fig = Figure(figsize=(width * ncol + 0.6, height * nrow + 0.5), layout="constrained")
    axes = list(np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False)).ravel())
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def echo_bars(echo: pd.DataFrame) -> Figure | None:
    """Planted effect per test language with CI error bars, one panel per ``panel`` (condition and probe).

    ``echo``: ``panel, lang, planted_lang, effect, ci_low, ci_high`` (nats). Planting languages are drawn in
    red, the other test languages in grey; a missing CI (one seed) draws no error bar.
    """
    if echo.empty or echo["effect"].notna().sum() == 0:
        return None
    panels = list(dict.fromkeys(echo["panel"]))
    fig, axes = _panels(len(panels), max(3.6, 0.45 * echo.groupby("panel")["lang"].nunique().max() + 1.2), 2.8)
    for ax, name in zip(axes, panels, strict=True):
        g = echo[echo["panel"] == name]
        x = np.arange(len(g))
        y = g["effect"].to_numpy(float)
        err = np.vstack([y - g["ci_low"].to_numpy(float), g["ci_high"].to_numpy(float) - y])
        err = np.where(np.isfinite(err), np.abs(err), 0.0)
        home = g["planted_lang"].to_numpy(bool)
        ax.bar(x, y, color=np.where(home, "#d62728", BASE_COLOUR).tolist())
        ax.errorbar(x, y, yerr=err, fmt="none", color="black", capsize=3, lw=0.8)
        ax.axhline(0.0, color="black", lw=0.8)
        ax.set_xticks(x, [f"{lg}*" if h else str(lg) for lg, h in zip(g["lang"], home, strict=True)])
        ax.set_title(str(name), fontsize=9)
        ax.set_xlabel("test language (red, *: planted there)", fontsize=8)
        ax.set_ylabel("treatment − control (nats)", fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle("Planted effect per test language (error bars: CI over seeds)", fontsize=10)
    return fig


def precision_bars(attr: pd.DataFrame) -> Figure | None:
    """Mean precision@k per attribution method beside chance, one group per k, one panel per ``panel``.

    ``attr``: ``panel, method, k, precision, chance`` (means over probes are taken here). The lexical
    baseline is hatched: it finds lines that share the probe's words, whatever they did to the model.
    """
    if attr.empty or attr["precision"].notna().sum() == 0:
        return None
    panels = list(dict.fromkeys(attr["panel"]))
    methods = list(dict.fromkeys(attr["method"]))
    colours = palette(methods)
    ks = sorted(set(attr["k"].astype(int)))
    fig, axes = _panels(len(panels), max(3.2, 0.35 * len(ks) * (len(methods) + 1) + 1.2), 3.0)
    width = 0.8 / (len(methods) + 1)
    for ax, name in zip(axes, panels, strict=True):
        g = attr[attr["panel"] == name]
        prec = g.groupby(["method", "k"])["precision"].mean()
        chance = g.groupby("k")["chance"].mean()  # the same lines are ranked by every method
        x = np.arange(len(ks))
        for i, method in enumerate([*methods, "chance"]):
            y = [chance.get(k, np.nan) if method == "chance" else prec.get((method, k), np.nan) for k in ks]
            ax.bar(x + (i - len(methods) / 2) * width, y, width, label=method,
                   color=BASE_COLOUR if method == "chance" else colours[method],
                   hatch="//" if method == "lexical" else None, edgecolor="white")  # fmt: skip
        ax.set_xticks(x, [f"k = {k}" for k in ks])
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("precision@k (planted lines in top k)", fontsize=8)
        ax.set_title(str(name), fontsize=9)
        ax.tick_params(labelsize=7)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, title="method", loc="outside right upper", fontsize=7)
    fig.suptitle("Planted lines among the top k (hatched: lexical baseline)", fontsize=10)
    return fig
