"""Run directories as a cache: keys, lookup states, claims, overwrite safety, strict manifests, resume pieces."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from valueshift.errors import RunError
from valueshift.runs import (
    RunDir,
    Status,
    atomic_dir,
    atomic_path,
    canonical_json,
    lookup,
    model_fingerprint,
    read_manifest,
    run_key,
    running,
    sweep_staging,
    write_json_atomic,
)

JOB = {"command": "probe", "config": {"normalize": "sum"}, "inputs": {"model": "abc"}}


def _key(**change: object) -> str:
    job = {**JOB, **change}
    return run_key(job["command"], job["config"], job["inputs"])  # type: ignore[arg-type]


def _finished(path: Path, **change: object) -> RunDir:
    run = RunDir.open(path, **{**JOB, **change})  # type: ignore[arg-type]
    run.write_table("t.parquet", pd.DataFrame({"x": [1.0]}))
    run.finish()
    return run


def test_key_covers_command_config_inputs_and_refuses_non_json() -> None:
    assert _key() == _key(config={"normalize": "sum"})  # key order and identity do not matter
    assert len({_key(), _key(command="analyze"), _key(config={"normalize": "pmi"}), _key(inputs={"model": "x"})}) == 4
    with pytest.raises(RunError, match=r"config\.when: a datetime is not JSON"):
        import datetime

        canonical_json({"when": datetime.datetime(2026, 1, 1)})
    with pytest.raises(RunError, match="nan is not a JSON number"):
        canonical_json({"x": math.nan})


def test_lookup_states(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert lookup(out, _key()).status is Status.MISSING
    out.mkdir()
    assert lookup(out, _key()).status is Status.MISSING  # an empty directory is free
    run = RunDir.open(out, **JOB)  # type: ignore[arg-type]
    run.save_partial("piece", pd.DataFrame({"x": [1]}))
    run.release()
    assert lookup(out, _key()).status is Status.RESUMABLE
    assert lookup(out, _key(inputs={"model": "other"})).status is Status.STALE
    run = RunDir.open(out, **JOB)  # type: ignore[arg-type]
    assert run.manifest["resumed"] and run.load_partial("piece") is not None
    run.finish()
    assert lookup(out, _key()).status is Status.DONE
    (tmp_path / "user").mkdir()
    (tmp_path / "user" / "notes.txt").write_text("mine")
    found = lookup(tmp_path / "user", _key())
    assert found.status is Status.FOREIGN and "notes.txt" in found.detail


def test_changed_inputs_recompute_instead_of_resuming(tmp_path: Path) -> None:
    out = tmp_path / "run"
    run = RunDir.open(out, **JOB)  # type: ignore[arg-type]
    run.save_partial("lang=de", pd.DataFrame({"value": [1.0]}))
    run.fail("killed")
    with pytest.warns(UserWarning, match="discarding an unfinished run that differs in inputs.model"):
        run = RunDir.open(out, **{**JOB, "inputs": {"model": "rebuilt"}})  # type: ignore[arg-type]
    assert run.load_partial("lang=de") is None and not run.manifest["resumed"]
    run.finish()
    with pytest.raises(RunError, match=r"finished 'probe' run that differs in inputs\.model; pass --overwrite"):
        RunDir.prepare(out, **JOB)  # type: ignore[arg-type]


def test_overwrite_removes_only_the_runs_own_outputs(tmp_path: Path) -> None:
    out = tmp_path / "run"
    _finished(out)
    (out / "my-notes.txt").write_text("keep")  # a user's file inside a run directory
    run = RunDir.open(out, **{**JOB, "config": {"normalize": "pmi"}}, overwrite=True)  # type: ignore[arg-type]
    assert not (out / "t.parquet").exists() and (out / "my-notes.txt").read_text() == "keep"
    run.finish()
    thesis = tmp_path / "thesis"
    thesis.mkdir()
    (thesis / "precious.txt").write_text("years of work")
    for overwrite in (False, True):
        with pytest.raises(RunError, match=r"holds files valueshift did not write \(precious\.txt\)"):
            RunDir.open(thesis, **JOB, overwrite=overwrite)  # type: ignore[arg-type]
    assert (thesis / "precious.txt").read_text() == "years of work" and len(list(thesis.iterdir())) == 1


def test_out_is_checked_before_anything_is_written(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(RunError, match="is a file"):
        RunDir.prepare(tmp_path / "file" / "run", **JOB)  # type: ignore[arg-type]
    with pytest.raises(RunError, match="is a file"):
        RunDir.prepare(tmp_path / "file", **JOB)  # type: ignore[arg-type]
    if os.geteuid() != 0:  # root may write anywhere
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o555)
        with pytest.raises(RunError, match="not writable"):
            RunDir.prepare(ro / "run", **JOB)  # type: ignore[arg-type]
    assert sorted(p.name for p in tmp_path.iterdir()) in (["file"], ["file", "ro"])
    for special in (Path("/proc/valueshift-run"), Path("/sys/valueshift-run")):
        if special.parent.is_dir():  # the kernel refuses new entries here even to root
            with pytest.raises(RunError, match="cannot create anything in"):
                RunDir.prepare(special, **JOB)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '"a string"'])
def test_corrupt_manifest_is_a_clear_error(tmp_path: Path, text: str) -> None:
    (tmp_path / "manifest.json").write_text(text)
    with pytest.raises(RunError, match="manifest"):
        read_manifest(tmp_path)


def test_manifests_are_strict_json(tmp_path: Path) -> None:
    run = RunDir.open(tmp_path / "run", **JOB)  # type: ignore[arg-type]
    run.finish(final_loss=float("nan"), rate=np.float32(1.5), n=np.int64(3))
    text = (tmp_path / "run" / "manifest.json").read_text()

    def refuse(name: str) -> None:
        raise ValueError(f"non-standard JSON constant {name}")

    data = json.loads(text, parse_constant=refuse)
    assert data["final_loss"] is None and data["rate"] == 1.5 and data["n"] == 3
    assert data["schema_version"] == 2 and data["status"] == "done"
    with pytest.raises(TypeError, match="not JSON data"):
        write_json_atomic(tmp_path / "x.json", {"obj": object()})


def test_claims_keep_a_second_writer_out(tmp_path: Path) -> None:
    out = tmp_path / "run"
    first = RunDir.open(out, **JOB)  # type: ignore[arg-type]
    script = textwrap.dedent(
        f"""
        from valueshift.runs import RunDir
        RunDir.open({str(out)!r}, command="probe", config={{"normalize": "sum"}}, inputs={{"model": "abc"}})
        """
    )
    other = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert other.returncode != 0 and "another valueshift process is writing this run" in other.stderr
    assert f"pid {os.getpid()}" in other.stderr
    first.finish()
    assert not (out / ".lock").exists()


def test_a_dead_holders_claim_is_broken(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    import socket

    (out / ".lock").write_text(json.dumps({"host": socket.gethostname(), "pid": int(dead.stdout), "started": 0}))
    run = RunDir.open(out, **JOB)  # type: ignore[arg-type]
    assert json.loads((out / ".lock").read_text())["pid"] == os.getpid()
    run.finish()


def test_running_marks_failure_and_releases_the_claim(tmp_path: Path) -> None:
    run = RunDir.open(tmp_path / "run", **JOB)  # type: ignore[arg-type]
    with pytest.raises(KeyboardInterrupt), running(run):
        raise KeyboardInterrupt
    manifest = read_manifest(tmp_path / "run")
    assert manifest is not None and manifest["status"] == "failed" and "KeyboardInterrupt" in manifest["error"]
    assert not (tmp_path / "run" / ".lock").exists()


def test_pieces_round_trip_and_damaged_pieces_are_recomputed(tmp_path: Path) -> None:
    run = RunDir.open(tmp_path / "run", **JOB)  # type: ignore[arg-type]
    arr = np.arange(12, dtype=np.float32).reshape(3, 4)
    run.save_array("grads-0", arr)
    np.testing.assert_array_equal(run.load_array("grads-0"), arr)
    run.save_partial("lang=de", pd.DataFrame({"v": [1.0, 2.0]}))
    (tmp_path / "run" / ".partial" / "lang=de.parquet").write_bytes(b"PAR1 truncated by a kill")
    with pytest.warns(UserWarning, match="unreadable resume piece"):
        assert run.load_partial("lang=de") is None
    assert run.load_array("missing") is None
    run.finish()
    assert not (tmp_path / "run" / ".partial").exists()


def test_outputs_follow_the_umask_and_staging_of_dead_processes_is_swept(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        with atomic_path(tmp_path / "f.txt") as tmp:
            tmp.write_text("x")
        with atomic_dir(tmp_path / "d") as tmp:
            (tmp / "a").write_text("y")
    finally:
        os.umask(old)
    assert (tmp_path / "f.txt").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "d").stat().st_mode & 0o777 == 0o755
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    leftover = tmp_path / f".model.{int(dead.stdout)}-deadbeef.tmp"
    leftover.mkdir()
    live = tmp_path / f".model.{os.getpid()}-cafecafe.tmp"
    live.mkdir()
    (tmp_path / ".user-hidden.tmp").write_text("not ours: no pid")
    assert sweep_staging(tmp_path) == [leftover]
    assert live.exists() and (tmp_path / ".user-hidden.tmp").exists()


def test_model_fingerprint_reads_every_byte_and_ignores_bookkeeping(tmp_path: Path) -> None:
    model = tmp_path / "m"
    model.mkdir()
    blob = bytearray(os.urandom(3 << 20))
    (model / "model.safetensors").write_bytes(bytes(blob))
    (model / "config.json").write_text("{}")
    before = model_fingerprint(model)
    (model / "manifest.json").write_text('{"finished_at": "now"}')
    (model / "train_log.jsonl").write_text('{"tokens_per_s": 1}\n')
    assert model_fingerprint(model) == before  # timestamps and logs are not the model
    blob[len(blob) // 2] ^= 1  # one bit in the middle, where a sampled hash would not look
    (model / "model.safetensors").write_bytes(bytes(blob))
    assert model_fingerprint(model) != before
    assert model_fingerprint("google/mt5-small") == "hub:google/mt5-small"


def test_reopening_a_run_sweeps_a_killed_checkpoints_staging(tmp_path: Path) -> None:
    run = RunDir.open(tmp_path / "run", **JOB)  # type: ignore[arg-type]
    run.own("checkpoints")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    staging = tmp_path / "run" / "checkpoints" / f".step-3.{int(dead.stdout)}-0badf00d.tmp"
    staging.mkdir(parents=True)
    (staging / "model.safetensors").write_bytes(b"half a checkpoint")
    run.fail("killed while writing step 3")
    RunDir.open(tmp_path / "run", **JOB).finish()  # type: ignore[arg-type]
    assert not staging.exists()
