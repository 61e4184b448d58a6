"""Cultural value profiles: per (model, language) the vector of probe values.

A profile is a column of a wide (probe x language) matrix built from a probe table (Choenni et al. 2024,
sec. 4, compare languages through such vectors). Four options (:class:`ProfileOptions`) shape it:

* ``calibrate`` — remove an answer lean before anything else (:func:`calibrate_values`; ``docs/validity.md``):
  ``none`` (default: the raw log-odds, as in the study), ``pmi`` (values from neutral-prompt scores),
  ``center`` (subtract each language's mean value) or ``pairs`` (subtract the language's acquiescence, estimated
  from the bipolar probe pairs, :func:`valueshift.analysis.bias.acquiescence`).
* ``orient`` — multiply by the probe's ``direction`` (+1/-1) so that a higher value means a higher number on
  the survey's answer scale; probes without a direction keep their value.
* ``groups`` — option probes (a/b/c/d options of one question, ``group`` set, value = log-odds of this option
  vs the others) are centred within their group per language (``"center"``, default: the options of a group
  then sum to 0, so a group's overall level, which depends on the options' lengths, does not count), kept as
  they are (``"keep"``) or dropped (``"drop"``).
* ``zscore`` — standardise each language's column across probes (off by default; correlations do not change).

References
----------
Choenni, R., Lauscher, A., & Shutova, E. (2024). The Echoes of Multilinguality: Tracing Cultural Value Shifts
during LM Fine-tuning. ACL 2024, sec. 4.

Arora, A., Kaffee, L.-A., & Augenstein, I. (2023). Probing Pre-Trained Language Models for Cross-Cultural
Differences in Values. C3NLP 2023.

Holtzman, A., West, P., Shwartz, V., Choi, Y., & Zettlemoyer, L. (2021). Surface Form Competition: Why the
Highest Probability Answer Isn't Always Right. EMNLP 2021 (PMI scoring).

valueshift probe audit (2026), sec. 5 (answer priors that differ between languages).
"""

from __future__ import annotations

from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from valueshift.analysis.bias import acquiescence, pair_rows
from valueshift.errors import AnalysisError, ConfigError

__all__ = [
    "CALIBRATIONS",
    "GROUP_MODES",
    "Calibration",
    "GroupMode",
    "ProfileOptions",
    "build_profiles",
    "calibrate_values",
    "row_key",
]

GroupMode = Literal["center", "keep", "drop"]
Calibration = Literal["none", "pmi", "center", "pairs"]
GROUP_MODES: tuple[str, ...] = get_args(GroupMode)
CALIBRATIONS: tuple[str, ...] = get_args(Calibration)
_NEUTRAL = ("logp_pos_neutral", "logp_neg_neutral")


class ProfileOptions(BaseModel):
    """How probe values become profile entries (see the module docstring).

    Immutable; unknown fields are rejected. A value outside a field's choices raises
    :class:`~valueshift.errors.ConfigError` naming the field and the choices; other invalid input (a wrong
    type) raises :class:`pydantic.ValidationError`.

    Attributes
    ----------
    orient
        Multiply values by ``direction`` where it is known (default True).
    groups
        ``"center"`` (default), ``"keep"`` or ``"drop"`` for option probes.
    zscore
        Standardise each language across probes (default False).
    calibrate
        ``"none"`` (default), ``"pmi"``, ``"center"`` or ``"pairs"``: see :func:`calibrate_values`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    orient: bool = Field(default=True, description="multiply values by the probe's direction where it is known")
    groups: GroupMode = Field(
        default="center", description="option probes: centre within their group per language, keep as they are, or drop"
    )
    zscore: bool = Field(default=False, description="standardise each language's profile across probes")
    calibrate: Calibration = Field(
        default="none",
        description="remove an answer lean first: none (raw log-odds), pmi (neutral-prompt scores), "
        "center (minus the language's mean value), pairs (minus the language's bipolar-pair acquiescence)",
    )

    @model_validator(mode="before")
    @classmethod
    def _choices(cls, data: Any) -> Any:
        """One clear line for a value outside a field's choices (ConfigError passes through pydantic)."""
        if isinstance(data, dict):
            for name, choices in (("groups", GROUP_MODES), ("calibrate", CALIBRATIONS)):
                if name in data and data[name] not in choices:
                    raise ConfigError(f"{name}={data[name]!r} is not one of {', '.join(choices)}")
        return data


def _group_logodds(scores: pd.Series, keys: list[pd.Series]) -> pd.Series:
    """Log-odds of each option against the other options of its group: ``s_i - logsumexp(s_j, j != i)``."""
    out = pd.Series(np.nan, index=scores.index, dtype=float)
    for idx in scores.groupby(keys, dropna=False, sort=False).groups.values():
        s = scores.loc[idx].to_numpy(float)
        if len(s) < 2:
            continue
        top = np.max(s)
        w = np.exp(s - top)
        rest = w.sum() - w  # sum over the other options, each scaled by exp(-top)
        with np.errstate(divide="ignore"):
            out.loc[idx] = s - (top + np.log(rest))
    return out


def _pmi_values(df: pd.DataFrame, value: str) -> pd.Series:
    """PMI values: already there when the table was scored with pmi, else recomputed from neutral scores."""
    if "normalize" in df.columns:
        norms = set(df["normalize"].dropna().astype(str))
        if norms == {"pmi"}:
            return df[value].astype(float)
    missing = [c for c in ("logp_pos", "logp_neg", *_NEUTRAL) if c not in df.columns]
    if missing:
        raise AnalysisError(
            f"calibrate='pmi' needs neutral-prompt scores, but the probe table lacks {', '.join(missing)}: "
            "re-score it with `valueshift probe ... --normalize pmi` (or use calibrate none, center or pairs)"
        )
    f = {c: pd.to_numeric(df[c], errors="coerce").astype(float) for c in ("logp_pos", "logp_neg", *_NEUTRAL)}
    s_pos = f["logp_pos"] - f["logp_pos_neutral"]
    out = s_pos - (f["logp_neg"] - f["logp_neg_neutral"])
    options = ~pair_rows(df) & df["group"].notna() if "group" in df.columns else pd.Series(False, index=df.index)
    if options.any():
        keys = [c for c in ("model", "probe_set", "lang", "group", "template_id") if c in df.columns]
        sub = df.loc[options]
        out.loc[options] = _group_logodds(s_pos[options], [sub[k].astype(str) for k in keys])
    return out


def _lang_keys(df: pd.DataFrame) -> pd.Series:
    model = df["model"].astype(str) if "model" in df.columns else pd.Series("", index=df.index)
    return pd.Series(list(zip(model, df["lang"].astype(str), strict=True)), index=df.index)


def calibrate_values(frame: pd.DataFrame, method: str, *, value: str = "value") -> pd.DataFrame:
    """Remove a language-wide answer lean from probe values.

    Parameters
    ----------
    frame
        A probe table or a :class:`~valueshift.analysis.tables.ProbeTable` frame of one or more models
        (``lang, probe_id`` and ``value``; ``model``, ``probe_set``, ``answer_neg``, ``direction``, ``group``,
        ``template_id``, ``normalize`` and the ``logp_*`` columns are used when present).
    method
        ``none``
            the values as they are (the study's raw log-odds).
        ``pmi``
            values from neutral-prompt scores, ``(logp_pos - logp_pos_neutral) - (logp_neg - logp_neg_neutral)``
            (option probes without ``answer_neg``: log-odds against the other options of their group), the
            ``pmi`` normalisation of :mod:`valueshift.scoring.normalize`. A table whose ``normalize`` is
            already ``pmi`` everywhere keeps its values; one without the neutral columns is an error.
        ``center``
            per (model, language), subtract the mean value of the two-answer probes (each probe's templates
            averaged first), so every language's mean is 0.
        ``pairs``
            per (model, language), subtract the acquiescence estimated from the bipolar pairs
            (:func:`valueshift.analysis.bias.acquiescence`); a language without any complete pair is an error.

        ``center`` and ``pairs`` change only two-answer probes (rows with an ``answer_neg``; every row when the
        frame has no ``answer_neg`` column): option probes scored within their group carry no
        positive-answer lean.
    value
        The column to calibrate.

    Returns
    -------
    pandas.DataFrame
        A copy with ``value`` replaced by the calibrated values.

    Raises
    ------
    ConfigError
        For an unknown ``method``.
    AnalysisError
        ``pmi`` without neutral-prompt columns; ``pairs`` for a language without bipolar pairs.

    Notes
    -----
    ``center`` and ``pairs`` are linear: calibrating a mean over seeds equals the mean of the calibrated seeds.
    ``center`` also removes a real language-wide difference in values (a population that agrees with more of
    the statements), ``pairs`` only what the bipolar pairs show to be a lean; see ``docs/validity.md``.

    References
    ----------
    Holtzman et al. (2021) (PMI); Arora et al. (2023) (bipolar pairs); valueshift probe audit, sec. 5.

    Examples
    --------
    >>> df = pd.DataFrame({"lang": ["de", "de", "fa", "fa"], "probe_id": ["1", "2", "1", "2"],
    ...                    "value": [1.0, 3.0, -1.0, 0.0]})
    >>> calibrate_values(df, "center")["value"].tolist()
    [-1.0, 1.0, -0.5, 0.5]
    """
    if method not in CALIBRATIONS:
        raise ConfigError(f"calibrate={method!r} is not one of {', '.join(CALIBRATIONS)}")
    missing = [c for c in ("lang", "probe_id", value) if c not in frame.columns]
    if missing:
        raise AnalysisError(f"cannot calibrate: the table lacks column(s) {', '.join(missing)}")
    df = frame.copy()
    if method == "none":
        return df
    if method == "pmi":
        df[value] = _pmi_values(df, value).to_numpy(float)
        return df
    v = pd.to_numeric(df[value], errors="coerce").astype(float)
    pairs = pair_rows(df)
    keys = _lang_keys(df)
    if method == "center":
        work = df.loc[pairs, [c for c in ("model", "probe_set", "lang", "probe_id") if c in df.columns]].copy()
        work["_v"], work["_k"] = v[pairs], keys[pairs]
        ids = [c for c in ("probe_set", "probe_id") if c in work.columns]
        per_probe = work.groupby(["_k", *ids], sort=False, dropna=False)["_v"].mean()
        shift = per_probe.groupby(level="_k", sort=False).mean().to_dict()
    else:  # pairs
        acq = acquiescence(df, value=value)
        shift = {(str(m), str(lg)): a for m, lg, a in zip(acq["model"], acq["lang"], acq["acquiescence"], strict=True)}
        lacking = sorted({lg for (_, lg), a in shift.items() if not np.isfinite(a)})
        if lacking:
            raise AnalysisError(
                f"calibrate='pairs' needs the bipolar probe pairs (106a/b-111a/b, 173a/b-175a/b) as two-answer "
                f"probes, but {', '.join(lacking)} has none; score the WVS set (builtin-wvs) for these "
                "languages, or use calibrate center or pmi"
            )
    offset = keys.map(lambda k: shift.get(k, np.nan)).astype(float)
    df[value] = v.where(~pairs, v - offset).to_numpy(float)
    return df


def row_key(frame: pd.DataFrame) -> pd.Series:
    """``probe_id`` as the profile's row label, prefixed by ``probe_set:`` when a table holds several sets."""
    if frame["probe_set"].nunique() > 1:
        return frame["probe_set"].astype(str) + ":" + frame["probe_id"].astype(str)
    return frame["probe_id"].astype(str)


def build_profiles(frame: pd.DataFrame, options: ProfileOptions | None = None, *, value: str = "value") -> pd.DataFrame:
    """Wide profile matrix of one model.

    Parameters
    ----------
    frame
        Rows of a :class:`~valueshift.analysis.tables.ProbeTable` (``probe_set, probe_id, lang, group,
        direction`` and the ``value`` column).
    options
        :class:`ProfileOptions`; defaults when None. ``calibrate`` is applied first (:func:`calibrate_values`).
    value
        The column holding the values (``value``, or a tuned mean).

    Returns
    -------
    pandas.DataFrame
        Index: probe label (:func:`row_key`), columns: languages in first-seen order; NaN where a probe has no
        value in a language.

    Examples
    --------
    >>> df = pd.DataFrame({"probe_set": "s", "probe_id": ["1", "1", "2", "2"], "lang": ["de", "fa"] * 2,
    ...                    "group": None, "direction": [-1.0, -1.0, 1.0, 1.0], "value": [1.0, 2.0, 3.0, 4.0]})
    >>> build_profiles(df).to_numpy().tolist()
    [[-1.0, -2.0], [3.0, 4.0]]
    """
    opts = options or ProfileOptions()
    df = calibrate_values(frame, opts.calibrate, value=value)
    v = df[value].astype(float)
    if opts.orient:
        d = pd.to_numeric(df["direction"], errors="coerce")
        v = v * d.where(d.notna(), 1.0)
    df["_v"] = v
    is_opt = df["group"].notna()
    if opts.groups == "drop":
        df = df[~is_opt]
    elif opts.groups == "center" and is_opt.any():
        gkey = [df["probe_set"], df["lang"], df["group"].astype(str)]
        means = df.loc[is_opt, "_v"].groupby([k[is_opt] for k in gkey]).transform("mean")
        df.loc[is_opt, "_v"] = df.loc[is_opt, "_v"] - means
    df["_row"] = row_key(df)
    langs = list(dict.fromkeys(df["lang"]))
    wide = df.pivot_table(index="_row", columns="lang", values="_v", aggfunc="first", dropna=False, sort=False)
    wide = wide.reindex(columns=langs)
    wide.index.name, wide.columns.name = "probe", "lang"
    if opts.zscore:
        sd = wide.std(axis=0, ddof=0).replace(0.0, np.nan)
        wide = (wide - wide.mean(axis=0)) / sd
    return wide
