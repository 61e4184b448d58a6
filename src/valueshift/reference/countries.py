"""Country names, ISO 3166 alpha-3 codes, and the language-to-country mapping that links probes to surveys.

Every reference table valueshift ships or imports names countries by one *canonical* English short name
(``South Korea``, ``United States``, ``Iran``). Sources spell them differently (Hofstede's ``Korea South`` and
``U.S.A.``, Ramezani & Xu's ``United States of America``, WVS's ISO codes ``KOR``/``USA``);
:func:`normalise_country` maps each known spelling to the canonical one, and :func:`country_from_iso3` maps
the WVS ``B_COUNTRY_ALPHA`` codes.

A probe language stands for one country's population (:data:`DEFAULT_LANG_COUNTRY`). The 13 test languages
follow the mapping inferred for Choenni et al. (2024) from Arora et al. (2023); the fine-tuning languages (hi,
ru) and a few common ones are added. ``ar`` maps to Egypt: the most populous Arabic-speaking country and one
that WVS wave 7 and Ramezani & Xu cover; Hofstede's 2015 matrix has only LTO and IVR for Egypt (PDI-UAI exist
only for the ``Arab countries`` cluster), so map ``ar`` to ``Arab countries`` in a user file if those four
matter more. Override any of this with :func:`load_lang_country_mapping`.

References
----------
ISO 3166-1 alpha-3 country codes (the WVS-7 files use them in ``B_COUNTRY_ALPHA``; Northern Ireland is
``NIR``).
"""

from __future__ import annotations

import csv
import difflib
import json
import re
import warnings
from pathlib import Path

from valueshift.langs import is_known_lang
from valueshift.reference.errors import ReferenceDataError
from valueshift.textio import read_utf8

__all__ = [
    "DEFAULT_LANG_COUNTRY",
    "ISO3_COUNTRY",
    "REGIONS",
    "country_for_lang",
    "country_from_iso3",
    "is_known_country",
    "load_lang_country_mapping",
    "normalise_country",
]

# ISO 3166-1 alpha-3 -> canonical name: every WVS-7 country, every country of Hofstede's 2015 matrix and of
# Ramezani & Xu's table, and a few more. NIR (Northern Ireland) is WVS's own code.
ISO3_COUNTRY: dict[str, str] = {
    "ALB": "Albania", "DZA": "Algeria", "AND": "Andorra", "ARG": "Argentina", "ARM": "Armenia",
    "AUS": "Australia", "AUT": "Austria", "AZE": "Azerbaijan", "BGD": "Bangladesh", "BLR": "Belarus",
    "BEL": "Belgium", "BOL": "Bolivia", "BIH": "Bosnia and Herzegovina", "BRA": "Brazil", "BGR": "Bulgaria",
    "BFA": "Burkina Faso", "CAN": "Canada", "CHL": "Chile", "CHN": "China", "COL": "Colombia",
    "CRI": "Costa Rica", "HRV": "Croatia", "CYP": "Cyprus", "CZE": "Czech Republic", "DNK": "Denmark",
    "DOM": "Dominican Republic", "ECU": "Ecuador", "EGY": "Egypt", "SLV": "El Salvador", "EST": "Estonia",
    "ETH": "Ethiopia", "FIN": "Finland", "FRA": "France", "GEO": "Georgia", "DEU": "Germany", "GHA": "Ghana",
    "GBR": "United Kingdom", "GRC": "Greece", "GTM": "Guatemala", "HTI": "Haiti", "HKG": "Hong Kong",
    "HUN": "Hungary", "ISL": "Iceland", "IND": "India", "IDN": "Indonesia", "IRN": "Iran", "IRQ": "Iraq",
    "IRL": "Ireland", "ISR": "Israel", "ITA": "Italy", "JAM": "Jamaica", "JPN": "Japan", "JOR": "Jordan",
    "KAZ": "Kazakhstan", "KEN": "Kenya", "KOR": "South Korea", "KWT": "Kuwait", "KGZ": "Kyrgyzstan",
    "LVA": "Latvia", "LBN": "Lebanon", "LBY": "Libya", "LTU": "Lithuania", "LUX": "Luxembourg",
    "MAC": "Macau", "MYS": "Malaysia", "MDV": "Maldives", "MLI": "Mali", "MLT": "Malta", "MEX": "Mexico",
    "MDA": "Moldova", "MNG": "Mongolia", "MNE": "Montenegro", "MAR": "Morocco", "MMR": "Myanmar",
    "NLD": "Netherlands", "NZL": "New Zealand", "NIC": "Nicaragua", "NGA": "Nigeria",
    "MKD": "North Macedonia", "NIR": "Northern Ireland", "NOR": "Norway", "PAK": "Pakistan",
    "PSE": "Palestine", "PAN": "Panama", "PER": "Peru", "PHL": "Philippines", "POL": "Poland",
    "PRT": "Portugal", "PRI": "Puerto Rico", "QAT": "Qatar", "ROU": "Romania", "RUS": "Russia",
    "RWA": "Rwanda", "SAU": "Saudi Arabia", "SRB": "Serbia", "SGP": "Singapore", "SVK": "Slovakia",
    "SVN": "Slovenia", "ZAF": "South Africa", "ESP": "Spain", "LKA": "Sri Lanka", "SUR": "Suriname",
    "SWE": "Sweden", "CHE": "Switzerland", "SYR": "Syria", "TWN": "Taiwan", "TJK": "Tajikistan",
    "TZA": "Tanzania", "THA": "Thailand", "TTO": "Trinidad and Tobago", "TUN": "Tunisia", "TUR": "Turkey",
    "UGA": "Uganda", "UKR": "Ukraine", "ARE": "United Arab Emirates", "USA": "United States",
    "URY": "Uruguay", "UZB": "Uzbekistan", "VEN": "Venezuela", "VNM": "Vietnam", "YEM": "Yemen",
    "ZMB": "Zambia", "ZWE": "Zimbabwe",
}  # fmt: skip

# Rows of Hofstede's matrix that are regions or parts of a country, kept under the source's own names.
REGIONS: tuple[str, ...] = (
    "Africa East", "Africa West", "Arab countries", "Belgium French", "Belgium Netherl", "Canada French",
    "Germany East", "South Africa white", "Switzerland French", "Switzerland German",
)  # fmt: skip

# Other spellings -> canonical name (matched case-insensitively, whitespace collapsed).
_ALIASES: dict[str, str] = {
    "korea south": "South Korea", "korea, south": "South Korea", "korea, republic of": "South Korea",
    "republic of korea": "South Korea", "korea": "South Korea", "s. korea": "South Korea",
    "u.s.a.": "United States", "usa": "United States", "us": "United States", "u.s.": "United States",
    "united states of america": "United States", "great britain": "United Kingdom", "uk": "United Kingdom",
    "britain": "United Kingdom", "iran, islamic republic of": "Iran", "islamic republic of iran": "Iran",
    "russian federation": "Russia", "viet nam": "Vietnam", "czech rep": "Czech Republic",
    "czechia": "Czech Republic", "slovak rep": "Slovakia", "slovak republic": "Slovakia",
    "kyrgyz rep": "Kyrgyzstan", "kyrgyz republic": "Kyrgyzstan", "macedonia rep": "North Macedonia",
    "macedonia": "North Macedonia", "republic of north macedonia": "North Macedonia",
    "bosnia": "Bosnia and Herzegovina", "bosnia herzegovina": "Bosnia and Herzegovina",
    "taiwan roc": "Taiwan", "taiwan, province of china": "Taiwan", "hong kong sar": "Hong Kong",
    "hong kong sar china": "Hong Kong", "macao": "Macau", "macao sar": "Macau", "macau sar": "Macau",
    "republic of moldova": "Moldova", "moldova, republic of": "Moldova", "burma": "Myanmar",
    "bolivia, plurinational state of": "Bolivia", "venezuela, bolivarian republic of": "Venezuela",
    "united republic of tanzania": "Tanzania", "türkiye": "Turkey", "turkiye": "Turkey",
    "egypt, arab rep.": "Egypt", "syrian arab republic": "Syria", "the netherlands": "Netherlands",
    "holland": "Netherlands", "the philippines": "Philippines",
}  # fmt: skip

_CANONICAL = {name.casefold(): name for name in (*ISO3_COUNTRY.values(), *REGIONS)}

# Language (ISO 639-1) -> country whose people the language's probes are compared with (module docstring).
DEFAULT_LANG_COUNTRY: dict[str, str] = {
    "bn": "Bangladesh", "de": "Germany", "el": "Greece", "fa": "Iran", "id": "Indonesia", "ko": "South Korea",
    "ms": "Malaysia", "ro": "Romania", "sr": "Serbia", "tl": "Philippines", "tr": "Turkey", "ur": "Pakistan",
    "vi": "Vietnam", "hi": "India", "ru": "Russia", "en": "United States", "ar": "Egypt", "zh": "China",
    "ja": "Japan",
}  # fmt: skip


def _key(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip()).casefold()


def normalise_country(name: str, *, strict: bool = False) -> str:
    """Return the canonical spelling of a country name.

    Parameters
    ----------
    name
        A name as a source writes it (``Korea South``, ``United States of America``, ``viet nam``).
    strict
        Raise :class:`ReferenceDataError` for a name that is neither canonical, a known alias nor one of
        Hofstede's :data:`REGIONS`; otherwise such a name comes back stripped but unchanged.

    Returns
    -------
    str
        The canonical name.

    Examples
    --------
    >>> normalise_country("Korea South")
    'South Korea'
    >>> normalise_country("United States of America")
    'United States'
    >>> normalise_country("Atlantis")
    'Atlantis'
    """
    key = _key(name)
    if key in _CANONICAL:
        return _CANONICAL[key]
    if key in _ALIASES:
        return _ALIASES[key]
    if strict:
        hint = difflib.get_close_matches(name.strip(), sorted(_CANONICAL.values()), n=1)
        did = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise ReferenceDataError(f"unknown country name {name!r}{did}; use an English short name such as 'Iran'")
    return re.sub(r"\s+", " ", name.strip())


def is_known_country(name: str) -> bool:
    """True if ``name`` is a canonical name, a known alias or a Hofstede region."""
    key = _key(name)
    return key in _CANONICAL or key in _ALIASES


def country_from_iso3(code: str) -> str | None:
    """Canonical name for an ISO 3166-1 alpha-3 code (as in WVS ``B_COUNTRY_ALPHA``), or None if unknown.

    >>> country_from_iso3("kor")
    'South Korea'
    """
    return ISO3_COUNTRY.get(code.strip().upper())


def country_for_lang(lang: str, mapping: dict[str, str] | None = None) -> str | None:
    """The country whose survey answers the probes of ``lang`` are compared with.

    Parameters
    ----------
    lang
        ISO 639-1 code.
    mapping
        Language -> country; :data:`DEFAULT_LANG_COUNTRY` when None (see :func:`load_lang_country_mapping`).

    Returns
    -------
    str or None
        The canonical country name, or None when the language is not mapped.

    Examples
    --------
    >>> country_for_lang("ko")
    'South Korea'
    >>> country_for_lang("ko", {"ko": "Korea South"})
    'South Korea'
    >>> country_for_lang("xx") is None
    True
    """
    table = DEFAULT_LANG_COUNTRY if mapping is None else mapping
    country = table.get(lang.strip())
    return normalise_country(country) if country else None


def _check_entry(lang: str, country: str | None, where: str) -> tuple[str, str | None]:
    lang = lang.strip()
    if not is_known_lang(lang):
        raise ReferenceDataError(f"{where}: {lang!r} is not an ISO 639-1 language code (e.g. fa, ko); fix the key")
    if country is None or not str(country).strip():
        return lang, None
    country = str(country)
    if not is_known_country(country):
        hint = difflib.get_close_matches(country.strip(), sorted(_CANONICAL.values()), n=1)
        did = f"; did you mean {hint[0]!r}?" if hint else ""
        warnings.warn(f"{where}: country {country!r} is not in valueshift's name list{did}", stacklevel=3)
    return lang, normalise_country(country)


def _json_entries(path: Path, text: str) -> list[tuple[str, str | None, str]]:
    def pairs_hook(pairs: list[tuple[str, object]]) -> list[tuple[str, object]]:
        return pairs

    try:
        pairs = json.loads(text, object_pairs_hook=pairs_hook)
    except json.JSONDecodeError as exc:
        raise ReferenceDataError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg}); write an object "
                                 '{"lang": "country", ...}') from exc  # fmt: skip
    if not isinstance(pairs, list):
        raise ReferenceDataError(f'{path}:1: expected a JSON object {{"lang": "country", ...}}')
    lines = text.splitlines()
    out = []
    for lang, country in pairs:
        lineno = next((i for i, ln in enumerate(lines, 1) if f'"{lang}"' in ln), 1)
        if country is not None and not isinstance(country, str):
            raise ReferenceDataError(f"{path}:{lineno}: country for {lang!r} must be a string or null")
        out.append((lang, country, f"{path}:{lineno}"))
    return out


def _csv_entries(path: Path, text: str) -> list[tuple[str, str | None, str]]:
    first = text.splitlines()[0] if text.strip() else ""
    sep = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(text.splitlines(), delimiter=sep)
    header = [h.strip().lower() for h in next(reader, [])]
    if header[:2] != ["lang", "country"]:
        raise ReferenceDataError(f"{path}:1: header must be 'lang,country', got {sep.join(header)!r}")
    out = []
    for row in reader:
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        where = f"{path}:{reader.line_num}"
        if len(row) < 2:
            raise ReferenceDataError(f"{where}: expected 'lang{sep}country', got {sep.join(row)!r}")
        out.append((row[0], row[1] or None, where))
    return out


def load_lang_country_mapping(path: str | Path, *, extend: bool = True) -> dict[str, str]:
    """Read a language -> country mapping from a JSON or CSV file.

    Parameters
    ----------
    path
        ``*.json``: an object ``{"ar": "Saudi Arabia", "sr": null}``; ``*.csv``: header ``lang,country``
        (``;`` also accepted), one pair per line, ``#`` comment lines skipped. An empty country (JSON null)
        removes the language from the mapping. Country names are normalised (:func:`normalise_country`); an
        unknown name is kept with a warning.
    extend
        Start from :data:`DEFAULT_LANG_COUNTRY` and apply the file's entries (default); with False the result
        holds only the file's entries.

    Returns
    -------
    dict
        Language code -> canonical country name.

    Raises
    ------
    ReferenceDataError
        Missing or unreadable file, malformed content, or a key that is not an ISO 639-1 code, named with its
        file and line.
    """
    path = Path(path)
    if not path.is_file():
        raise ReferenceDataError(f"{path}: no such mapping file; write a JSON object or a 'lang,country' CSV")
    text = read_utf8(path, ReferenceDataError)
    if path.suffix.lower() == ".json":
        entries = _json_entries(path, text)
    elif path.suffix.lower() in (".csv", ".tsv", ".txt"):
        entries = _csv_entries(path, text)
    else:
        raise ReferenceDataError(f"{path}: unknown mapping format {path.suffix!r}; use .json or .csv")
    mapping: dict[str, str] = dict(DEFAULT_LANG_COUNTRY) if extend else {}
    for lang, country, where in entries:
        lang, canonical = _check_entry(lang, country, where)
        if canonical is None:
            mapping.pop(lang, None)
        else:
            mapping[lang] = canonical
    return mapping
