"""``python -m bench --quick`` runs end to end and writes the results contract (not a speed test)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KEYS = {"name", "unit", "ours", "baseline", "baseline_name", "ratio", "goal", "meets_goal", "wall_s"}


def test_quick_bench_writes_valid_contract(tmp_path: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "bench", "--quick", "--threads", "1", "--out", str(tmp_path)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((tmp_path / "latest.json").read_text())
    m = report["machine"]
    assert m["threads"] == 1 and m["torch_threads"] == 1 and m["OMP_NUM_THREADS"] == "1"
    assert {"cpu", "cores", "torch", "transformers", "date"} <= set(m)
    names = [e["name"] for e in report["results"]]
    assert len(names) == len(set(names)) >= 6, names
    for e in report["results"]:
        assert set(e) >= KEYS, e
        assert e["ours"] > 0 and e["goal"] > 0 and e["wall_s"] >= 0, e
        if e["baseline"] is None:  # a peer that could not run says why
            assert e["ratio"] is None and e["meets_goal"] is None and e["note"], e
        else:
            assert e["ratio"] == pytest.approx(e["ours"] / e["baseline"], rel=1e-3), e
            assert e["meets_goal"] == (e["ratio"] >= e["goal"]), e
    md = (tmp_path / "latest.md").read_text()
    assert all(n in md for n in names)
    assert not report["errors"]
