"""Figures: produced, non-empty, with the expected panels, labels and colour bars."""

from __future__ import annotations

from pathlib import Path

import pytest
from _synth import make_table, perturb

from valueshift.analysis import AnalysisConfig, analyze, read_result
from valueshift.report import (
    alignment_bars,
    save_figure,
    shift_count_bars,
    shift_distributions,
    similarity_heatmaps,
    write_figures,
)

LANGS = ("de", "fa", "ko", "tr")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished analysis run directory: the report layer reads files, not analysis objects."""
    base = make_table(LANGS, moral=True)
    tuned = [perturb(base, seed=1, sd=0.6), perturb(base, seed=2, sd=0.6), perturb(base, seed=3, sd=0.3)]
    cfg = AnalysisConfig(n_perm=99, n_boot=100, finetune_langs=())
    out = tmp_path_factory.mktemp("figures") / "an"
    analyze(base, tuned, out, labels=["fa", "fa", "multi"], config=cfg)
    return out


@pytest.fixture(scope="module")
def result(run_dir: Path) -> object:
    return read_result(run_dir)


def _ticks(ax: object) -> list[str]:
    return [t.get_text() for t in ax.get_xticklabels()]  # type: ignore[attr-defined]


def test_similarity_heatmaps_have_three_panels_with_colour_bars(result: object) -> None:
    fig = similarity_heatmaps(result.similarity, "fa", "pearson")  # type: ignore[attr-defined]
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(panels) == 3 and len(fig.axes) == 6
    for ax in panels:
        assert _ticks(ax) == list(LANGS)
        assert ax.get_xlabel() == "language" and ax.get_ylabel() == "language"
    assert [ax.get_title() for ax in panels] == ["base", "tuned: fa", "tuned − base"]
    assert similarity_heatmaps(result.similarity, "nope") is None  # type: ignore[attr-defined]


def test_shift_bars_distributions_and_alignment(result: object) -> None:
    bars = shift_count_bars(result.shift_summary)  # type: ignore[attr-defined]
    assert len(bars.axes) == 2
    assert _ticks(bars.axes[0]) == ["fa", "multi"] and _ticks(bars.axes[1]) == list(LANGS)
    assert bars.axes[1].get_ylabel() == "number of shifted probes"
    dist = shift_distributions(result.shifts, 0.5)  # type: ignore[attr-defined]
    assert len(dist.axes) == 2 and all(_ticks(ax) == list(LANGS) for ax in dist.axes)
    al = alignment_bars(result.alignment)  # type: ignore[attr-defined]
    assert len(al.axes) == 1 and _ticks(al.axes[0]) == list(LANGS)
    legend = [t.get_text() for t in al.axes[0].get_legend().get_texts()]
    assert legend == ["base", "fa", "multi"]


def test_files_are_written_non_empty(run_dir: Path, tmp_path: Path) -> None:
    files = write_figures(run_dir, tmp_path)
    names = sorted(f.name for f in files)
    assert "similarity_fa_pearson.png" in names and "alignment.svg" in names
    assert len(names) == 2 * (4 + 3)  # 2 conditions x 2 methods heatmaps + 3 others, png + svg
    for f in files:
        assert f.stat().st_size > 1000
    assert (tmp_path / "shift_counts.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (tmp_path / "shift_counts.svg").read_bytes()[:2000]


def test_save_figure_writes_png_and_svg(result: object, tmp_path: Path) -> None:
    out = save_figure(shift_count_bars(result.shift_summary), tmp_path / "sub", "x")  # type: ignore[attr-defined, arg-type]
    assert [p.name for p in out] == ["x.png", "x.svg"]
