"""Country names and the language -> country mapping."""

from __future__ import annotations

import json

import pytest

from valueshift.langs import TEST_LANGS
from valueshift.reference import (
    DEFAULT_LANG_COUNTRY,
    ReferenceDataError,
    country_for_lang,
    country_from_iso3,
    load_lang_country_mapping,
    normalise_country,
)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("Korea South", "South Korea"),
        ("South Korea", "South Korea"),
        ("  korea,   republic of ", "South Korea"),
        ("United States of America", "United States"),
        ("U.S.A.", "United States"),
        ("Great Britain", "United Kingdom"),
        ("Czech Rep", "Czech Republic"),
        ("Viet Nam", "Vietnam"),
        ("Russian Federation", "Russia"),
        ("Arab countries", "Arab countries"),
    ],
)
def test_normalise_country_maps_source_spellings(raw: str, canonical: str) -> None:
    assert normalise_country(raw) == canonical


def test_normalise_country_strict_rejects_unknown_with_hint() -> None:
    assert normalise_country("Atlantis") == "Atlantis"
    with pytest.raises(ReferenceDataError, match="Germany"):
        normalise_country("Germny", strict=True)


def test_iso3_codes() -> None:
    assert country_from_iso3("DEU") == "Germany"
    assert country_from_iso3("irn") == "Iran"
    assert country_from_iso3("XYZ") is None


def test_default_mapping_covers_study_languages() -> None:
    expected = {
        "bn": "Bangladesh", "de": "Germany", "el": "Greece", "fa": "Iran", "id": "Indonesia",
        "ko": "South Korea", "ms": "Malaysia", "ro": "Romania", "sr": "Serbia", "tl": "Philippines",
        "tr": "Turkey", "ur": "Pakistan", "vi": "Vietnam", "hi": "India", "ru": "Russia",
    }  # fmt: skip
    assert {lang: country_for_lang(lang) for lang in expected} == expected
    assert set(TEST_LANGS) <= set(DEFAULT_LANG_COUNTRY)
    assert country_for_lang("ar") == "Egypt"
    assert country_for_lang("en") == "United States"
    assert country_for_lang("xx") is None


def test_country_for_lang_with_custom_mapping_normalises() -> None:
    assert country_for_lang("ko", {"ko": "Korea South"}) == "South Korea"
    assert country_for_lang("de", {"ko": "Korea South"}) is None


def test_load_mapping_json_extends_and_removes(tmp_path) -> None:
    path = tmp_path / "map.json"
    path.write_text(json.dumps({"ar": "Saudi Arabia", "sr": None, "sw": "Kenya"}, indent=1))
    mapping = load_lang_country_mapping(path)
    assert mapping["ar"] == "Saudi Arabia"
    assert "sr" not in mapping
    assert mapping["sw"] == "Kenya"
    assert mapping["de"] == "Germany"
    only = load_lang_country_mapping(path, extend=False)
    assert only == {"ar": "Saudi Arabia", "sw": "Kenya"}


def test_load_mapping_csv(tmp_path) -> None:
    path = tmp_path / "map.csv"
    path.write_text("lang,country\n# a comment\nko,Korea South\nen,United States of America\n")
    mapping = load_lang_country_mapping(path, extend=False)
    assert mapping == {"ko": "South Korea", "en": "United States"}


def test_load_mapping_errors_name_file_and_line(tmp_path) -> None:
    bad_lang = tmp_path / "bad.csv"
    bad_lang.write_text("lang,country\nde,Germany\niran,Iran\n")
    with pytest.raises(ReferenceDataError, match=r"bad\.csv:3: 'iran' is not an ISO 639-1"):
        load_lang_country_mapping(bad_lang)
    bad_header = tmp_path / "h.csv"
    bad_header.write_text("language;nation\nde;Germany\n")
    with pytest.raises(ReferenceDataError, match=r"h\.csv:1: header"):
        load_lang_country_mapping(bad_header)
    bad_json = tmp_path / "b.json"
    bad_json.write_text('{"de": "Germany",\n "fa": }')
    with pytest.raises(ReferenceDataError, match=r"b\.json:2: invalid JSON"):
        load_lang_country_mapping(bad_json)
    with pytest.raises(ReferenceDataError, match="no such mapping file"):
        load_lang_country_mapping(tmp_path / "absent.json")


def test_load_mapping_warns_on_unknown_country(tmp_path) -> None:
    path = tmp_path / "m.json"
    path.write_text('{"de": "Germny"}')
    with pytest.warns(UserWarning, match="did you mean 'Germany'"):
        mapping = load_lang_country_mapping(path)
    assert mapping["de"] == "Germny"
