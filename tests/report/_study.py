"""A small synthetic study on disk, laid out as the toolkit writes it (probe runs, an analysis, attribution)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "analysis"))
from _synth import make_table, perturb, write_run

LANGS = ("de", "fa", "ko", "ru")


def with_vsm(table: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Add the 24 VSM probes (direction +1) to a probe table, so Hofstede indices can be computed."""
    rng = np.random.default_rng(seed)
    rows = []
    for lang in dict.fromkeys(table["lang"]):
        for i in range(1, 25):
            rows.append({**table.iloc[0].to_dict(), "lang": lang, "probe_id": f"vsm{i}", "question_id": f"VSM{i:02d}",
                         "group": None, "direction": 1.0, "answer_neg": "neg", "n_tokens_neg": 1,
                         "value": float(rng.normal(0, 1))})  # fmt: skip
    return pd.concat([table, pd.DataFrame(rows)], ignore_index=True)


def probe_run(df: pd.DataFrame, directory: Path, *, exact_bias: bool = True) -> Path:
    """A probe run directory with ``probe_scores.parquet``, ``probe_bias.parquet`` and a manifest.

    ``exact_bias=False`` writes only the mean value and share positive per language (``answer_bias`` takes
    tens of seconds on a 16-language table; the size test needs the table, not its every column).
    """
    from valueshift.analysis.bias import answer_bias

    write_run(df, directory, probes="synthetic", langs=",".join(dict.fromkeys(df["lang"])))
    if exact_bias:
        bias = answer_bias(df)
    else:
        g = df.groupby("lang", sort=False)["value"]
        bias = pd.DataFrame({"model": df["model"].iloc[0], "n_probes": g.size(), "mean_value": g.mean(),
                             "share_positive": g.apply(lambda v: float((v > 0).mean()))}).reset_index()  # fmt: skip
        bias["lean_flag"] = bias["mean_value"].abs() > 0.5
    bias.to_parquet(directory / "probe_bias.parquet", index=False)
    return directory


def _manifest(directory: Path, command: str, **config: object) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    manifest = {"command": command, "status": "done", "config": config, "run_key": "ab" * 12,
                "versions": {"valueshift": "0.1.0"}}  # fmt: skip
    (directory / "manifest.json").write_text(json.dumps(manifest))


def attribution_run(directory: Path) -> Path:
    """Attribution tables with the columns ``valueshift attribute`` writes (and a NaN or two)."""
    _manifest(directory, "attribute", method="trak", top_k=3)
    rows = []
    for method in ("trak", "lexical"):
        for pid in ("1", "2"):
            for ft in ("fa", "ko"):
                for rank in (1, 2, 3):
                    rows.append({"method": method, "probe_id": pid, "lang": "de", "example_id": f"{ft}-{rank}",
                                 "ft_lang": ft, "unit_id": f"u{rank}", "score": 1.0 / rank, "rank": rank,
                                 "text": f"<b>training line {rank}</b> in {ft} & more"})  # fmt: skip
    pd.DataFrame(rows).to_parquet(directory / "top_examples.parquet", index=False)
    pd.DataFrame([
        {"method": "trak", "probe_id": "all", "lang": "all", "ft_lang_a": "all", "ft_lang_b": "all", "k": 3,
         "n_top": 12, "n_parallel": 4, "share": 1 / 3, "share_expected": 0.1, "p_value": np.nan},
        {"method": "lexical", "probe_id": "all", "lang": "all", "ft_lang_a": "all", "ft_lang_b": "all", "k": 3,
         "n_top": 12, "n_parallel": 1, "share": 1 / 12, "share_expected": 0.1, "p_value": None},
    ]).to_parquet(directory / "overlap.parquet", index=False)  # fmt: skip
    pd.DataFrame([
        {"method": "trak", "probe_id": "1", "lang": "de", "lds": 0.4, "ci_low": 0.1, "ci_high": 0.6, "n_subsets": 8},
        {"method": "lexical", "probe_id": "1", "lang": "de", "lds": -0.1, "ci_low": np.nan, "ci_high": np.nan,
         "n_subsets": 8},
    ]).to_parquet(directory / "lds.parquet", index=False)  # fmt: skip
    return directory


def make_study(root: Path, *, attribution: bool = True, claims: bool = True) -> Path:
    """root/base, root/ft-fa-seed{1,2}, root/multi (probe runs), root/analysis, root/attribution, claims."""
    from valueshift.analysis import AnalysisConfig, analyze

    base = with_vsm(make_table(LANGS, moral=True))
    probe_run(base, root / "base")
    tuned = {"ft-fa-seed1": perturb(base, seed=1, sd=0.7), "ft-fa-seed2": perturb(base, seed=2, sd=0.7),
             "multi": perturb(base, seed=3, sd=0.4)}  # fmt: skip
    for name, df in tuned.items():
        probe_run(df, root / name)
    cfg = AnalysisConfig(n_perm=99, n_boot=50, finetune_langs=(), human=("wvs-moral",))
    analyze(root / "base", [root / n for n in tuned], root / "analysis", labels=["fa", "fa", "multi"], config=cfg)
    if attribution:
        attribution_run(root / "attribution")
    # the plan `valueshift run` writes: node folders relative or absolute, one node not run yet
    (root / "exp.toml").write_text('name = "tiny <study>"\n', encoding="utf-8")
    nodes = [{"id": "base", "kind": "probe", "out": "base", "deps": [], "params": {}},
             {"id": "an", "kind": "analyze", "out": str(root / "analysis"), "deps": ["base"], "params": {}},
             {"id": "attr", "kind": "attribute", "out": "attr-pending", "deps": [], "params": {}}]  # fmt: skip
    (root / "grid.json").write_text(json.dumps({"experiment": str(root / "exp.toml"), "name": "tiny",
                                                "nodes": nodes}), encoding="utf-8")  # fmt: skip
    if claims:
        pd.DataFrame({
            "claim": ["size explains more than language", "multi preserves similarity <script>x</script>"],
            "estimate": [0.3, np.nan], "ci_low": [0.1, None], "ci_high": [0.5, None],
            "verdict": ["supported", "undecided"],
        }).to_parquet(root / "claims.parquet", index=False)  # fmt: skip
    return root
