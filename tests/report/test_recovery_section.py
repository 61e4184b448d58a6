"""The known-truth section: numbers checked against hand computations on the raw synthetic probe tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from _dom import parse
from _study import PLANT_SHIFT, PLANTED, PLANTED_RANKS, planted_tables, probe_run, recovery_run

from valueshift.report import build_report
from valueshift.report.data import Facts, Note, StudyData
from valueshift.report.discover import discover
from valueshift.report.embed import Embedded, Table
from valueshift.report.recovery import MISSING, recovery_section


def _section(root: Path) -> Any:
    return recovery_section(StudyData(discover(root)))


def _tables(sec: Any) -> dict[str, Table]:
    """Tables by the first word of their caption (Planted, Echo, Shift, Attribution)."""
    return {b.caption.split()[0].rstrip(":"): b for b in sec.blocks if isinstance(b, Table)}


def _column(table: Table, name: str) -> list[str]:
    i = table.columns.index(name)
    return [row[i].text for row in table.rows]


def _hand_effects(seeds: int) -> pd.DataFrame:
    """Mean treatment - control per (lang, probe), computed with a loop over seeds."""
    control, treatment = planted_tables(seeds)
    diffs = [t.set_index(["lang", "probe_id"])["value"] - c.set_index(["lang", "probe_id"])["value"]
             for c, t in zip(control, treatment, strict=True)]  # fmt: skip
    return (sum(diffs) / seeds).rename("effect").reset_index()


@pytest.fixture(scope="module")
def recovered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    root = tmp_path_factory.mktemp("planted")
    recovery_run(root / "recovery", seeds=3, probes="builtin-wvs")
    return root, _section(root)


def test_headline_is_the_planted_probes_verdict(recovered: tuple[Path, Any]) -> None:
    root, sec = recovered
    assert sec.id == "recovery" and not sec.missing
    effects = _hand_effects(3)
    de = effects[effects["lang"] == "de"]
    effect = float(de.loc[de["probe_id"] == PLANTED, "effect"].iloc[0])
    assert effect == pytest.approx(PLANT_SHIFT["de"], abs=0.5)  # the synthetic plant is what is recovered
    rank = int((de["effect"] < effect).sum()) + 1  # planted "neg": the largest fall is rank 1
    stored = pd.read_parquet(root / "recovery" / "effects.parquet").set_index(["lang", "probe_id"])
    low, high = stored.loc[("de", PLANTED), ["ci_low", "ci_high"]]
    [facts] = [b for b in sec.blocks if isinstance(b, Facts)]
    [(key, text)] = facts.items
    assert key == f"de-specific-0.1 · probe {PLANTED} · de"
    gloss = "importance of leisure time in life"  # builtin-wvs probe 3, read from the planting settings' set
    expected = (f"planted: the negative answer ('unwichtig') of probe {PLANTED} ({gloss}) in de; recovered: "
                f"{effect:.2f} nats [{low:.2f}, {high:.2f}], right sign, CI excludes 0; rank {rank} of "
                f"{de['probe_id'].nunique()} probes in de; 3 seeds").replace("-", "−")  # fmt: skip
    assert text.startswith(expected), (text, expected)
    head = _tables(sec)["Planted"]
    assert _column(head, "effect") == [f"{effect:.3f}"] and _column(head, "rank") == [str(rank)]
    assert _column(head, "expected") == ["towards answer_neg"] and _column(head, "ci_excludes_0") == ["yes"]


def test_echo_table_and_chart(recovered: tuple[Path, Any]) -> None:
    _, sec = recovered
    effects = _hand_effects(3).set_index(["lang", "probe_id"])["effect"]
    echo = _tables(sec)["Echo"]
    langs = _column(echo, "lang")
    assert langs == ["de", "en", "fa"]  # planting language first
    home = effects[("de", PLANTED)]
    for lang, share in zip(langs, _column(echo, "echo"), strict=True):
        assert float(share) == pytest.approx(effects[(lang, PLANTED)] / home, abs=1e-3)
    assert _column(echo, "planted_lang") == ["yes", "no", "no"]
    figures = [b for b in sec.blocks if isinstance(b, Embedded)]
    assert len(figures) == 2 and all(f.svg and len(f.alt) > 30 and f.caption for f in figures)
    assert "de, en, fa" in figures[0].alt and "de*" in str(figures[0].svg)  # the planting language is marked


def test_detector_rows_and_the_seed_note(recovered: tuple[Path, Any]) -> None:
    _, sec = recovered
    effects = _hand_effects(3)
    other = effects[(effects["lang"] == "de") & (effects["probe_id"] != PLANTED)]
    fpr = float((other["effect"].abs() > 0.5).mean())
    det = _tables(sec)["Shift"]
    assert _column(det, "rule") == ["threshold", "significant"]
    assert _column(det, "sensitivity") == ["1", "0"]  # three seeds: the test cannot reach 0.05
    assert float(_column(det, "false_positive_rate")[0]) == pytest.approx(fpr, abs=1e-3)
    assert _column(det, "n_other") == [str(len(other))] * 2
    notes = " ".join(b.text for b in sec.blocks if isinstance(b, Note))
    assert "3 seeds" in notes and "2/2^3 = 0.250" in notes


def test_attribution_rows_against_chance(recovered: tuple[Path, Any]) -> None:
    _, sec = recovered
    att = _tables(sec)["Attribution"]
    got = {(m, k): (float(p), float(c)) for m, k, p, c in zip(_column(att, "method"), _column(att, "k"),
                                                             _column(att, "precision"), _column(att, "chance"),
                                                             strict=True)}  # fmt: skip
    for method, ranks in PLANTED_RANKS.items():
        for k in (5, 10, 20):
            hand = sum(r <= k for r in ranks) / k
            assert got[(method, str(k))] == pytest.approx((hand, len(ranks) / 40), abs=1e-3)
    assert set(_column(att, "n_runs")) == {"2"}
    assert any(isinstance(b, Note) and "BM25" in b.text for b in sec.blocks)


def test_answer_from_the_treatment_run_and_six_seeds(tmp_path: Path) -> None:
    """An older recovery run without planted.parquet: the answer word comes from the treatment run it names."""
    recovery_run(tmp_path / "recovery", seeds=6, attribution=False, record=False)
    sec = _section(tmp_path)
    [facts] = [b for b in sec.blocks if isinstance(b, Facts)]
    assert "the negative answer ('unwichtig') of probe 3 in de" in facts.items[0][1]  # no gloss: synthetic set
    assert "6 seeds, p = 0.031" in facts.items[0][1]  # all six seeds agree: the exact p is 2/2^6
    notes = " ".join(b.text for b in sec.blocks if isinstance(b, Note))
    assert "2/2^" not in notes and "no attribution" in notes
    assert _column(_tables(sec)["Shift"], "sensitivity")[0] == "1"
    assert sum(isinstance(b, Embedded) for b in sec.blocks) == 1


def test_missing_without_a_recovery_run(tmp_path: Path) -> None:
    from _study import LANGS, make_table

    probe_run(make_table(LANGS), tmp_path / "probe", exact_bias=False)
    sec = _section(tmp_path)
    assert sec.missing == MISSING and not sec.blocks
    assert "valueshift run experiments/planted.toml" in MISSING


def test_report_shows_the_section(recovered: tuple[Path, Any], tmp_path: Path) -> None:
    root, _ = recovered
    page = parse(build_report(root, tmp_path / "r.html").read_text(encoding="utf-8"))
    assert list(page.sections)[:3] == ["study", "claims", "recovery"]
    rec = page.sections["recovery"]
    assert "present" in rec["class"].split() and "Known truth" in rec["text"] and "How to read this." in rec["text"]
    assert sum(f["section"] == "recovery" for f in page.figures) == 2
    tables = [t for t in page.tables if t["section"] == "recovery"]
    assert [len(t["rows"]) for t in tables] == [1, 3, 2, 2 * 3]  # headline, echo, detector, attribution
    assert np.isfinite([float(r[tables[1]["columns"].index("echo")]) for r in tables[1]["rows"]]).all()
