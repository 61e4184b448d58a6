"""``valueshift probe`` end to end: outputs, manifest, resume after a kill, and one clear error per bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from valueshift.cli import exit_code


@pytest.fixture
def arora(shared_data: Path) -> str:
    return f"arora-wvs:{shared_data / 'arora-value-probes' / 'wvs'}"


def test_probe_cli_writes_table_and_manifest(tiny_seq2seq: Path, arora: str, tmp_path: Path) -> None:
    out = tmp_path / "run"
    code = exit_code(
        [
            "probe",
            "--model",
            str(tiny_seq2seq),
            "--probes",
            arora,
            "--langs",
            "de,sr",
            "--out",
            str(out),
            "-q",
        ]
    )
    assert code == 0
    table = pd.read_parquet(out / "probe_scores.parquet")
    assert len(table) == 272 + 268 and not table.duplicated(["lang", "probe_id"]).any()
    assert np.isfinite(table.value).all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "done" and manifest["command"] == "probe"
    assert manifest["config"]["langs"] == "de,sr" and len(manifest["inputs"]["model"]) == 64
    assert manifest["schema_version"] == 2 and len(manifest["run_key"]) == 24
    assert manifest["invocation"][:2] == ["valueshift", "probe"]
    assert not (out / ".partial").exists() and not (out / ".lock").exists()
    assert any("106a" in d for d in json.loads((out / "probe_defects.json").read_text()))
    # a finished run with the same key is reused, not redone
    before = (out / "probe_scores.parquet").stat().st_mtime_ns
    args = ["probe", "--model", str(tiny_seq2seq), "--probes", arora, "--langs", "de,sr", "--out", str(out)]
    assert exit_code(args) == 0
    assert (out / "probe_scores.parquet").stat().st_mtime_ns == before


def test_killed_run_resumes_without_redoing_finished_languages(
    tiny_seq2seq: Path, arora: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import valueshift.scoring.api as api

    real = api.score_probes
    scored: list[str] = []

    def flaky(probes, lm, **kw):  # type: ignore[no-untyped-def]
        lang = probes.langs[0]
        if lang == "fa" and "fa" not in scored:
            scored.append("fa")
            raise KeyboardInterrupt  # the user kills the run during the second language
        scored.append(lang)
        return real(probes, lm, **kw)

    monkeypatch.setattr(api, "score_probes", flaky)
    args = [
        "probe",
        "--model",
        str(tiny_seq2seq),
        "--probes",
        arora,
        "--langs",
        "de,fa",
        "--out",
        str(tmp_path / "r"),
        "-q",
    ]
    assert exit_code(args) == 130
    assert json.loads((tmp_path / "r" / "manifest.json").read_text())["status"] == "failed"
    assert exit_code(args) == 0
    assert scored == ["de", "fa", "fa"]  # de was not scored again
    resumed = pd.read_parquet(tmp_path / "r" / "probe_scores.parquet")
    assert len(resumed) == 2 * 272
    monkeypatch.setattr(api, "score_probes", real)
    whole = [*args[: args.index("--out")], "--out", str(tmp_path / "whole"), "-q"]
    assert exit_code(whole) == 0  # an uninterrupted run gives the same table, bit for bit
    pd.testing.assert_frame_equal(resumed, pd.read_parquet(tmp_path / "whole" / "probe_scores.parquet"))


@pytest.fixture
def small_probe_file(tmp_path: Path) -> Path:
    """German builtin probes plus one invalid line: builtin data, so the bad-input cases never skip."""
    from valueshift.probes import load_probes

    rows = [
        {"probe_id": p.probe_id, "lang": p.lang, "question_id": p.question_id, "template": p.template,
         "answer_pos": p.answer_pos, "answer_neg": p.answer_neg, "direction": p.direction}
        for p in list(load_probes("builtin-wvs", "de"))[:12]
    ]  # fmt: skip
    rows.append({"probe_id": "x1", "lang": "de", "template": "no slot here", "answer_pos": "a", "answer_neg": "b"})
    path = tmp_path / "probes.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--model", "MISSING"], "no such model directory"),
        (["--probes", "nonsense-set"], "unknown probe spec"),
        (["--langs", "de,xx"], "unknown language code"),
        (["--langs", "hi"], "not available"),
        (["--normalize", "bytes"], "--normalize"),
        (["--batch-size", "0"], "--batch-size must be at least 1"),
        (["--strict"], "invalid probe"),
        (["--dtype", "float8"], "--dtype"),
        (["--out", "FILE"], "is a file"),
    ],
)
def test_bad_input_exits_2_and_leaves_no_output(
    tiny_seq2seq: Path,
    small_probe_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    out = tmp_path / "out"
    args = {"--model": str(tiny_seq2seq), "--probes": str(small_probe_file), "--langs": "de", "--out": str(out)}
    flags: list[str] = []
    items = iter(extra)
    for x in items:
        if x == "--strict":
            flags.append(x)
        else:
            args[x] = next(items)
    if args["--model"] == "MISSING":
        args["--model"] = str(tmp_path / "missing-model")
    if args["--out"] == "FILE":
        (tmp_path / "file").write_text("keep")
        args["--out"] = str(tmp_path / "file" / "run")
    flat = [x for kv in args.items() for x in kv] + flags
    assert exit_code(["probe", *flat, "-q"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) in (
        ["probes.jsonl"],
        ["file", "probes.jsonl"],
    )


def test_model_tiny_cli(tmp_path: Path) -> None:
    assert exit_code(["model", "tiny", "--out", str(tmp_path / "m"), "--seed", "3"]) == 0
    assert (tmp_path / "m" / "config.json").is_file() and (tmp_path / "m" / "model.safetensors").is_file()
    assert exit_code(["model", "tiny", "--out", str(tmp_path / "m")]) == 2
    assert exit_code(["model", "tiny", "--out", str(tmp_path / "n"), "--size", "huge"]) == 2


def test_a_second_process_on_one_out_exits_2_naming_the_holder_or_waits(tiny_seq2seq: Path, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys
    import time

    from valueshift.runs import Claim

    out = tmp_path / "run"
    out.mkdir()
    holder = Claim.acquire(out)  # this test process plays the first `valueshift probe`
    argv = [sys.executable, "-m", "valueshift", "probe", "--model", str(tiny_seq2seq), "--probes", "builtin-hofstede",
            "--langs", "de", "--out", str(out), "-q"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    second = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    assert second.returncode == 2 and f"pid {os.getpid()}" in second.stderr and "--wait" in second.stderr
    assert "Traceback" not in second.stderr and sorted(p.name for p in out.iterdir()) == [".lock"]
    waiting = subprocess.Popen([*argv, "--wait"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(2.0)
    assert waiting.poll() is None  # still waiting for the claim
    holder.release()
    assert waiting.wait(timeout=300) == 0
    assert len(pd.read_parquet(out / "probe_scores.parquet")) == 3 * 24
