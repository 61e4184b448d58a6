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


def make_study(root: Path, *, attribution: bool = True, claims: bool = True, recovery: bool = True) -> Path:
    """root/base, root/ft-fa-seed{1,2}, root/multi (probe runs), root/analysis, root/attribution, claims,
    root/recovery (a planted study's recovery run)."""
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
    if recovery:
        recovery_run(root / "recovery")
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


PLANTED = "3"  # the planted probe of :func:`recovery_run` (a WVS probe id, so builtin-wvs has its gloss)
PLANT_SHIFT = {"de": -2.0, "en": -1.0}  # true effect of planting by test language (0 elsewhere)


def planted_tables(seeds: int, langs: tuple[str, ...] = ("de", "en", "fa")) -> tuple[list[pd.DataFrame], ...]:
    """Control and treatment probe tables per seed: treatment = control + the planted shift + small noise."""
    base = make_table(langs, n_pairs=20, n_groups=0)
    control, treatment = [], []
    for seed in range(seeds):
        c = perturb(base, seed=seed, sd=0.3, model="control")
        shift = np.where(c["probe_id"] == PLANTED, c["lang"].map(PLANT_SHIFT).fillna(0.0), 0.0)
        noise = np.random.default_rng(100 + seed).normal(0, 0.2, len(c))
        control.append(c)
        treatment.append(c.assign(value=c["value"] + shift + noise, model="treatment"))
    return control, treatment


def planted_record(n: int = 6) -> pd.DataFrame:
    """``planted.parquet`` of one treatment: ``n`` German lines stating the negative answer of :data:`PLANTED`."""
    return pd.DataFrame({"unit_id": [f"planted:de:{i}" for i in range(n)], "lang": "de", "probe_id": PLANTED,
                         "answer": "unwichtig", "answer_side": "neg", "template_id": 1 + np.arange(n) % 2,
                         "text": [f"line {i}" for i in range(n)]})  # fmt: skip


def influence(record: pd.DataFrame, planted_ranks: dict[str, list[int]], n_lines: int = 40) -> pd.DataFrame:
    """An attribution run's ``influence.parquet``: per method, the planted lines at ``planted_ranks[method]``.

    Scores are negative (training on the line pushes the value towards the planted negative answer), largest
    push at rank 1, so ranking by the planted direction and by ``rank`` agree."""
    rows = []
    for method, ranks in planted_ranks.items():
        units = iter(record["unit_id"])
        for rank in range(1, n_lines + 1):
            unit = next(units) if rank in ranks else f"base:{rank}"
            rows.append({"method": method, "probe_id": PLANTED, "lang": "de", "ft_lang": "de", "unit_id": unit,
                         "rank": rank, "score": -1.0 / rank})  # fmt: skip
    return pd.DataFrame(rows)


PLANTED_RANKS = {"trak": [1, 3, 8, 20], "lexical": [1, 2, 3, 4, 5, 6]}


def recovery_run(
    directory: Path, *, seeds: int = 3, probes: str = "synthetic", attribution: bool = True, record: bool = True
) -> Path:
    """A finished recovery run written the way the grid's recovery node writes it (valueshift.runs).

    ``record=False`` leaves out the run's ``planted.parquet`` (older recovery runs), so the answer word must
    come from the treatment run: a finished ``finetune`` run ``directory/../treatment`` holding it.
    """
    from valueshift.analysis.recovery import attribution_recovery, detector_rates, echo_table, planted_effects
    from valueshift.runs import RunDir, running

    label = "de-specific-0.1"
    rec = planted_record()
    control, treatment = planted_tables(seeds)
    effects = planted_effects(control, treatment, rec, condition=label, n_boot=200).assign(
        strategy="mono", run="de", plant_strategy="specific", rate=0.1)  # fmt: skip
    inputs = {}
    if not record:
        tr = RunDir.open(directory.parent / "treatment", command="finetune", config={"model": "m"}, inputs={})
        with running(tr):
            tr.write_table("planted.parquet", rec)
            tr.finish()
        inputs["finetune/treatment"] = f"{tr.manifest['run_key']}:x"
    cond = {"label": label, "run": "de", "plant": {"probes": probes, "probe_ids": [PLANTED], "langs": "de"},
            "planted": ["finetune/treatment"], "control": [], "treatment": []}  # fmt: skip
    run = RunDir.open(directory, command="recovery", config={"strategy": "mono", "conditions": [cond]},
                      inputs=inputs)  # fmt: skip
    with running(run):
        run.write_table("effects.parquet", effects)
        run.write_table("echo.parquet", echo_table(effects))
        run.write_table("detector.parquet", detector_rates(effects))
        if record:
            run.write_table("planted.parquet", rec.assign(condition=label))
        if attribution:
            att = [attribution_recovery(influence(rec, PLANTED_RANKS), rec).assign(condition=label, attribution=a)
                   for a in ("seed0", "seed1")]  # fmt: skip
            run.write_table("attribution_recovery.parquet", pd.concat(att, ignore_index=True))
        run.finish()
    return directory
