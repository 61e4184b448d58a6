"""Reading probe tables for analysis and checking that they match.

Lifecycle: :func:`load_probe_table` (a run dir or a parquet path → :class:`ProbeTable`, templates averaged)
→ :func:`check_tables_match` (same languages and probes in every table, or a clear :class:`AnalysisError`)
→ :func:`group_conditions` (tuned tables grouped by condition label; several tables of one label are seeds).

A probe table (``probe_scores.parquet``, written by ``valueshift probe``) has one row per (model, lang, probe,
template). Analysis works on one value per (probe_set, probe_id, lang): several ``template_id`` rows are
averaged first (Choenni et al. 2024, sec. 3 score each probe once; paraphrases are an extension).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from valueshift.errors import AnalysisError
from valueshift.runs import read_manifest

__all__ = [
    "KEY",
    "PROBE_TABLE",
    "ProbeTable",
    "check_tables_match",
    "group_conditions",
    "infer_label",
    "load_probe_table",
    "probe_table_from_frame",
    "stack_values",
]

PROBE_TABLE = "probe_scores.parquet"
KEY: list[str] = ["probe_set", "probe_id", "lang"]  # one analysed value per key
_REQUIRED = ("lang", "probe_id", "value")
_META = ("question_id", "group", "direction")
_SEED_SUFFIX = re.compile(r"(?:[-_.](?:seed|s)|seed)[-_=]?\d+$", re.IGNORECASE)


@dataclass
class ProbeTable:
    """One model's probe values, one row per (probe_set, probe_id, lang).

    Attributes
    ----------
    frame
        Columns ``probe_set, probe_id, lang, question_id, group, direction, value`` (+ ``model``).
    source
        Where it came from (a path, or ``<memory>``), for error messages.
    label
        Condition label (tuned tables) or ``base``.
    manifest
        The run's ``manifest.json`` if there is one, else ``{}``.
    bias
        The run's answer-bias table (``probe_bias.parquet``) if there is one.
    """

    frame: pd.DataFrame
    source: str = "<memory>"
    label: str = "base"
    manifest: dict[str, Any] = field(default_factory=dict)
    bias: pd.DataFrame | None = None

    @property
    def langs(self) -> list[str]:
        return list(dict.fromkeys(self.frame["lang"]))

    @property
    def model(self) -> str | None:
        models = self.frame["model"].dropna().unique() if "model" in self.frame else []
        return str(models[0]) if len(models) else None


def probe_table_from_frame(
    df: pd.DataFrame, *, source: str = "<memory>", label: str = "base", manifest: dict[str, Any] | None = None
) -> ProbeTable:
    """Validate a probe-table frame and average its templates.

    Parameters
    ----------
    df
        Rows as written by ``valueshift probe``; needs ``lang, probe_id, value``. ``probe_set``,
        ``question_id``, ``group``, ``direction``, ``template_id`` and ``model`` are used when present.
    source, label, manifest
        Kept on the :class:`ProbeTable` for messages and condition grouping.

    Returns
    -------
    ProbeTable
        One row per (probe_set, probe_id, lang); ``value`` is the mean over templates (NaN values ignored).
    """
    missing = [c for c in _REQUIRED if c not in df.columns]
    if missing:
        raise AnalysisError(
            f"{source}: not a probe table: missing column(s) {', '.join(missing)}; "
            f"columns are {', '.join(map(str, df.columns))}"
        )
    if df.empty:
        raise AnalysisError(f"{source}: the probe table is empty; rerun `valueshift probe`")
    if "model" in df.columns and df["model"].nunique(dropna=True) > 1:
        raise AnalysisError(
            f"{source}: holds several models ({', '.join(map(str, df['model'].unique()[:4]))}); "
            "give one table per model"
        )
    work = df.copy()
    work["probe_set"] = work["probe_set"].astype(str) if "probe_set" in work else "probes"
    work["probe_id"] = work["probe_id"].astype(str)
    work["lang"] = work["lang"].astype(str)
    for col in _META:
        if col not in work.columns:
            work[col] = None
    work["value"] = pd.to_numeric(work["value"], errors="coerce").astype(float)
    agg: dict[str, Any] = {"value": "mean", **{c: "first" for c in _META}}
    for col in ("model", "answer_neg", "normalize"):  # calibration needs to know pairs from options, and pmi
        if col in work.columns:
            agg[col] = "first"
    for col in work.columns:  # linear in the templates, so pmi from averaged scores equals averaged pmi
        if str(col).startswith("logp_"):
            agg[col] = "mean"
    out = work.groupby(KEY, sort=False, dropna=False).agg(agg).reset_index()
    direction = pd.to_numeric(out["direction"], errors="coerce")
    bad = direction.notna() & ~direction.isin([1, -1])
    if bad.any():
        raise AnalysisError(f"{source}: direction must be +1, -1 or null, got {direction[bad].iloc[0]!r}")
    out["direction"] = direction.astype(float)
    out["group"] = out["group"].where(out["group"].notna(), None)
    out["question_id"] = out["question_id"].where(out["question_id"].notna(), out["probe_id"])
    return ProbeTable(out, source=source, label=label, manifest=dict(manifest or {}))


def load_probe_table(path: str | Path, *, label: str = "base") -> ProbeTable:
    """Read a probe table from a run directory (``DIR/probe_scores.parquet``) or a parquet path.

    The run's ``manifest.json`` (next to the parquet) is read when present; a run whose manifest status is
    not ``done`` is accepted (the table is complete once written) but recorded in the manifest dict.
    """
    path = Path(path)
    file = path / PROBE_TABLE if path.is_dir() else path
    if not file.is_file():
        hint = (
            f"no {PROBE_TABLE} in it; run `valueshift probe --out {path}` first"
            if path.is_dir()
            else ("no such file; pass a run directory of `valueshift probe` or its probe_scores.parquet")
        )
        raise AnalysisError(f"{path}: {hint}")
    try:
        df = pd.read_parquet(file)
    except Exception as exc:  # pyarrow raises several types for a corrupt file
        raise AnalysisError(f"{file}: cannot read parquet ({exc}); rerun `valueshift probe`") from exc
    manifest = read_manifest(file.parent) or {}
    table = probe_table_from_frame(df, source=str(file), label=label, manifest=manifest)
    bias_file = file.parent / "probe_bias.parquet"
    table.bias = pd.read_parquet(bias_file) if bias_file.is_file() else None
    return table


def infer_label(path: str | Path, manifest: dict[str, Any] | None = None) -> str:
    """Condition label of a tuned run: its directory name without a seed suffix.

    ``runs/ft-fa-seed2`` → ``ft-fa``; ``runs/multi_s1/probe_scores.parquet`` → ``multi``. Seeds of one
    condition thus share a label when their directories differ only in the suffix. A directory named just
    ``probe`` / ``tuned`` / a seed falls back to the tuned model's name in the manifest (``config.model``).
    """
    p = Path(path)
    name = (p.parent if p.suffix == ".parquet" else p).name
    stripped = _SEED_SUFFIX.sub("", name)
    if stripped and stripped.lower() not in {"probe", "probes", "tuned", "scores"}:
        return stripped
    model = str(((manifest or {}).get("config") or {}).get("model") or "")
    return _SEED_SUFFIX.sub("", Path(model.rstrip("/")).name) or name or "tuned"


def _keys_of(table: ProbeTable) -> set[tuple[str, str, str]]:
    return set(map(tuple, table.frame[KEY].to_numpy().tolist()))


def _fmt(items: Iterable[Any], limit: int = 8) -> str:
    names = sorted(map(str, items))
    more = f" (+{len(names) - limit} more)" if len(names) > limit else ""
    return ",".join(names[:limit]) + more


def check_tables_match(base: ProbeTable, tuned: Sequence[ProbeTable], *, intersect: bool = False) -> list[str]:
    """Check that every tuned table has the base's languages and probes.

    Parameters
    ----------
    base, tuned
        Tables as loaded by :func:`load_probe_table`.
    intersect
        If True, keep only the (probe, lang) pairs all tables share instead of raising (the tables are
        filtered in place) and return notes saying what was dropped.

    Returns
    -------
    list of str
        Notes on what ``intersect`` dropped (empty when the tables match).

    Raises
    ------
    AnalysisError
        Naming what differs, e.g. ``languages differ: base has de,fa; tuned 'ft' (path) has de``.
    """
    if not tuned:
        raise AnalysisError("no tuned table given; pass at least one --tuned DIR")
    notes: list[str] = []
    base_keys = _keys_of(base)
    common = set(base_keys)
    for t in tuned:
        keys = _keys_of(t)
        who = f"tuned '{t.label}' ({t.source})"
        if keys == base_keys:
            continue
        if not intersect:
            bl, tl = set(base.langs), set(t.langs)
            if bl != tl:
                raise AnalysisError(f"languages differ: base has {_fmt(bl)}; {who} has {_fmt(tl)}")
            bs, ts = set(base.frame["probe_set"]), set(t.frame["probe_set"])
            if bs != ts:
                raise AnalysisError(f"probe sets differ: base has {_fmt(bs)}; {who} has {_fmt(ts)}")
            for lang in base.langs:
                bp = {k[1] for k in base_keys if k[2] == lang}
                tp = {k[1] for k in keys if k[2] == lang}
                if bp != tp:
                    raise AnalysisError(
                        f"probes differ in {lang}: only in base: {_fmt(bp - tp) or 'none'}; "
                        f"only in {who}: {_fmt(tp - bp) or 'none'}; score both with the same probe set "
                        "or pass --intersect"
                    )
        common &= keys
    if common != base_keys or any(_keys_of(t) != common for t in tuned):
        if not common:
            raise AnalysisError("base and tuned tables share no (probe, language) pair")
        for t in [base, *tuned]:
            before = len(t.frame)
            mask = pd.Series([k in common for k in map(tuple, t.frame[KEY].to_numpy().tolist())], index=t.frame.index)
            t.frame = t.frame[mask].reset_index(drop=True)
            if len(t.frame) < before:
                notes.append(f"{t.label} ({t.source}): dropped {before - len(t.frame)} rows not in every table")
    return notes


def group_conditions(tuned: Sequence[ProbeTable]) -> dict[str, list[ProbeTable]]:
    """Tables by condition label, in first-seen order; tables of one label are seeds (replicates)."""
    out: dict[str, list[ProbeTable]] = {}
    for t in tuned:
        out.setdefault(t.label, []).append(t)
    if "base" in out:
        raise AnalysisError("'base' is reserved for the base model; give the tuned run another --label")
    return out


def stack_values(base: ProbeTable, tables: Sequence[ProbeTable]) -> tuple[pd.DataFrame, np.ndarray]:
    """Base rows (key + meta + ``value``) and an (N, S) array of the tables' values aligned to them."""
    frame = base.frame.reset_index(drop=True)
    idx = pd.MultiIndex.from_frame(frame[KEY])
    cols = [t.frame.set_index(KEY)["value"].reindex(idx).to_numpy(float) for t in tables]
    return frame, np.column_stack(cols) if cols else np.empty((len(frame), 0))
