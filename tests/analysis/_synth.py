"""Synthetic probe tables for the analysis tests (the layout `valueshift probe` writes)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS = [
    "model", "probe_set", "lang", "probe_id", "question_id", "template_id", "group", "direction",
    "answer_pos", "answer_neg", "logp_pos", "logp_neg", "n_tokens_pos", "n_tokens_neg", "value",
]  # fmt: skip


def make_table(
    langs: Sequence[str] = ("de", "fa", "ko"),
    n_pairs: int = 40,
    n_groups: int = 2,
    *,
    seed: int = 0,
    model: str = "base",
    templates: int = 1,
    moral: bool = False,
) -> pd.DataFrame:
    """A probe table: ``n_pairs`` pair probes (ids ``1``..) and ``n_groups`` groups of 3 option probes.

    Values: a shared profile plus a language-specific part, so languages correlate but differ. With
    ``moral`` the first 19 pair probes measure Q177..Q195 (direction +1).
    """
    rng = np.random.default_rng(seed)
    shared = rng.normal(0, 1.5, n_pairs + 3 * n_groups)
    rows = []
    for li, lang in enumerate(langs):
        own = np.random.default_rng(1000 + li).normal(0, 1.0, len(shared))
        for i in range(n_pairs + 3 * n_groups):
            if i < n_pairs:
                pid, grp, qid = str(i + 1), None, f"Q{177 + i}" if moral and i < 19 else f"Q{i + 1}"
                direction = 1.0 if moral and i < 19 else (None if i % 7 == 6 else (1.0 if i % 2 else -1.0))
                neg = "neg"
            else:
                g, o = divmod(i - n_pairs, 3)
                pid, grp, qid, direction, neg = (
                    f"{300 + g}{'abc'[o]}",
                    f"{300 + g}",
                    f"Q{300 + g}",
                    None,
                    None,
                )
            for t in range(templates):
                rows.append({
                    "model": model, "probe_set": "synthetic", "lang": lang, "probe_id": pid,
                    "question_id": qid, "template_id": t, "group": grp, "direction": direction,
                    "answer_pos": "pos",
                    "answer_neg": neg, "logp_pos": -1.0, "logp_neg": -2.0, "n_tokens_pos": 1,
                    "n_tokens_neg": None if neg is None else 1, "value": shared[i] + own[i] + 0.1 * t,
                })  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS)


def perturb(df: pd.DataFrame, *, seed: int, sd: float = 0.05, model: str = "tuned") -> pd.DataFrame:
    """A 'tuned' copy: every value plus N(0, sd) noise (well below the default threshold)."""
    rng = np.random.default_rng(seed)
    return df.assign(value=df["value"] + rng.normal(0, sd, len(df)), model=model)


def write_run(df: pd.DataFrame, directory: Path, **config: object) -> Path:
    """Write ``probe_scores.parquet`` + a ``manifest.json`` like `valueshift probe` does."""
    directory.mkdir(parents=True, exist_ok=True)
    df.to_parquet(directory / "probe_scores.parquet", index=False)
    manifest = {"command": "probe", "status": "done", "config": {"model": str(df["model"].iloc[0]), **config}}
    (directory / "manifest.json").write_text(json.dumps(manifest))
    return directory
