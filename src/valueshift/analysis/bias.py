"""Answer-bias diagnostics: how much of a language's probe values is a lean toward one answer.

A probe's ``value`` is the log-odds of ``answer_pos`` against ``answer_neg``. Besides the model's view of the
item, it carries whatever makes one answer easier to produce in that language: a separate negator word in one
answer ("penting" / "tidak penting"), more tokens for one answer (the default ``--normalize sum`` favours the
shorter one), word frequency, and answer pairs that recur with the same direction across many probes. Such a
lean moves all probes of a language together, so it shows up in cross-language similarity, in the sign-based
agreement with human data and in the VSM indices. :func:`answer_bias` measures it per (model, language);
:func:`bias_warnings` turns the flagged rows into readable lines; :func:`acquiescence` is the estimate that the
``pairs`` calibration of :func:`valueshift.analysis.profiles.calibrate_values` subtracts. ``docs/validity.md``
explains how to read the table.

Lifecycle: a probe table (``probe_scores.parquet``) → :func:`answer_bias` (one row per model and language,
written as ``probe_bias.parquet``) → :func:`bias_warnings` (lines for the run log or ``summary.json`` notes).

References
----------
Choenni, R., Lauscher, A., & Shutova, E. (2024). The Echoes of Multilinguality: Tracing Cultural Value Shifts
during LM Fine-tuning. ACL 2024, sec. 4 (probing, cross-language comparison).

Arora, A., Kaffee, L.-A., & Augenstein, I. (2023). Probing Pre-Trained Language Models for Cross-Cultural
Differences in Values. C3NLP 2023 (the probe ids, including the bipolar pairs 106a/b-111a/b and 173a/b-175a/b).

valueshift probe audit (2026), sec. 5 (negation, answer length and answer priors across languages).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from valueshift.analysis.negators import detect_negator, has_negator, load_negators, negator_rules
from valueshift.errors import AnalysisError

__all__ = [
    "BIAS_COLUMNS",
    "BIPOLAR_PAIRS",
    "LEAN_LEVEL",
    "acquiescence",
    "answer_bias",
    "bias_warnings",
    "has_negator",
    "load_negators",
    "pair_rows",
]

# A language-wide lean of this many nats counts as a problem. It equals the analysis's default shift threshold
# (``valueshift.analysis.shifts.DEFAULT_THRESHOLD``, odds ratio e^0.5 ≈ 1.65): a lean this large moves every
# probe of the language by as much as the change that marks one probe as shifted, and it moves a VSM item
# score (3 + 2·direction·tanh(value/2)) by about half a scale point.
LEAN_LEVEL: float = 0.5

# WVS-7 items probed as two opposite statements answered on the same agree/disagree pair (Arora et al. 2023
# ids). A model without an answer lean gives the two statements opposite raw values.
BIPOLAR_PAIRS: tuple[tuple[str, str], ...] = (
    ("106a", "106b"),
    ("107a", "107b"),
    ("108a", "108b"),
    ("109a", "109b"),
    ("110a", "110b"),
    ("111a", "111b"),
    ("173a", "173b"),
    ("174a", "174b"),
    ("175a", "175b"),
)

BIAS_COLUMNS: list[str] = [
    "model", "lang", "normalize", "n_probes", "mean_value", "share_positive", "mean_token_asymmetry",
    "mean_char_asymmetry", "negator_share_neg", "negator_share_pos", "negator_coverage", "acquiescence",
    "n_pairs", "lean_flag",
]  # fmt: skip

_REQUIRED = ("lang", "probe_id", "value", "answer_pos", "answer_neg")


def _check(table: pd.DataFrame, need: tuple[str, ...]) -> None:
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise AnalysisError(
            f"not a probe table: missing column(s) {', '.join(missing)}; "
            f"columns are {', '.join(map(str, table.columns))}"
        )


def pair_rows(table: pd.DataFrame) -> pd.Series:
    """Boolean mask of the rows that are two-answer probes.

    Option probes scored within their ``group`` (no ``answer_neg``) hold the log-odds of one option against the
    others, not of a positive against a negative answer, so they carry no positive-answer lean. When the table
    has no ``answer_neg`` column (an averaged :class:`~valueshift.analysis.tables.ProbeTable` frame) every row
    counts as a pair probe.
    """
    if "answer_neg" not in table.columns:
        return pd.Series(True, index=table.index)
    return table["answer_neg"].notna()


def _per_probe(table: pd.DataFrame, value: str = "value") -> pd.DataFrame:
    """Pair-probe rows averaged over templates: one row per (model, probe_set, lang, probe_id)."""
    df = table[pair_rows(table)].copy()
    df["model"] = df["model"].astype(str) if "model" in df.columns else ""
    df["probe_set"] = df["probe_set"].astype(str) if "probe_set" in df.columns else ""
    df["lang"] = df["lang"].astype(str)
    df["probe_id"] = df["probe_id"].astype(str)
    df["_v"] = pd.to_numeric(df[value], errors="coerce").astype(float)
    if "direction" in df.columns:
        df["_d"] = pd.to_numeric(df["direction"], errors="coerce").astype(float)
    else:
        df["_d"] = np.nan
    keys = ["model", "probe_set", "lang", "probe_id"]
    return df.groupby(keys, sort=False, dropna=False).agg(v=("_v", "mean"), d=("_d", "first")).reset_index()


def acquiescence(table: pd.DataFrame, *, value: str = "value") -> pd.DataFrame:
    """Answer lean estimated from the bipolar pairs, per (model, language).

    For each pair ``(a, b)`` of :data:`BIPOLAR_PAIRS` present in one (model, probe set, language) as two-answer
    probes with finite values (template means), the pair's estimate is ``(value_a + value_b) / 2`` on the raw
    values, i.e. before orienting by ``direction``. The two statements sit at opposite poles of one item
    (``direction_a = -direction_b``), so a model holding position ``u`` on the item's scale (oriented log-odds)
    without any lean gives ``value_a = direction_a·u`` and ``value_b = direction_b·u = -value_a``; a lean ``c``
    toward ``answer_pos`` adds ``c`` to both, and ``(value_a + value_b) / 2 = c`` exactly. ``acquiescence`` is
    the mean of the pair estimates.

    Sign convention: > 0 the model leans toward ``answer_pos`` (on these items "agree": yea-saying), < 0 toward
    ``answer_neg`` (nay-saying); in nats of log-odds, like ``value``. Pairs whose known directions are not
    opposite are skipped (the identity above does not hold for them).

    Parameters
    ----------
    table
        A probe table (``lang, probe_id, value``; ``model``, ``probe_set``, ``direction``, ``answer_neg`` and
        ``template_id`` are used when present).
    value
        The column holding the values.

    Returns
    -------
    pandas.DataFrame
        ``model, lang, acquiescence, n_pairs``: one row per (model, language) of the table; ``acquiescence`` is
        NaN and ``n_pairs`` 0 where no pair is complete.

    References
    ----------
    Arora et al. (2023) (the pair ids); valueshift probe audit, sec. 5.4.

    Examples
    --------
    >>> t = pd.DataFrame({"lang": "de", "probe_id": ["106a", "106b"], "direction": [1, -1],
    ...                   "value": [1.5, -0.5], "answer_pos": "Zustimmung", "answer_neg": "Ablehnung"})
    >>> acquiescence(t)[["lang", "acquiescence", "n_pairs"]].to_dict("records")
    [{'lang': 'de', 'acquiescence': 0.5, 'n_pairs': 1}]
    """
    _check(table, ("lang", "probe_id", value))
    probes = _per_probe(table, value)
    groups = table.assign(
        model=table["model"].astype(str) if "model" in table.columns else "", lang=table["lang"].astype(str)
    )[["model", "lang"]].drop_duplicates()
    index = probes.set_index(["model", "probe_set", "lang", "probe_id"])
    est: dict[tuple[str, str], list[float]] = {}
    for (model, pset, lang), _ in probes.groupby(["model", "probe_set", "lang"], sort=False):
        for a, b in BIPOLAR_PAIRS:
            ka, kb = (model, pset, lang, a), (model, pset, lang, b)
            if ka not in index.index or kb not in index.index:
                continue
            va, vb = float(index.loc[ka, "v"]), float(index.loc[kb, "v"])
            da, db = float(index.loc[ka, "d"]), float(index.loc[kb, "d"])
            if not (math.isfinite(va) and math.isfinite(vb)):
                continue
            if math.isfinite(da) and math.isfinite(db) and da == db:
                continue
            est.setdefault((model, lang), []).append((va + vb) / 2.0)
    rows = []
    for model, lang in groups.itertuples(index=False):
        vals = est.get((model, lang), [])
        rows.append(
            {
                "model": model,
                "lang": lang,
                "acquiescence": float(np.mean(vals)) if vals else math.nan,
                "n_pairs": len(vals),
            }
        )
    return pd.DataFrame(rows, columns=["model", "lang", "acquiescence", "n_pairs"])


def _mean(x: pd.Series) -> float:
    x = pd.to_numeric(x, errors="coerce").astype(float)
    x = x[np.isfinite(x)]
    return float(x.mean()) if len(x) else math.nan


def _share(flags: pd.Series) -> float:
    known = flags.dropna()
    return float(known.astype(bool).mean()) if len(known) else math.nan


def answer_bias(table: pd.DataFrame, *, level: float = LEAN_LEVEL) -> pd.DataFrame:
    """Answer-bias diagnostics of a probe table, one row per (model, language).

    Statistics are over the language's two-answer probes (rows with an ``answer_neg``; option probes scored
    within their group are left out, see :func:`pair_rows`), each probe counted once: its templates are
    averaged first, so languages with three templates per probe weigh no more than those with one.

    Parameters
    ----------
    table
        A probe table as written by ``valueshift probe`` (``model, probe_set, lang, probe_id, question_id,
        template_id, group, direction, answer_pos, answer_neg, logp_*, n_tokens_*, n_chars_*, normalize,
        value``). Needs at least ``lang, probe_id, value, answer_pos, answer_neg``; the token, character and
        direction columns are used when present.
    level
        Lean level in nats for ``lean_flag`` (default :data:`LEAN_LEVEL`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`BIAS_COLUMNS`:

        ``n_probes``
            two-answer probes with a finite value;
        ``mean_value``
            mean value (nats): the language's overall lean toward ``answer_pos``, mixed with the content of
            the items (read it relative to other languages);
        ``share_positive``
            share of probes with value > 0;
        ``mean_token_asymmetry``, ``mean_char_asymmetry``
            mean of ``n_tokens_neg - n_tokens_pos`` (in the model's tokens) and ``n_chars_neg - n_chars_pos``;
            > 0: negative answers are longer, which ``normalize = sum`` turns into a lean toward ``answer_pos``;
        ``negator_share_neg``, ``negator_share_pos``
            share of probes whose negative / positive answer contains a separate negator word of the language
            (:func:`has_negator`); NaN where negation is morphological (``negator_coverage = none``);
        ``negator_coverage``
            ``full``, ``partial`` (a lower bound) or ``none`` (see ``resources/negators.csv``);
        ``acquiescence``, ``n_pairs``
            from :func:`acquiescence` (NaN when no bipolar pair is present);
        ``lean_flag``
            ``|mean_value| > level`` or ``|acquiescence| > level`` (NaN counts as not beyond).

        A language without two-answer probes gives a row of NaN with ``n_probes = 0``.

    Raises
    ------
    AnalysisError
        If a required column is missing.

    References
    ----------
    Choenni et al. (2024), sec. 4; Arora et al. (2023); valueshift probe audit, sec. 5.1-5.4.
    """
    _check(table, _REQUIRED)
    df = table.copy()
    df["model"] = df["model"].astype(str) if "model" in df.columns else ""
    df["probe_set"] = df["probe_set"].astype(str) if "probe_set" in df.columns else ""
    df["lang"] = df["lang"].astype(str)
    df["probe_id"] = df["probe_id"].astype(str)
    df["_v"] = pd.to_numeric(df["value"], errors="coerce").astype(float)
    for side in ("pos", "neg"):
        tok, ch = f"n_tokens_{side}", f"n_chars_{side}"
        df[f"_t{side}"] = pd.to_numeric(df[tok], errors="coerce").astype(float) if tok in df.columns else np.nan
        if ch in df.columns:
            df[f"_c{side}"] = pd.to_numeric(df[ch], errors="coerce").astype(float)
        else:  # older tables: the answers' own lengths (the scored text's rest of sentence cancels anyway)
            df[f"_c{side}"] = [len(str(a)) if isinstance(a, str) else np.nan for a in df[f"answer_{side}"]]
    keys = ["model", "probe_set", "lang", "probe_id"]
    pairs = df[pair_rows(df)]
    probes = (
        pairs.groupby(keys, sort=False, dropna=False)
        .agg(
            v=("_v", "mean"), tpos=("_tpos", "mean"), tneg=("_tneg", "mean"), cpos=("_cpos", "mean"),
            cneg=("_cneg", "mean"), answer_pos=("answer_pos", "first"), answer_neg=("answer_neg", "first"),
        )
        .reset_index()
    )  # fmt: skip
    negators = load_negators()
    coverage = negators.groupby("lang")["coverage"].first().to_dict()
    rules = negator_rules(negators)
    for side in ("neg", "pos"):
        answers = zip(probes[f"answer_{side}"], probes["lang"], strict=True)
        probes[f"{side}_has"] = [detect_negator(a, rules.get(str(lg))) for a, lg in answers]
    acq = acquiescence(df).set_index(["model", "lang"])
    norm = (
        df.groupby(["model", "lang"], sort=False)["normalize"].agg(lambda s: ",".join(map(str, s.dropna().unique())))
        if "normalize" in df.columns
        else None
    )
    rows = []
    for model, lang in df[["model", "lang"]].drop_duplicates().itertuples(index=False):
        sub = probes[(probes["model"] == model) & (probes["lang"] == lang)]
        finite = sub[np.isfinite(sub["v"])]
        a = acq.loc[(model, lang)] if (model, lang) in acq.index else None
        row: dict[str, object] = {
            "model": model,
            "lang": lang,
            "normalize": (norm.get((model, lang)) or None) if norm is not None else None,
            "n_probes": len(finite),
            "mean_value": float(finite["v"].mean()) if len(finite) else math.nan,
            "share_positive": float((finite["v"] > 0).mean()) if len(finite) else math.nan,
            "mean_token_asymmetry": _mean(sub["tneg"] - sub["tpos"]),
            "mean_char_asymmetry": _mean(sub["cneg"] - sub["cpos"]),
            "negator_share_neg": _share(sub["neg_has"]),
            "negator_share_pos": _share(sub["pos_has"]),
            "negator_coverage": coverage.get(lang, "unknown"),
            "acquiescence": float(a["acquiescence"]) if a is not None else math.nan,
            "n_pairs": int(a["n_pairs"]) if a is not None else 0,
        }
        mv, aq = float(row["mean_value"]), float(row["acquiescence"])  # type: ignore[arg-type]
        row["lean_flag"] = bool((math.isfinite(mv) and abs(mv) > level) or (math.isfinite(aq) and abs(aq) > level))
        rows.append(row)
    out = pd.DataFrame(rows, columns=BIAS_COLUMNS)
    out["n_probes"] = out["n_probes"].astype(int)
    out["n_pairs"] = out["n_pairs"].astype(int)
    out["lean_flag"] = out["lean_flag"].astype(bool)
    return out


def bias_warnings(bias: pd.DataFrame, *, level: float = LEAN_LEVEL) -> list[str]:
    """Readable warnings for the flagged rows of an :func:`answer_bias` table.

    Parameters
    ----------
    bias
        Output of :func:`answer_bias` (``lean_flag`` and the statistics it is based on).
    level
        The level the table was flagged with (quoted in the messages).

    Returns
    -------
    list of str
        One line per flagged (model, language), e.g. ``"ko (model m): answer lean beyond ±0.5 nats: mean
        value +0.83 nats over 272 probes (78% positive), toward answer_pos; acquiescence +0.61 nats over 9
        bipolar pairs, yea-saying. ..."``, with the answer-length and negator facts that fit the lean and
        the remedy; empty when nothing is flagged.
    """
    if "lean_flag" not in bias.columns:
        raise AnalysisError("not an answer_bias table: no 'lean_flag' column")
    out: list[str] = []
    for rec in bias[bias["lean_flag"].astype(bool)].to_dict("records"):
        mv, aq = float(rec.get("mean_value", math.nan)), float(rec.get("acquiescence", math.nan))
        who = f"{rec['lang']}" + (f" (model {rec['model']})" if rec.get("model") else "")
        parts = []
        if math.isfinite(mv):
            share = float(rec.get("share_positive", math.nan))
            parts.append(
                f"mean value {mv:+.2f} nats over {int(rec.get('n_probes', 0))} probes"
                + (f" ({share:.0%} positive)" if math.isfinite(share) else "")
                + f", toward {'answer_pos' if mv > 0 else 'answer_neg'}"
            )
        if math.isfinite(aq):
            parts.append(
                f"acquiescence {aq:+.2f} nats over {int(rec.get('n_pairs', 0))} bipolar pairs"
                + f", {'yea' if aq > 0 else 'nay'}-saying"
            )
        msg = f"{who}: answer lean beyond ±{level:g} nats: {'; '.join(parts)}."
        tok = float(rec.get("mean_token_asymmetry", math.nan))
        if rec.get("normalize") == "sum" and math.isfinite(tok) and math.isfinite(mv) and tok * mv > 0:
            longer = "negative" if tok > 0 else "positive"
            msg += f" With normalize=sum the {longer} answers' {abs(tok):.1f} extra tokens alone push this way."
        neg = float(rec.get("negator_share_neg", math.nan))
        if math.isfinite(neg) and neg >= 0.5:
            msg += f" {neg:.0%} of its negative answers carry a separate negator."
        msg += (
            " Compare this language's values with others only after calibration (--calibrate pairs or center) "
            "or pmi normalisation; see docs/validity.md."
        )
        out.append(msg)
    return out
