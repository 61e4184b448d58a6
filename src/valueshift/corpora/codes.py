"""Language-code maps between ISO 639-1 (valueshift's codes) and the codes corpus releases use in file names.

FLORES-200 names files by ISO 639-3 plus script (``pes_Arab``), FLORES-101 by ISO 639-3 alone (``fas``), NTREX-128
by ISO 639-3 with an optional region (``zho-CN``), the christos-c Bible corpus by English language name
(``Farsi.xml``) and ISO 639-3 in its header. Each table lists candidates in order of preference; a loader takes the
first file that exists, so a release that offers two variants (``fas``/``prs``, ``zho-CN``/``zho-TW``) resolves the
same way every time. The tables are data: add a row rather than a branch in a loader.
"""

from __future__ import annotations

__all__ = ["BIBLE_NAMES", "FLORES_CODES", "ISO3_TO_ISO1", "NTREX_CODES", "iso1_from_any"]

# ISO 639-1 -> FLORES-200 codes, then FLORES-101 codes (ISO 639-3), in order of preference.
FLORES_CODES: dict[str, tuple[str, ...]] = {
    "fa": ("pes_Arab", "prs_Arab", "fas"), "ko": ("kor_Hang", "kor"), "hi": ("hin_Deva", "hin"),
    "ru": ("rus_Cyrl", "rus"), "en": ("eng_Latn", "eng"), "de": ("deu_Latn", "deu"),
    "ar": ("arb_Arab", "ara"), "zh": ("zho_Hans", "zho_simpl"), "ja": ("jpn_Jpan", "jpn"),
    "id": ("ind_Latn", "ind"), "vi": ("vie_Latn", "vie"), "tr": ("tur_Latn", "tur"),
    "ro": ("ron_Latn", "ron"), "el": ("ell_Grek", "ell"), "ur": ("urd_Arab", "urd"),
    "tl": ("tgl_Latn", "tgl"), "bn": ("ben_Beng", "ben"), "ms": ("zsm_Latn", "msa"),
    "sr": ("srp_Cyrl", "srp"), "fr": ("fra_Latn", "fra"), "es": ("spa_Latn", "spa"),
    "it": ("ita_Latn", "ita"), "pt": ("por_Latn", "por"), "nl": ("nld_Latn", "nld"),
    "pl": ("pol_Latn", "pol"), "uk": ("ukr_Cyrl", "ukr"), "he": ("heb_Hebr", "heb"),
    "th": ("tha_Thai", "tha"), "sw": ("swh_Latn", "swh"), "ta": ("tam_Taml", "tam"),
}  # fmt: skip

# ISO 639-1 -> NTREX-128 file codes (``newstest2019-ref.<code>.txt``); English is the source file.
NTREX_CODES: dict[str, tuple[str, ...]] = {
    "fa": ("fas", "prs"), "ko": ("kor",), "hi": ("hin",), "ru": ("rus",), "de": ("deu",), "ar": ("arb",),
    "zh": ("zho-CN", "zho-TW"), "ja": ("jpn",), "id": ("ind",), "vi": ("vie",), "tr": ("tur",),
    "ro": ("ron",), "el": ("ell",), "ur": ("urd",), "tl": ("fil", "tgl"), "bn": ("ben",), "ms": ("msa",),
    "sr": ("srp-Cyrl", "srp-Latn"), "fr": ("fra",), "es": ("spa",), "it": ("ita",), "pt": ("por",),
    "nl": ("nld",), "pl": ("pol",), "uk": ("ukr",), "he": ("heb",), "th": ("tha",), "sw": ("swa",),
    "ta": ("tam",), "en": ("eng",),
}  # fmt: skip

# ISO 639-3 (and a few ISO 639-2/B forms seen in corpus headers) -> ISO 639-1.
ISO3_TO_ISO1: dict[str, str] = {
    "fas": "fa", "per": "fa", "pes": "fa", "kor": "ko", "hin": "hi", "rus": "ru", "eng": "en", "deu": "de",
    "ger": "de", "ara": "ar", "arb": "ar", "zho": "zh", "chi": "zh", "cmn": "zh", "jpn": "ja", "ind": "id",
    "vie": "vi", "tur": "tr", "ron": "ro", "rum": "ro", "ell": "el", "gre": "el", "urd": "ur", "tgl": "tl",
    "fil": "tl", "ben": "bn", "msa": "ms", "zsm": "ms", "srp": "sr", "fra": "fr", "fre": "fr", "spa": "es",
    "ita": "it", "por": "pt", "nld": "nl", "dut": "nl", "pol": "pl", "ukr": "uk", "heb": "he", "tha": "th",
    "swa": "sw", "swh": "sw", "tam": "ta", "bul": "bg", "hrv": "hr", "ces": "cs", "cze": "cs", "fin": "fi",
    "hun": "hu", "swe": "sv", "nor": "no", "dan": "da", "lit": "lt", "slk": "sk", "slo": "sk", "isl": "is",
    "ice": "is", "epo": "eo", "mri": "mi", "xho": "xh", "zul": "zu",
}  # fmt: skip

# English language names used as file stems by the christos-c bible-corpus -> ISO 639-1.
BIBLE_NAMES: dict[str, str] = {
    "farsi": "fa", "persian": "fa", "korean": "ko", "hindi": "hi", "russian": "ru", "english": "en",
    "german": "de", "arabic": "ar", "chinese": "zh", "japanese": "ja", "indonesian": "id", "vietnamese": "vi",
    "turkish": "tr", "romanian": "ro", "greek": "el", "urdu": "ur", "tagalog": "tl", "bengali": "bn",
    "malay": "ms", "serbian": "sr", "french": "fr", "spanish": "es", "italian": "it", "portuguese": "pt",
    "dutch": "nl", "polish": "pl", "ukranian": "uk", "ukrainian": "uk", "hebrew": "he", "thai": "th",
    "swahili": "sw", "tamil": "ta", "bulgarian": "bg", "croatian": "hr", "czech": "cs", "finnish": "fi",
    "hungarian": "hu", "swedish": "sv", "norwegian": "no", "danish": "da", "lithuanian": "lt", "slovak": "sk",
    "icelandic": "is", "esperanto": "eo", "maori": "mi", "xhosa": "xh", "zulu": "zu", "albanian": "sq",
}  # fmt: skip


def iso1_from_any(code: str) -> str | None:
    """Map an ISO 639-1/639-3 code, a FLORES code (``pes_Arab``) or an English name to ISO 639-1, or None.

    Examples
    --------
    >>> iso1_from_any("pes_Arab"), iso1_from_any("fas"), iso1_from_any("Farsi"), iso1_from_any("xx")
    ('fa', 'fa', 'fa', None)
    """
    from valueshift.langs import is_known_lang

    c = code.strip()
    if is_known_lang(c.lower()) and len(c) == 2:
        return c.lower()
    for iso1, cands in FLORES_CODES.items():
        if c in cands:
            return iso1
    base = c.split("_")[0].split("-")[0].lower()
    if base in ISO3_TO_ISO1 and len(ISO3_TO_ISO1[base]) == 2:
        return ISO3_TO_ISO1[base]
    return BIBLE_NAMES.get(c.split("-")[0].lower())
