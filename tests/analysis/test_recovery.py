"""Recovery metrics against hand computations and loops: effects (difference in differences over seeds), exact
sign-flip p, detector rates, echo shares, precision@k / recall@k."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from valueshift.analysis.recovery import (
    attribution_recovery,
    detector_rates,
    echo_table,
    planted_effects,
    read_recovery,
)

LANGS = ["de", "fa", "ko"]
PROBES = [str(i) for i in range(1, 9)]


def _table(values: dict[tuple[str, str], float], template: int | None = 0) -> pd.DataFrame:
    rows = [{"lang": lg, "probe_id": p, "template_id": template, "value": v} for (lg, p), v in values.items()]
    return pd.DataFrame(rows)


Synth = tuple[list[pd.DataFrame], list[pd.DataFrame], pd.DataFrame, np.ndarray]


@pytest.fixture(scope="module")
def synthetic() -> Synth:
    """6 seeds; probe 1 planted (neg) in de: -3 in de, -1.5 in fa, -0.3 in ko; others noise of sd 0.2."""
    rng = np.random.default_rng(7)
    truth = {("de", "1"): -3.0, ("fa", "1"): -1.5, ("ko", "1"): -0.3}
    controls, treatments, diffs = [], [], []
    for _ in range(6):
        c = {(lg, p): float(rng.normal(0, 2)) for lg in LANGS for p in PROBES}
        d = {k: truth.get(k, 0.0) + float(rng.normal(0, 0.2)) for k in c}
        controls.append(_table(c))
        treatments.append(_table({k: c[k] + d[k] for k in c}))
        diffs.append([d[(lg, p)] for lg in LANGS for p in PROBES])
    planted = pd.DataFrame({"unit_id": ["planted:0"], "lang": ["de"], "probe_id": ["1"], "answer": ["x"],
                            "answer_side": ["neg"], "template_id": [1], "text": ["x"]})  # fmt: skip
    return controls, treatments, planted, np.array(diffs).T  # (langs x probes, seeds)


def test_effect_is_mean_of_paired_differences(synthetic: Synth) -> None:
    controls, treatments, planted, d = synthetic
    e = planted_effects(controls, treatments, planted, condition="mono", n_boot=500)
    assert len(e) == len(LANGS) * len(PROBES)
    np.testing.assert_allclose(e["effect"].to_numpy(), d.mean(axis=1), atol=1e-12)
    row = e[(e.lang == "de") & (e.probe_id == "1")].iloc[0]
    assert row.planted_lang and row.expected_sign == -1 and row.sign_correct
    assert row.ci_high < 0 and row.ci_low <= row.effect <= row.ci_high
    assert row["rank"] == 1
    # exact two-sided sign-flip p by a loop over all 2**6 sign patterns
    obs = abs(d[0].mean())
    flips = [abs((d[0] * np.array(s)).mean()) >= obs - 1e-12 for s in itertools.product([-1, 1], repeat=6)]
    assert row.p == pytest.approx(np.mean(flips))
    assert e.loc[e.probe_id != "1", "rank"].isna().all()


def test_only_the_probing_template_counts(synthetic: Synth) -> None:
    controls, treatments, planted, _ = synthetic
    noisy = [pd.concat([t, t.assign(template_id=1, value=t.value + 100)]) for t in treatments]
    a = planted_effects(controls, treatments, planted, n_boot=100)
    b = planted_effects(controls, noisy, planted, n_boot=100)
    np.testing.assert_allclose(a.effect, b.effect)


def test_detector_rates_by_hand() -> None:
    e = pd.DataFrame({
        "condition": "c", "lang": ["de"] * 4 + ["fa"], "probe_id": ["1", "2", "3", "4", "2"],
        "planted": [True, True, False, False, True], "planted_lang": [True, True, False, False, False],
        "expected_sign": pd.array([-1, -1, pd.NA, pd.NA, -1], dtype="Int64"),
        "effect": [-0.9, 0.7, 0.6, -0.1, 3.0], "q": [0.01, 0.01, 0.2, 0.01, 0.01],
    })  # fmt: skip
    r = detector_rates(e, threshold=0.5, alpha=0.05).set_index("rule")
    # planted in de: probe 1 moved -0.9 (right way, over 0.5), probe 2 moved +0.7 (wrong way) -> 1 of 2
    assert r.loc["threshold", "sensitivity"] == 0.5 and r.loc["significant", "sensitivity"] == 0.5
    # others in de: probe 3 (|0.6| > 0.5) and probe 4 (q 0.01) -> 1 of 2 under each rule; fa is not counted
    assert r.loc["threshold", "false_positive_rate"] == 0.5 and r.loc["significant", "false_positive_rate"] == 0.5
    assert r.loc["threshold", "n_planted"] == 2 and r.loc["threshold", "n_other"] == 2


def test_echo_one_row_per_probe_language_condition(synthetic: Synth) -> None:
    controls, treatments, planted, d = synthetic
    e = pd.concat([
        planted_effects(controls, treatments, planted, condition=c, n_boot=200) for c in ("mono-parallel", "multi")
    ])  # fmt: skip
    echo = echo_table(e)
    assert len(echo) == 2 * len(LANGS) and not echo.duplicated(["condition", "probe_id", "lang"]).any()
    assert np.isfinite(echo[["effect", "ci_low", "ci_high", "planted_effect", "echo"]].to_numpy(float)).all()
    fa = echo[(echo.lang == "fa") & (echo.condition == "multi")].iloc[0]
    assert fa.echo == pytest.approx(d[len(PROBES)].mean() / d[0].mean())  # fa row of probe 1 / de row
    assert echo.loc[echo.planted_lang, "echo"].eq(1.0).all()


def test_precision_recall_at_k_by_hand() -> None:
    # 10 lines ranked for probe 1 in de; planted for probe 1: p0, p1, p2; p9 planted for another probe
    units = ["a", "p0", "b", "p1", "c", "d", "e", "p2", "f", "p9"]
    # trak: the most negative score first (planting "neg" lowers the value); its own rank column (here reversed,
    # as when the treatment's base -> tuned shift went up) is not the planted direction and is ignored
    inf = pd.DataFrame({"method": "trak", "probe_id": "1", "lang": "de", "ft_lang": "de", "unit_id": units,
                        "rank": np.arange(10, 0, -1), "score": np.arange(1.0, 11.0) - 20})  # fmt: skip
    inf = pd.concat([inf, inf.assign(method="lexical", rank=np.arange(10, 0, -1))])
    planted = pd.DataFrame({"lang": "de", "probe_id": ["1", "1", "1", "2"], "unit_id": ["p0", "p1", "p2", "p9"]})
    r = attribution_recovery(inf, planted, ks=[2, 4, 8]).set_index(["method", "k"])
    # trak top-2 {a, p0}: 1/2, recall 1/3; top-4 adds p1: 2/4, 2/3; top-8 adds p2: 3/8, 3/3
    assert r.loc[("trak", 2), ["precision", "recall"]].tolist() == [0.5, pytest.approx(1 / 3)]
    assert r.loc[("trak", 4), ["precision", "recall"]].tolist() == [0.5, pytest.approx(2 / 3)]
    assert r.loc[("trak", 8), ["precision", "recall"]].tolist() == [3 / 8, 1.0]
    # lexical (reversed ranking): top-2 {p9, f} holds no line planted for probe 1
    assert r.loc[("lexical", 2), "precision"] == 0.0
    assert (r["chance"] == 0.3).all() and (r["n_relevant"] == 3).all()
    # planting the positive answer reverses the direction: top-2 by largest score {p9, f} holds none
    up = attribution_recovery(inf, planted.assign(answer_side="pos"), ks=[2]).set_index(["method", "k"])
    assert up.loc[("trak", 2), "precision"] == 0.0


def _planted_arms(model: Path, out: Path, planted_id: str, others: set[str]) -> tuple[pd.DataFrame, list[Path]]:
    """Control and treatment runs of 3 seeds (60 German lines, ``planted_id``'s negative answer at 10 %, 10
    epochs), probed on template 0 of the planted probe and ``others``: the effects table and the treatment runs."""
    from valueshift.corpora.planted import PlantSettings, plant
    from valueshift.models import load_model
    from valueshift.probes import ProbeSet, load_probes
    from valueshift.scoring import score_probes
    from valueshift.training import CorpusSettings, FinetuneConfig, TrainConfig, run_finetune, sample_examples

    probes = load_probes("builtin-wvs", "de")
    probes = ProbeSet(probes.name, [p for p in probes if p.probe_id in {planted_id, *others} and p.template_id == 0])
    settings = PlantSettings.build(probe_ids=[planted_id], langs="de", rate=0.1)
    tables: dict[str, list[pd.DataFrame]] = {"control": [], "treatment": []}
    treated = []
    for seed in (0, 1, 2):
        base = sample_examples(CorpusSettings.build(spec="builtin:sample", langs="de", size=60), seed)
        planted = plant(base, settings)
        for arm in tables:
            cfg = FinetuneConfig.build(model=str(model), train=TrainConfig.build(epochs=10, seed=seed))
            run = run_finetune(cfg, out / f"{arm}{seed}", examples=getattr(planted, arm), quiet=True)
            tables[arm].append(score_probes(probes, load_model(str(run), device="cpu")))
        treated.append(run)
    effects = planted_effects(tables["control"], tables["treatment"], planted.planted, n_boot=1000)
    planted.planted.to_parquet(out / "planted.parquet")  # the same lines for every seed
    return effects.set_index("probe_id"), treated


@pytest.mark.slow
def test_planted_probe_recovered_on_a_tiny_setup(tiny_seq2seq: Path, tmp_path: Path) -> None:
    """Control vs treatment from the tiny mT5 over 3 seeds: the planted probe falls (CI < 0) in the planted
    language, probed on the held-out template; a probe with other answer words does not move as much."""
    e, _ = _planted_arms(tiny_seq2seq, tmp_path, "1", {"69", "131"})  # 1: family; 69 police trust, 131 safety
    assert e.loc["1", "sign_correct"] and e.loc["1", "ci_high"] < 0
    assert e.loc["1", "effect"] < e.loc[["69", "131"], "effect"].min()


def test_planted_distinct_answer_recovered_and_attributed(tiny_seq2seq: Path, tmp_path: Path) -> None:
    """The demo's design in small (probe 121, whose answer words no other probe has, planted at 10 % in German):
    the effect has the planted sign with a CI excluding 0, and TRAK's planted-direction top 5 holds planted lines
    far above chance (the planted share)."""
    from valueshift.attribution import attribute

    e, treated = _planted_arms(tiny_seq2seq, tmp_path, "121", {"1", "69"})
    assert e.loc["121", "sign_correct"] and e.loc["121", "ci_high"] < 0, e
    out = attribute(treated[0], "builtin-wvs", tmp_path / "attr", langs="de", targets=["121"], proj_dim=512)
    rec = attribution_recovery(out, pd.read_parquet(tmp_path / "planted.parquet"), ks=[5]).set_index("method")
    chance = rec.loc["trak", "chance"]
    assert chance < 0.15 and rec.loc["trak", "precision"] >= 3 * chance, rec


def test_read_recovery_averages_only_rankings_that_hold_planted_lines(tmp_path: Path) -> None:
    effects = pd.DataFrame({"condition": "multi", "lang": ["de", "de"], "probe_id": ["1", "2"],
                            "planted": [True, False], "planted_lang": [True, False], "expected_sign": [-1, pd.NA],
                            "effect": [-1.0, 0.1], "ci_low": [-1.5, -0.2], "ci_high": [-0.5, 0.3], "n_seeds": 2,
                            "p": 0.5, "q": 0.5, "sign_correct": [True, pd.NA], "rank": [1, pd.NA]})  # fmt: skip
    effects.to_parquet(tmp_path / "effects.parquet")
    echo_table(effects).to_parquet(tmp_path / "echo.parquet")
    detector_rates(effects).to_parquet(tmp_path / "detector.parquet")
    # a multilingual run planted in de only: its fa ranking holds no planted line (precision 0 by construction)
    rows = [
        {
            "condition": "multi",
            "method": "trak",
            "probe_id": "1",
            "lang": "de",
            "ft_lang": ft,
            "k": 5,
            "precision": prec,
            "recall": rec,
            "chance": ch,
            "n_relevant": nr,
            "n_ranked": 20,
            "attribution": f"s{s}",
        }
        for s in (0, 1)
        for ft, prec, rec, ch, nr in (("de", 0.4 + 0.2 * s, 0.5, 0.1, 2), ("fa", 0.0, np.nan, 0.0, 0))
    ]
    pd.DataFrame(rows).to_parquet(tmp_path / "attribution_recovery.parquet")  # fmt: skip
    summary = read_recovery(tmp_path)
    att = summary.attribution.set_index("method")
    assert att.loc["trak", "n_runs"] == 2 and att.loc["trak", "precision"] == pytest.approx(0.5)
    assert att.loc["trak", "lift"] == pytest.approx(5.0)
    assert summary.headline.probe_id.tolist() == ["1"] and summary.headline.n_probes.tolist() == [2]
