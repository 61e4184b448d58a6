"""Cultural value profiles: per (model, language) the vector of probe values.

A profile is a column of a wide (probe x language) matrix built from a probe table (Choenni et al. 2024,
sec. 4, compare languages through such vectors). Three options shape it:

* ``orient`` — multiply by the probe's ``direction`` (+1/-1) so that a higher value means a higher number on
  the survey's answer scale; probes without a direction keep their value.
* ``groups`` — option probes (a/b/c/d options of one question, ``group`` set, value = log-odds of this option
  vs the others) are centred within their group per language (``"center"``, default: the options of a group
  then sum to 0, so a group's overall level, which depends on the options' lengths, does not count), kept as
  they are (``"keep"``) or dropped (``"drop"``).
* ``zscore`` — standardise each language's column across probes (off by default; correlations do not change).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from valueshift.errors import ConfigError

__all__ = ["ProfileOptions", "build_profiles", "row_key"]

GroupMode = Literal["center", "keep", "drop"]


@dataclass(frozen=True)
class ProfileOptions:
    """How probe values become profile entries (see the module docstring).

    Attributes
    ----------
    orient
        Multiply values by ``direction`` where it is known (default True).
    groups
        ``"center"`` (default), ``"keep"`` or ``"drop"`` for option probes.
    zscore
        Standardise each language across probes (default False).
    """

    orient: bool = True
    groups: GroupMode = "center"
    zscore: bool = False

    def __post_init__(self) -> None:
        if self.groups not in ("center", "keep", "drop"):
            raise ConfigError(f"groups={self.groups!r} is not one of center, keep, drop")


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
        :class:`ProfileOptions`; defaults when None.
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
    df = frame.copy()
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
