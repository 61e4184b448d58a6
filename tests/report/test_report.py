"""The HTML report: sections present when their inputs exist, the producing command named when not, escaping,
missing values, no network resources, size, the CLI."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from _dom import parse
from _study import LANGS, make_table, perturb, probe_run

from valueshift.report import build_report
from valueshift.report.charts import language_order, palette
from valueshift.report.embed import fmt
from valueshift.report.embed import make_table as display_table
from valueshift.report.figures import alignment_bars, shift_count_bars

SECTIONS = ["study", "claims", "recovery", "probes", "profiles", "shifts", "similarity", "alignment", "attribution"]


def test_full_study_shows_every_section(study_report: Path) -> None:
    page = parse(study_report.read_text(encoding="utf-8"))
    assert list(page.sections) == SECTIONS
    assert page.toc == [f"#{s}" for s in SECTIONS]
    for sid, sec in page.sections.items():
        assert "present" in sec["class"].split(), sid
        assert "How to read this." in sec["text"] and "Not available" not in sec["text"], sid
    by_section = {s: sum(f["section"] == s for f in page.figures) for s in SECTIONS}
    # probes: bias bars; profiles: 1 heatmap; shifts: counts + distributions; similarity: 2 conditions;
    # alignment: bars + scatter + Hofstede; attribution: overlap + LDS; recovery: echo + precision@k
    assert by_section == {"study": 0, "claims": 0, "recovery": 2, "probes": 1, "profiles": 1, "shifts": 2,
                          "similarity": 2, "alignment": 3, "attribution": 2}  # fmt: skip
    assert all(len(f["alt"]) > 30 for f in page.figures)
    html = study_report.read_text(encoding="utf-8")
    assert html.count("<svg") == len(page.figures) and "viewBox" in html
    study = page.sections["study"]["text"]  # the grid's plan and its experiment file
    assert "probe: 1/1 done, analyze: 1/1 done, attribute: 0/1 done" in study and 'name = "tiny <study>"' in study
    assert "&lt;study&gt;" in html


def test_tables_hold_the_files_numbers(study_dir: Path, study_report: Path) -> None:
    page = parse(study_report.read_text(encoding="utf-8"))
    [summary] = [t for t in page.tables if "mean_abs_delta" in t["columns"] and "n_shifted" in t["columns"]]
    cols = summary["columns"]
    got = {(r[cols.index("condition")], r[cols.index("lang")]): int(r[cols.index("n_shifted")])
           for r in summary["rows"]}  # fmt: skip
    shifts = pd.read_parquet(study_dir / "analysis" / "shifts.parquet")
    for (cond, lang), g in shifts.groupby(["condition", "lang"]):  # an independent count from the raw shifts
        assert got[(cond, lang)] == int((g["abs_delta"] > 0.5).sum())
    [coverage] = [t for t in page.tables if "n_probes" in t["columns"] and "coverage" in t["columns"]]
    base = pd.read_parquet(study_dir / "base" / "probe_scores.parquet")
    n = {r[0]: int(r[coverage["columns"].index("n_probes")]) for r in coverage["rows"]}
    assert n == {lang: g["probe_id"].nunique() for lang, g in base.groupby("lang")}


def test_text_is_escaped_and_missing_values_are_dashes(study_report: Path) -> None:
    html = study_report.read_text(encoding="utf-8")
    page = parse(html)
    assert page.scripts == 1  # only the report's own script; the claim text "<script>" stays text
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "&lt;b&gt;training line 1&lt;/b&gt;" in html
    [claims] = [t for t in page.tables if t["section"] == "claims"]
    row = claims["rows"][1]
    assert row[claims["columns"].index("estimate")] == "–" and row[claims["columns"].index("ci_low")] == "–"


def test_page_loads_nothing_from_the_network(study_report: Path) -> None:
    page = parse(study_report.read_text(encoding="utf-8"))
    assert page.urls and all(u.startswith(("#", "data:")) for u in page.urls), page.urls[:5]
    assert "<link" not in study_report.read_text(encoding="utf-8")


def test_analysis_directory_alone_follows_its_sources(study_dir: Path, tmp_path: Path) -> None:
    page = parse(build_report(study_dir / "analysis", tmp_path / "r.html").read_text(encoding="utf-8"))
    present = {s for s, v in page.sections.items() if "present" in v["class"]}
    assert present == {"study", "probes", "profiles", "shifts", "similarity", "alignment"}
    assert "valueshift run EXPERIMENT.toml" in page.sections["claims"]["text"]
    assert "valueshift attribute --run" in page.sections["attribution"]["text"]


def test_single_probe_run_names_the_missing_commands(tmp_path: Path) -> None:
    run = probe_run(make_table(LANGS, moral=True), tmp_path / "probe")
    page = parse(build_report(run, tmp_path / "r.html").read_text(encoding="utf-8"))
    present = {s for s, v in page.sections.items() if "present" in v["class"]}
    assert present == {"study", "probes", "profiles", "alignment"}  # alignment: the base model's scatter
    for sid in ("shifts", "similarity"):
        assert "Not available" in page.sections[sid]["text"]
        assert "valueshift analyze --base" in page.sections[sid]["text"]
    assert "valueshift attribute" in page.sections["attribution"]["text"]


def test_an_unreadable_table_fails_only_its_section(study_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(study_dir / "analysis", tmp_path / "analysis")
    pd.DataFrame({"condition": ["fa"], "odd": [1.0]}).to_parquet(tmp_path / "analysis" / "similarity.parquet")
    with pytest.warns(UserWarning, match="section 'similarity' could not be built"):
        out = build_report(tmp_path / "analysis", tmp_path / "r.html")
    page = parse(out.read_text(encoding="utf-8"))
    assert "could not be built" in page.sections["similarity"]["text"]
    assert "present" in page.sections["shifts"]["class"] and list(page.sections) == SECTIONS


def test_empty_folder_names_the_first_command(tmp_path: Path) -> None:
    page = parse(build_report(tmp_path, tmp_path / "r.html").read_text(encoding="utf-8"))
    assert all("missing" in v["class"] for v in page.sections.values())
    assert "valueshift probe" in page.sections["study"]["text"]


def test_demo_sized_report_stays_under_5_mb(tmp_path: Path) -> None:
    """16 languages x 296 probes, base + 2 conditions: the size of the demo's study (builtin WVS + VSM)."""
    from valueshift.analysis import AnalysisConfig, analyze

    langs = ("ar", "bn", "de", "el", "en", "fa", "hi", "id", "ko", "ms", "ru", "sr", "sw", "tl", "tr", "ur")
    base = make_table(langs, n_pairs=284, n_groups=4, moral=True)
    probe_run(base, tmp_path / "base", exact_bias=False)
    probe_run(perturb(base, seed=1, sd=0.8), tmp_path / "multi", exact_bias=False)
    probe_run(perturb(base, seed=2, sd=0.8), tmp_path / "fa", exact_bias=False)
    cfg = AnalysisConfig(n_perm=99, n_boot=20, finetune_langs=())
    analyze(tmp_path / "base", [tmp_path / "multi", tmp_path / "fa"], tmp_path / "analysis", config=cfg)
    out = build_report(tmp_path, tmp_path / "report.html")
    size = out.stat().st_size
    print(f"demo-sized report: {size / 1e6:.2f} MB")
    assert 100_000 < size < 5_000_000


def test_cli_writes_the_report_and_fails_in_one_line(
    study_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from valueshift.cli import main

    run = tmp_path / "probe"
    shutil.copytree(study_dir / "base", run)
    with pytest.raises(SystemExit) as ok:
        main(["report", str(run), "--quiet"])
    assert ok.value.code in (0, None) and (tmp_path / "probe-report.html").is_file()
    assert sorted(p.name for p in run.iterdir()) == sorted(p.name for p in (study_dir / "base").iterdir())
    with pytest.raises(SystemExit) as bad:
        main(["report", str(tmp_path / "nope"), "-o", str(tmp_path / "x.html")])
    err = capsys.readouterr().err.strip().splitlines()
    assert bad.value.code == 2 and len(err) == 1 and err[0].startswith("error:") and "not a directory" in err[0]
    assert not (tmp_path / "x.html").exists()


def test_display_cells_of_missing_values() -> None:
    df = pd.DataFrame({"x": [1.5, np.nan, None, 2.0], "s": ["a", None, pd.NA, "<i>"], "b": [True, False, None, True]})
    t = display_table(df, "c")
    assert t is not None and t.numeric == [True, False, False]
    assert [c.text for c in t.rows[0]] == ["1.500", "a", "yes"]
    assert [c.text for c in t.rows[1]] == ["–", "–", "no"] and t.rows[1][0].sort == ""
    assert t.rows[3][1].text == "<i>"  # escaping is the template's job (autoescape), not the cell's
    assert display_table(df.iloc[:0], "empty") is None
    assert fmt(0.000123) == "0.000123" and fmt(12345.678) == "1.23e+04" and fmt(float("inf")) == "∞"


def test_language_order_puts_similar_profiles_together() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=50), rng.normal(size=50)
    m = pd.DataFrame({"x": a, "y": b, "z": a + 0.05 * rng.normal(size=50), "w": b + 0.05 * rng.normal(size=50)})
    order = language_order(m)
    assert abs(order.index("x") - order.index("z")) == 1 and abs(order.index("y") - order.index("w")) == 1


def _legend_colours(ax: Any) -> dict[str, str]:
    from matplotlib.colors import to_hex

    leg = ax.get_legend()
    return {t.get_text(): to_hex(h.get_facecolor()) for t, h in zip(leg.get_texts(), leg.legend_handles, strict=True)}


def test_one_colour_per_condition_across_figures(study_dir: Path) -> None:
    summary = pd.read_parquet(study_dir / "analysis" / "shift_summary.parquet")
    align = pd.read_parquet(study_dir / "analysis" / "alignment.parquet")
    colours = palette(["fa", "multi"])
    bars = shift_count_bars(summary, colors=colours)
    al = alignment_bars(align, colors=colours)
    assert bars is not None and al is not None
    assert _legend_colours(bars.axes[1]) == {"fa": colours["fa"], "multi": colours["multi"]}
    assert _legend_colours(al.axes[0]) == {"base": colours["base"], "fa": colours["fa"], "multi": colours["multi"]}
    assert len(set(colours.values())) == 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))


def _write_manifest(directory: Path, command: str, config: dict[str, Any], **extra: Any) -> Path:
    import json

    directory.mkdir(parents=True, exist_ok=True)
    manifest = {"command": command, "status": "done", "config": config, **extra}
    (directory / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return directory


def test_conditions_are_grouped_by_what_they_trained_on(tmp_path: Path) -> None:
    """Manifest chain analysis -> tuned probe run -> finetune run gives each condition its corpus and size."""
    from valueshift.report.data import StudyData
    from valueshift.report.discover import discover
    from valueshift.report.results import shifts_section

    design = {"c1": ("bible", 10000), "c2": ("flores", 2000), "c3": ("bible", 2000)}
    sources = {"base:base": str(tmp_path / "base")}
    _write_manifest(tmp_path / "base", "probe", {"model": "m"})
    rows = []
    for i, (cond, (corpus, size)) in enumerate(design.items()):
        ft = _write_manifest(tmp_path / "ft" / cond, "finetune", {"model": "m", "corpus": {"spec": corpus,
                             "langs": ["fa"], "size": size}, "train": {"seed": 7}})  # fmt: skip
        _write_manifest(tmp_path / f"probe-{cond}", "probe", {"model": str(ft)})
        sources[f"tuned[{i}]:{cond}"] = str(tmp_path / f"probe-{cond}")
        rows += [{"condition": cond, "lang": lg, "n_probes": 10, "n_shifted": 1, "share_shifted": 0.1,
                  "n_flipped": 0, "share_flipped": 0.0} for lg in ("fa", "all")]  # fmt: skip
    an = _write_manifest(tmp_path / "analysis", "analyze", {"threshold": 0.5}, sources=sources)
    pd.DataFrame(rows).to_parquet(an / "shift_summary.parquet")
    pd.DataFrame({"condition": [], "delta": []}).to_parquet(an / "shifts.parquet")
    data = StudyData(discover(tmp_path / "analysis"))
    sec = shifts_section(data)
    factors = sec.blocks[0]
    assert factors.kind == "table"
    col = factors.columns.index
    got = [(r[col("condition")].text, r[col("corpus")].text, r[col("size")].text) for r in factors.rows]
    assert got == [("c3", "bible", "2000"), ("c1", "bible", "10000"), ("c2", "flores", "2000")]
    assert all(r[col("train_seeds")].text == "7" for r in factors.rows)
    counts = sec.blocks[2]  # the shift-count table (and the bars drawn from it) follow the same order
    assert list(dict.fromkeys(r[0].text for r in counts.rows)) == ["c3", "c1", "c2"]
