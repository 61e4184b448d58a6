"""Scaling: does work grow linearly with its size? Scoring at 3 sizes of (probes x languages), featurisation at 3
training-set sizes; the fitted exponent b of time ~ size^b (1 = linear).

Lifecycle: ``run(out_dir, quick)`` -> scoring (mt5-small shape; ``quick``: tiny) at n/4, n/2, n probe-language
pairs (de and ko in a seeded random order, so every size mixes languages and probe lengths), median of repeats ->
featurisation (tiny mT5, k=2048) at 3 sizes -> entries. Contract mapping: ``ours = 1 / b`` against the linear
baseline ``1``, goal ``>= 0.9`` (b <= 1.11); ``exponent`` holds b itself. Scoring also records the useful FLOPs of
each size and the exponent of time against them (whether time follows work, whatever the probes' lengths). The
grid wall time of ``experiments/echoes-mini.toml`` is recorded once that experiment exists.
"""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path
from typing import Any

from bench.common import entry, fit_exponent, mt5_small_shape, time_median

__all__ = ["run"]


def _scoring(out_dir: Path, quick: bool) -> dict[str, Any]:
    import torch

    from bench.bench_scoring import load_bench_probes, useful_flops
    from valueshift.models import LoadedModel, build_tiny_model, load_model
    from valueshift.scoring import ClozeRequest, make_scorer
    from valueshift.seeding import keyed_rng

    tiny = load_model(build_tiny_model(out_dir / "tiny", overwrite=True))
    lm = tiny if quick else LoadedModel(mt5_small_shape().eval(), tiny.tokenizer, "seq2seq", "mt5-small-shape",
                                        torch.device("cpu"), torch.float32)  # fmt: skip
    probes, spec = load_bench_probes(None, quick)
    # interleave languages so every size holds both: sizes are probe x language pairs
    by_lang = [[p for p in probes if p.lang == lang] for lang in ("de", "ko")]
    mixed = [p for pair in zip(*by_lang, strict=False) for p in pair]
    # seeded shuffle: a prefix of the file is not a fair sample (later Arora probes are longer, so a prefix's
    # work grows faster than its size); the work of each size is recorded as useful FLOPs
    order = keyed_rng(0, "bench-scaling").permutation(len(mixed))
    mixed = [mixed[i] for i in order]
    n = 16 if quick else int(os.environ.get("VALUESHIFT_BENCH_SCALING", "256"))
    sizes = [n // 4, n // 2, n]
    scorer = make_scorer(lm, batch_size=32, mask_padded_vocab=False)
    times: list[float] = []
    gflop: list[float] = []
    for s in sizes:
        reqs = [ClozeRequest(p.template, a) for p in mixed[:s] for a in (p.answer_pos, p.answer_neg)]
        med, _, _ = time_median(functools.partial(scorer.score, reqs), 1 if quick else 2, warmup=1)
        times.append(med)
        gflop.append(useful_flops(lm, scorer, reqs) / 1e9)
    return {"sizes": sizes, "times_s": [round(t, 3) for t in times], "spec": spec,
            "useful_gflop": [round(g, 2) for g in gflop], "work_exponent": round(fit_exponent(sizes, gflop), 3),
            "time_vs_work_exponent": round(fit_exponent(gflop, times), 3)}  # fmt: skip


def _featurisation(out_dir: Path, quick: bool) -> dict[str, Any]:

    from bench.bench_attribution import featurise
    from bench.bench_training import _texts
    from valueshift.models import build_tiny_model, load_model
    from valueshift.models.kinds import get_kind
    from valueshift.training.objectives import objective_for

    lm = load_model(build_tiny_model(out_dir / "tiny-attr", overwrite=True), device="cpu")
    model = lm.model.eval()
    sizes = [2, 4, 8] if quick else [16, 32, 64]
    texts = _texts(sizes[-1])
    loss_fn = get_kind("seq2seq").loss_function()
    pad = objective_for("seq2seq", lm.tokenizer).pad_id
    views, params, sketch = featurise(model, lm.tokenizer, texts[: sizes[-1]])
    times = []
    for s in sizes:
        med, _, _ = time_median(functools.partial(_features, model, loss_fn, views[:s], params, pad, sketch),
                                1 if quick else 3)  # fmt: skip
        times.append(med)
    return {"sizes": sizes, "times_s": [round(t, 3) for t in times]}


def _features(model: Any, loss_fn: Any, views: Any, params: Any, pad: int, sketch: Any) -> Any:
    import torch

    from valueshift.attribution import example_gradients

    return torch.stack(list(example_gradients(model, loss_fn, views, params, pad, sketch.project)))


def run(out_dir: Path, quick: bool = False) -> dict[str, Any]:
    out_dir = Path(out_dir)
    entries = []
    for name, fn, unit in (("scoring scaling", _scoring, "probe-language pairs"),
                           ("featurisation scaling", _featurisation, "training examples")):  # fmt: skip
        t0 = time.perf_counter()
        res = fn(out_dir, quick)
        b = fit_exponent(res["sizes"], res["times_s"])
        entries.append(entry(f"{name} (1 / exponent)", "1/b, time ~ size^b", 1 / b, 1.0, "linear scaling (b = 1)",
                             0.9, time.perf_counter() - t0, exponent=round(b, 3), size_unit=unit, **res))  # fmt: skip
    grid = Path(__file__).resolve().parents[1] / "experiments" / "echoes-mini.toml"
    return {"entries": entries, "grid": None if not grid.exists() else "exists; wall time not yet measured by bench"}
