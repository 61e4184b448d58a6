"""Featurisation: projected per-example gradients of the training loss and of the targets' values, per checkpoint,
saved in pieces so a killed run resumes (``RunDir.save_array``).

Lifecycle per checkpoint: load the model (eval mode: no dropout) -> select parameters -> CountSketch -> with
``exact_targets`` (and within :data:`EXACT_TARGETS_BUDGET`): the targets' full gradients, whose exact products with
each training gradient are appended to its sketch -> for each chunk of ``chunk_size`` examples: load the piece or
compute and save it -> projected target gradients and values (one piece) -> free the model.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from valueshift.attribution.config import AttributionConfig
from valueshift.attribution.examples import Checkpoint, TrainingRun
from valueshift.attribution.grads import example_gradients, select_params, target_gradients
from valueshift.attribution.projection import CountSketch, TargetProducts
from valueshift.probes.schema import Probe
from valueshift.progress import progress_bar

__all__ = ["EXACT_TARGETS_BUDGET", "Features", "featurize_checkpoint", "target_values"]


EXACT_TARGETS_BUDGET = 2 * 1024**3  # bytes of full target gradients ``exact_targets`` may hold


@dataclass
class Features:
    """Projected gradients at one checkpoint: ``train`` ``(n, k)``, ``targets`` ``(m, k)``, ``values`` ``(m,)``;
    ``cross`` ``(m, n)``: exact target-train gradient products (``exact_targets``), else None."""

    checkpoint: Checkpoint
    train: np.ndarray
    targets: np.ndarray
    values: np.ndarray
    cross: np.ndarray | None = None


def target_values(scorer: Any, targets: Sequence[Sequence[Probe]], context: Sequence[Probe], normalize: str) -> Any:
    """Closure ``i -> value of target i``: the mean value over the target's templates (a 0-dim tensor)."""
    from valueshift.scoring.margin import probe_values

    def value(i: int) -> Any:
        return probe_values(scorer, list(targets[i]), normalize, context=context).mean()

    return value


def featurize_checkpoint(
    run: Any,
    training: TrainingRun,
    ckpt: Checkpoint,
    targets: Sequence[Sequence[Probe]],
    context: Sequence[Probe],
    cfg: AttributionConfig,
    device: Any,
    *,
    quiet: bool = True,
) -> Features:
    """Features at one checkpoint; pieces already in ``run`` (a :class:`~valueshift.runs.RunDir`) are reused."""
    import torch

    from valueshift.models import load_model
    from valueshift.models.kinds import get_kind
    from valueshift.scoring import make_scorer
    from valueshift.training.config import ObjectiveSettings
    from valueshift.training.objectives import objective_for

    n, m = len(training.examples), len(targets)
    chunks = [(s, min(s + cfg.chunk_size, n)) for s in range(0, n, cfg.chunk_size)]
    pieces = [run.load_array(f"phi-{ckpt.name}-{c:05d}") for c in range(len(chunks))]
    tgt = run.load_array(f"targets-{ckpt.name}")
    if tgt is not None and all(p is not None for p in pieces):
        return _features(ckpt, pieces, tgt, cfg.proj_dim)

    lm = load_model(ckpt.path, device=str(device), dtype="float32")
    model = lm.model.eval()
    params = select_params(model, cfg.params)
    sizes = [p.numel() for p in params.values()]
    sketch = CountSketch(sizes, cfg.proj_dim, cfg.seed, device)
    value = target_values(make_scorer(lm), targets, context, cfg.normalize)
    project: Callable[[list[Any]], Any] = sketch.project
    full = None  # the targets' full gradients (m, P) when they are kept exact
    if cfg.exact_targets and _exact_fits(m, sum(sizes)):
        full = torch.stack(list(target_gradients(value, m, params))).to(device)
        products = TargetProducts(list(full.split(sizes, dim=1)), device)  # views of ``full``, no copy

        def project(blocks: list[Any]) -> Any:  # (B, k + m): the sketch, then the exact products
            return torch.cat([sketch.project(blocks), products(blocks)], dim=1)

    objective = objective_for(lm.kind, lm.tokenizer, ObjectiveSettings(**training.train.get("objective", {})))
    views = training.views(objective, training.epochs(cfg.views))
    loss_fn = get_kind(lm.kind).loss_function()
    with progress_bar(n, f"gradients {ckpt.name}", quiet=quiet) as bar:
        for c, (start, stop) in enumerate(chunks):
            if pieces[c] is None:
                rows = example_gradients(model, loss_fn, views[start:stop], params, objective.pad_id, project)
                pieces[c] = torch.stack(list(rows)).cpu().numpy()  # (chunk, k) or (chunk, k + m)
                run.save_array(f"phi-{ckpt.name}-{c:05d}", pieces[c])
            bar.advance(stop - start)
    if tgt is None:
        if full is not None:  # project the gradients already taken instead of taking them again
            g = sketch.project(list(full.split(sizes, dim=1))).cpu().numpy()
        else:
            g = torch.stack(list(target_gradients(value, m, params, sketch.project))).cpu().numpy()
        with torch.no_grad():
            v = np.array([float(value(i)) for i in range(m)])
        tgt = np.concatenate([g, v[:, None]], axis=1)  # (m, k + 1): features, then the value
        run.save_array(f"targets-{ckpt.name}", tgt)
    return _features(ckpt, pieces, tgt, cfg.proj_dim)


def _exact_fits(m: int, n_params: int) -> bool:
    need = 4 * m * n_params
    if need <= EXACT_TARGETS_BUDGET:
        return True
    warnings.warn(f"exact_targets: {m} targets x {n_params:,} parameters need {need / 1024**3:.1f} GiB (budget "
                  f"{EXACT_TARGETS_BUDGET / 1024**3:.0f} GiB); projecting both sides instead -- fewer targets or a "
                  "narrower --params keep them exact", stacklevel=3)  # fmt: skip
    return False


def _features(ckpt: Checkpoint, pieces: Sequence[np.ndarray | None], tgt: np.ndarray, k: int) -> Features:
    train = np.concatenate([p for p in pieces if p is not None])
    cross = train[:, k:].T.copy() if train.shape[1] > k else None  # (m, n) exact products
    return Features(ckpt, train[:, :k], tgt[:, :-1], tgt[:, -1], cross)
