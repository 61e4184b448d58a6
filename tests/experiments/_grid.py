"""A tiny grid: two copies of the builtin sample corpus as two domains, a tiny mT5, three test languages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from valueshift.corpora.spec import builtin_corpus_dir

# two training steps and small resampling counts: every grid test's stage settings
FAST = """[finetune.train]
max_steps = 2
batch_size = 8
[analysis]
n_boot = 20
n_perm = 19
human = []
[claims]
n_boot = 20
"""

GRID = (
    """
name = "tiny"
[grid]
models = ["tiny:tiny:seed0"]
probe_sets = ["{probes}"]
langs = ["fa", "ko"]
sizes = [{size}]
strategies = [{strategies}]
seeds = [0]
[corpora.one]
spec = "textdir:one"
domain = "news"
[corpora.two]
spec = "textdir:two"
domain = "bible"
[probe]
langs = "de,fa,ko"
average_templates = true
"""
    + FAST
)


def write_grid(root: Path, *, size: int = 8, strategies: str = '"multi"', extra: str = "") -> Path:
    """An experiment file and its data root under ``root``; returns the file."""
    for name in ("one", "two"):
        target = root / "data" / name
        if not target.exists():
            target.mkdir(parents=True)
            for lang in ("fa", "ko", "de"):
                shutil.copy(builtin_corpus_dir("sample") / f"{lang}.txt", target / f"{lang}.txt")
    probes = root / "data" / "probes.jsonl"
    if not probes.exists():  # 24 WVS probes keep each probe node to a second
        from valueshift.probes import load_probes
        from valueshift.probes.jsonl import write_jsonl

        wvs = load_probes("builtin-wvs", "de,fa,ko")
        keep = sorted({p.probe_id for p in wvs})[:24]
        write_jsonl(probes, [p for p in wvs if p.probe_id in keep])
    file = root / "grid.toml"
    file.write_text(GRID.format(size=size, strategies=strategies, probes=probes) + extra, encoding="utf-8")
    return file


def manifests(out: Path) -> dict[str, float]:
    """mtime of every finished node's manifest, by node folder."""
    return {str(m.parent.relative_to(out)): m.stat().st_mtime_ns for m in out.rglob("manifest.json")}


def tables(out: Path) -> dict[str, pd.DataFrame]:
    names = ("claims/claims.parquet", "claims/factors.parquet", "claims/preservation_runs.parquet")
    found = {n: pd.read_parquet(out / n) for n in names}
    for f in sorted(out.glob("analyze/**/shifts.parquet")):
        found[str(f.relative_to(out))] = pd.read_parquet(f)
    return found
