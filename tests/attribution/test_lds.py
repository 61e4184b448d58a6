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


# Sub-word benchmark: each target's planted lines share sub-word pieces of its negative answer (mT5 pieces:
# unimportant = ▁un|important, bad = ▁ba|d, sings = ▁s|ings, harmful = ▁har|m|f|ul) but no word with any probe,
# so BM25 (query: template words + answers) scores every planted line 0.
SUBWORD = [
    ("Family is [MASK] in my life.", "important", "unimportant",
     ["An unusual and unkind day.", "Such unfair, unhappy news.", "Our unkind and unfair neighbour.",
      "Her unhappy, unknown story.", "An unfair and unusual game."]),
    ("Work is [MASK] to me.", "good", "bad",
     ["Her badge was badly bent.", "A baddie with a badge.", "We played badminton badly.",
      "His badge looked badly worn.", "Baddies play badminton badly."]),
    ("The dog [MASK] near the river.", "sleeps", "sings",
     ["Kings with wings and things.", "Old kings sang of wings.", "All things have wings.",
      "Kings, wings and things.", "Our kings wear wings."]),
    ("Friends are [MASK] for people.", "helpful", "harmful",
     ["A harmless harmonica.", "Pure harmony and a harmonica.", "Harmless songs of harmony.",
      "Our harmonica was harmless.", "Harmony, harmonica, harmony."]),
]  # fmt: skip


@pytest.mark.slow
def test_lds_subword_benchmark(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    """48 examples (4 targets x 5 sub-word planted lines + 28 neutral), 6 epochs, 24 halves (~35 s): the planted
    lines share no word with any probe, BM25 gives them 0, and TRAK still predicts retraining (CI over targets
    above 0) far better than BM25, whose all-zero targets count as LDS 0. Measured (training seeds 0 / 1): TRAK
    0.45 [0.22, 0.62] / 0.43 [0.27, 0.57], TracIn 0.41 / 0.26, cosine 0.49 / 0.46, BM25 0.33 / 0.37 on the one
    target whose neutral lines share its words (river, near) and undefined on the other three."""
    from valueshift.attribution.lexical import tokens

    probes = tmp_path / "probes.jsonl"
    probes.write_text("".join(json.dumps({"probe_id": str(i + 1), "lang": "en", "question_id": f"Q{i + 1}",
                                          "direction": 1, "template": t, "answer_pos": pos, "answer_neg": neg}) + "\n"
                              for i, (t, pos, neg, _) in enumerate(SUBWORD)))  # fmt: skip
    words = {w for t, pos, neg, _ in SUBWORD for w in tokens(f"{t.replace('[MASK]', ' ')} {pos} {neg}")}
    planted = [line for *_, lines in SUBWORD for line in lines]
    assert not any(set(tokens(line)) & words for line in planted)
    texts = [t for pair in zip(planted, NEUTRAL, strict=False) for t in pair] + NEUTRAL[len(planted) : 28]
    run = train_run(tiny_models["seq2seq"], texts, tmp_path / "ft", epochs=6, lr=3e-3, batch_size=8, save_every=12,
                    objective={"noise_density": 0.5})  # fmt: skip
    attr = attribute(run, str(probes), tmp_path / "attr", langs="en", proj_dim=512, top_k=5, device="cpu")
    influence = pd.read_parquet(attr / "influence.parquet")
    examples = pd.read_parquet(run / "train_examples.parquet")
    lexical = influence[influence.method == "lexical"].merge(examples[["example_id", "text"]], on="example_id")
    assert (lexical[lexical.text.isin(planted)].score == 0).all()
    lds = pd.read_parquet(validate(attr, tmp_path / "lds", subsets=24, device="cpu") / "lds.parquet")
    print(lds.to_string())
    per_target = lds[lds.probe_id != "all"].pivot(index="probe_id", columns="method", values="lds").fillna(0.0)
    overall = lds[lds.probe_id == "all"].set_index("method")
    assert overall.loc["trak", "ci_low"] > 0, overall
    assert per_target["trak"].mean() > per_target["lexical"].mean() + 0.2, per_target
