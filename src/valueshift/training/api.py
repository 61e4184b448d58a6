"""``finetune``: the fine-tuning stage's one entry point (the ``valueshift finetune`` command calls it).

Lifecycle: validate everything (options, corpus and languages, sample sizes, model and its objective, output
directories) -> for each run (``mono``: one per language under ``out/<lang>/``; ``multi``: ``out/multi/``):
open the run directory (resume an unfinished one with the same config) -> write ``train_examples.parquet`` ->
:func:`~valueshift.training.trainer.train` -> save the final model -> mark the manifest ``done``.

Bad input raises before any directory is created, so it leaves nothing half-written.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from valueshift.corpora import load_corpus, plan_examples
from valueshift.corpora.sampling import SizePer, Strategy
from valueshift.errors import ConfigError, RunError, TrainingError
from valueshift.runs import RunDir, config_hash, file_fingerprint, read_manifest, running
from valueshift.seeding import set_seed
from valueshift.training.checkpoint import apply_lora, save_model_dir, write_dir_atomic
from valueshift.training.config import LoraSettings, TrainConfig
from valueshift.training.objectives import Objective, SpanCorruption, objective_for
from valueshift.training.trainer import train

__all__ = ["build_config", "finetune"]

COMMAND = "finetune"


def build_config(**fields: Any) -> TrainConfig:
    """A :class:`TrainConfig` from keyword fields; a bad value is a ConfigError naming field, value and rule."""
    try:
        return TrainConfig(**fields)
    except ValidationError as exc:
        msgs = [f"{'.'.join(str(p) for p in e['loc'])}={e.get('input')!r}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("invalid fine-tuning option(s): " + "; ".join(msgs)) from exc


def _check_objective(objective: Objective, model: Any) -> None:
    n_rows = model.get_input_embeddings().num_embeddings
    if isinstance(objective, SpanCorruption) and max(objective.sentinels) >= n_rows:
        raise TrainingError(
            f"the tokenizer's sentinel id {max(objective.sentinels)} is outside the model's {n_rows} "
            "embedding rows; "
            "the tokenizer does not belong to this model"
        )


def _precheck(path: Path, config: dict[str, Any], overwrite: bool) -> None:
    """Refuse now (before any run starts) what RunDir.open would refuse later."""
    if overwrite or not path.exists():
        return
    if not path.is_dir():
        raise RunError(f"{path}: exists and is not a directory; choose another --out")
    old = read_manifest(path)
    if old is None:
        if any(path.iterdir()):
            raise RunError(f"{path}: exists, is not empty and is not a valueshift run; choose another --out")
        return
    if old.get("status") == "done":
        raise RunError(f"{path}: holds a finished '{old.get('command')}' run; pass --overwrite to redo it")
    if old.get("config_hash") != config_hash(config) or old.get("command") != COMMAND:
        raise RunError(f"{path}: holds an unfinished run with a different configuration; pass --overwrite to "
                       "discard it, or use another --out")  # fmt: skip


def _save_final(model: Any, tokenizer: Any, run_dir: Path) -> None:
    """Write the final model next to the run's tables: built in a temporary folder, then each entry renamed in."""
    staged = write_dir_atomic(run_dir / ".final", lambda tmp: save_model_dir(model, tokenizer, tmp))
    for entry in staged.iterdir():
        target = run_dir / entry.name
        if target.is_dir():
            shutil.rmtree(target)
        os.replace(entry, target)
    staged.rmdir()


def _examples_hash(df: pd.DataFrame) -> str:
    h = hashlib.sha256()
    for row in df[["lang", "unit_id", "text"]].itertuples(index=False):
        h.update("\t".join(map(str, row)).encode() + b"\n")
    return h.hexdigest()


def finetune(
    model: str | os.PathLike[str],
    corpus: str,
    langs: str | Sequence[str],
    size: int,
    strategy: Strategy,
    out: str | os.PathLike[str],
    *,
    epochs: int = 1,
    lr: float = 3e-4,
    batch_size: int = 16,
    seed: int = 0,
    lora: bool = False,
    lora_r: int = 8,
    lora_alpha: int = 16,
    lora_targets: Sequence[str] | None = None,
    save_every: int = 0,
    size_per: SizePer = "lang",
    align: str = "strict",
    min_chars: int = 1,
    max_chars: int | None = None,
    overwrite: bool = False,
    device: str = "auto",
    quiet: bool = False,
    on_step: Callable[[int, float], None] | None = None,
    **train_options: Any,
) -> list[Path]:
    """Fine-tune ``model`` on a sample of a multi-parallel corpus, one run per language or one multilingual run.

    Parameters
    ----------
    model
        Hub id or ``save_pretrained`` directory (seq2seq -> span corruption, masked -> MLM, causal -> CLM).
    corpus
        Corpus spec, ``textdir:PATH`` / ``flores:PATH`` / ``tanzil:PATH`` / ``bible-xml:PATH`` /
        ``ntrex:PATH``.
    langs
        Fine-tuning languages (ISO 639-1), e.g. ``"fa,ko,hi,ru"``.
    size
        Sentences; per language or per run, see ``size_per`` and :mod:`valueshift.corpora.sampling`.
    strategy
        ``mono`` (``out/<lang>/`` per language) or ``multi`` (``out/multi/``).
    out
        Parent directory of the run directories.
    epochs, lr, batch_size, seed, save_every
        See :class:`~valueshift.training.config.TrainConfig`.
    lora, lora_r, lora_alpha, lora_targets
        LoRA instead of full fine-tuning. The final model and checkpoints are saved with the adapters merged
        (plain weights) plus the adapter itself in ``adapter/``.
    size_per
        ``lang`` or ``total``.
    align
        ``strict`` or ``intersect`` (keep units present in all requested languages).
    min_chars, max_chars
        Length filter applied to every language before sampling.
    overwrite
        Redo finished runs in ``out``.
    device
        ``auto``, ``cpu`` or ``cuda``; not part of the run's configuration.
    quiet
        No progress bar.
    on_step
        Called after each step as ``on_step(step, loss)`` (for tests and embedding).
    **train_options
        Further :class:`TrainConfig` fields (``grad_accum``, ``max_length``, ``max_steps``, ``precision``,
        ...).

    Returns
    -------
    list of Path
        The run directories, each with ``model.safetensors``, ``config.json``, tokenizer files,
        ``train_log.jsonl``, ``train_examples.parquet``, ``manifest.json`` and ``checkpoints/step-<k>/``.
    """
    from valueshift.models import load_model

    # -- validate everything before writing anything ---------------------------------------------------------
    targets = list(lora_targets) if lora_targets else None
    lora_cfg = LoraSettings(r=lora_r, alpha=lora_alpha, target_modules=targets) if lora else None
    cfg = build_config(epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, save_every=save_every,
                       lora=lora_cfg, **train_options)  # fmt: skip
    lang_list = [c.strip() for c in langs.split(",")] if isinstance(langs, str) else list(langs)
    parallel = load_corpus(corpus, lang_list, align=align)  # type: ignore[arg-type]
    lang_list = parallel.langs
    plans = plan_examples(parallel, lang_list, size, strategy=strategy, seed=seed, size_per=size_per,
                          min_chars=min_chars, max_chars=max_chars)  # fmt: skip
    loaded = load_model(model, device=device, dtype="float32")  # training keeps fp32 master weights
    objective = objective_for(loaded.kind, loaded.tokenizer, cfg.objective)
    _check_objective(objective, loaded.model)
    model_path = Path(str(model))
    inputs = {"model": file_fingerprint(model_path) if model_path.is_dir() else str(model)}
    out = Path(out)
    runs: list[tuple[str, Path, dict[str, Any], pd.DataFrame]] = []
    for name, table in plans.items():
        run_cfg = {
            "model": str(model), "corpus": corpus, "corpus_name": parallel.name, "run": name,
            "langs": sorted(set(table["lang"]), key=lang_list.index), "all_langs": lang_list, "size": size,
            "size_per": size_per, "strategy": strategy, "align": align, "min_chars": min_chars,
            "max_chars": max_chars, "train": cfg.to_json(), "objective": objective.describe(),
            "examples_sha256": _examples_hash(table),
        }  # fmt: skip
        _precheck(out / name, run_cfg, overwrite)
        runs.append((name, out / name, run_cfg, table))

    # -- one run after another -------------------------------------------------------------------------------
    done: list[Path] = []
    for i, (name, path, run_cfg, table) in enumerate(runs):
        if i > 0:  # every run starts from the same base weights
            loaded = load_model(model, device=device, dtype="float32")
        set_seed(seed)
        net = apply_lora(loaded.model, cfg.lora, loaded.kind) if cfg.lora else loaded.model
        token_ids = objective.tokenize(table["text"].tolist(), cfg.max_length)
        run = RunDir.open(path, command=COMMAND, config=run_cfg, overwrite=overwrite, inputs=inputs, seed=seed)
        with running(run):
            run.write_table("train_examples.parquet", table)
            result = train(net, loaded.tokenizer, objective, token_ids, run.path, cfg, kind=loaded.kind,
                           device=loaded.device, quiet=quiet, description=f"finetune {name}",
                           on_step=on_step)  # fmt: skip
            _save_final(net, loaded.tokenizer, run.path)
            run.finish(
                steps=result.steps, final_loss=result.final_loss, tokens_per_s=result.tokens_per_s,
                resumed_from_step=result.resumed_from, n_examples=len(table),
                weights="lora merged into model.safetensors; adapter in adapter/" if cfg.lora else "full",
                checkpoints=sorted(p.name for p in (run.path / "checkpoints").glob("step-*"))
                if (run.path / "checkpoints").is_dir() else [],
            )  # fmt: skip
        done.append(path)
    return done
