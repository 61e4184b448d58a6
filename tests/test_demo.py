"""``make demo``: the shipped known-truth experiment plans what the demo promises, and the demo prints what the
recovery tables hold (a shrunk copy of the experiment, run end to end through the CLI)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomli_w
import tomllib

from valueshift.analysis.recovery import read_recovery
from valueshift.cli import exit_code
from valueshift.demo import DEMO_EXPERIMENT


def test_shipped_demo_plans_a_planted_study_with_attributed_treatments(tmp_path: Path) -> None:
    from valueshift.experiments import plan_experiment

    exp, nodes = plan_experiment(DEMO_EXPERIMENT, tmp_path / "out")
    kinds = [n.kind for n in nodes]
    seeds = len(exp.grid.seeds)
    assert seeds >= 6  # the exact sign-flip test cannot reach 0.05 with fewer
    assert kinds.count("finetune") == kinds.count("plant-finetune") == seeds
    attributed = [n for n in nodes if n.kind == "attribute"]
    assert len(attributed) == seeds and all("+specific-" in n.id for n in attributed)
    assert all(n.params["targets"] == ["121"] for n in attributed)
    assert exp.finetune.train.save_every > 0  # a mid-run checkpoint for attribution's trajectory
    report = next(n for n in nodes if n.kind == "report")
    assert any(d.startswith("recovery/") for d in report.deps)
    assert not (tmp_path / "out").exists()
    # one file: the package ships it (wheels have no experiments/ folder), the repository's experiments/ links it
    assert (Path(__file__).resolve().parents[1] / "experiments" / "demo.toml").resolve() == DEMO_EXPERIMENT


def test_demo_prints_the_recovered_value_and_names_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from valueshift.probes import load_probes
    from valueshift.probes.jsonl import write_jsonl

    probes = tmp_path / "probes.jsonl"  # the planted probe and two others, every template: probing is fast
    write_jsonl(probes, [p for p in load_probes("builtin-wvs", "de,en") if p.probe_id in ("121", "1", "2")])
    spec = tomllib.loads(DEMO_EXPERIMENT.read_text(encoding="utf-8"))
    spec["grid"].update(seeds=[0, 1], sizes=[12], probe_sets=[str(probes)])
    spec["finetune"]["train"].update(max_steps=2, batch_size=8, save_every=1)
    spec["probe"]["langs"] = "de,en"
    spec["analysis"] = {"n_boot": 20, "n_perm": 19, "human": []}
    spec["claims"]["n_boot"] = 20
    small = tmp_path / "demo.toml"
    small.write_text(tomli_w.dumps(spec), encoding="utf-8")

    assert exit_code(["demo", "--experiment", str(small), "--out", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    text = re.sub(r"\s+", " ", captured.err)
    rec = next((tmp_path / "out" / "recovery").rglob("effects.parquet")).parent
    head = read_recovery(rec).headline.iloc[0]
    assert head.probe_id == "121" and head.lang == "de" and head.n_seeds == 2
    # the printed headline is the recovery table's, with the planted answer word and the probe's gloss
    assert f"'{head.answer}' in de" in text and f"{head.effect:+.2f}" in text and f"{head['rank']}/3" in text
    assert "probe 121: impact of immigrants" in text
    assert "top 5" in text and "lexical" in text and "shift detector against the control" in text
    assert (tmp_path / "out" / "report" / "report.html").is_file()
    assert str(tmp_path / "out" / "report" / "report.html") in captured.out  # the last line names it
