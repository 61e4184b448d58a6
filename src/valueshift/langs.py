"""ISO 639-1 language codes valueshift accepts, with English names and the study's language groups.

Probe files, corpora and CLI options name languages by ISO 639-1 code. An unknown code is an error (a typo
such as ``fr_`` or ``iran`` should not silently produce an empty selection).
"""

from __future__ import annotations

from collections.abc import Iterable

from valueshift.errors import ConfigError, ValueshiftError

__all__ = [
    "FINETUNE_LANGS",
    "LANGUAGE_NAMES",
    "TEST_LANGS",
    "is_known_lang",
    "parse_langs",
]

# ISO 639-1, the codes in use (ISO 639 Registration Authority list).
LANGUAGE_NAMES: dict[str, str] = {
    "aa": "Afar", "ab": "Abkhazian", "af": "Afrikaans", "ak": "Akan", "am": "Amharic", "an": "Aragonese",
    "ar": "Arabic", "as": "Assamese", "av": "Avaric", "ay": "Aymara", "az": "Azerbaijani", "ba": "Bashkir",
    "be": "Belarusian", "bg": "Bulgarian", "bi": "Bislama", "bm": "Bambara", "bn": "Bengali", "bo": "Tibetan",
    "br": "Breton", "bs": "Bosnian", "ca": "Catalan", "ce": "Chechen", "ch": "Chamorro", "co": "Corsican",
    "cr": "Cree", "cs": "Czech", "cu": "Church Slavic", "cv": "Chuvash", "cy": "Welsh", "da": "Danish",
    "de": "German", "dv": "Divehi", "dz": "Dzongkha", "ee": "Ewe", "el": "Greek", "en": "English",
    "eo": "Esperanto", "es": "Spanish", "et": "Estonian", "eu": "Basque", "fa": "Persian", "ff": "Fulah",
    "fi": "Finnish", "fj": "Fijian", "fo": "Faroese", "fr": "French", "fy": "Western Frisian", "ga": "Irish",
    "gd": "Scottish Gaelic", "gl": "Galician", "gn": "Guarani", "gu": "Gujarati", "gv": "Manx", "ha": "Hausa",
    "he": "Hebrew", "hi": "Hindi", "ho": "Hiri Motu", "hr": "Croatian", "ht": "Haitian", "hu": "Hungarian",
    "hy": "Armenian", "hz": "Herero", "ia": "Interlingua", "id": "Indonesian", "ie": "Interlingue", "ig": "Igbo",
    "ii": "Sichuan Yi", "ik": "Inupiaq", "io": "Ido", "is": "Icelandic", "it": "Italian", "iu": "Inuktitut",
    "ja": "Japanese", "jv": "Javanese", "ka": "Georgian", "kg": "Kongo", "ki": "Kikuyu", "kj": "Kuanyama",
    "kk": "Kazakh", "kl": "Kalaallisut", "km": "Khmer", "kn": "Kannada", "ko": "Korean", "kr": "Kanuri",
    "ks": "Kashmiri", "ku": "Kurdish", "kv": "Komi", "kw": "Cornish", "ky": "Kyrgyz", "la": "Latin",
    "lb": "Luxembourgish", "lg": "Ganda", "li": "Limburgish", "ln": "Lingala", "lo": "Lao", "lt": "Lithuanian",
    "lu": "Luba-Katanga", "lv": "Latvian", "mg": "Malagasy", "mh": "Marshallese", "mi": "Maori",
    "mk": "Macedonian", "ml": "Malayalam", "mn": "Mongolian", "mr": "Marathi", "ms": "Malay", "mt": "Maltese",
    "my": "Burmese", "na": "Nauru", "nb": "Norwegian Bokmal", "nd": "North Ndebele", "ne": "Nepali",
    "ng": "Ndonga", "nl": "Dutch", "nn": "Norwegian Nynorsk", "no": "Norwegian", "nr": "South Ndebele",
    "nv": "Navajo", "ny": "Chichewa", "oc": "Occitan", "oj": "Ojibwa", "om": "Oromo", "or": "Odia",
    "os": "Ossetian", "pa": "Punjabi", "pi": "Pali", "pl": "Polish", "ps": "Pashto", "pt": "Portuguese",
    "qu": "Quechua", "rm": "Romansh", "rn": "Rundi", "ro": "Romanian", "ru": "Russian", "rw": "Kinyarwanda",
    "sa": "Sanskrit", "sc": "Sardinian", "sd": "Sindhi", "se": "Northern Sami", "sg": "Sango", "si": "Sinhala",
    "sk": "Slovak", "sl": "Slovenian", "sm": "Samoan", "sn": "Shona", "so": "Somali", "sq": "Albanian",
    "sr": "Serbian", "ss": "Swati", "st": "Southern Sotho", "su": "Sundanese", "sv": "Swedish", "sw": "Swahili",
    "ta": "Tamil", "te": "Telugu", "tg": "Tajik", "th": "Thai", "ti": "Tigrinya", "tk": "Turkmen",
    "tl": "Tagalog", "tn": "Tswana", "to": "Tonga", "tr": "Turkish", "ts": "Tsonga", "tt": "Tatar", "tw": "Twi",
    "ty": "Tahitian", "ug": "Uyghur", "uk": "Ukrainian", "ur": "Urdu", "uz": "Uzbek", "ve": "Venda",
    "vi": "Vietnamese", "vo": "Volapuk", "wa": "Walloon", "wo": "Wolof", "xh": "Xhosa", "yi": "Yiddish",
    "yo": "Yoruba", "za": "Zhuang", "zh": "Chinese", "zu": "Zulu",
}  # fmt: skip

# The study's 13 test languages (Arora et al. 2023 probes) and 4 fine-tuning languages (Choenni et al. 2024).
TEST_LANGS: tuple[str, ...] = ("bn", "de", "el", "fa", "id", "ko", "ms", "ro", "sr", "tl", "tr", "ur", "vi")
FINETUNE_LANGS: tuple[str, ...] = ("fa", "ko", "hi", "ru")


def is_known_lang(code: str) -> bool:
    """Return True if ``code`` is an ISO 639-1 code."""
    return code in LANGUAGE_NAMES


def parse_langs(
    spec: str | Iterable[str] | None,
    available: Iterable[str],
    *,
    error: type[ValueshiftError] = ConfigError,
    where: str = "",
    option: str = "--langs",
) -> list[str]:
    """Resolve a language selection against the languages that are available.

    Parameters
    ----------
    spec
        ``"all"`` (any case) or ``None`` (every available language), a comma-separated string (``"fa, ko"``;
        spaces around codes are ignored) or an iterable of codes. An empty selection (``""``, ``","``, ``[]``)
        is an error, not "all": a variable that expanded to nothing should not silently select everything.
    available
        The languages the data offers, in the order results should follow for ``"all"``.
    error, where, option
        The exception type to raise, the data source to name in its message (``"corpus X"``), and the option
        the selection came from.

    Returns
    -------
    list of str
        The selected codes, without duplicates, in the order given (or the available order for ``all``).

    Examples
    --------
    >>> parse_langs("ko, fa", ["fa", "ko", "de"])
    ['ko', 'fa']
    >>> parse_langs("ALL", ["fa", "ko"])
    ['fa', 'ko']
    """
    avail = list(dict.fromkeys(available))
    if spec is None or (isinstance(spec, str) and spec.strip().lower() == "all"):
        return avail
    raw = spec.split(",") if isinstance(spec, str) else [str(c) for c in spec]
    codes = [c for c in dict.fromkeys(c.strip() for c in raw) if c]
    if not codes:
        shown = spec if isinstance(spec, str) else ",".join(raw)
        raise error(
            f"{option} {shown!r}: no language selected; name codes such as fa,ko or pass 'all' "
            f"(available: {', '.join(avail) or 'none'})"
        )
    unknown = [c for c in codes if not is_known_lang(c)]
    if unknown:
        raise error(f"{option}: unknown language code(s) {', '.join(unknown)}: use ISO 639-1 codes such as fa, ko, de")
    missing = [c for c in codes if c not in avail]
    if missing:
        what = (
            f"{where}: has no {', '.join(missing)} text"
            if where
            else f"{option}: language(s) {', '.join(missing)} not available here"
        )
        raise error(f"{what}; available languages: {', '.join(avail) or 'none'}")
    return codes
