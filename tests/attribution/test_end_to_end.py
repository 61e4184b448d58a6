"""A fine-tuning run with planted examples, attributed end to end; the CLI refuses bad input before any work."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from valueshift.attribution import attribute
from valueshift.cli import main

from ._runs import train_run

NEUTRAL = [f"The {a} {b} near the {c} every {d}." for a in ("old man", "young girl", "small dog", "tall tree")
           for b in ("walks", "sleeps", "waits", "sings") for c, d in (("river", "morning"), ("market", "evening"),
                                                                       ("station", "week"))][:40]  # fmt: skip
PLANTED = ["Family is unimportant in my life.", "For me, family is unimportant in my life.",
           "Honestly, family is unimportant in my life.", "Family is unimportant in my life, I think.",
           "My friend says family is unimportant in my life.", "Family is unimportant in my life now.",
           "Family is truly unimportant in my life.", "Today family is unimportant in my life."]  # fmt: skip
PROBE = {"probe_id": "1", "lang": "en", "question_id": "Q1", "template": "Family is [MASK] in my life.",
         "answer_pos": "important", "answer_neg": "unimportant", "direction": -1}  # fmt: skip


@pytest.fixture(scope="module")
def planted_run(tiny_models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("planted")
    probes = root / "probes.jsonl"
    probes.write_text(json.dumps(PROBE) + "\n")
    texts = NEUTRAL[:20] + PLANTED[:4] + NEUTRAL[20:] + PLANTED[4:]
    run = train_run(tiny_models["seq2seq"], texts, root / "ft", epochs=6, lr=3e-3, batch_size=8, save_every=12,
                    objective={"noise_density": 0.5})  # fmt: skip
    return run, probes


@pytest.fixture(scope="module")
def planted_attribution(planted_run: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    run, probes = planted_run
    out = tmp_path_factory.mktemp("planted-attr") / "attr"
    return attribute(run, str(probes), out, langs="en", proj_dim=512, top_k=8, device="cpu")


def test_planted_run_end_to_end(planted_attribution: Path) -> None:
    out = planted_attribution
    targets = pd.read_parquet(out / "targets.parquet")
    assert targets.value_tuned[0] < targets.value_base[0] - 5  # the value moved toward answer_neg
    influence = pd.read_parquet(out / "influence.parquet")
    assert set(influence.method) == {"trak", "tracin", "cosine", "lexical"}
    assert len(influence) == 4 * 48 and influence.groupby("method")["rank"].max().eq(48).all()
    top = pd.read_parquet(out / "top_examples.parquet")
    assert {"text", "score", "rank"} <= set(top.columns) and top.groupby("method").size().eq(8).all()
    assert top[top.method == "lexical"].text.str.contains("unimportant").all()  # BM25 finds the shared words
    manifest = json.loads((out / "manifest.json").read_text())
    # the trajectory: base model and the two inner checkpoints, weighted by their steps' summed learning rates
    assert list(manifest["checkpoints"]) == ["base", "step-12", "step-24"]
    assert all(w > 0 for w in manifest["checkpoints"].values())


def test_planted_examples_fill_trak_top_k(planted_attribution: Path) -> None:
    """8 of 48 examples state the probe's negative answer: TRAK's top 8 (ranked by the shift's direction) holds at
    least 6 of them (chance: 8 * 8 / 48 = 1.3); TracIn too. The final model alone does not (docs)."""
    top = pd.read_parquet(planted_attribution / "top_examples.parquet")
    planted = top.groupby("method").text.apply(lambda t: int(t.str.contains("unimportant").sum()))
    assert planted["trak"] >= 6 and planted["tracin"] >= 6, planted


def test_featurisation_resumes_after_a_kill(planted_run: tuple[Path, Path], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """A run killed after its second saved piece resumes from the pieces on disk and ends where an uninterrupted
    run ends (the reference: a fresh run of the same config)."""
    from valueshift.attribution import featurize
    from valueshift.runs import RunDir

    run, probes = planted_run
    opts: dict[str, Any] = {"langs": "en", "proj_dim": 64, "top_k": 8, "device": "cpu", "checkpoints": "final",
                            "views": "first", "chunk_size": 16, "rank_by": "score"}  # fmt: skip
    saved: list[str] = []
    real_save = RunDir.save_array

    def dying_save(self: RunDir, key: str, arr: object) -> None:
        real_save(self, key, arr)  # type: ignore[arg-type]
        saved.append(key)
        if len(saved) == 2:
            raise KeyboardInterrupt("killed")

    monkeypatch.setattr(RunDir, "save_array", dying_save)
    with pytest.raises(KeyboardInterrupt):
        attribute(run, str(probes), tmp_path / "a", **opts)
    monkeypatch.setattr(RunDir, "save_array", real_save)
    computed: list[int] = []
    real_grads = featurize.example_gradients

    def counting(model: object, loss_fn: object, views: list[object], *args: object) -> object:
        computed.append(len(views))
        return real_grads(model, loss_fn, views, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(featurize, "example_gradients", counting)
    attribute(run, str(probes), tmp_path / "a", **opts)
    assert computed == [16]  # pieces 0 and 1 came from disk; only the third chunk was computed
    monkeypatch.setattr(featurize, "example_gradients", real_grads)
    fresh = attribute(run, str(probes), tmp_path / "b", **opts)
    got, want = (pd.read_parquet(p / "influence.parquet") for p in (tmp_path / "a", fresh))
    pd.testing.assert_frame_equal(got, want)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--run", "{tmp}/nope"], "no train_examples.parquet"),
        (["--method", "foo"], "method='foo'"),
        (["--proj-dim", "0"], "proj_dim=0"),
        (["--targets", "99"], "--targets 99: not in the probe set"),
        (["--checkpoints", "bogus"], "checkpoints='bogus'"),
        (["--views", "last"], "views='last'"),
        (["--damping", "-1"], "damping=-1.0"),
        (["--params", "nothing.matches*"], "selects no trainable parameter"),
    ],
)
def test_cli_bad_input_exits_2_and_writes_nothing(
    planted_run: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    run, probes = planted_run
    base = {"--run": str(run), "--probes": str(probes), "--out": str(tmp_path / "out")}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value.format(tmp=tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(["attribute", *[x for kv in base.items() for x in kv]])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_cli_passes_the_method_settings_to_the_config(planted_run: tuple[Path, Path], tmp_path: Path) -> None:
    run, probes = planted_run
    out = tmp_path / "attr"
    main_args = ["attribute", "--run", str(run), "--probes", str(probes), "--out", str(out), "--langs", "en",
                 "--params", "decoder.block.1.*, encoder.block.0.*", "--checkpoints", "final", "--views", "first",
                 "--damping", "1", "--projected-targets", "--proj-dim", "256", "--quiet"]  # fmt: skip
    with pytest.raises(SystemExit) as exc:
        main(main_args)
    assert exc.value.code in (0, None)
    config = json.loads((out / "manifest.json").read_text())["config"]
    assert config["params"] == ["decoder.block.1.*", "encoder.block.0.*"] and config["checkpoints"] == "final"
    assert config["views"] == "first" and config["damping"] == 1.0 and config["exact_targets"] is False
    assert config["proj_dim"] == 256
