"""Loading probe tables, template averaging, condition labels, and clear errors for mismatched tables."""

from __future__ import annotations

from pathlib import Path

import pytest
from _synth import make_table, perturb, write_run

from valueshift.analysis import check_tables_match, infer_label, load_probe_table, probe_table_from_frame
from valueshift.errors import AnalysisError


def test_templates_are_averaged() -> None:
    t = probe_table_from_frame(make_table(("de",), n_pairs=2, n_groups=0, templates=3))
    raw = make_table(("de",), n_pairs=2, n_groups=0, templates=3)
    assert len(t.frame) == 2
    assert t.frame["value"].iloc[0] == pytest.approx(raw[raw["probe_id"] == "1"]["value"].mean())


def test_load_from_dir_and_from_parquet_path(tmp_path: Path) -> None:
    run = write_run(make_table(), tmp_path / "base")
    a = load_probe_table(run)
    b = load_probe_table(run / "probe_scores.parquet")
    assert a.frame.equals(b.frame) and a.manifest["status"] == "done"


def test_missing_table_and_missing_columns_are_named(tmp_path: Path) -> None:
    with pytest.raises(AnalysisError, match=r"no probe_scores\.parquet"):
        load_probe_table(tmp_path)
    with pytest.raises(AnalysisError, match=r"missing column.*value"):
        probe_table_from_frame(make_table().drop(columns=["value"]))


def test_languages_differ_names_both_sides() -> None:
    base = probe_table_from_frame(make_table(("de", "fa")))
    tuned = probe_table_from_frame(make_table(("de",)), label="ft")
    with pytest.raises(AnalysisError, match=r"languages differ: base has de,fa; tuned 'ft' .* has de$"):
        check_tables_match(base, [tuned])


def test_probes_differ_names_the_probes() -> None:
    df = make_table(("de", "fa"))
    base = probe_table_from_frame(df)
    tuned = probe_table_from_frame(df[~((df["probe_id"] == "5") & (df["lang"] == "fa"))], label="ft")
    with pytest.raises(AnalysisError, match=r"probes differ in fa: only in base: 5; only in tuned 'ft'.*: none"):
        check_tables_match(base, [tuned])


def test_probe_sets_differ() -> None:
    df = make_table(("de",))
    with pytest.raises(AnalysisError, match=r"probe sets differ: base has synthetic; .* has other"):
        check_tables_match(probe_table_from_frame(df), [probe_table_from_frame(df.assign(probe_set="other"))])


def test_intersect_keeps_shared_pairs() -> None:
    df = make_table(("de", "fa"))
    base = probe_table_from_frame(df)
    tuned = probe_table_from_frame(perturb(df[df["probe_id"] != "5"], seed=1), label="ft")
    notes = check_tables_match(base, [tuned], intersect=True)
    assert len(base.frame) == len(tuned.frame) == len(df) - 2
    assert notes and "dropped 2 rows" in notes[0]


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("runs/ft-fa-seed2", "ft-fa"),
        ("runs/multi_s1/probe_scores.parquet", "multi"),
        ("runs/mono-ko", "mono-ko"),
        ("runs/ft-fa.seed=2", "ft-fa"),
        ("runs/multiseed3", "multi"),
        ("runs/runs2", "runs2"),
    ],
)
def test_infer_label_strips_seed_suffix(path: str, label: str) -> None:
    assert infer_label(path) == label


def test_infer_label_falls_back_to_manifest_model() -> None:
    assert infer_label("x/tuned", {"config": {"model": "/ckpt/ft/multi/"}}) == "multi"
