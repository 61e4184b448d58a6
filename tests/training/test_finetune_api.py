"""``finetune`` and ``valueshift finetune``: run layout for mono/multi, example tables, LoRA, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import torch
from safetensors.torch import load_file

from valueshift.cli import main
from valueshift.errors import ConfigError, CorpusError, ModelError, RunError, TrainingError
from valueshift.training import LoraSettings, finetune

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "corpora"
TEXTDIR = f"textdir:{FIX / 'textdir'}"
FAST = {"epochs": 1, "batch_size": 4, "quiet": True, "device": "cpu"}


def test_multi_layout_and_examples(tiny_models, tmp_path: Path) -> None:
    [run] = finetune(tiny_models["seq2seq"], TEXTDIR, "de,fa", 4, "multi", tmp_path / "ft", seed=1,
                     save_every=1, **FAST)  # fmt: skip
    assert run == tmp_path / "ft" / "multi"
    for f in ("model.safetensors", "config.json", "tokenizer.json", "train_log.jsonl", "manifest.json",
              "train_examples.parquet", "checkpoints/step-1/model.safetensors"):  # fmt: skip
        assert (run / f).is_file(), f
    df = pd.read_parquet(run / "train_examples.parquet")
    assert list(df.columns) == ["example_id", "lang", "corpus", "unit_id", "corpus_line", "text"]
    assert df.lang.tolist() == ["de"] * 4 + ["fa"] * 4
    assert df[df.lang == "de"].unit_id.tolist() == df[df.lang == "fa"].unit_id.tolist()
    assert (df.corpus == "textdir").all()
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "done" and manifest["steps"] == 2 and manifest["weights"] == "full"
    log = [json.loads(ln) for ln in (run / "train_log.jsonl").read_text().splitlines()]
    assert {"step", "loss", "lr", "tokens_per_s"} <= log[0].keys()
    # a finished run with the same key is reused; one with other settings is refused without --overwrite
    before = (run / "model.safetensors").stat().st_mtime_ns
    again = finetune(tiny_models["seq2seq"], TEXTDIR, "de,fa", 4, "multi", tmp_path / "ft", seed=1, save_every=1,
                     **FAST)  # fmt: skip
    assert again == [run] and (run / "model.safetensors").stat().st_mtime_ns == before
    with pytest.raises(RunError, match=r"differs in config\.train; pass --overwrite"):
        finetune(tiny_models["seq2seq"], TEXTDIR, "de,fa", 4, "multi", tmp_path / "ft", seed=1, save_every=1,
                 lr=1e-3, **FAST)  # fmt: skip


def test_mono_layout(tiny_models, tmp_path: Path) -> None:
    runs = finetune(tiny_models["seq2seq"], TEXTDIR, "de,fa", 3, "mono", tmp_path / "m", seed=2, **FAST)
    assert runs == [tmp_path / "m" / "de", tmp_path / "m" / "fa"]
    de = pd.read_parquet(runs[0] / "train_examples.parquet")
    fa = pd.read_parquet(runs[1] / "train_examples.parquet")
    assert set(de.lang) == {"de"} and set(fa.lang) == {"fa"}
    assert de.unit_id.tolist() == fa.unit_id.tolist()
    assert not (runs[0] / "checkpoints").exists()  # --save-every 0: final model only


def test_lora_saves_merged_and_adapter(tiny_models, tmp_path: Path) -> None:
    [run] = finetune(tiny_models["seq2seq"], TEXTDIR, "de", 4, "mono", tmp_path / "l", lora=True, lr=1e-2,
                     save_every=1, **FAST)  # fmt: skip
    assert (run / "adapter" / "adapter_model.safetensors").is_file()
    assert (run / "checkpoints" / "step-1" / "adapter" / "adapter_config.json").is_file()
    merged = load_file(run / "model.safetensors")
    base = load_file(tiny_models["seq2seq"] / "model.safetensors")
    assert merged.keys() == base.keys()
    changed = [k for k in base if not torch.equal(base[k], merged[k])]
    assert changed and all(k.endswith((".q.weight", ".v.weight")) for k in changed)  # peft's mT5 default: q, v
    # the merged weights are what peft's own merge gives
    from peft import PeftModel
    from transformers import AutoModelForSeq2SeqLM

    ref = PeftModel.from_pretrained(AutoModelForSeq2SeqLM.from_pretrained(tiny_models["seq2seq"]), run / "adapter")
    ref_sd = ref.merge_and_unload().state_dict()
    assert all(torch.allclose(ref_sd[k], merged[k], atol=1e-6) for k in changed)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"langs": "de,ko"}, CorpusError, "has no ko text"),
        ({"size": 99}, CorpusError, "larger than the 6 units"),
        ({"lr": 5.0}, ConfigError, "lr=5.0"),
        ({"corpus": "textdir:/no/such/dir"}, CorpusError, "no such directory"),
        ({"strategy": "both"}, ConfigError, "use mono or multi"),
        ({"lora": LoraSettings(target_modules=["q"]), "lora_r": 0}, ConfigError, "lora_r"),
    ],
)
def test_bad_input_writes_nothing(tiny_models, tmp_path: Path, kwargs, error, match) -> None:
    args = {"corpus": TEXTDIR, "langs": "de,fa", "size": 3, "strategy": "multi", **kwargs}
    with pytest.raises(error, match=match):
        finetune(tiny_models["seq2seq"], args.pop("corpus"), args.pop("langs"), args.pop("size"),
                 args.pop("strategy"), tmp_path / "out", **args, **FAST)  # fmt: skip
    assert not (tmp_path / "out").exists()


def test_model_without_objective(tiny_models, tmp_path: Path) -> None:
    import shutil

    bad = tmp_path / "nosentinel"
    shutil.copytree(tiny_models["seq2seq"], bad)
    # a seq2seq model whose tokenizer has no <extra_id_N> sentinels cannot do span corruption
    for name in ("tokenizer.json", "tokenizer_config.json"):
        f = bad / name
        f.write_text(f.read_text().replace("<extra_id_", "<renamed_"))
    with pytest.raises((TrainingError, ModelError), match="sentinels"):
        finetune(bad, TEXTDIR, "de", 3, "mono", tmp_path / "out", **FAST)
    assert not (tmp_path / "out").exists()


def test_cli_exit_codes(tiny_models, tmp_path: Path, capsys) -> None:
    argv = ["finetune", "--model", str(tiny_models["seq2seq"]), "--corpus", TEXTDIR, "--langs", "de,fa",
            "--size", "2", "--strategy", "multi", "--epochs", "1", "--seed", "1",
            "--out", str(tmp_path / "c"),
            "--quiet", "--device", "cpu"]  # fmt: skip
    with pytest.raises(SystemExit) as ok:
        main(argv)
    assert ok.value.code in (0, None)
    assert (tmp_path / "c" / "multi" / "model.safetensors").is_file()
    capsys.readouterr()
    with pytest.raises(SystemExit) as again:  # the same run: reused
        main(argv)
    assert again.value.code in (0, None) and "up to date" in capsys.readouterr().err
    with pytest.raises(SystemExit) as changed:  # other settings over a finished run: refused
        main([*argv, "--lr", "1e-3"])
    assert changed.value.code == 2 and "pass --overwrite" in capsys.readouterr().err
    for bad in (["--lora", "--lora-r", "0"], ["--lora", "--lora-alpha", "0"], ["--size", "0"]):
        with pytest.raises(SystemExit) as refused:
            main([*argv[: argv.index("--out")], "--out", str(tmp_path / "bad"), "--quiet", *bad])
        err = capsys.readouterr().err
        assert refused.value.code == 2 and "Traceback" not in err and err.count("error:") == 1, err
    assert not (tmp_path / "bad").exists()


def test_finetune_resumes_unfinished_run(tiny_models, tmp_path: Path) -> None:
    def kill(step: int, loss: float) -> None:
        if step == 2:
            raise KeyboardInterrupt

    args = (tiny_models["seq2seq"], TEXTDIR, "de,fa", 6, "multi", tmp_path / "k")
    with pytest.raises(KeyboardInterrupt):
        finetune(*args, save_every=1, on_step=kill, **FAST)
    manifest = json.loads((tmp_path / "k" / "multi" / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    [run] = finetune(*args, save_every=1, **FAST)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "done" and manifest["resumed"] and manifest["resumed_from_step"] == 2


def test_unfinished_run_with_other_settings_is_recomputed(tiny_models, tmp_path: Path) -> None:
    def kill(step: int, loss: float) -> None:
        if step == 2:
            raise KeyboardInterrupt

    args = (tiny_models["seq2seq"], TEXTDIR, "de,fa", 6, "multi", tmp_path / "k")
    with pytest.raises(KeyboardInterrupt):
        finetune(*args, save_every=1, on_step=kill, **FAST)
    with pytest.warns(UserWarning, match="discarding an unfinished run"):
        [run] = finetune(*args, save_every=1, lr=1e-3, **FAST)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "done" and not manifest["resumed"] and manifest["resumed_from_step"] is None
