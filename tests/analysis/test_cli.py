"""`valueshift analyze` end to end on synthetic run directories (the contract-check shape and more)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from _synth import make_table, perturb, write_run

from valueshift.cli import exit_code


def test_contract_shape_one_base_one_tuned_two_languages(tmp_path: Path) -> None:
    base = make_table(("de", "fa"), n_pairs=250, n_groups=6)
    b = write_run(base, tmp_path / "base")
    t = write_run(perturb(base, seed=1, sd=0.4), tmp_path / "tuned")
    out = tmp_path / "an"
    assert exit_code(["analyze", "--base", str(b), "--tuned", str(t), "--out", str(out), "--n-perm", "99"]) == 0
    shifts = pd.read_parquet(out / "shifts.parquet")
    need = {
        "probe_id",
        "lang",
        "value_base",
        "value_tuned",
        "delta",
        "flipped",
        "significant",
        "shifted",
        "condition",
    }
    assert need <= set(shifts.columns) and len(shifts) == 2 * 268
    assert shifts["significant"].isna().all() and set(shifts["condition"]) == {"tuned"}
    sim = pd.read_parquet(out / "similarity.parquet")
    assert {"method", "lang_a", "lang_b", "r_base", "r_tuned"} <= set(sim.columns) and len(sim) == 2
    pres = pd.read_parquet(out / "preservation.parquet")
    assert pres["mantel_r"].isna().all()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["conditions"]["tuned"]["n_seeds"] == 1
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "done" and manifest["command"] == "analyze"
    assert (out / "figures" / "similarity_tuned_pearson.png").stat().st_size > 0


def test_seeds_grouped_by_inferred_label_and_explicit_labels(tmp_path: Path) -> None:
    base = make_table(("de", "fa", "ko"))
    b = write_run(base, tmp_path / "base")
    tuned = [write_run(perturb(base, seed=s), tmp_path / f"ft-fa-seed{s}") for s in range(3)]
    out = tmp_path / "an"
    args = ["analyze", "--base", str(b), "--out", str(out), "--no-figures", "--human", "none"]
    assert exit_code([*args, *[a for t in tuned for a in ("--tuned", str(t))]]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert list(summary["conditions"]) == ["ft-fa"] and summary["conditions"]["ft-fa"]["n_seeds"] == 3
    out2 = tmp_path / "an2"
    args2 = ["analyze", "--base", str(b), "--out", str(out2), "--no-figures", "--human", "none"]
    for t, lab in zip(tuned, ["a", "b", "a"], strict=True):
        args2 += ["--tuned", str(t), "--label", lab]
    assert exit_code(args2) == 0
    shifts = pd.read_parquet(out2 / "shifts.parquet")
    assert shifts.groupby("condition")["n_seeds"].max().to_dict() == {"a": 2, "b": 1}


@pytest.mark.parametrize("what", ["langs", "labels", "human"])
def test_bad_input_exits_2_and_creates_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str], what: str) -> None:
    base = make_table(("de", "fa"))
    b = write_run(base, tmp_path / "base")
    tuned = base if what != "langs" else base[base["lang"] == "de"]
    t = write_run(perturb(tuned, seed=1), tmp_path / "tuned")
    out = tmp_path / "an"
    args = ["analyze", "--base", str(b), "--tuned", str(t), "--out", str(out)]
    if what == "labels":
        args += ["--label", "x", "--label", "y"]
    if what == "human":
        args += ["--human", str(tmp_path / "missing.parquet")]
    assert exit_code(args) == 2
    err = capsys.readouterr().err
    expected = {"langs": "languages differ: base has de,fa", "labels": "2 --label value(s) for 1 --tuned",
                "human": "not wvs-moral, hofstede"}[what]  # fmt: skip
    assert expected in " ".join(err.split())
    assert not out.exists()


def test_finished_run_is_reused_and_other_settings_refused(tmp_path: Path) -> None:
    base = make_table(("de", "fa"))
    b, t = write_run(base, tmp_path / "base"), write_run(perturb(base, seed=1), tmp_path / "tuned")
    args = ["analyze", "--base", str(b), "--tuned", str(t), "--out", str(tmp_path / "an"), "--no-figures"]
    assert exit_code(args) == 0
    before = (tmp_path / "an" / "shifts.parquet").stat().st_mtime_ns
    assert exit_code(args) == 0  # same key: read back, not recomputed
    assert (tmp_path / "an" / "shifts.parquet").stat().st_mtime_ns == before
    assert exit_code([*args, "--threshold", "0.7"]) == 2  # other settings over a finished run
    assert exit_code([*args, "--threshold", "0.7", "--overwrite"]) == 0
    # the tuned table's content changed: a finished analysis of the old content is stale, not reused
    write_run(perturb(base, seed=2), tmp_path / "tuned")
    assert exit_code([*args, "--threshold", "0.7"]) == 2


def test_bad_human_parquet_is_an_error_before_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = make_table(("de", "fa"))
    b, t = write_run(base, tmp_path / "base"), write_run(perturb(base, seed=1), tmp_path / "tuned")
    pd.DataFrame({"country": ["Iran"], "question_id": ["Q1"]}).to_parquet(tmp_path / "h.parquet")
    args = ["analyze", "--base", str(b), "--tuned", str(t), "--out", str(tmp_path / "an")]
    assert exit_code([*args, "--human", str(tmp_path / "h.parquet")]) == 2
    assert "missing column(s) mean" in " ".join(capsys.readouterr().err.split())
    assert not (tmp_path / "an").exists()
