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
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.common import entry, time_median

__all__ = ["featurise", "run"]

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
    return {"entries": [result]}
