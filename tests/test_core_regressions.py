"""Regression tests for the defects the readiness review reproduced (READINESS.md sec. 3), one per defect."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "analysis"))
from _synth import make_table, perturb

from valueshift.analysis import AnalysisConfig, analyze
from valueshift.cli import exit_code
from valueshift.models import build_tiny_model
from valueshift.scoring import ProbeConfig, run_probe


def test_1_rebuilt_model_at_the_same_path_is_rescored_not_resumed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import valueshift.scoring.api as api

    model = build_tiny_model(tmp_path / "model", seed=1)
    config = ProbeConfig(model=str(model), probes="builtin-hofstede", langs="de,fa")
    real = api.score_probes

    def killed_at_fa(probes, lm, **kw):  # type: ignore[no-untyped-def]
        if probes.langs == ["fa"]:
            raise KeyboardInterrupt
        return real(probes, lm, **kw)

    monkeypatch.setattr(api, "score_probes", killed_at_fa)
    with pytest.raises(KeyboardInterrupt), pytest.warns(UserWarning):
        run_probe(config, tmp_path / "run", quiet=True)
    monkeypatch.setattr(api, "score_probes", real)
    build_tiny_model(model, seed=2, overwrite=True)  # other weights, same path
    with pytest.warns(UserWarning, match="discarding an unfinished run that differs in inputs.model"):
        table = pd.read_parquet(run_probe(config, tmp_path / "run", quiet=True))
    fresh = pd.read_parquet(run_probe(config, tmp_path / "fresh", quiet=True))
    pd.testing.assert_series_equal(table["value"], fresh["value"])  # no old-weight de rows survive
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["inputs"] == json.loads((tmp_path / "fresh" / "manifest.json").read_text())["inputs"]


def test_2_a_conditions_statistics_do_not_depend_on_other_conditions() -> None:
    base = make_table(("de", "fa", "ko", "tr"), moral=True)
    a = [perturb(base, seed=s, sd=0.5) for s in (1, 2, 3)]
    b = [perturb(base, seed=s, sd=0.9) for s in (4, 5)]
    cfg = AnalysisConfig(n_perm=199, n_boot=200, human=(), finetune_langs=())
    alone = analyze(base, a, labels=["a"] * 3, config=cfg)
    both = analyze(base, [*b, *a], labels=["b"] * 2 + ["a"] * 3, config=cfg)
    cols = ["probe_id", "lang", "ci_low", "ci_high", "p_value"]
    pd.testing.assert_frame_equal(
        alone.shifts[cols].reset_index(drop=True),
        both.shifts.query("condition == 'a'")[cols].reset_index(drop=True),
    )
    pres_b = both.preservation.query("condition == 'a'").reset_index(drop=True)
    pd.testing.assert_frame_equal(alone.preservation.reset_index(drop=True), pres_b)


def test_4_error_text_is_printed_verbatim(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "runs" / "[b]ase" / "model"
    code = exit_code(["probe", "--model", str(missing), "--probes", "builtin-wvs", "--out", str(tmp_path / "o")])
    assert code == 2 and "[b]ase" in capsys.readouterr().err


def test_5_finetune_langs_with_spaces(tmp_path: Path) -> None:
    base = make_table(("de", "fa"))
    for name, df in (("base", base), ("tuned", perturb(base, seed=1))):
        (tmp_path / name).mkdir()
        df.to_parquet(tmp_path / name / "probe_scores.parquet")
    args = ["analyze", "--base", str(tmp_path / "base"), "--tuned", str(tmp_path / "tuned"), "--out",
            str(tmp_path / "an"), "--finetune-langs", "fa, ko", "--no-figures",
            "--n-perm", "9", "--n-boot", "9"]  # fmt: skip
    assert exit_code(args) == 0
    summary = json.loads((tmp_path / "an" / "summary.json").read_text())
    assert summary["config"]["finetune_langs"] == ["fa", "ko"]


def test_6_a_finetune_resumed_after_its_last_checkpoint_writes_strict_json(tiny_seq2seq: Path, tmp_path: Path) -> None:
    from valueshift.training import finetune

    fixtures = Path(__file__).resolve().parent / "fixtures" / "corpora" / "textdir"
    args = (tiny_seq2seq, f"textdir:{fixtures}", "de", 4, "multi", tmp_path / "ft")
    kw = {"epochs": 1, "batch_size": 2, "save_every": 1, "quiet": True, "device": "cpu"}

    def kill_after_last(step: int, loss: float) -> None:
        if step == 2:  # the last step, after its checkpoint
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        finetune(*args, on_step=kill_after_last, **kw)
    [run] = finetune(*args, **kw)

    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    manifest = json.loads((run / "manifest.json").read_text(), parse_constant=refuse)
    assert manifest["status"] == "done" and manifest["resumed_from_step"] == 2 and manifest["final_loss"] is None
