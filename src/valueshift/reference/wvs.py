"""Import the official World Values Survey wave-7 cross-national CSV into per-country item means.

The WVS microdata may not be redistributed, so valueshift ships no copy: download
``WVS_Cross-National_Wave_7_csv_v*.csv`` from worldvaluessurvey.org and run::

    valueshift human import-wvs WVS_Cross-National_Wave_7_csv_v5_0.csv --out wvs7.parquet --items Q177,Q182

Layout read (the official export): one row per respondent; ``B_COUNTRY_ALPHA`` the ISO 3166 alpha-3 country
code, ``W_WEIGHT`` the respondent's within-country weight, item columns ``Q1`` ... ``Q290`` holding answer
codes. Negative codes (-1 don't know, -2 no answer, -4 not asked, -5 missing) and empty cells are missing.
Comma-separated as published; ``;``-separated files (a European spreadsheet re-save) are accepted too.

For each country ``c`` and item ``q``, over respondents ``i`` with a valid answer ``x_i`` and weight ``w_i``::

    mean = Σ w_i x_i / Σ w_i          n = #respondents          weight_sum = Σ w_i
    share(answer a) = Σ_{x_i = a} w_i / Σ w_i

A country that was not asked an item keeps a row with ``n = 0`` and ``mean`` NaN.

References
----------
Haerpfer, C., Inglehart, R., Moreno, A., Welzel, C., Kizilova, K., Diez-Medrano, J., Lagos, M., Norris, P.,
Ponarin, E. & Puranen, B. (eds.) (2022). World Values Survey: Round Seven - Country-Pooled Datafile Version
5.0. JD Systems Institute & WVSA Secretariat. doi:10.14281/18241.24. (Codebook: variables ``B_COUNTRY_ALPHA``,
``W_WEIGHT``; missing-value codes.)
"""

from __future__ import annotations

import csv
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from valueshift.reference.countries import country_from_iso3, is_known_country, normalise_country
from valueshift.reference.errors import ReferenceDataError

__all__ = [
    "COUNTRY_COLUMN",
    "WEIGHT_COLUMN",
    "WvsTables",
    "import_wvs_csv",
    "import_wvs_tables",
    "write_wvs_tables",
]

COUNTRY_COLUMN = "B_COUNTRY_ALPHA"
WEIGHT_COLUMN = "W_WEIGHT"
_ITEM = re.compile(r"^Q\d+$")
_HINT = "expected the official WVS_Cross-National_Wave_7_csv layout (comma-separated, with a header row)"


@dataclass(frozen=True)
class WvsTables:
    """What :func:`import_wvs_tables` computes.

    Attributes
    ----------
    means
        ``country, question_id, mean, n, weight_sum``: weighted mean answer code per country and item.
    distribution
        ``country, question_id, answer, share``: weighted share of each valid answer code (sums to 1 per
        country and item with answers).
    """

    means: pd.DataFrame
    distribution: pd.DataFrame


def _decode_first_line(path: Path) -> str:
    if not path.is_file():
        raise ReferenceDataError(f"{path}: no such file; download the WVS wave-7 csv from worldvaluessurvey.org")
    with path.open("rb") as fh:
        raw = fh.readline()
    if not raw.strip():
        raise ReferenceDataError(f"{path}:1: file is empty; {_HINT}")
    try:
        return raw.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError:  # older WVS exports are Latin-1; every byte decodes there
        return raw.decode("latin-1").rstrip("\r\n")


def _sniff(path: Path) -> tuple[str, list[str]]:
    """Delimiter and header names; errors for a header that is not the WVS layout."""
    first = _decode_first_line(path)
    best = max((",", ";"), key=lambda sep: len(next(csv.reader([first], delimiter=sep))))
    header = [h.strip() for h in next(csv.reader([first], delimiter=best))]
    if len(header) == 1:
        for sep, name in (("\t", "tab"), ("|", "'|'")):
            if sep in first:
                raise ReferenceDataError(
                    f"{path}:1: the file is {name}-separated; {_HINT} (';' is also accepted): re-save it as CSV"
                )
    missing = [c for c in (COUNTRY_COLUMN, WEIGHT_COLUMN) if c not in header]
    if missing:
        raise ReferenceDataError(f"{path}:1: missing column(s) {', '.join(missing)}; {_HINT}")
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise ReferenceDataError(f"{path}:1: column(s) {', '.join(dupes)} appear more than once")
    return best, header


def _line_of_record(path: Path, sep: str, record: int) -> int:
    """1-based file line where data record ``record`` (0-based, after the header) starts."""
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=sep)
        start = 1
        for i, _ in enumerate(reader):
            if i == record + 1:
                return start
            start = reader.line_num + 1
    return start


def _resolve_items(path: Path, header: list[str], items: list[str] | None) -> list[str]:
    if items is None:
        found = [h for h in header if _ITEM.match(h)]
        if not found:
            raise ReferenceDataError(f"{path}:1: no item columns Q1 ... Q290 found; {_HINT}")
        return found
    by_upper = {h.upper(): h for h in header}
    resolved, missing = [], []
    for item in items:
        key = item.strip().upper()
        key = f"Q{key}" if key.isdigit() else key
        if key in by_upper:
            resolved.append(by_upper[key])
        else:
            missing.append(item.strip())
    if missing:
        raise ReferenceDataError(f"{path}:1: item column(s) {', '.join(missing)} not in the file; check --items")
    if not resolved:
        raise ReferenceDataError(f"{path}: no items selected; pass --items Q1,Q2 or leave it out for all")
    return list(dict.fromkeys(resolved))


def _numeric(df: pd.DataFrame, col: str, path: Path, sep: str, header: list[str]) -> pd.Series:
    values = df[col]
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)
    coerced = pd.to_numeric(values.astype(str).str.strip().replace("", np.nan), errors="coerce")
    bad = coerced.isna() & values.notna() & values.astype(str).str.strip().ne("")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        line = _line_of_record(path, sep, row)
        raise ReferenceDataError(
            f"{path}:{line}: column {col} (column {header.index(col) + 1}) holds {values.iloc[row]!r}, "
            f"not a number; WVS answer codes and weights are numeric ({_HINT})"
        )
    return coerced.astype(float)


def _countries(codes: pd.Series, path: Path, sep: str) -> pd.Series:
    codes = codes.fillna("").astype(str).str.strip()
    empty = codes.eq("")
    if empty.any():
        line = _line_of_record(path, sep, int(np.flatnonzero(empty.to_numpy())[0]))
        raise ReferenceDataError(f"{path}:{line}: {COUNTRY_COLUMN} is empty; every respondent needs a country code")
    names: dict[str, str] = {}
    unknown = []
    for code in codes.unique():
        name = country_from_iso3(code)
        if name is None and is_known_country(code):
            name = normalise_country(code)
        if name is None:
            unknown.append(code)
            name = code
        names[code] = name
    if unknown:
        codes_text = ", ".join(sorted(unknown))
        warnings.warn(f"{path}: unknown {COUNTRY_COLUMN} code(s) {codes_text} kept as they are", stacklevel=3)
    return codes.map(names)


def import_wvs_tables(path: str | Path, items: list[str] | None = None) -> WvsTables:
    """Read a WVS wave-7 cross-national CSV and compute weighted per-country means and answer shares.

    Parameters
    ----------
    path
        The official ``WVS_Cross-National_Wave_7_csv`` file (or any CSV in that layout).
    items
        Item columns to keep (``["Q177", "Q182"]``; ``"177"`` and ``"q177"`` also work). All ``Q<number>``
        columns when None.

    Returns
    -------
    WvsTables
        ``means`` and ``distribution`` (see :class:`WvsTables` and the module docstring for the formulas).
        Countries are canonical names (:func:`~valueshift.reference.countries.country_from_iso3`).

    Raises
    ------
    ReferenceDataError
        Missing file, empty file, wrong delimiter, missing ``B_COUNTRY_ALPHA``/``W_WEIGHT``/item columns,
        a non-numeric answer or weight, an empty or negative weight: each named with file, line and column.
    """
    path = Path(path)
    sep, header = _sniff(path)
    cols = _resolve_items(path, header, items)
    usecols = [COUNTRY_COLUMN, WEIGHT_COLUMN, *cols]
    try:
        df = pd.read_csv(path, sep=sep, usecols=usecols, dtype={COUNTRY_COLUMN: str}, low_memory=False,
                         encoding="utf-8-sig", encoding_errors="replace")  # fmt: skip
    except (pd.errors.ParserError, ValueError) as exc:
        raise ReferenceDataError(f"{path}: cannot parse as CSV ({exc}); {_HINT}") from exc
    if df.empty:
        raise ReferenceDataError(f"{path}:2: the file has a header but no respondents")
    country = _countries(df[COUNTRY_COLUMN], path, sep)
    weight = _numeric(df, WEIGHT_COLUMN, path, sep, header)
    bad_w = weight.isna() | (weight < 0)
    if bad_w.any():
        row = int(np.flatnonzero(bad_w.to_numpy())[0])
        raise ReferenceDataError(
            f"{path}:{_line_of_record(path, sep, row)}: "
            f"{WEIGHT_COLUMN} (column {header.index(WEIGHT_COLUMN) + 1}) "
            f"is {'empty' if pd.isna(weight.iloc[row]) else weight.iloc[row]}; weights must be numbers >= 0"
        )
    all_countries = sorted(country.unique())
    means, dists = [], []
    for col in cols:
        x = _numeric(df, col, path, sep, header)
        valid = x.notna() & (x >= 0)
        sub = pd.DataFrame({"country": country[valid], "answer": x[valid], "w": weight[valid]})
        sub["wx"] = sub["w"] * sub["answer"]
        g = sub.groupby("country").agg(n=("w", "size"), weight_sum=("w", "sum"), wx=("wx", "sum"))
        g = g.reindex(all_countries).fillna({"n": 0, "weight_sum": 0.0, "wx": 0.0})
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(g["weight_sum"] > 0, g["wx"] / g["weight_sum"].where(g["weight_sum"] > 0), np.nan)
        means.append(
            pd.DataFrame(
                {
                    "country": g.index,
                    "question_id": col,
                    "mean": mean,
                    "n": g["n"].astype("int64").to_numpy(),
                    "weight_sum": g["weight_sum"].to_numpy(),
                }
            )
        )
        d = sub.groupby(["country", "answer"], as_index=False)["w"].sum()
        totals = d.groupby("country")["w"].transform("sum")
        d["share"] = np.where(totals > 0, d["w"] / totals.where(totals > 0), np.nan)
        d.insert(1, "question_id", col)
        dists.append(d[["country", "question_id", "answer", "share"]])
    means_df = pd.concat(means, ignore_index=True)
    dist_df = pd.concat(dists, ignore_index=True)
    dist_df["answer"] = dist_df["answer"].astype(float)
    return WvsTables(means_df, dist_df)


def import_wvs_csv(path: str | Path, items: list[str] | None = None) -> pd.DataFrame:
    """Weighted per-country item means of a WVS wave-7 CSV: ``country, question_id, mean, n, weight_sum``.

    The answer shares come with :func:`import_wvs_tables`; parameters, formulas and errors are documented
    there and in the module docstring.

    References
    ----------
    Haerpfer et al. (2022), WVS Round Seven Country-Pooled Datafile (codebook: ``W_WEIGHT``).
    """
    return import_wvs_tables(path, items).means


def write_wvs_tables(tables: WvsTables, means_path: str | Path, distribution_path: str | Path) -> None:
    """Write both tables as parquet, or neither.

    Each table is written to a hidden staging name next to its target; only when both are complete are they
    renamed into place, and a failure in between restores what the targets held before. A reader never sees a
    means file without its distribution file, or one from a different import.

    Raises
    ------
    ReferenceDataError
        A target is a directory, or writing or renaming fails (disk full, permissions); nothing is left behind.
    """
    from valueshift.runs.atomic import staging_name

    targets = [Path(distribution_path), Path(means_path)]
    for target in targets:
        if target.is_dir():
            raise ReferenceDataError(f"{target}: is a directory; --out names the parquet file to write")
    staged: list[Path] = []
    replaced: list[tuple[Path, Path | None]] = []  # target, and the staging name its previous file moved to
    try:
        for target, frame in zip(targets, (tables.distribution, tables.means), strict=True):
            target.parent.mkdir(parents=True, exist_ok=True)
            staged.append(staging_name(target))
            frame.to_parquet(staged[-1], index=False)
        for tmp, target in zip(staged, targets, strict=True):
            backup = staging_name(target) if target.exists() else None
            if backup is not None:
                os.replace(target, backup)
            replaced.append((target, backup))
            os.replace(tmp, target)
    except BaseException as exc:  # any failure, an interrupt included, must leave the targets as they were
        for target, backup in reversed(replaced):
            target.unlink(missing_ok=True)
            if backup is not None:
                os.replace(backup, target)
        if not isinstance(exc, OSError):
            raise
        raise ReferenceDataError(
            f"{exc.filename or targets[0]}: cannot write the WVS tables ({exc.strerror or exc}); nothing was "
            "written: check the --out folder and free space"
        ) from exc
    finally:
        for tmp in staged:
            tmp.unlink(missing_ok=True)
    for _, backup in replaced:
        if backup is not None:
            backup.unlink(missing_ok=True)
