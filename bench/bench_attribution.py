"""Attribution featurisation: valueshift (gradient loop + CountSketch) vs traker's ``BasicProjector``, one run.

Lifecycle: ``run(out_dir, quick)`` -> tiny mT5 (random init, eval mode), default parameter selection
(:func:`valueshift.attribution.select_params`), span-corrupted views of n sentences -> time featurisation at
``k = 2048`` both ways -> check score agreement -> entries.

- ``valueshift``: :func:`valueshift.attribution.example_gradients` with ``project=CountSketch(...).project``
  (nothing dense is stored; one example at a time).
- ``traker``: the same gradient loop without projection, then one ``BasicProjector.project`` call on all n stacked
  gradients (Rademacher, traker's CPU projector; its cost is per call, so one call over every example is its
  best case).

Agreement: TRAK scores of a few probe values (``scoring.margin.probe_value``) against the n examples from each
projection, Spearman against the exact (unprojected) scores via the push-through identity, same ridge.

Second entry, per-example gradients: the loop (:func:`valueshift.attribution.example_gradients`, what
valueshift uses) against ``torch.func.vmap(grad(...))`` over chunks of 8 with a 4D additive attention mask
(:func:`vmap_gradients`; the plain 2D mask fails under transformers 5), default parameter selection, one view per
example; the tiny mT5 in quick mode, the small one (9.4M selected coordinates) otherwise. The goal 0.77 = 1/1.3
reads "vmap is not 1.3x faster", the rule under which the loop stays (docs/attribution.md).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.common import entry, time_median

__all__ = ["featurise", "run", "vmap_gradients"]

PROBES = [
    ("Family is [MASK] in my life.", "important", "unimportant"),
    ("The dog [MASK] near the river.", "sleeps", "sings"),
    ("Work is [MASK] to me.", "very important", "not important"),
]


def featurise(model: Any, tok: Any, texts: list[str], k: int = 2048, params: Any = "default") -> tuple[Any, Any, Any]:
    """Everything the timed calls need: ``(views, params, sketch)`` for ``texts``."""
    import numpy as np

    from valueshift.attribution import CountSketch, select_params
    from valueshift.training.objectives import objective_for

    obj = objective_for("seq2seq", tok)
    views = [[obj.encode(x, np.random.default_rng([0, 0, i]))] for i, x in enumerate(obj.tokenize(texts, 64))]
    params = select_params(model, params)
    return views, params, CountSketch([p.numel() for p in params.values()], k, seed=0)


def vmap_gradients(model: Any, views: list[list[dict[str, Any]]], params: dict[str, Any], pad_id: int,
                   chunk: int = 8) -> Any:  # fmt: skip
    """Per-example gradients ``(n, P)`` of a seq2seq model's mean summed token loss over each example's views, by
    ``vmap(grad)`` over chunks. The mask is 4D additive, ``(views, 1, 1, T_in)`` per example: ``masking_utils``
    returns 4D masks as-is, and it broadcasts over heads and queries for the encoder and the cross-attention."""
    import torch
    from torch.func import functional_call, grad, vmap

    from valueshift.training.checkpoint import base_model
    from valueshift.training.losses import token_cross_entropy
    from valueshift.training.objectives import IGNORE

    fixed = {k: v.detach() for k, v in [*model.named_parameters(), *model.named_buffers()] if k not in params}
    neg = torch.finfo(torch.float32).min

    def loss(p: dict[str, Any], ids: Any, mask: Any, labels: Any, dec: Any) -> Any:
        out = functional_call(model, {**fixed, **p}, (), {"input_ids": ids, "attention_mask": mask,
                                                          "decoder_input_ids": dec})  # fmt: skip
        return token_cross_entropy(out.logits, labels).mean()

    per_example = vmap(grad(loss), in_dims=(None, 0, 0, 0, 0))
    detached = {k: v.detach() for k, v in params.items()}
    rows = []
    for s in range(0, len(views), chunk):
        part = views[s : s + chunk]
        c, e = len(part), len(part[0])
        t_in = max(len(f["input_ids"]) for v in part for f in v)
        t_lab = max(len(f["labels"]) for v in part for f in v)
        ids = torch.full((c, e, t_in), pad_id, dtype=torch.long)  # (C, E, T_in)
        labels = torch.full((c, e, t_lab), IGNORE, dtype=torch.long)  # (C, E, T_lab)
        keep = torch.zeros((c, e, t_in))  # (C, E, T_in)
        for i, v in enumerate(part):
            for j, f in enumerate(v):
                ids[i, j, : len(f["input_ids"])] = torch.tensor(f["input_ids"])
                labels[i, j, : len(f["labels"])] = torch.tensor(f["labels"])
                keep[i, j, : len(f["input_ids"])] = 1
        mask = ((1 - keep) * neg)[:, :, None, None, :]  # (C, E, 1, 1, T_in)
        dec = base_model(model).prepare_decoder_input_ids_from_labels(labels=labels.reshape(c * e, t_lab))
        g = per_example(detached, ids, mask, labels, dec.reshape(c, e, t_lab))
        rows.append(torch.cat([g[k].reshape(c, -1) for k in params], dim=1))  # (C, P)
    return torch.cat(rows)


def _vmap_entry(out_dir: Path, quick: bool) -> dict[str, Any]:
    """Loop vs vmap(grad) per-example gradients (see the module docstring)."""
    import numpy as np
    import torch

    from bench.bench_training import _texts
    from valueshift.attribution import example_gradients, select_params
    from valueshift.models import build_tiny_model, load_model
    from valueshift.models.kinds import get_kind
    from valueshift.training.objectives import objective_for

    t_start = time.perf_counter()
    size, n, repeats = ("tiny", 8, 1) if quick else ("small", 32, 3)
    lm = load_model(build_tiny_model(Path(out_dir) / f"vmap-{size}", size=size, overwrite=True), device="cpu")
    model = lm.model.eval()
    obj = objective_for("seq2seq", lm.tokenizer)
    texts = _texts(max(n // 4, 8))[:n]
    views = [[obj.encode(x, np.random.default_rng([0, 0, i]))] for i, x in enumerate(obj.tokenize(texts, 64))]
    params = select_params(model)
    loss_fn = get_kind("seq2seq").loss_function()

    def loop() -> Any:
        return torch.stack(list(example_gradients(model, loss_fn, views, params, obj.pad_id)))

    t_loop, times_loop, want = time_median(loop, repeats, warmup=1)
    t_vmap, times_vmap, got = time_median(lambda: vmap_gradients(model, views, params, obj.pad_id), repeats, 1)
    err = float((got - want).abs().max() / want.abs().max())
    return entry("per-example gradients, loop vs vmap(grad) 4D mask", "examples/s", n / t_loop, n / t_vmap,
                 "torch.func vmap(grad), chunks of 8", 0.77, time.perf_counter() - t_start,
                 model=f"{size} mT5", selected_coords=sum(p.numel() for p in params.values()), examples=n,
                 times_loop_s=times_loop, times_vmap_s=times_vmap, max_rel_diff=err)  # fmt: skip


def run(out_dir: Path, quick: bool = False) -> dict[str, Any]:
    import numpy as np
    import torch
    from scipy.stats import spearmanr

    from bench.bench_training import _texts
    from valueshift.attribution import example_gradients, trak_scores
    from valueshift.attribution.grads import target_gradients
    from valueshift.models import build_tiny_model, load_model
    from valueshift.models.kinds import get_kind
    from valueshift.probes.schema import Probe
    from valueshift.scoring import make_scorer
    from valueshift.scoring.margin import probe_value
    from valueshift.training.objectives import objective_for

    t_start = time.perf_counter()
    # quick: one decoder block only (traker's dense projector costs ~coords x k per call, minutes on all of them)
    n, k, repeats, sel = (4, 2048, 1, ["decoder.block.1.*"]) if quick else (32, 2048, 3, "default")
    lm = load_model(build_tiny_model(Path(out_dir) / "tiny", overwrite=True), device="cpu")
    model = lm.model.eval()
    texts = _texts(max(n // 4, 8))[:n]
    views, params, sketch = featurise(model, lm.tokenizer, texts, k, sel)
    loss_fn = get_kind("seq2seq").loss_function()
    pad = objective_for("seq2seq", lm.tokenizer).pad_id
    n_coords = sum(p.numel() for p in params.values())
    why: str | None = None
    try:
        from trak.projectors import BasicProjector, ProjectionType
    except ImportError as err:  # a dev dependency; the bench records why the peer is missing
        BasicProjector, why = None, f"traker not installed ({err.name})"

    def ours() -> Any:
        return torch.stack(list(example_gradients(model, loss_fn, views, params, pad, project=sketch.project)))

    scorer = make_scorer(lm)
    probes = [Probe("b", "en", str(i), f"Q{i}", *p) for i, p in enumerate(PROBES)]
    g = torch.stack(list(target_gradients(lambda i: probe_value(scorer, probes[i]), len(probes), params)))

    def theirs() -> Any:
        flat = torch.stack(list(example_gradients(model, loss_fn, views, params, pad)))  # (n, P)
        proj = BasicProjector(n_coords, k, 0, ProjectionType.rademacher, torch.device("cpu"), block_size=512)
        # targets ride along in the same call (traker's cost is per call, not per row); rescaled: +-1 entries
        both = proj.project(torch.cat([flat, g]), 0) * k**-0.5
        return both[:n], both[n:], flat

    t_ours, times_ours, phi_ours = time_median(ours, repeats, warmup=1)
    detail: dict[str, Any] = {"examples": n, "k": k, "params": sel, "selected_coords": n_coords,
                              "times_ours_s": times_ours}  # fmt: skip
    rate_theirs = agree = None
    if BasicProjector is not None:  # one timed call: at minutes per call, its spread is far below the gap
        t_theirs, times_theirs, (phi_theirs, g_theirs, flat) = time_median(theirs, 1, warmup=0)
        rate_theirs = n / t_theirs
        detail["times_traker_s"] = times_theirs
        f64, g64 = flat.double().numpy(), g.double().numpy()
        lam = 0.1 * float(np.square(f64).sum()) / n
        exact = -(g64 @ f64.T) @ np.linalg.inv(f64 @ f64.T + lam * np.eye(n))
        sk_g = sketch.project([b.reshape(len(g), -1) for b in g.split([p.numel() for p in params.values()], 1)])
        s_ours = trak_scores([phi_ours.double().numpy()], [sk_g.double().numpy()], lam=lam)
        s_theirs = trak_scores([phi_theirs.double().numpy()], [g_theirs.double().numpy()],
                               lam=lam)  # fmt: skip
        rho = {name: float(np.mean([spearmanr(exact[i], s[i]).statistic for i in range(len(probes))]))
               for name, s in (("countsketch", s_ours), ("traker", s_theirs))}  # fmt: skip
        agree = {"spearman_vs_exact_trak": rho, "targets": len(probes)}
    wall = time.perf_counter() - t_start
    result = entry("attribution featurisation, k=2048", "examples/s", n / t_ours, rate_theirs,
              "traker 0.3.2 BasicProjector (rademacher, one call on all examples)", 5.0, wall,
              model="tiny mT5 (1.8M params)", traker_timed_calls=1, **detail, agreement=agree, note=why)  # fmt: skip
    return {"entries": [result, _vmap_entry(out_dir, quick)]}
