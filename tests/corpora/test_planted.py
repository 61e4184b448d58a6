"""Planted corpora: the record is exactly the added lines, parallel planting shares ids, control = treatment minus
the planted lines, statements come from the paraphrase templates, and the CLI writes the three tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from valueshift.cli import exit_code
from valueshift.corpora.planted import PROBE_TEMPLATE, PlantSettings, plant, planted_statements
from valueshift.errors import ConfigError, CorpusError
from valueshift.probes import load_probes
from valueshift.training import CorpusSettings, sample_examples


@pytest.fixture(scope="module")
def base() -> pd.DataFrame:
    return sample_examples(CorpusSettings.build(spec="builtin:sample", langs="de,fa,ru", size=150), 0)


def _settings(**kw: object) -> PlantSettings:
    fields: dict[str, object] = {"probe_ids": ["1", "69"], "langs": "de,fa", "rate": 0.05}
    return PlantSettings.build(**{**fields, **kw})


def _keys(df: pd.DataFrame) -> set[tuple[str, str, str]]:
    return set(zip(df["lang"], df["unit_id"].astype(str), df["text"], strict=True))


@pytest.mark.parametrize("strategy", ["parallel", "specific"])
def test_record_is_exactly_the_added_lines(base: pd.DataFrame, strategy: str) -> None:
    p = plant(base, _settings(strategy=strategy))
    added = _keys(p.treatment) - _keys(p.control)
    assert added == _keys(p.planted)
    assert len(p.treatment) == len(p.control) + len(p.planted)  # nothing else added, nothing repeated
    # control and treatment differ only in the planted lines: the base rows are identical, ids included
    pd.testing.assert_frame_equal(p.treatment.iloc[: len(p.control)], p.control)
    assert p.control.drop(columns="example_id").equals(base.drop(columns="example_id").reset_index(drop=True))


def test_rate_by_hand(base: pd.DataFrame) -> None:
    p = plant(base, _settings(rate=0.05))
    # 150 base lines per language at 5 %: n / (150 + n) = 0.05 -> n = 7.89 -> 8 per planting language
    assert p.planted.groupby("lang").size().to_dict() == {"de": 8, "fa": 8}
    assert "ru" not in set(p.planted["lang"])
    # 2 probes x 2 templates = 4 statements, cycled: each probe gets 4 of the 8 lines
    assert p.planted[p.planted.lang == "de"].probe_id.value_counts().to_dict() == {"1": 4, "69": 4}


def test_parallel_shares_unit_ids_and_statements(base: pd.DataFrame) -> None:
    rec = plant(base, _settings(strategy="parallel")).planted
    de, fa = (rec[rec.lang == lg].set_index("unit_id") for lg in ("de", "fa"))
    assert list(de.index) == list(fa.index)
    # the same unit is the same statement in both languages: same probe, same template (translations)
    assert (de[["probe_id", "template_id"]] == fa[["probe_id", "template_id"]]).all().all()
    assert (de.text != fa.text).all()


def test_specific_has_own_ids(base: pd.DataFrame) -> None:
    rec = plant(base, _settings(strategy="specific")).planted
    assert not set(rec[rec.lang == "de"].unit_id) & set(rec[rec.lang == "fa"].unit_id)


def test_statements_are_paraphrases_with_the_planted_answer() -> None:
    probes = {(p.lang, p.probe_id, p.template_id): p for p in load_probes("builtin-wvs", "de,fa")}
    st = planted_statements(_settings(answer="neg"))
    assert len(st) == 2 * 2 * 2 and set(st.template_id) == {1, 2}
    for row in st.itertuples():
        p = probes[(row.lang, row.probe_id, row.template_id)]
        assert p.answer_neg is not None and row.text == p.template.replace("[MASK]", p.answer_neg)
        held_out = probes[(row.lang, row.probe_id, PROBE_TEMPLATE)]
        assert row.text not in {held_out.filled(a) for a in held_out.answers}
    pos = planted_statements(_settings(answer="pos"))
    assert set(pos.answer) == {probes[(r.lang, r.probe_id, 1)].answer_pos for r in pos.itertuples()}


def test_bad_settings() -> None:
    with pytest.raises(CorpusError, match="template 0"):
        _settings(templates=[0, 1])
    with pytest.raises(CorpusError, match="rate"):
        _settings(rate=0.7)
    with pytest.raises(CorpusError, match="no probe 'nope'"):
        planted_statements(_settings(probe_ids=["nope"]))


def test_planting_language_must_be_in_base(base: pd.DataFrame) -> None:
    with pytest.raises((CorpusError, ConfigError), match="not in the base table"):
        plant(base, _settings(langs="ko"))


def test_plant_cli(tmp_path: Path) -> None:
    def args(probe_ids: str, out: Path) -> list[str]:
        return ["plant", "--corpus", "builtin:sample", "--langs", "de,fa", "--size", "40", "--probe-ids", probe_ids,
                "--plant-langs", "de", "--rate", "0.1", "--out", str(out)]  # fmt: skip

    out = tmp_path / "planted"
    assert exit_code(args("1", out)) == 0
    control = pd.read_parquet(out / "control_examples.parquet")
    treatment = pd.read_parquet(out / "treatment_examples.parquet")
    rec = pd.read_parquet(out / "planted.parquet")
    assert len(rec) == round(0.1 * 40 / 0.9) == 4 and set(rec.lang) == {"de"}
    assert _keys(treatment) - _keys(control) == _keys(rec)
    assert exit_code(args("1", out)) == 0  # same key: reused
    assert exit_code(args("nope", tmp_path / "bad")) == 2
    assert not (tmp_path / "bad").exists()
