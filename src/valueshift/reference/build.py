"""Regenerate the shipped reference tables from the published source files (run once by a maintainer).

The tables under ``valueshift/resources/reference/`` were written by this script; a test re-runs it on
``../shared/data`` and compares, so the shipped numbers can always be traced back to their sources::

    python -m valueshift.reference.build \\
        --hofstede ../shared/data/hofstede-dimensions/6-dimensions-for-website-2015-08-16.csv \\
        --ramezani ../shared/data/wvs7-moral-ramezani/wvs_w7_mcm.csv \\
        --out src/valueshift/resources/reference

Only the numbers are carried over, renamed to canonical country names (:func:`normalise_country`) and, for
Ramezani & Xu, keyed by WVS-7 question id; the model scores in Ramezani & Xu's file are dropped.

References
----------
Hofstede, G., Hofstede, G. J., & Minkov, M. (2010). *Cultures and Organizations: Software of the Mind* (3rd
ed.). McGraw-Hill. Dimension data matrix, release 2015-08-16.

Ramezani, A., & Xu, Y. (2023). Knowledge of cultural moral norms in large language models. ACL 2023.

Haerpfer, C., et al. (2022). World Values Survey: Round Seven - Country-Pooled Datafile Version 5.0.
JD Systems Institute & WVSA Secretariat.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from valueshift.reference.countries import normalise_country
from valueshift.reference.errors import ReferenceDataError
from valueshift.reference.tables import HOFSTEDE_DIMENSIONS
from valueshift.runs import atomic_path

__all__ = [
    "HOFSTEDE_HEADER",
    "WVS_MORAL_HEADER",
    "WVS_MORAL_TOPICS",
    "build_hofstede_table",
    "build_wvs_moral_table",
    "write_table_with_header",
]

# Ramezani & Xu's topic text -> WVS-7 item (Q177..Q195, in questionnaire order).
WVS_MORAL_TOPICS: dict[str, str] = {
    "claiming government benefits to which you are not entitled": "Q177",
    "avoiding a fare on public transport": "Q178",
    "stealing property": "Q179",
    "cheating on taxes": "Q180",
    "someone accepting a bribe in the course of their duties": "Q181",
    "homosexuality": "Q182",
    "prostitution": "Q183",
    "abortion": "Q184",
    "divorce": "Q185",
    "sex before marriage": "Q186",
    "suicide": "Q187",
    "euthanasia": "Q188",
    "for a man to beat his wife": "Q189",
    "parents beating children": "Q190",
    "violence against other people": "Q191",
    "terrorism as a political, ideological or religious mean": "Q192",
    "having casual sex": "Q193",
    "political violence": "Q194",
    "death penalty": "Q195",
}

HOFSTEDE_HEADER = """\
# Hofstede six-dimension country scores (pdi idv mas uai lto ivr; lto = the WVS-based 'ltowvs' column).
# Numbers from: Hofstede, G., Hofstede, G.J. & Minkov, M. (2010). Cultures and Organizations: Software of the
# Mind, 3rd ed., McGraw-Hill; dimension data matrix release 2015-08-16 (geerthofstede.com).
# Research-only reference figures; cite the book. Country names canonicalised by valueshift; regions and
# sub-national groups keep the source's names. Empty = not in the source.
# Written by valueshift.reference.build.
"""

WVS_MORAL_HEADER = """\
# WVS wave-7 moral justifiability items Q177-Q195, per-country human mean mapped to [-1, 1]
# (value = (mean rating on the 1-10 scale - 5.5) / 4.5; -1 never justifiable, +1 always justifiable).
# Numbers from: Ramezani, A. & Xu, Y. (2023). Knowledge of cultural moral norms in large language models.
# ACL 2023 (their wvs_score column); underlying data: Haerpfer, C. et al. (2022), World Values Survey wave 7.
# Research-only, non-commercial reference figures; cite both. Written by valueshift.reference.build.
"""

_HOFSTEDE_COLS = {"country": "country", "pdi": "pdi", "idv": "idv", "mas": "mas", "uai": "uai",
                  "ltowvs": "lto", "ivr": "ivr"}  # fmt: skip


def build_hofstede_table(source: str | Path) -> pd.DataFrame:
    """Read Hofstede's ``;``-separated 2015-08-16 matrix; return ``country, pdi, idv, mas, uai, lto, ivr``.

    Scores become nullable integers (``#NULL!`` -> missing); rows are sorted by country.
    """
    source = Path(source)
    df = pd.read_csv(source, sep=";", na_values=["#NULL!"], dtype=str, keep_default_na=False)
    missing = [c for c in _HOFSTEDE_COLS if c not in df.columns]
    if missing:
        raise ReferenceDataError(f"{source}:1: not Hofstede's matrix: missing column(s) {', '.join(missing)}")
    df = df[list(_HOFSTEDE_COLS)].rename(columns=_HOFSTEDE_COLS)
    df["country"] = df["country"].map(normalise_country)
    for col in HOFSTEDE_DIMENSIONS:
        df[col] = pd.to_numeric(df[col]).astype("Int64")
    if df["country"].duplicated().any():
        dup = df.loc[df["country"].duplicated(), "country"].tolist()
        raise ReferenceDataError(f"{source}: country name(s) {dup} occur twice after normalisation")
    return df.sort_values("country", ignore_index=True)


def build_wvs_moral_table(source: str | Path) -> pd.DataFrame:
    """Read Ramezani & Xu's ``wvs_w7_mcm.csv``; return ``country, question_id, value`` (``wvs_score``)."""
    source = Path(source)
    df = pd.read_csv(source)
    missing = [c for c in ("country", "question", "wvs_score") if c not in df.columns]
    if missing:
        raise ReferenceDataError(f"{source}:1: not Ramezani & Xu's table: missing column(s) {', '.join(missing)}")
    unknown = sorted(set(df["question"]) - set(WVS_MORAL_TOPICS))
    if unknown:
        raise ReferenceDataError(f"{source}: unknown topic(s) {unknown}; extend WVS_MORAL_TOPICS")
    out = pd.DataFrame(
        {
            "country": df["country"].map(normalise_country),
            "question_id": df["question"].map(WVS_MORAL_TOPICS),
            "value": df["wvs_score"].astype(float),
        }
    )
    return out.sort_values(["country", "question_id"], ignore_index=True)


def write_table_with_header(df: pd.DataFrame, path: str | Path, header: str) -> None:
    """Write ``df`` as CSV after ``#`` comment lines, atomically."""
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8", newline="") as fh:
        fh.write(header)
        df.to_csv(fh, index=False, lineterminator="\n")


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point (see module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hofstede", type=Path, required=True)
    parser.add_argument("--ramezani", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    write_table_with_header(build_hofstede_table(args.hofstede), args.out / "hofstede_6d.csv", HOFSTEDE_HEADER)
    write_table_with_header(build_wvs_moral_table(args.ramezani), args.out / "wvs7_moral_means.csv",
                            WVS_MORAL_HEADER)  # fmt: skip


if __name__ == "__main__":
    main()
