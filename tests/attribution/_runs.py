"""Fine-tuning runs for the attribution tests, made by the study's own single-run API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd


def train_run(model_dir: Path, texts: list[str], out: Path, *, langs: list[str] | None = None,
              units: list[str] | None = None, **train_fields: Any) -> Path:  # fmt: skip
    """Fine-tune ``model_dir`` on ``texts`` into ``out`` with :func:`valueshift.training.run_finetune` (an explicit
    example table keyed by (lang, unit_id); ``train_fields`` are TrainConfig fields)."""
    from valueshift.training import run_finetune
    from valueshift.training.config import FinetuneConfig, TrainConfig

    table = pd.DataFrame({"lang": langs or ["en"] * len(texts), "unit_id": units or [str(i + 1) for i in
                          range(len(texts))], "text": texts})  # fmt: skip
    config = FinetuneConfig.build(model=str(model_dir), train=TrainConfig.build(**train_fields))
    return run_finetune(config, out, examples=table, device="cpu", quiet=True)


def trajectory_gradients(run: Path, probes: Path, params: str | list[str] = "default"
                         ) -> tuple[list[tuple[Any, Any, float]], list[int]]:  # fmt: skip
    """Unprojected ``(Phi, G, weight)`` per model of the default trajectory, exactly as ``attribute`` featurizes
    them (views averaged over epochs, eval mode, targets = every probe of ``probes`` in ``en``), as float64, and
    the selected parameters' sizes."""
    import torch

    from valueshift.attribution.api import select_targets
    from valueshift.attribution.examples import TrainingRun
    from valueshift.attribution.featurize import target_values
    from valueshift.attribution.grads import example_gradients, select_params, target_gradients
    from valueshift.models import load_model
    from valueshift.models.kinds import get_kind
    from valueshift.probes import load_probes
    from valueshift.scoring import make_scorer
    from valueshift.training.config import ObjectiveSettings
    from valueshift.training.objectives import objective_for

    training = TrainingRun.load(run)
    probe_set = load_probes(str(probes), ["en"])
    targets = select_targets(probe_set.probes, "all")
    out = []
    for ckpt in training.select_checkpoints("trajectory"):
        lm = load_model(ckpt.path, device="cpu", dtype="float32")
        model = lm.model.eval()
        chosen = select_params(model, params)
        obj = objective_for(lm.kind, lm.tokenizer, ObjectiveSettings(**training.train.get("objective", {})))
        views = training.views(obj, training.epochs("mean"))
        loss_fn = get_kind(lm.kind).loss_function()
        phi = torch.stack(list(example_gradients(model, loss_fn, views, chosen, obj.pad_id))).double().numpy()
        value = target_values(make_scorer(lm), targets, probe_set.probes, "sum")
        g = torch.stack(list(target_gradients(value, len(targets), chosen))).double().numpy()
        out.append((phi, g, ckpt.weight))
    return out, [p.numel() for p in chosen.values()]
