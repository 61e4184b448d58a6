"""The study's tables, read once from the discovered run directories, and the blocks a section is made of.

:class:`StudyData` reads what the sections need: probe tables, the analysis tables (one analysis per
condition, preferring the analysis that compared the most conditions), attribution tables, and what each
condition trained on. A missing or unreadable file is an empty table, never an error: the section that needs
it then says which command produces it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import tomllib

from valueshift.report.charts import palette
from valueshift.report.discover import Run, Study
from valueshift.report.embed import Embedded, Table

__all__ = ["Facts", "Note", "Pre", "Section", "StudyData", "guides"]

ANALYSIS_TABLES = ("shifts", "shift_summary", "similarity", "preservation", "alignment", "consistency")


@dataclass
class Facts:
    """Key-value lines (a definition list)."""

    items: list[tuple[str, str]]
    kind: str = "facts"


@dataclass
class Note:
    text: str
    kind: str = "note"


@dataclass
class Pre:
    """A collapsed block of preformatted text (a configuration as JSON)."""

    summary: str
    text: str
    kind: str = "pre"


Block = Embedded | Table | Facts | Note | Pre


@dataclass
class Section:
    """One report section: its reading guide, its blocks, or (``missing``) what is needed to produce it."""

    id: str
    title: str
    guide: str
    blocks: list[Any] = field(default_factory=list)
    missing: str = ""

    def add(self, block: Any) -> None:
        if block is not None:
            self.blocks.append(block)


@functools.cache
def guides() -> dict[str, str]:
    text = resources.files("valueshift.report").joinpath("templates/guides.toml").read_text(encoding="utf-8")
    return {k: " ".join(str(v).split()) for k, v in tomllib.loads(text).items()}


def _read(path: Path | None, columns: list[str] | None = None) -> pd.DataFrame:
    if path is None or not path.is_file():
        return pd.DataFrame()
    try:
        return pd.read_parquet(path, columns=columns)
    except Exception:
        return pd.DataFrame()


class StudyData:
    """Lazy access to the tables of a :class:`Study`."""

    def __init__(self, study: Study) -> None:
        self.study = study
        self._tables: dict[Path, pd.DataFrame] = {}
        self.analyses = sorted(
            (r for r in study.of("analyze") if r.done and r.table("shifts.parquet")),
            key=lambda r: -len(self._labels(r)),
        )

    @staticmethod
    def _labels(run: Run) -> list[str]:
        keys = (run.manifest.get("sources") or run.manifest.get("inputs") or {}).keys()
        return list(dict.fromkeys(k.split(":", 1)[1] for k in keys if k.startswith("tuned[") and ":" in k))

    def run_label(self, run: Run) -> str:
        return self.study.label(run)

    # -- analysis tables: one analysis per condition ----------------------------------------------------------
    @functools.cached_property
    def owner(self) -> dict[str, Run]:
        """condition -> the analysis run whose tables are shown for it."""
        owner: dict[str, Run] = {}
        for run in self.analyses:
            cond = _read(run.table("shift_summary.parquet"), ["condition"])
            for c in dict.fromkeys(cond.get("condition", pd.Series(dtype=str)).astype(str)):
                owner.setdefault(c, run)
        return owner

    def analysis(self, name: str) -> pd.DataFrame:
        """``name.parquet`` of every analysis, restricted to the conditions each one owns (base rows kept once)."""
        parts = []
        for i, run in enumerate(dict.fromkeys(self.owner.values())):
            df = _read(run.table(f"{name}.parquet"))
            if df.empty or "condition" not in df.columns:
                continue
            mine = {c for c, r in self.owner.items() if r is run} | ({"base"} if i == 0 else set())
            parts.append(df[df["condition"].astype(str).isin(mine)])
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    @functools.cached_property
    def conditions(self) -> list[str]:
        return list(self.owner)

    @functools.cached_property
    def colours(self) -> dict[str, str]:
        return palette(self.conditions)

    @functools.cached_property
    def threshold(self) -> float | None:
        for run in self.analyses:
            t = run.config.get("threshold")
            if isinstance(t, int | float):
                return float(t)
        return None

    # -- probe runs -----------------------------------------------------------------------------------------
    @functools.cached_property
    def probe_runs(self) -> list[Run]:
        return [r for r in self.study.of("probe") if r.done and r.table("probe_scores.parquet")]

    @functools.cached_property
    def base_runs(self) -> list[Run]:
        """Probe runs of base models: named as ``base`` by an analysis, else those of models no run trained."""
        named = []
        for run in self.analyses:
            for key, src in (run.manifest.get("sources") or {}).items():
                found = self.study.find(src) if key.startswith("base:") else None
                if found is not None and found not in named:
                    named.append(found)
        if named:
            return named
        tuned = {str(r.path) for r in self.study.of("finetune")}
        own = [r for r in self.probe_runs if str(Path(str(r.config.get("model", ""))).resolve()) not in tuned]
        return own or self.probe_runs

    @functools.cached_property
    def probe_labels(self) -> dict[Path, str]:
        """Probe run -> ``base`` or the condition it was analysed as, else its path below the root."""
        named: dict[Path, str] = {}
        for run in self.analyses:
            for key, src in (run.manifest.get("sources") or {}).items():
                found = self.study.find(src)
                if found is not None and ":" in key:
                    named.setdefault(found.path, "base" if key.startswith("base:") else key.split(":", 1)[1])
        return {r.path: named.get(r.path, self.run_label(r)) for r in self.probe_runs}

    def probe_table(self, run: Run) -> pd.DataFrame:
        """A probe run's table, read once per report (several sections use it)."""
        if run.path not in self._tables:
            self._tables[run.path] = _read(run.table("probe_scores.parquet"))
        return self._tables[run.path]

    def langs_of(self, run: Run) -> list[str]:
        frame = self._tables.get(run.path)
        col = (frame if frame is not None else _read(run.table("probe_scores.parquet"), ["lang"])).get("lang")
        return list(dict.fromkeys(col.astype(str))) if col is not None else []

    def bias(self) -> pd.DataFrame:
        parts = [
            _read(r.table("probe_bias.parquet")).assign(run=self.probe_labels[r.path], dir=self.run_label(r))
            for r in self.probe_runs
        ]
        parts = [p for p in parts if "lang" in p.columns]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    # -- what each condition trained on -----------------------------------------------------------------------
    def condition_table(self) -> pd.DataFrame:
        """condition, analysis, seeds, corpus, fine-tuning languages, size, training seeds (from the manifests)."""
        rows = []
        for cond, run in self.owner.items():
            srcs = [s for k, s in (run.manifest.get("sources") or {}).items() if k.endswith(f":{cond}")
                    and k.startswith("tuned[")]  # fmt: skip
            ft = [self._finetune_of(s) for s in srcs]
            cfgs = [f.config for f in ft if f is not None]
            corpus = [c.get("corpus") or {} for c in cfgs]
            rows.append({
                "condition": cond, "analysis": self.study.label(run), "n_seeds": len(srcs) or None,
                "corpus": _join(c.get("spec") for c in corpus), "finetune_langs": _join(
                    ",".join(c["langs"]) if isinstance(c.get("langs"), list) else c.get("langs") for c in corpus),
                "size": _join(c.get("size") for c in corpus),
                "train_seeds": _join((c.get("train") or {}).get("seed") for c in cfgs),
                "model": _join(c.get("model") for c in cfgs),
            })  # fmt: skip
        return pd.DataFrame(rows)

    def _finetune_of(self, probe_source: str) -> Run | None:
        probe = self.study.find(probe_source)
        model = probe.config.get("model") if probe is not None else None
        found = self.study.find(model) if isinstance(model, str) and model else None
        return found if found is not None and found.command == "finetune" else None

    # -- attribution --------------------------------------------------------------------------------------------
    def attribution(self, name: str) -> pd.DataFrame:
        runs = [r for r in self.study.runs if r.table(f"{name}.parquet") and r.command in ("attribute", "validate")]
        runs += [r for r in self.study.runs if r.table(f"{name}.parquet") and r not in runs and name == "lds"]
        parts = [_read(r.table(f"{name}.parquet")).assign(run=self.run_label(r)) for r in runs]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    # -- glosses -----------------------------------------------------------------------------------------------
    @functools.cache  # noqa: B019 - one StudyData per report
    def gloss(self, probe_set: str) -> dict[str, str]:
        """probe_id -> English gloss of a probe set (empty for sets without English glosses)."""
        from valueshift.probes import english_glosses

        return english_glosses(probe_set)


def _join(values: Any) -> str | None:
    vals = [str(v) for v in dict.fromkeys(values) if v not in (None, "", [])]
    return "; ".join(vals) if vals else None
