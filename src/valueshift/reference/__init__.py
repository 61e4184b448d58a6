"""Human reference data: country names, the language-to-country mapping, shipped tables, the WVS importer.

Typical use::

    from valueshift.reference import country_for_lang, load_hofstede_scores, load_wvs_moral_means
    hof = load_hofstede_scores()                       # country, pdi, idv, mas, uai, lto, ivr
    wvs = load_wvs_moral_means()                       # country, question_id, value
    hof[hof.country == country_for_lang("ko")]

    means = import_wvs_csv("WVS_Cross-National_Wave_7_csv_v5_0.csv", items=["Q177", "Q182"])
"""

from __future__ import annotations

from valueshift.reference.countries import (
    DEFAULT_LANG_COUNTRY,
    ISO3_COUNTRY,
    REGIONS,
    country_for_lang,
    country_from_iso3,
    is_known_country,
    load_lang_country_mapping,
    normalise_country,
)
from valueshift.reference.errors import ReferenceDataError
from valueshift.reference.tables import (
    HOFSTEDE_DIMENSIONS,
    WVS_MORAL_ITEMS,
    load_hofstede_scores,
    load_wvs_moral_means,
    reference_dir,
)
from valueshift.reference.wvs import WvsTables, import_wvs_csv, import_wvs_tables

__all__ = [
    "DEFAULT_LANG_COUNTRY",
    "HOFSTEDE_DIMENSIONS",
    "ISO3_COUNTRY",
    "REGIONS",
    "WVS_MORAL_ITEMS",
    "ReferenceDataError",
    "WvsTables",
    "country_for_lang",
    "country_from_iso3",
    "import_wvs_csv",
    "import_wvs_tables",
    "is_known_country",
    "load_hofstede_scores",
    "load_lang_country_mapping",
    "load_wvs_moral_means",
    "normalise_country",
    "reference_dir",
]
