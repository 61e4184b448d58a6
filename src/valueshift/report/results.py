"""Sections about results: shifts, cross-language similarity, human alignment, training data attribution."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from valueshift.report.charts import hofstede_panels, human_scatter, lds_bars, overlap_bars
from valueshift.report.data import Note, Section, StudyData, guides
from valueshift.report.discover import STAGES
from valueshift.report.embed import embed_figure, make_table
from valueshift.report.figures import alignment_bars, shift_count_bars, shift_distributions, similarity_heatmaps

__all__ = ["alignment_section", "attribution_section", "shifts_section", "similarity_section"]

TOP_SHIFTS = 30
NEED_ANALYSIS = f"no finished analysis found; run `{STAGES['analyze']}`"


def _section(key: str, title: str) -> Section:
    return Section(id=key, title=title, guide=guides()[key])


def _factor_key(col: pd.Series) -> pd.Series:
    """Sizes sort as numbers (2000 before 10000), other factors as text."""
    return pd.to_numeric(col, errors="coerce") if col.name == "size" else col.astype(str)


def shifts_section(data: StudyData) -> Section:
    """Conditions and their factors, shift counts, delta distributions, most-shifted probes with glosses."""
    sec = _section("shifts", "Shifts")
    summary, shifts = data.analysis("shift_summary"), data.analysis("shifts")
    if summary.empty:
        sec.missing = NEED_ANALYSIS
        return sec
    # conditions grouped by what they trained on (corpus = domain, then size, then languages), so bars of
    # conditions that differ in one factor stand next to each other
    factors = data.condition_table()
    keys = [c for c in ("corpus", "size", "finetune_langs", "condition") if c in factors.columns]
    if len(factors):
        factors = factors.sort_values(keys, key=_factor_key, kind="stable")
        rank = {c: i for i, c in enumerate(factors["condition"])}
        summary = summary.sort_values("condition", key=lambda col: col.map(rank).fillna(len(rank)), kind="stable")
    sec.add(make_table(factors, "Conditions: what each one fine-tuned on (from the run manifests)"))
    sec.add(
        embed_figure(
            shift_count_bars(summary, colors=data.colours),
            "Bar charts: share of shifted and flipped probes per condition, and number of shifted "
            "probes per test language and condition",
            "Shifted probes per condition and language.",
        )
    )
    cols = ["condition", "lang", "n_probes", "n_shifted", "share_shifted", "n_flipped", "share_flipped",
            "n_significant", "mean_abs_delta", "n_seeds"]  # fmt: skip
    sec.add(make_table(summary, "Shift counts per condition and test language (lang 'all' = every language)", cols))
    if not shifts.empty:
        sec.add(
            embed_figure(
                shift_distributions(shifts, data.threshold),
                "Box plots of delta in nats per test language, one panel per condition; dashed lines "
                "at plus and minus the shift threshold",
                "Distribution of delta (nats) per language.",
            )
        )
        top = shifts.loc[shifts["delta"].abs().sort_values(ascending=False).index]
        top = top.groupby("condition", sort=False).head(TOP_SHIFTS).copy()
        top["gloss"] = [data.gloss(str(s)).get(str(p)) for s, p in zip(top["probe_set"], top["probe_id"], strict=True)]
        cols = ["condition", "lang", "probe_id", "gloss", "value_base", "value_tuned", "delta", "flipped",
                "q_value", "probe_set"]  # fmt: skip
        sec.add(make_table(top, f"Most-shifted probes (top {TOP_SHIFTS} by |delta| per condition; values in nats)",
                           cols))  # fmt: skip
    return sec


def similarity_section(data: StudyData) -> Section:
    """Before/after/difference heatmaps per condition (Pearson) and the Mantel preservation table."""
    sec = _section("similarity", "Similarity")
    sim, pres = data.analysis("similarity"), data.analysis("preservation")
    if sim.empty:
        sec.missing = NEED_ANALYSIS
        return sec
    methods = list(dict.fromkeys(sim["method"]))
    method = "pearson" if "pearson" in methods else methods[0]
    sec.add(
        make_table(
            pres,
            "Preservation of cross-language similarity (Mantel test, one-sided)",
            ["condition", "method", "mantel_r", "mantel_p", "n_langs", "n_perm", "mean_abs_delta_r"],
        )
    )
    for cond in data.conditions:
        fig = similarity_heatmaps(sim, cond, method)
        langs = sorted(set(sim["lang_a"]) | set(sim["lang_b"]))
        sec.add(embed_figure(fig, f"Three heatmaps of {method} correlation between the profiles of {len(langs)} "
                             f"languages ({', '.join(langs)}): base, tuned on {cond}, and their difference",
                             f"Cross-language similarity, condition {cond}."))  # fmt: skip
    sec.add(make_table(sim, "Language pairs", ["condition", "method", "lang_a", "lang_b", "r_base", "r_tuned",
                                               "delta_r", "n_base"]))  # fmt: skip
    return sec


def _human_points(data: StudyData) -> pd.DataFrame:
    """Per condition, language and WVS moral item: the oriented model value and the country's human mean."""
    from valueshift.reference import WVS_MORAL_ITEMS, country_for_lang, load_wvs_moral_means

    shifts = data.analysis("shifts")
    if not shifts.empty:
        base = shifts[shifts["condition"] == shifts["condition"].iloc[0]].assign(condition="base", value=lambda d:
                                                                                d["value_base"])  # fmt: skip
        frame = pd.concat([base, shifts.assign(value=shifts["value_tuned"])], ignore_index=True)
    elif data.base_runs:
        frame = data.probe_table(data.base_runs[0]).assign(condition="base")
    else:
        return pd.DataFrame()
    if not {"direction", "question_id", "value", "lang"} <= set(frame.columns):
        return pd.DataFrame()
    frame = frame[frame["question_id"].isin(list(WVS_MORAL_ITEMS)) & frame["direction"].notna()]
    frame = frame.assign(model=frame["value"].astype(float) * frame["direction"].astype(float))
    model = frame.groupby(["condition", "lang", "question_id"], sort=False)["model"].mean().reset_index()
    model["country"] = [country_for_lang(str(lg)) for lg in model["lang"]]
    human = load_wvs_moral_means().rename(columns={"value": "human"})
    points = model.merge(human, on=["country", "question_id"], how="inner")
    return points[np.isfinite(points["human"].astype(float)) & np.isfinite(points["model"].astype(float))]


def _hofstede(data: StudyData) -> pd.DataFrame:
    """Model VSM indices per probe run and language, next to the country's Hofstede scores (long table)."""
    from valueshift.analysis.hofstede import hofstede_indices, item_means_from_probe_scores
    from valueshift.reference import country_for_lang, load_hofstede_scores

    parts = []
    runs = list(dict.fromkeys([*data.base_runs, *(r for r in data.probe_runs if data.probe_labels[r.path]
                                                   in data.conditions)]))[:6]  # fmt: skip
    for run in runs:
        table = data.probe_table(run)
        if "question_id" not in table.columns or not table["question_id"].astype(str).str.startswith("VSM").any():
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                idx = hofstede_indices(item_means_from_probe_scores(table, by=["lang"]), by=["lang"])
        except Exception:
            continue
        dims = [c for c in idx.columns if c in ("pdi", "idv", "mas", "uai", "lto", "ivr")]
        long = idx.melt(id_vars=["lang"], value_vars=dims, var_name="dimension", value_name="model_index")
        parts.append(long.assign(model=data.probe_labels[run.path]))
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    out["country"] = [country_for_lang(str(lg)) for lg in out["lang"]]
    human = load_hofstede_scores().melt(id_vars=["country"], var_name="dimension", value_name="country_score")
    return out.merge(human, on=["country", "dimension"], how="left")


def alignment_section(data: StudyData) -> Section:
    """Alignment table and bars, model-vs-human scatter per item, Hofstede indices next to country scores."""
    sec = _section("alignment", "Human alignment")
    align = data.analysis("alignment")
    points, hof = _human_points(data), _hofstede(data)
    if align.empty and points.empty and hof.empty:
        sec.missing = f"{NEED_ANALYSIS} (with --human wvs-moral / hofstede), or `{STAGES['probe']}` for the scatter"
        return sec
    if not align.empty:
        sec.add(embed_figure(alignment_bars(align, colors=data.colours), "Bar charts of the Pearson correlation "
                             "between model and human values per language, one bar per model",
                             "Alignment with human data per language (Pearson r)."))  # fmt: skip
        cols = ["source", "scope", "condition", "lang", "country", "item", "n", "pearson_r", "pearson_p",
                "spearman_r", "spearman_p", "agreement", "note"]  # fmt: skip
        sec.add(make_table(align, "Alignment per language and condition (scope matrix: Mantel test of the "
                           "similarity matrices)", cols))  # fmt: skip
    else:
        sec.add(Note(f"no alignment table: {NEED_ANALYSIS}"))
    if not points.empty:
        colours = {**data.colours, "base": data.colours.get("base", "#7f7f7f")}
        sec.add(
            embed_figure(
                human_scatter(points, colours, "WVS-7 moral items, −1..1"),
                "Scatter plots per language: human mean of each WVS moral item against the model's "
                "oriented value in nats, coloured by model",
                "Model vs human per item (WVS-7 Q177-Q195).",
            )
        )
    if not hof.empty:
        sec.add(embed_figure(hofstede_panels(hof, {**data.colours}), "Scatter plots per Hofstede dimension: "
                             "country score against the model's index per language",
                             "Hofstede indices per language next to the country scores."))  # fmt: skip
        sec.add(
            make_table(
                hof,
                "Hofstede indices (model: VSM-2013 formulas with C = 0) and country scores",
                ["model", "lang", "country", "dimension", "model_index", "country_score"],
            )
        )
    else:
        sec.add(Note("no Hofstede indices: the probe runs have no VSM01-VSM24 probes (probe with a Hofstede set)"))
    return sec


def attribution_section(data: StudyData) -> Section:
    """Top examples per target with text, parallel overlap vs chance, LDS with CIs."""
    sec = _section("attribution", "Attribution")
    top, overlap, lds = data.attribution("top_examples"), data.attribution("overlap"), data.attribution("lds")
    if top.empty and overlap.empty and lds.empty:
        sec.missing = f"no attribution run found; run `{STAGES['attribute']}` (then `{STAGES['validate']}` for LDS)"
        return sec
    if not top.empty:
        top = top.sort_values([c for c in ("probe_id", "lang", "method", "ft_lang", "rank") if c in top.columns])
        cols = ["probe_id", "lang", "method", "ft_lang", "rank", "score", "text", "unit_id", "run"]
        sec.add(make_table(top, "Top examples per target (probe, language) and fine-tuning language", cols,
                           max_rows=600, text_limit=300))  # fmt: skip
    if not overlap.empty:
        sec.add(embed_figure(overlap_bars(overlap), "Bar chart per attribution method: observed share of top "
                             "examples whose translation is also a top example, next to the chance share",
                             "Parallel overlap vs chance."))  # fmt: skip
        sec.add(make_table(overlap, "Parallel overlap of top examples across fine-tuning languages",
                           ["method", "probe_id", "lang", "ft_lang_a", "ft_lang_b", "k", "n_top", "n_parallel",
                            "share", "share_expected", "p_value"]))  # fmt: skip
    if not lds.empty:
        sec.add(embed_figure(lds_bars(lds), "Bar chart of the mean LDS per attribution method with confidence "
                             "interval error bars", "Linear datamodeling score per method."))  # fmt: skip
        sec.add(make_table(lds, "LDS per method and target", ["method", "probe_id", "lang", "lds", "ci_low",
                                                             "ci_high", "n_subsets", "run"]))  # fmt: skip
    else:
        sec.add(Note(f"no LDS table: run `{STAGES['validate']}`"))
    return sec
