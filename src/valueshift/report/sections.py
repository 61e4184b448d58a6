"""Sections about the study's inputs: the study itself, the grid's claims, the probes, the base profiles.

Each builder takes :class:`~valueshift.report.data.StudyData` and returns a
:class:`~valueshift.report.data.Section`: with blocks when its inputs exist, otherwise with ``missing`` naming
the command that produces them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from valueshift.report.charts import bias_bars, profile_heatmap
from valueshift.report.data import Facts, Note, Pre, Section, StudyData, guides
from valueshift.report.discover import STAGES
from valueshift.report.embed import embed_figure, fmt, make_table

__all__ = ["claims_section", "probes_section", "profiles_section", "study_section"]

MAX_PROFILES = 3


def _section(key: str, title: str) -> Section:
    return Section(id=key, title=title, guide=guides()[key])


def _distinct(values: object) -> str:
    out: list[str] = []
    for v in values:  # type: ignore[attr-defined]
        items = v if isinstance(v, list | tuple) else [v]
        out += [str(x) for x in items if x not in (None, "")]
    return ", ".join(dict.fromkeys(out)) or "–"


def study_section(data: StudyData) -> Section:
    """Runs found, with models, probe sets, languages, corpora, seeds, versions and run keys."""
    sec = _section("study", "The study")
    study = data.study
    if not study.runs:
        sec.missing = f"no run directory (no manifest.json) below this folder; start with `{STAGES['probe']}`"
        return sec
    probes = [r.config for r in study.of("probe")]
    tunes = [r.config for r in study.of("finetune")]
    langs = [lang for run in data.probe_runs for lang in data.langs_of(run)]
    corpora = [f"{c.get('spec')} ({_distinct([c.get('langs')])}, size {c.get('size')})"
               for c in (t.get("corpus") or {} for t in tunes) if c]  # fmt: skip
    seeds = [(t.get("train") or {}).get("seed") for t in tunes] + [r.config.get("seed") for r in data.analyses]
    counts = pd.Series([r.command for r in study.runs]).value_counts()
    sec.add(Facts([
        ("folder", str(study.root)),
        ("runs", ", ".join(f"{n} {cmd}" for cmd, n in counts.items())),
        ("models", _distinct([c.get("model") for c in probes + tunes if c.get("model")])),
        ("probe sets", _distinct([c.get("probes") for c in probes])),
        ("languages", _distinct(langs)),
        ("corpora", _distinct(corpora) if corpora else "– (no fine-tuning run found)"),
        ("seeds", _distinct(seeds)),
    ]))  # fmt: skip
    versions: dict[str, set[str]] = {}
    for run in study.runs:
        for name, ver in (run.manifest.get("versions") or {}).items():
            versions.setdefault(str(name), set()).add(str(ver))
    if versions:
        vt = pd.DataFrame([{"library": k, "version": ", ".join(sorted(v))} for k, v in sorted(versions.items())])
        differ = any(len(v) > 1 for v in versions.values())
        sec.add(make_table(vt, "Library versions recorded in the manifests" + (" (runs differ)" if differ else "")))
    runs = pd.DataFrame([{
        "run": study.label(r), "command": r.command, "status": r.manifest.get("status"),
        "run_key": str(r.manifest.get("run_key") or "")[:16] or None, "model": r.config.get("model"),
        "finished_at": r.manifest.get("finished_at") or r.manifest.get("started_at"),
    } for r in study.runs])  # fmt: skip
    sec.add(make_table(runs, "Run directories (run key: first 16 hex digits)"))
    for grid in study.grid_files:
        _grid_blocks(sec, data, grid)
    return sec


def _grid_blocks(sec: Section, data: StudyData, file: Path) -> None:
    """An experiment grid's plan: its experiment file (shown when readable), nodes per kind and how many are done."""
    try:
        plan = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        sec.add(Note(f"{file}: unreadable grid plan"))
        return
    nodes = [n for n in plan.get("nodes", []) if isinstance(n, dict)]
    done = {str(r.path) for r in data.study.runs if r.done}
    kinds: dict[str, list[int]] = {}
    for n in nodes:
        out = Path(str(n.get("out", "")))
        path = out if out.is_absolute() else file.parent / out
        tally = kinds.setdefault(str(n.get("kind")), [0, 0])
        tally[0] += 1
        tally[1] += str(path.resolve()) in done
    experiment = Path(str(plan.get("experiment", "")))
    sec.add(Facts([("experiment", str(plan.get("name", "–"))), ("experiment file", str(experiment)),
                   ("grid nodes", ", ".join(f"{k}: {d}/{n} done" for k, (n, d) in kinds.items()) or "–")]))  # fmt: skip
    if experiment.is_file() and experiment.stat().st_size < 100_000:
        sec.add(Pre(f"experiment file {experiment.name}", experiment.read_text(encoding="utf-8", errors="replace")))


def claims_section(data: StudyData) -> Section:
    """The grid's ``claims.parquet`` (estimate, CI, verdict first; every other column kept)."""
    sec = _section("claims", "Claims")
    files = data.study.files("claims.parquet")
    if not files:
        sec.missing = f"no claims.parquet found; the study-level claims come from `{STAGES['grid']}`"
        return sec
    for path in files:
        df = pd.read_parquet(path)
        first = [c for c in ("claim", "subject", "estimate", "ci_low", "ci_high", "verdict") if c in df.columns]
        sec.add(make_table(df, f"Claims ({path.parent.name}/{path.name})", first + [c for c in df if c not in first]))
    return sec


def _coverage(table: pd.DataFrame) -> pd.DataFrame:
    g = table.groupby("lang", sort=False)
    out = pd.DataFrame({
        "n_probes": g["probe_id"].nunique(), "n_rows": g.size(),
        "templates_per_probe": g.size() / g["probe_id"].nunique(),
        "share_scored": g["value"].agg(lambda v: float(np.isfinite(v.to_numpy(float)).mean())),
    }).reset_index()  # fmt: skip
    out["coverage"] = out["n_probes"] / max(1, int(table["probe_id"].nunique()))
    return out


def probes_section(data: StudyData) -> Section:
    """Coverage per language and the answer-bias diagnostics of each probe run."""
    sec = _section("probes", "Probes")
    if not data.probe_runs:
        sec.missing = f"no finished probe run found; run `{STAGES['probe']}`"
        return sec
    for run in data.base_runs[:MAX_PROFILES]:
        table = data.probe_table(run)
        if {"lang", "probe_id", "value"} <= set(table.columns):
            sec.add(make_table(_coverage(table), f"Coverage per language: {data.run_label(run)} "
                               "(coverage = probes scored / probes in any language)"))  # fmt: skip
    bias = data.bias()
    if bias.empty:
        sec.add(Note("no probe_bias.parquet in the probe runs (written by `valueshift probe` since the answer-bias "
                     "diagnostics landed); rerun the probe command to get it"))  # fmt: skip
        return sec
    shown = bias[bias["run"].isin(list(dict.fromkeys(bias["run"]))[:6])]
    sec.add(embed_figure(bias_bars(shown), "Bar charts per language of the mean probe value in nats and the share "
                         "of positive values, one bar per probe run", "Answer lean per language."))  # fmt: skip
    cols = ["run", "dir", "lang", "n_probes", "mean_value", "share_positive", "mean_token_asymmetry",
            "mean_char_asymmetry", "negator_share_pos", "negator_share_neg", "acquiescence", "lean_flag"]  # fmt: skip
    sec.add(make_table(bias, "Answer bias per language (values in nats; asymmetry = tokens/chars of the positive "
                       "minus the negative answer)", cols))  # fmt: skip
    return sec


def profile_matrix(table: pd.DataFrame) -> pd.DataFrame:
    """probe x language matrix of values, templates averaged."""
    if not {"lang", "probe_id", "value"} <= set(table.columns):
        return pd.DataFrame()
    return table.pivot_table(index="probe_id", columns="lang", values="value", aggfunc="mean", sort=False)


def profiles_section(data: StudyData) -> Section:
    """Probe x language heatmaps of the base model(s), languages ordered by similarity."""
    sec = _section("profiles", "Base profiles")
    if not data.base_runs:
        sec.missing = f"no finished probe run found; run `{STAGES['probe']}` on the base model"
        return sec
    for run in data.base_runs[:MAX_PROFILES]:
        m = profile_matrix(data.probe_table(run))
        model = str(run.config.get("model") or data.run_label(run))
        alt = (f"Heatmap of {m.shape[0]} probes by {m.shape[1]} languages ({', '.join(map(str, m.columns))}); "
               f"colour is the value in nats, from blue (negative answer) to red (positive answer)")  # fmt: skip
        sec.add(embed_figure(profile_heatmap(m, f"Base profile: {model.rstrip('/').split('/')[-1]}"), alt,
                             f"Probe run {data.run_label(run)}; mean value per language: "
                             + ", ".join(f"{lg} {fmt(v, 2)}" for lg, v in m.mean().items())))  # fmt: skip
    if len(data.base_runs) > MAX_PROFILES:
        sec.add(Note(f"{len(data.base_runs) - MAX_PROFILES} more base probe runs not drawn"))
    return sec
