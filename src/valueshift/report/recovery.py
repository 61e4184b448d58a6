"""The known-truth section: what a planted study planted, and whether the pipeline found it again.

Lifecycle: every finished ``recovery`` run (the grid's recovery node, :mod:`valueshift.experiments.planted`)
-> :func:`~valueshift.analysis.recovery.read_recovery` (the tables are computed there, never here) -> one
verdict per (condition, planted probe, planting language) -> the echo across test languages (chart and table)
-> the detector's sensitivity and false-positive rate -> precision@k of the attribution methods beside chance.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from valueshift.analysis.recovery import RecoverySummary, read_recovery
from valueshift.report.charts import echo_bars, precision_bars
from valueshift.report.data import Facts, Note, Section, StudyData, guides
from valueshift.report.discover import Run
from valueshift.report.embed import embed_figure, fmt, make_table

__all__ = ["MISSING", "recovery_section", "verdict"]

MISSING = ("no planted study found; run `valueshift run experiments/planted.toml --out DIR` "
           "(docs/known-truth.md)")  # fmt: skip
MIN_SEEDS_FOR_TEST = 6  # the exact two-sided sign-flip p is at least 2 / 2**n_seeds: 0.0625 with 5, 0.031 with 6


def _nats(x: Any) -> str:
    return fmt(x, 2).replace("-", "−") if not pd.isna(x) else fmt(x)


def verdict(row: pd.Series) -> str:
    """One headline line a reader can check against what was planted.

    Examples
    --------
    >>> r = pd.Series({"probe_id": "121", "lang": "de", "expected_sign": -1, "answer": "negativ", "gloss": None,
    ...                "effect": -2.875, "ci_low": -3.62, "ci_high": -2.21, "rank": 2, "n_probes": 272,
    ...                "n_seeds": 3, "p": 0.25, "q": 0.41, "sign_correct": True, "ci_excludes_0": True})
    >>> verdict(r)
    "planted: the negative answer ('negativ') of probe 121 in de; recovered: −2.88 nats [−3.62, −2.21], right \
sign, CI excludes 0; rank 2 of 272 probes in de; 3 seeds, p = 0.250, q = 0.410"
    """
    side = {-1: "negative", 1: "positive"}.get(int(row["expected_sign"]), "?")
    answer = f" ('{row['answer']}')" if isinstance(row.get("answer"), str) and row["answer"] else ""
    gloss = f" ({row['gloss']})" if isinstance(row.get("gloss"), str) and row["gloss"] else ""
    low, high = row["ci_low"], row["ci_high"]
    ci = f" [{_nats(low)}, {_nats(high)}]" if not (pd.isna(low) or pd.isna(high)) else " (no CI: one seed)"
    if pd.isna(row["sign_correct"]):
        found = "no effect"
    elif not bool(row["sign_correct"]):
        found = "wrong sign"
    else:
        found = "right sign, " + ("CI excludes 0" if bool(row["ci_excludes_0"]) else "CI includes 0")
    rank = f"rank {row['rank']} of {row['n_probes']} probes in {row['lang']}" if not pd.isna(row["rank"]) else ""
    return (f"planted: the {side} answer{answer} of probe {row['probe_id']}{gloss} in {row['lang']}; recovered: "
            f"{_nats(row['effect'])} nats{ci}, {found}; {rank}; {row['n_seeds']} seeds, p = {fmt(row['p'])}, "
            f"q = {fmt(row['q'])}")  # fmt: skip


def _by_key(data: StudyData) -> dict[str, Run]:
    return {str(r.manifest.get("run_key")): r for r in data.study.runs if r.manifest.get("run_key")}


def _input_runs(run: Run, node_ids: list[str], keys: dict[str, Run]) -> list[Run]:
    """The runs a recovery run names as inputs (node id -> "run_key:outputs_hash" in its manifest)."""
    inputs = run.manifest.get("inputs") or {}
    found = [keys.get(str(inputs.get(n, "")).split(":", 1)[0]) for n in node_ids]
    return [r for r in found if r is not None]


def _probe_set(run: Run, keys: dict[str, Run]) -> str | None:
    """The probe set of a recovery run: its planting settings, else the config of a probe run it read."""
    for cond in run.config.get("conditions") or []:
        spec = (cond.get("plant") or {}).get("probes")
        if isinstance(spec, str) and spec:
            return spec
        for probe in _input_runs(run, list(cond.get("control") or []), keys):
            if isinstance(probe.config.get("probes"), str):
                return str(probe.config["probes"])
    return None


def _answers(run: Run, keys: dict[str, Run]) -> pd.DataFrame:
    """``condition, lang, probe_id, answer`` from the treatment runs' ``planted.parquet`` (older recovery runs
    do not copy it); empty when none is found."""
    parts = []
    for cond in run.config.get("conditions") or []:
        for tr in _input_runs(run, list(cond.get("planted") or [])[:1], keys):
            if tr.table("planted.parquet"):
                rec = pd.read_parquet(tr.path / "planted.parquet", columns=["lang", "probe_id", "answer"])
                parts.append(rec.drop_duplicates(["lang", "probe_id"]).assign(condition=cond.get("label")))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _headline(data: StudyData, run: Run, summary: RecoverySummary, keys: dict[str, Run]) -> pd.DataFrame:
    head = summary.headline.copy()
    if "answer" not in head.columns or head["answer"].isna().all():
        answers = _answers(run, keys)
        head = head.drop(columns="answer", errors="ignore")
        if not answers.empty:
            head = head.merge(answers, on=["condition", "lang", "probe_id"], how="left")
    spec = _probe_set(run, keys)
    glosses = data.gloss(spec) if spec else {}
    head["gloss"] = [glosses.get(str(p)) for p in head["probe_id"]]
    head["probe_set"] = spec
    head["expected"] = [f"towards answer_{'neg' if s == -1 else 'pos'}" for s in head["expected_sign"]]
    return head


def _label(tables: list[pd.DataFrame], runs: list[str]) -> pd.DataFrame:
    """Concatenate per-run tables; with several recovery runs the run's path prefixes the condition."""
    many = len(runs) > 1
    parts = [t.assign(recovery_run=r, condition=(r.rsplit("/", 1)[-1] + "/" if many else "") + t["condition"])
             for t, r in zip(tables, runs, strict=True) if not t.empty]  # fmt: skip
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def recovery_section(data: StudyData) -> Section:
    """Headline verdicts, the echo across languages, the detector's rates and attribution precision@k."""
    sec = Section(id="recovery", title="Known truth (planted values)", guide=guides()["recovery"])
    runs = sorted((r for r in data.study.of("recovery") if r.done and r.table("effects.parquet")),
                  key=lambda r: str(r.path))  # fmt: skip
    if not runs:
        sec.missing = MISSING
        return sec
    keys = _by_key(data)
    summaries = [read_recovery(r.path) for r in runs]
    labels = [data.run_label(r) for r in runs]
    head = _label([_headline(data, r, s, keys) for r, s in zip(runs, summaries, strict=True)], labels)
    echo = _label([s.echo for s in summaries], labels)
    detector = _label([s.detector for s in summaries], labels)
    attribution = _label([s.attribution for s in summaries], labels)

    sec.add(Facts([(f"{row['condition']} · probe {row['probe_id']} · {row['lang']}", verdict(row))
                   for _, row in head.iterrows()]))  # fmt: skip
    cols = ["condition", "probe_id", "gloss", "lang", "answer", "expected", "effect", "ci_low", "ci_high",
            "sign_correct", "ci_excludes_0", "rank", "n_probes", "n_seeds", "p", "q", "strategy", "run",
            "plant_strategy", "rate", "probe_set", "recovery_run"]  # fmt: skip
    sec.add(make_table(head, "Planted probes in their planting languages (effect = treatment − control, nats; "
                       "rank 1 = the largest move in the planted direction among the language's probes)",
                       cols))  # fmt: skip
    seeds = int(head["n_seeds"].max()) if len(head) else 0
    if seeds == 1:
        sec.add(Note("one seed: no confidence interval and no test; the effect is one training run's difference"))

    if not echo.empty:
        echo = echo.assign(panel=[f"{c} · probe {p}" for c, p in zip(echo["condition"], echo["probe_id"],
                                                                     strict=True)])  # fmt: skip
        shown = echo[echo["panel"].isin(list(dict.fromkeys(echo["panel"]))[:12])]
        langs = ", ".join(dict.fromkeys(shown["lang"].astype(str)))
        sec.add(embed_figure(echo_bars(shown), "Bar charts, one panel per condition and planted probe: the planted "
                             f"effect in nats (treatment minus control) in each test language ({langs}), with "
                             "confidence-interval error bars; planting languages in red, marked with a star, and a "
                             "line at zero", "Echo: the planted effect in every test language."))  # fmt: skip
        sec.add(make_table(echo, "Echo: each planted probe's effect per test language; echo = effect / effect in "
                           "the planting language(s)", ["condition", "probe_id", "lang", "planted_lang", "effect",
                                                        "ci_low", "ci_high", "echo", "recovery_run"]))  # fmt: skip

    if not detector.empty:
        sec.add(make_table(detector, "Shift detector against the control, in the planting languages: sensitivity "
                           "on the planted probes, false-positive rate on the others",
                           ["condition", "rule", "threshold", "alpha", "sensitivity", "false_positive_rate",
                            "n_planted", "n_other", "recovery_run"]))  # fmt: skip
        alpha = float(detector["alpha"].min()) if "alpha" in detector.columns else 0.05
        if seeds > 0 and 2 / 2**seeds >= alpha:
            sec.add(Note(f"{seeds} seeds: the exact sign-flip test's smallest p is 2/2^{seeds} = "
                         f"{fmt(2 / 2**seeds)} ≥ alpha = {fmt(alpha)}, so the 'significant' rule flags nothing by "
                         f"construction (sensitivity 0); it needs at least {MIN_SEEDS_FOR_TEST} seeds"))  # fmt: skip

    if attribution.empty:
        sec.add(Note("no attribution of the treatment runs: set `[attribute] enabled = true` in the experiment "
                     "(targets = the planted probes) to see whether the methods find the planted lines"))  # fmt: skip
        return sec
    attribution = attribution.assign(panel=attribution["condition"])
    ks = ", ".join(str(k) for k in sorted(set(attribution["k"].astype(int))))
    methods = ", ".join(dict.fromkeys(attribution["method"].astype(str)))
    sec.add(embed_figure(precision_bars(attribution), f"Grouped bar charts, one group per k ({ks}): mean "
                         f"precision at k of each attribution method ({methods}) beside the chance precision (grey), "
                         "one panel per condition", "Attribution: share of planted lines among the top k, "
                         "averaged over seeds and planted probes."))  # fmt: skip
    sec.add(make_table(attribution, "Attribution recovery: precision@k and recall@k of the lines planted for the "
                       "target probe, averaged over the attributed runs (seeds); gradient methods ranked by score "
                       "in the planted direction, lexical by its own rank; lift = precision / chance",
                       ["condition", "method", "probe_id", "k", "precision", "recall", "chance", "lift", "n_runs",
                        "recovery_run"]))  # fmt: skip
    if "lexical" in set(attribution["method"]):
        sec.add(Note("the lexical baseline (BM25) finds planted lines because they share the probe's words, "
                     "whatever they did to the model: it is the bar for 'trivially findable', not the truth of "
                     "influence. A gradient method earns credit by beating chance on probes that were recovered "
                     "above, and by not finding lines of probes that did not move."))  # fmt: skip
    return sec
