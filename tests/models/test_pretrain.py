"""Span-corruption pretraining of the tiny model: probe sentences stay out, the CLI writes a loadable, keyed run,
and the same seed gives the same weights."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from valueshift.cli import exit_code
from valueshift.models import pretrain
from valueshift.probes import load_probes


def test_examples_are_the_shipped_texts_without_probe_sentences() -> None:
    table = pretrain.pretraining_examples()
    root = Path(pretrain.__file__).parent.parent / "resources"
    files = [*(root / "texts").glob("*.txt"), *(root / "corpus" / "sample").glob("*.txt")]
    n_lines = sum(1 for f in files for line in f.read_text(encoding="utf-8").splitlines() if line.strip())
    assert n_lines == 1660  # 19 x 40 tokenizer texts + 6 x 150 sample lines
    filled: dict[str, set[str]] = {}
    for p in load_probes("builtin-wvs", "all"):
        filled.setdefault(p.lang, set()).update(p.filled(a).lower().rstrip(".?!") for a in p.answers)
    hits = [t for lg, t in zip(table.lang, table.text, strict=True) if any(s in t.lower() for s in filled.get(lg, ()))]
    assert not hits
    assert len(table) == n_lines - len(hits) and not table.duplicated(["lang", "unit_id"]).any()


def test_lines_with_a_probe_sentence_are_dropped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    probe = next(p for p in load_probes("builtin-wvs", "de") if p.template_id == 2)
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "de.txt").write_text(f"Ein Satz.\nEr sagt: {probe.filled(probe.answer_pos)}\n\nNoch einer.\n")
    (tmp_path / "corpus" / "sample").mkdir(parents=True)
    (tmp_path / "corpus" / "sample" / "de.txt").write_text(f"{probe.filled(probe.answer_neg or '').upper()}\nGut.\n")
    monkeypatch.setattr(pretrain, "_resource_dir", lambda *parts: tmp_path.joinpath(*parts))
    table = pretrain.pretraining_examples()
    assert table.text.tolist() == ["Ein Satz.", "Noch einer.", "Gut."]
    assert table.unit_id.tolist() == ["texts:1", "texts:4", "sample:2"]


def _weights(path: Path) -> str:
    return hashlib.sha256((path / "model.safetensors").read_bytes()).hexdigest()


def test_pretrain_cli_writes_a_loadable_keyed_run(
    tiny_seq2seq: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from valueshift.models import load_model

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    out = tmp_path / "pt"
    args = ["model", "pretrain", "--out", str(out), "--size", "tiny", "--steps", "2", "-q"]
    assert exit_code(args) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "done" and manifest["steps"] == 2 and manifest["n_examples"] == 1660
    assert manifest["config"]["train"]["lr"] == pretrain.PRETRAIN_LR
    assert _weights(out) != _weights(tiny_seq2seq)  # the random-init weights moved
    assert load_model(str(out), device="cpu").kind == "seq2seq"
    before = (out / "manifest.json").read_text()
    assert exit_code(args) == 0 and (out / "manifest.json").read_text() == before  # same key: reused
    assert exit_code(["model", "pretrain", "--out", str(tmp_path / "bad"), "--lr", "5"]) == 2


@pytest.mark.slow
def test_same_seed_same_weights(tiny_seq2seq: Path, tmp_path: Path) -> None:
    a = pretrain.build_pretrained_tiny_model(tmp_path / "a", base=tiny_seq2seq, steps=3)
    b = pretrain.build_pretrained_tiny_model(tmp_path / "b", base=tiny_seq2seq, steps=3)
    c = pretrain.build_pretrained_tiny_model(tmp_path / "c", base=tiny_seq2seq, steps=3, seed=1)
    assert _weights(a) == _weights(b) != _weights(c)
