"""Fine-tuning entry points: :func:`run_finetune` (one run, one directory) and :func:`finetune` (keywords).

Lifecycle of :func:`run_finetune`: validate the config, sample the examples (or take an explicit table), compute
the run key (config + content of the base model and of the examples) and look the run up -- all before the model
loads -> load the model and check its objective -> claim the run directory -> write ``train_examples.parquet`` ->
:func:`~valueshift.training.trainer.train` (resuming from the latest checkpoint of an unfinished run with the same
key) -> save the final model -> mark the manifest ``done``.

:func:`finetune` is the study's convenience: ``multi`` is one run on all languages in ``out/multi/``; ``mono`` is a
loop of one-language runs in ``out/<lang>/`` that all draw the same units. Bad input raises before any directory
is created, so it leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from valueshift.corpora import load_corpus, plan_examples
from valueshift.errors import ConfigError, TrainingError
from valueshift.runs import RunDir, Status, model_fingerprint, running
from valueshift.seeding import seeded
from valueshift.training.checkpoint import apply_lora, save_model_dir, write_dir_atomic
from valueshift.training.config import CorpusSettings, FinetuneConfig, LoraSettings, TrainConfig
from valueshift.training.objectives import Objective, SpanCorruption, objective_for
from valueshift.training.trainer import train

__all__ = ["finetune", "finetune_job", "run_finetune", "sample_examples"]

COMMAND = "finetune"
Strategy = Literal["mono", "multi"]
_EXAMPLE_KEYS = ("lang", "unit_id", "text")


def sample_examples(corpus: CorpusSettings, seed: int) -> pd.DataFrame:
    """The run's example table: the same units in every language (columns of ``train_examples.parquet``)."""
    langs = [c.strip() for c in corpus.langs.split(",") if c.strip()]
    draw = [c.strip() for c in corpus.draw_langs.split(",") if c.strip()] if corpus.draw_langs else langs
    if not set(langs) <= set(draw):
        raise ConfigError(f"corpus.draw_langs={corpus.draw_langs!r} must include every run language {langs}")
    parallel = load_corpus(corpus.spec, draw, align=corpus.align)
    kept = parallel.langs
    run_langs = [lg for lg in kept if lg in langs]
    common = {"seed": seed, "size_per": corpus.size_per, "min_chars": corpus.min_chars, "max_chars": corpus.max_chars}
    if len(run_langs) == 1:
        return plan_examples(parallel, kept, corpus.size, strategy="mono", **common)[run_langs[0]]  # type: ignore[arg-type]
    if run_langs != kept:
        raise ConfigError(
            f"a multilingual run draws from its own languages: set corpus.draw_langs to {corpus.langs!r} or leave it"
        )
    return plan_examples(parallel, kept, corpus.size, strategy="multi", **common)["multi"]  # type: ignore[arg-type]


def _examples_hash(df: pd.DataFrame) -> str:
    h = hashlib.sha256()
    for row in df[list(_EXAMPLE_KEYS)].itertuples(index=False):
        h.update("\t".join(map(str, row)).encode() + b"\n")
    return h.hexdigest()


def _check_examples(df: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in _EXAMPLE_KEYS if c not in df.columns]
    if missing:
        raise ConfigError(f"example table lacks column(s) {missing}; it needs lang, unit_id and text")
    if df.empty:
        raise ConfigError("example table is empty; give at least one example")
    if df.duplicated(["lang", "unit_id"]).any():
        raise ConfigError("example table has repeated (lang, unit_id) pairs; each example must be keyed uniquely")
    out = df.reset_index(drop=True).copy()
    out["example_id"] = range(len(out))
    for col, fill in (("corpus", "explicit"), ("corpus_line", pd.NA)):
        if col not in out.columns:
            out[col] = fill
    out["corpus_line"] = out["corpus_line"].astype("Int64")
    return out[["example_id", "lang", "corpus", "unit_id", "corpus_line", "text"]]


def _check_objective(objective: Objective, model: Any) -> None:
    n_rows = model.get_input_embeddings().num_embeddings
    if isinstance(objective, SpanCorruption) and max(objective.sentinels) >= n_rows:
        raise TrainingError(
            f"the tokenizer's sentinel id {max(objective.sentinels)} is outside the model's {n_rows} embedding rows; "
            "the tokenizer does not belong to this model"
        )


def _save_final(run: RunDir, model: Any, tokenizer: Any, merged: bool) -> None:
    """Write the final model next to the run's tables: built in a temporary folder, then each entry renamed in."""
    staged = write_dir_atomic(run.path / ".final", lambda tmp: save_model_dir(model, tokenizer, tmp, merged=merged))
    run.own(*(entry.name for entry in staged.iterdir()))
    for entry in staged.iterdir():
        target = run.path / entry.name
        if target.is_dir():
            shutil.rmtree(target)
        os.replace(entry, target)
    staged.rmdir()


def finetune_job(config: FinetuneConfig, examples: pd.DataFrame | None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The run's examples and its identity (``command``, ``config``, ``inputs``: content of model and examples);
    the one rule :func:`run_finetune` and the experiment grid both key on."""
    if examples is not None:
        table = _check_examples(examples)
    elif config.corpus is not None:
        table = sample_examples(config.corpus, config.train.seed)
    else:
        raise ConfigError("a fine-tuning run needs corpus settings or an explicit example table")
    inputs = {"model": model_fingerprint(config.model), "examples": _examples_hash(table)}
    return table, {"command": COMMAND, "config": config.to_json(), "inputs": inputs}


def run_finetune(
    config: FinetuneConfig,
    out: str | os.PathLike[str],
    *,
    examples: pd.DataFrame | None = None,
    device: str = "auto",
    trust_remote_code: bool = False,
    overwrite: bool = False,
    wait: bool = False,
    quiet: bool = False,
    on_step: Callable[[int, float], None] | None = None,
) -> Path:
    """Fine-tune ``config.model`` into the run directory ``out`` and return it.

    Parameters
    ----------
    config
        Model, examples (``config.corpus``) and optimisation (``config.train``).
    out
        The run directory: ``model.safetensors`` (or ``adapter/`` only with ``lora.merged`` off), tokenizer,
        ``train_log.jsonl``, ``train_examples.parquet``, ``checkpoints/step-<k>/``, ``manifest.json``.
    examples
        An explicit example table (columns ``lang, unit_id, text``; optional ``corpus, corpus_line``) instead of
        sampling ``config.corpus`` -- e.g. the subsets an LDS retraining needs, keyed by ``(lang, unit_id)``.
    device, trust_remote_code
        ``auto``, ``cpu`` or ``cuda``; run code shipped with the checkpoint (off: it executes arbitrary Python).
        Neither is part of the run's key.
    overwrite, wait
        Replace a finished run with another key; wait for another process writing ``out``.
    quiet
        No progress bar.
    on_step
        Called after each step as ``on_step(step, loss)`` (for tests and embedding).
    """
    from valueshift.models import load_model

    # -- validate and key the run before anything slow or anything written ---------------------------------------
    table, job = finetune_job(config, examples)
    found = RunDir.prepare(out, **job, overwrite=overwrite, wait=wait)
    if found.status is Status.DONE and not overwrite:
        from valueshift.progress import note

        note(f"{out}: up to date (a finished run with this key); pass --overwrite to retrain")
        return Path(out)
    cfg = config.train
    # training keeps fp32 master weights
    loaded = load_model(config.model, device=device, dtype="float32", trust_remote_code=trust_remote_code)
    objective = objective_for(loaded.kind, loaded.tokenizer, cfg.objective)
    _check_objective(objective, loaded.model)
    token_ids = objective.tokenize(table["text"].tolist(), cfg.max_length)

    # -- train -----------------------------------------------------------------------------------------------
    run = RunDir.open(out, **job, overwrite=overwrite, wait=wait, seed=cfg.seed)
    with running(run), seeded(cfg.seed):
        net = apply_lora(loaded.model, cfg.lora, loaded.kind) if cfg.lora else loaded.model
        run.own("checkpoints", "train_log.jsonl")
        run.write_table("train_examples.parquet", table)
        result = train(net, loaded.tokenizer, objective, token_ids, run.path, cfg, kind=loaded.kind,
                       device=loaded.device, quiet=quiet, description=f"finetune {Path(out).name}",
                       on_step=on_step)  # fmt: skip
        _save_final(run, net, loaded.tokenizer, merged=cfg.lora.merged if cfg.lora else True)
        run.finish(
            steps=result.steps, final_loss=result.final_loss, tokens_per_s=result.tokens_per_s,
            resumed_from_step=result.resumed_from, n_examples=len(table), objective=objective.describe(),
            model_revision=getattr(loaded.model.config, "_commit_hash", None),
            weights=("full" if not cfg.lora else "lora merged into model.safetensors; adapter in adapter/"
                     if cfg.lora.merged else "lora adapter in adapter/ only"),
            checkpoints=sorted(p.name for p in (run.path / "checkpoints").glob("step-*")),
        )  # fmt: skip
    return run.path


def finetune(
    model: str | os.PathLike[str],
    corpus: str,
    langs: str | Sequence[str],
    size: int,
    strategy: Strategy,
    out: str | os.PathLike[str],
    *,
    lora: LoraSettings | bool | None = None,
    size_per: Literal["lang", "total"] = "lang",
    align: Literal["strict", "intersect"] = "strict",
    min_chars: int = 1,
    max_chars: int | None = None,
    device: str = "auto",
    trust_remote_code: bool = False,
    overwrite: bool = False,
    wait: bool = False,
    quiet: bool = False,
    on_step: Callable[[int, float], None] | None = None,
    **train: Any,
) -> list[Path]:
    """Fine-tune ``model`` on ``size`` sentences of ``corpus``: the keyword convenience over :func:`run_finetune`.

    ``strategy="multi"`` trains one run on every language (``out/multi/``); ``"mono"`` trains one run per language
    (``out/<lang>/``), each drawing the same units; ``lora=True`` means :class:`LoraSettings` defaults.
    ``**train`` are :class:`TrainConfig` fields (``epochs``,
    ``lr``, ``batch_size``, ``seed``, ``save_every``, ...); their defaults are written there only.

    Examples
    --------
    >>> finetune("google/mt5-small", "flores:/data/flores", "fa,ko", 2000, "mono", "runs/ft")  # doctest: +SKIP
    """
    if strategy not in ("mono", "multi"):
        raise ConfigError(f"strategy={strategy!r}: use mono or multi")
    lang_list = [c.strip() for c in (langs.split(",") if isinstance(langs, str) else langs) if c.strip()]
    if not lang_list:
        raise ConfigError(f"--langs {langs!r}: name at least one fine-tuning language, e.g. fa,ko,hi,ru")
    lora_cfg = LoraSettings() if lora is True else lora or None
    train_cfg = TrainConfig.build(**train, lora=lora_cfg)
    names = ["multi"] if strategy == "multi" else lang_list
    configs = [
        FinetuneConfig.build(
            model=str(model), train=train_cfg,
            corpus=CorpusSettings.build(
                spec=corpus, langs=",".join(lang_list) if name == "multi" else name, size=size, size_per=size_per,
                draw_langs=None if name == "multi" else ",".join(lang_list), align=align, min_chars=min_chars,
                max_chars=max_chars,
            ),
        )
        for name in names
    ]  # fmt: skip
    for name, cfg in zip(names, configs, strict=True):  # every refusal before the first run starts
        _, job = finetune_job(cfg, None)
        RunDir.prepare(Path(out) / name, **job, overwrite=overwrite, wait=wait)
    return [
        run_finetune(cfg, Path(out) / name, device=device, trust_remote_code=trust_remote_code,
                     overwrite=overwrite, wait=wait, quiet=quiet, on_step=on_step)
        for name, cfg in zip(names, configs, strict=True)
    ]  # fmt: skip
