"""A planted study through the grid: [plant] validation, treatment beside control, the recovery node, caching."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from valueshift.errors import ExperimentError
from valueshift.experiments import run_experiment
from valueshift.experiments.spec import load_experiment

from ._grid import FAST, manifests

GRID = """
name = "planted-tiny"
[grid]
models = ["tiny:tiny:seed0"]
probe_sets = ["{probes}"]
langs = ["de"]
sizes = [12]
strategies = ["multi"]
seeds = [0, 1]
[corpora.sample]
spec = "builtin:sample"
domain = "mixed"
[probe]
langs = "de,en"
average_templates = false
{fast}[plant]
probe_ids = ["121"]
langs = "de"
rates = [0.2]
strategies = ["parallel"]
{extra}
"""


def _write(root: Path, extra: str = "", probe: str = "average_templates = false") -> Path:
    probes = root / "probes.jsonl"
    if not probes.exists():  # the planted probe and two others, every template: probing is fast
        from valueshift.probes import load_probes
        from valueshift.probes.jsonl import write_jsonl

        write_jsonl(probes, [p for p in load_probes("builtin-wvs", "de,en") if p.probe_id in ("121", "1", "2")])
    text = GRID.format(probes=probes, extra=extra, fast=FAST).replace("average_templates = false", probe)
    file = root / "planted.toml"
    file.write_text(text, encoding="utf-8")
    return file


def test_plant_section_refuses_unknown_keys_and_template_averaging(tmp_path: Path) -> None:
    with pytest.raises(ExperimentError, match=r"key 'plant.bogus': unknown setting"):
        load_experiment(_write(tmp_path, extra="bogus = 1"))
    with pytest.raises(ExperimentError, match=r"key 'plant.rates.0' = 0.7"):
        _bad_rate(tmp_path)
    file = _write(tmp_path, probe="average_templates = true")
    with pytest.raises(ExperimentError, match=r"key 'probe.average_templates'"):
        run_experiment(file, tmp_path / "out", dry_run=True)
    assert not (tmp_path / "out").exists()


def _bad_rate(root: Path) -> None:
    file = _write(root)
    file.write_text(file.read_text(encoding="utf-8").replace("rates = [0.2]", "rates = [0.7]"), encoding="utf-8")
    load_experiment(file)


def test_planted_grid_recovers_and_reuses_every_node(tmp_path: Path) -> None:
    file = _write(tmp_path)
    out = tmp_path / "out"
    states = run_experiment(file, out)
    assert {k: v.state for k, v in states.items() if v.state != "done"} == {}
    ft = out / "finetune" / "tiny-tiny-seed0" / "sample" / "multi-12"
    for seed in (0, 1):
        control = pd.read_parquet(ft / f"seed{seed}" / "multi" / "train_examples.parquet")
        treated = pd.read_parquet(ft / f"seed{seed}" / "multi+parallel-0.2" / "train_examples.parquet")
        planted = pd.read_parquet(ft / f"seed{seed}" / "multi+parallel-0.2" / "planted.parquet")
        cols = ["lang", "unit_id", "text"]
        # the treatment is the control's base sample plus exactly the planted lines (3 = round(0.2 * 12 / 0.8))
        pd.testing.assert_frame_equal(treated[cols].iloc[: len(control)], control[cols])
        pd.testing.assert_frame_equal(treated[cols].iloc[len(control) :].reset_index(drop=True),
                                      planted[cols].reset_index(drop=True))  # fmt: skip
        assert len(planted) == 3 and set(planted.probe_id) == {"121"} and set(planted.template_id) <= {1, 2}
    rec = next((out / "recovery").rglob("effects.parquet")).parent
    effects = pd.read_parquet(rec / "effects.parquet")
    echo = pd.read_parquet(rec / "echo.parquet")
    detector = pd.read_parquet(rec / "detector.parquet")
    rows = effects[effects.planted]
    assert sorted(zip(rows.probe_id, rows.lang, rows.condition, strict=True)) == [
        ("121", "de", "multi-parallel-0.2"), ("121", "en", "multi-parallel-0.2"),
    ]  # fmt: skip
    assert np.isfinite(rows[["effect", "ci_low", "ci_high"]].to_numpy(dtype=float)).all()
    assert len(echo) == 2 and np.isfinite(echo.effect).all()
    assert set(detector.rule) == {"threshold", "significant"}
    from valueshift.analysis.recovery import read_recovery

    summary = read_recovery(rec)  # the headline names the planted answer word, from the recovery's own record
    head = summary.headline.set_index("lang")
    assert list(head.index) == ["de"] and head.loc["de", "effect"] == rows.set_index("lang").loc["de", "effect"]
    assert head.loc["de", "answer"] == planted.answer.iat[0] and head.loc["de", "n_probes"] == 3
    assert summary.attribution.empty  # nothing attributed in this grid
    # independent recomputation of the effect: mean over seeds of treatment - control on template 0
    probe = out / "probe" / "tiny-tiny-seed0"
    diffs = []
    for seed in (0, 1):
        tab = {arm: pd.read_parquet(next(probe.rglob(f"seed{seed}/{arm}/probe_scores.parquet")))
               for arm in ("multi", "multi+parallel-0.2")}  # fmt: skip
        v = {a: t[(t.template_id == 0) & (t.probe_id == "121") & (t.lang == "de")].value.item() for a, t in tab.items()}
        diffs.append(v["multi+parallel-0.2"] - v["multi"])
    assert rows.set_index("lang").loc["de", "effect"] == pytest.approx(np.mean(diffs))
    before = manifests(out)
    again = run_experiment(file, out)
    assert {v.state for v in again.values()} == {"done"}
    assert manifests(out) == before  # every node reused

    # a kill between a treatment's training and its planted.parquet: the recovery recomputes the same record
    (ft / "seed0" / "multi+parallel-0.2" / "planted.parquet").unlink()
    shutil.rmtree(rec)
    run_experiment(file, out)
    pd.testing.assert_frame_equal(pd.read_parquet(rec / "effects.parquet"), effects)


def test_planted_attribution_ranks_the_planted_lines(tmp_path: Path) -> None:
    """Attribution runs on the treatments with the planted probe as target; recovery scores their rankings."""
    extra = '[attribute]\nenabled = true\nlangs = "de"\nmethod = "lexical"\n'
    file = _write(tmp_path, extra=extra)
    states = run_experiment(file, tmp_path / "out")
    assert {k: v.state for k, v in states.items() if v.state != "done"} == {}
    # the grid's own attribution of the controls, plus one per treatment run (seed) with the planted target
    attr = [k for k in states if k.startswith("attribute/") and k.endswith("multi+parallel-0.2")]
    assert len(attr) == 2
    rec = pd.read_parquet(next((tmp_path / "out" / "recovery").rglob("attribution_recovery.parquet")))
    assert set(rec.probe_id) == {"121"} and set(rec.attribution) == set(attr)
    # 3 planted of 15 lines; BM25 of the probe's own words puts the planted paraphrases first (chance 0.2)
    top = rec[(rec.k == 5) & (rec.lang == "de")]
    assert len(top) == 2 and np.allclose(top.chance, 3 / 15) and (top.recall == 1.0).all()
    from valueshift.analysis.recovery import read_recovery

    # the summary averages the rankings that hold planted lines (de), one per seed, not the en test rows' zeros
    summary = read_recovery(next((tmp_path / "out" / "recovery").rglob("effects.parquet")).parent).attribution
    mean = rec[rec.n_relevant > 0].groupby(["method", "k"])["precision"].mean()
    lexical5 = summary[(summary.method == "lexical") & (summary.k == 5)].iloc[0]
    assert lexical5.n_runs == (rec[(rec.method == "lexical") & (rec.k == 5)].n_relevant > 0).sum()
    assert lexical5.precision == mean[("lexical", 5)]


def test_shipped_planted_study_plans_treatments_only_where_german_is_trained(tmp_path: Path) -> None:
    from valueshift.experiments import plan_experiment

    repo = Path(__file__).resolve().parents[2]
    exp, nodes = plan_experiment(repo / "experiments" / "planted.toml", tmp_path / "out")
    kinds = {n.id: n.kind for n in nodes}
    treated = sorted(i.rsplit("/", 2)[-2] + "/" + i.rsplit("/", 1)[-1] for i, k in kinds.items()
                     if k == "plant-finetune")  # fmt: skip
    n_seeds = len(exp.grid.seeds)
    # mono: only the German run is planted (fa and ru runs have no planting language); multi: the one run
    assert len(treated) == 2 * n_seeds  # (mono-de, multi) x seeds, German-only (specific) planting
    assert {t.split("/")[1] for t in treated} == {"de+specific-0.1", "multi+specific-0.1"}
    attributed = [n.id for n in nodes if n.kind == "attribute"]
    assert len(attributed) == n_seeds and all(a.endswith("multi+specific-0.1") for a in attributed)
    recovery = [n for n in nodes if n.kind == "recovery"]
    assert len(recovery) == 2
    for node in recovery:
        for cond in node.params["conditions"]:
            assert len(cond["control"]) == len(cond["treatment"]) == n_seeds
            assert all(d in node.deps for d in cond["control"] + cond["treatment"] + cond["planted"])
    assert not (tmp_path / "out").exists()


def test_attribute_treatments_only_skips_the_controls_and_the_report_waits_for_recovery(tmp_path: Path) -> None:
    from valueshift.experiments import plan_experiment

    def attributed(extra: str) -> tuple[list[str], list[str]]:
        _, nodes = plan_experiment(_write(tmp_path, extra=extra), tmp_path / "out")
        report = next(n for n in nodes if n.kind == "report")
        recovery = [n.id for n in nodes if n.kind == "recovery"]
        assert recovery and set(recovery) <= set(report.deps)  # the report shows the recovery tables
        return [n.id for n in nodes if n.kind == "attribute"], recovery

    every, _ = attributed('[attribute]\nenabled = true\nlangs = "de"\n')
    treatments, _ = attributed('[attribute]\nenabled = true\nlangs = "de"\nruns = "treatments"\n')
    assert len(every) == 4 and len(treatments) == 2  # 2 seeds x (control, treatment) vs treatments only
    assert all(t.endswith("+parallel-0.2") for t in treatments) and set(treatments) < set(every)
    with pytest.raises(ExperimentError, match="runs"):
        load_experiment(_write(tmp_path, extra='[attribute]\nruns = "controls"\n'))
