"""The grid on a tiny experiment: caching by run key, exact recomputation, kills, bad files, executors."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from valueshift.cli import exit_code
from valueshift.experiments import grid_status, run_experiment

from ._grid import manifests, tables, write_grid


def _run(file: Path, out: Path, **kw: object) -> dict:
    states = run_experiment(file, out, data_root=file.parent / "data", **kw)  # type: ignore[arg-type]
    bad = {k: v for k, v in states.items() if v.state != "done"}
    assert not bad, bad
    return states


def _equal(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)


def test_rerun_reuses_every_node_and_a_changed_corpus_recomputes_exactly_its_downstream(tmp_path: Path) -> None:
    grid_file = write_grid(tmp_path)
    out = grid_file.parent / "out"
    dry = run_experiment(grid_file, out, data_root=grid_file.parent / "data", dry_run=True)
    assert [k for k, v in dry.items() if v.state == "run"] == ["model/tiny-tiny-seed0"]
    assert not out.exists()  # a dry run writes nothing
    _run(grid_file, out)
    first, before = tables(out), manifests(out)
    assert {s.state for s in grid_status(out).values()} == {"done"}
    _run(grid_file, out)
    assert manifests(out) == before  # nothing recomputed
    _equal(tables(out), first)

    fa = grid_file.parent / "data" / "one" / "fa.txt"
    lines = fa.read_text(encoding="utf-8").splitlines()
    fa.write_text("\n".join(line + " (edited)" for line in lines) + "\n", encoding="utf-8")
    plan = run_experiment(grid_file, out, data_root=grid_file.parent / "data", dry_run=True)
    assert [k for k, v in plan.items() if v.state == "run"] == ["finetune/tiny-tiny-seed0/one/multi-8/seed0/multi"]
    _run(grid_file, out)
    after = manifests(out)
    ps = next((out / "analyze" / "tiny-tiny-seed0").iterdir()).name
    changed = {k for k in before if after[k] != before[k]}
    assert changed == {
        "finetune/tiny-tiny-seed0/one/multi-8/seed0/multi",
        f"probe/tiny-tiny-seed0/{ps}/one/multi-8/seed0/multi",
        f"analyze/tiny-tiny-seed0/{ps}/one/multi-8",
        "claims",
        "report",
    }


def test_sigkill_at_a_random_moment_then_rerun(tmp_path: Path) -> None:
    file = write_grid(tmp_path)
    ref = tmp_path / "ref"
    _run(file, ref)
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "valueshift.cli", "run", str(file), "--out", str(out),
           "--data-root", str(tmp_path / "data"), "-q"]  # fmt: skip
    proc = subprocess.Popen(cmd, env={**os.environ, "OMP_NUM_THREADS": "1"}, start_new_session=True)
    time.sleep(random.Random().uniform(3.0, 12.0))
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = {k: v for k, v in manifests(out).items() if '"done"' in (out / k / "manifest.json").read_text()}
    _run(file, out)
    after = manifests(out)
    assert {k: after[k] for k in done_before} == done_before  # no finished node recomputed
    _equal(tables(out), tables(ref))


@pytest.mark.parametrize(
    ("extra", "size", "key"),
    [
        ("[grid2]\nx = 1\n", 8, "grid2"),
        ("[finetune.train]\nepoch = 3\n", 8, "finetune.train.epoch"),
        ('[corpora.three]\nspec = "textdir:nowhere"\ndomain = "x"\n', 8, "corpora.three.spec"),
        ("", 500, "grid.sizes"),
    ],
)
def test_invalid_files_fail_before_any_job(tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str,
                                           size: int, key: str) -> None:  # fmt: skip
    file = write_grid(tmp_path, size=size)
    if "epoch =" in extra:  # a second [finetune.train] table is invalid TOML: replace the key instead
        file.write_text(file.read_text().replace("max_steps = 2", "max_steps = 2\nepoch = 3"))
    else:
        file.write_text(file.read_text() + extra)
    out = tmp_path / "out"
    code = exit_code(["run", str(file), "--out", str(out), "--data-root", str(tmp_path / "data")])
    err = capsys.readouterr().err
    assert code == 2 and key in err and err.startswith("error:"), err
    assert not out.exists()


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('langs = ["fa", "ko"]', 'langs = ["fa", "xx"]', "grid.langs"),
        ('langs = ["fa", "ko"]', 'langs = ["fa", "ru"]', "corpora.one.spec"),  # the corpus has no ru
        ("seeds = [0]", "seeds = [0, 0]", "grid.seeds"),
        ("seeds = [0]", "seeds = [-1]", "grid.seeds"),
        ("seeds = [0]", "seeds = []", "grid.seeds"),
        ('langs = "de,fa,ko"', 'langs = "de,qq"', "probe.langs"),
    ],
)
def test_invalid_values_name_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str,
                                     key: str) -> None:  # fmt: skip
    file = write_grid(tmp_path)
    file.write_text(file.read_text().replace(old, new, 1))
    out = tmp_path / "out"
    assert exit_code(["run", str(file), "--out", str(out), "--data-root", str(tmp_path / "data")]) == 2
    err = capsys.readouterr().err
    assert key in err, err
    assert not out.exists()


@pytest.mark.slow  # three grid runs (about a minute of CPU)
def test_local_processes_and_submitit_give_identical_tables(tmp_path: Path) -> None:
    file = write_grid(tmp_path)
    _run(file, tmp_path / "serial")
    _run(file, tmp_path / "jobs", jobs=2)
    _run(file, tmp_path / "submitit", executor="slurm", slurm_cluster="local")
    ref = tables(tmp_path / "serial")
    _equal(tables(tmp_path / "jobs"), ref)
    _equal(tables(tmp_path / "submitit"), ref)


@pytest.mark.slow
def test_ray_gives_identical_tables(tmp_path: Path) -> None:
    ray = pytest.importorskip("ray")
    file = write_grid(tmp_path)
    _run(file, tmp_path / "serial")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        _run(file, tmp_path / "ray", executor="ray")
    finally:
        ray.shutdown()
    _equal(tables(tmp_path / "ray"), tables(tmp_path / "serial"))


def _warning_setup() -> tuple[str, bool]:
    import warnings

    ignored = any(
        f[0] == "ignore" and f[1] is not None and f[1].pattern == "answer bias beyond" for f in warnings.filters
    )
    return warnings.showwarning.__qualname__, ignored


def test_node_processes_inherit_the_callers_warning_display_and_filters() -> None:
    """--jobs > 1 spawns fresh interpreters: the CLI's one-line warnings and the demo's filter must reach them."""
    import warnings

    from valueshift.cli import _show_warning
    from valueshift.experiments.executors import Processes

    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        warnings.filterwarnings("ignore", message="answer bias beyond")
        engine = Processes(1)
        try:
            assert engine.pool.submit(_warning_setup).result(timeout=120) == ("_show_warning", True)
        finally:
            engine.close()
