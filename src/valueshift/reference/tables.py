"""Loaders for the human reference tables shipped with valueshift (``valueshift/resources/reference``).

* :func:`load_hofstede_scores`: Hofstede's six dimensions per country (Hofstede, Hofstede & Minkov 2010).
* :func:`load_wvs_moral_means`: WVS-7 moral justifiability items Q177-Q195 per country, in [-1, 1]
  (Ramezani & Xu 2023, from WVS wave 7).

Both return tidy frames keyed by canonical country names (:mod:`valueshift.reference.countries`); join them
with a language through :func:`~valueshift.reference.countries.country_for_lang`. Provenance and licence notes
are in ``resources/reference/README.md``; the tables were written by :mod:`valueshift.reference.build`.

References
----------
Hofstede, G., Hofstede, G. J., & Minkov, M. (2010). *Cultures and Organizations: Software of the Mind* (3rd
ed.).

Ramezani, A., & Xu, Y. (2023). Knowledge of cultural moral norms in large language models. ACL 2023.

Haerpfer, C., et al. (2022). World Values Survey: Round Seven - Country-Pooled Datafile. WVSA Secretariat.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from valueshift.reference.errors import ReferenceDataError

__all__ = [
    "HOFSTEDE_DIMENSIONS",
    "WVS_MORAL_ITEMS",
    "load_hofstede_scores",
    "load_wvs_moral_means",
    "reference_dir",
]

HOFSTEDE_DIMENSIONS: tuple[str, ...] = ("pdi", "idv", "mas", "uai", "lto", "ivr")
WVS_MORAL_ITEMS: tuple[str, ...] = tuple(f"Q{i}" for i in range(177, 196))


def reference_dir() -> Path:
    """Folder of the shipped reference tables."""
    return Path(str(resources.files("valueshift") / "resources" / "reference"))


def _read(path: Path | None, default_name: str, columns: list[str]) -> tuple[pd.DataFrame, Path]:
    path = reference_dir() / default_name if path is None else Path(path)
    if not path.is_file():
        raise ReferenceDataError(f"{path}: reference table not found; reinstall valueshift or pass a path")
    df = pd.read_csv(path, comment="#", keep_default_na=False, na_values=[""])
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ReferenceDataError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(columns)}")
    return df[columns], path


def load_hofstede_scores(path: str | Path | None = None) -> pd.DataFrame:
    """Hofstede's six cultural dimensions per country.

    Parameters
    ----------
    path
        A table in the same layout; the shipped ``hofstede_6d.csv`` when None.

    Returns
    -------
    pandas.DataFrame
        Columns ``country, pdi, idv, mas, uai, lto, ivr``, one row per country (and per region Hofstede lists,
        such as ``Arab countries``); scores are floats on Hofstede's roughly 0-100 scales (some exceed 100),
        NaN where the source has none. ``lto`` is the WVS-based long-term orientation score.

    Notes
    -----
    All 13 test countries plus India and Russia have all six scores; Egypt has only ``lto`` and ``ivr``.

    References
    ----------
    Hofstede, Hofstede & Minkov (2010), ch. 3-8; dimension data matrix 2015-08-16.

    Examples
    --------
    >>> df = load_hofstede_scores()
    >>> df.loc[df.country == "South Korea", ["pdi", "lto"]].values.tolist()
    [[60.0, 100.0]]
    """
    df, path = _read(None if path is None else Path(path), "hofstede_6d.csv", ["country", *HOFSTEDE_DIMENSIONS])
    for col in HOFSTEDE_DIMENSIONS:
        values = pd.to_numeric(df[col], errors="coerce")
        bad = values.isna() & df[col].notna()
        if bad.any():
            raise ReferenceDataError(f"{path}: column {col} holds a non-number ({df[col][bad].iloc[0]!r})")
        df[col] = values.astype(float)
    return df.reset_index(drop=True)


def load_wvs_moral_means(path: str | Path | None = None) -> pd.DataFrame:
    """Human WVS wave-7 moral justifiability per country and item.

    Parameters
    ----------
    path
        A table in the same layout; the shipped ``wvs7_moral_means.csv`` when None.

    Returns
    -------
    pandas.DataFrame
        Columns ``country, question_id, value``: ``question_id`` ``Q177`` ... ``Q195``; ``value`` in [-1, 1]
        is the mean answer on the WVS 1-10 scale mapped by ``(mean - 5.5) / 4.5``, so higher = more
        justifiable. 55 countries (no Serbia, no India). ``value`` is NaN for the 17 cells where the source
        has none (items not asked in Egypt, Iran, Iraq, Jordan, Lebanon, Tajikistan, Turkey; e.g. Iran Q183,
        Q193).

    References
    ----------
    Ramezani & Xu (2023), sec. 3 (their ``wvs_score``); WVS wave 7 (Haerpfer et al. 2022), items Q177-Q195.

    Examples
    --------
    >>> df = load_wvs_moral_means()
    >>> sorted(df.question_id.unique()) == list(WVS_MORAL_ITEMS)
    True
    """
    df, path = _read(None if path is None else Path(path), "wvs7_moral_means.csv", ["country", "question_id", "value"])
    df["value"] = pd.to_numeric(df["value"], errors="coerce").astype(float)
    if df["value"].abs().gt(1).any():
        raise ReferenceDataError(f"{path}: values must lie in [-1, 1]")
    return df.reset_index(drop=True)
