"""LDS on the tiny benchmark: retrain on random halves and correlate each target's value with the summed scores of
the kept examples (the reference is retraining itself). Several targets, each with its own planted examples."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from valueshift.attribution import attribute, validate
from valueshift.attribution.lds import subset_masks

from ._runs import train_run
from .test_end_to_end import NEUTRAL

# (probe, planted statement of its negative answer); each target has its own planted group
BENCH = [
    ({"template": "Family is [MASK] in my life.", "answer_pos": "important", "answer_neg": "unimportant"},
     "family is unimportant in my life"),
    ({"template": "Work is [MASK] to me.", "answer_pos": "good", "answer_neg": "bad"}, "work is bad to me"),
    ({"template": "The dog [MASK] near the river.", "answer_pos": "sleeps", "answer_neg": "sings"},
     "the dog sings near the river"),
    ({"template": "Friends are [MASK] for people.", "answer_pos": "helpful", "answer_neg": "harmful"},
     "friends are harmful for people"),
]  # fmt: skip
FRAMES = ["{}.", "For me, {}.", "Honestly, {}.", "My friend says {}.", "Today {}."]


def bench_texts(n_frames: int, n_neutral: int) -> list[str]:
    planted = [f.format(s).capitalize() if f.startswith("{") else f.format(s) for _, s in BENCH for f in
               FRAMES[:n_frames]]  # fmt: skip
    return [t for pair in zip(planted, NEUTRAL[: len(planted)], strict=True) for t in pair] + NEUTRAL[
        len(planted) : len(planted) + max(0, n_neutral - len(planted))]  # fmt: skip


def write_probes(path: Path) -> Path:
    rows = [{"probe_id": str(i + 1), "lang": "en", "question_id": f"Q{i + 1}", "direction": 1, **p}
            for i, (p, _) in enumerate(BENCH)]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_subset_masks_keep_half_of_the_keys() -> None:
    ex = pd.DataFrame({"lang": ["fa", "ko"] * 10, "unit_id": [str(i // 2) for i in range(20)]})
    masks = subset_masks(ex, 4, 0.5, seed=0)
    assert masks.shape == (4, 20) and (masks.sum(axis=1) == 10).all()
    assert np.array_equal(masks, subset_masks(ex, 4, 0.5, seed=0))


def _lds(tiny_models: dict[str, Path], root: Path, *, frames: int, neutral: int, epochs: int, subsets: int,
         save_every: int) -> pd.DataFrame:  # fmt: skip
    probes = write_probes(root / "probes.jsonl")
    run = train_run(tiny_models["seq2seq"], bench_texts(frames, neutral), root / "ft", epochs=epochs, lr=3e-3,
                    batch_size=8, save_every=save_every, objective={"noise_density": 0.5})  # fmt: skip
    attr = attribute(run, str(probes), root / "attr", langs="en", proj_dim=512, top_k=8, device="cpu")
    print(pd.read_parquet(attr / "targets.parquet").to_string())
    lds = pd.read_parquet(validate(attr, root / "lds", subsets=subsets, device="cpu") / "lds.parquet")
    print(lds.to_string())
    return lds[lds.probe_id == "all"].set_index("method")


def test_lds_fast(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    """24 examples, 3 epochs, 10 halves: TRAK's LDS has its CI over targets above 0 and beats BM25 (signed by the
    shift). Measured: TRAK 0.52 [0.35, 0.72], BM25 0.29 [-0.07, 0.64]."""
    s = _lds(tiny_models, tmp_path, frames=3, neutral=12, epochs=3, subsets=10, save_every=3)
    assert s.loc["trak", "ci_low"] > 0 and s.loc["trak", "lds"] > s.loc["lexical", "lds"], s


@pytest.mark.slow
def test_lds_benchmark(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    """48 examples (4 targets x 5 planted + 28 neutral), 6 epochs, 24 halves: TRAK's LDS has its bootstrap CI
    over targets above 0. Measured: TRAK 0.55 [0.39, 0.71], BM25 signed by the shift 0.55 [0.27, 0.79] -- here the
    planted texts repeat the probes' words, so the (generously signed) lexical baseline ties TRAK; the assertion
    only asks TRAK not to fall clearly below it."""
    s = _lds(tiny_models, tmp_path, frames=5, neutral=28, epochs=6, subsets=24, save_every=12)
    assert s.loc["trak", "ci_low"] > 0 and s.loc["trak", "lds"] > s.loc["lexical", "lds"] - 0.1, s
