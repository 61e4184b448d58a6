"""Cloze scoring throughput at the mt5-small shape: valueshift vs lm-evaluation-harness vs a naive loop, one run.

Lifecycle: ``run(out_dir, quick)`` -> build the model (mt5-small shape, random init, untied head; ``quick``: the
tiny model) -> load the probes (Arora de+ko from ../shared, else the built-in set) -> check that every contender
gives the same values -> time each (warm-up, interleaved repeats, median) -> entries.

Contenders, same model, probes and threads:

- ``valueshift``: :func:`valueshift.scoring.make_scorer` with ``mask_padded_vocab=False`` (the bench's tokenizer
  is the tiny model's, 4,100 ids, so masking would shrink the softmax to 4,100 columns; unmasked, both sides
  normalise over all 250,112 rows, as mT5 with its own tokenizer nearly does);
- ``lm-eval``: ``HFLM(pretrained=model, backend="seq2seq").loglikelihood`` on (template with ``<extra_id_0>``,
  ``"<extra_id_0> {answer} <extra_id_1>"``). Its score adds log p(``<extra_id_0>``), which is the same for both
  answers of a probe, so probe values (pos - neg) are compared. HFLM re-ties the untied head to the input
  embedding when it wraps a model (lm-eval 0.4 on transformers 5): the head is restored after wrapping, and the
  values check would fail without that;
- ``naive``: one HF forward per (prompt, answer) with the loss read back (a prefix is timed and scaled).

Floor: useful FLOPs of the exact computation (2 x weights x tokens for the encoder per real prompt token and the
decoder per real answer token, plus 2 x d_model x vocab per distinct scored output row), divided by the time,
against a fp32 matmul measured on the same threads.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from bench.common import SHARED, entry, matmul_peak_gflops, mt5_small_shape

__all__ = ["load_bench_probes", "run", "useful_flops"]


def load_bench_probes(n: int | None, quick: bool) -> tuple[list[Any], str]:
    from valueshift.probes import load_probes

    arora = SHARED / "data" / "arora-value-probes" / "wvs"
    spec = f"arora-wvs:{arora}" if arora.is_dir() and not quick else "builtin-wvs"
    probes = [p for p in load_probes(spec, "de,ko") if p.answer_neg is not None]
    return (probes[:n] if n else probes), spec.split(":")[0]


def useful_flops(lm: Any, scorer: Any, requests: list[Any]) -> float:
    """FLOPs the exact scorer cannot avoid for ``requests`` (no padding, each output row once)."""
    model, tok = lm.model, lm.tokenizer
    cfg = model.config
    inner = cfg.num_heads * cfg.d_kv
    ffn = (3 if getattr(cfg, "is_gated_act", False) else 2) * cfg.d_model * cfg.d_ff
    attn = 4 * cfg.d_model * inner
    enc_tok = dec_tok = 0
    rows: set[tuple[str, tuple[int, ...]]] = set()
    for t in {r.template for r in requests}:
        enc_tok += len(tok(t.replace("[MASK]", "<extra_id_0>")).input_ids)
    for r in dict.fromkeys(requests):
        lab = scorer.labels(r.answer)
        dec_tok += len(lab)
        rows.update((r.template, tuple(lab[:j])) for j in range(1, len(lab)))
    # decoder layer: self-attention + cross-attention q/o on decoder tokens (cross k/v counted on encoder tokens)
    dec_layer = attn + 2 * cfg.d_model * inner + ffn
    enc = 2 * cfg.num_layers * (attn + ffn) * enc_tok
    dec = 2 * cfg.num_decoder_layers * (dec_layer * dec_tok + 2 * cfg.d_model * inner * enc_tok)
    head = 2 * cfg.d_model * cfg.vocab_size * len(rows)
    return float(enc + dec + head)


def _naive(lm: Any, requests: list[Any]) -> list[float]:
    import torch

    tok, model = lm.tokenizer, lm.model
    out = []
    with torch.inference_mode():
        for r in requests:
            enc = tok(r.template.replace("[MASK]", "<extra_id_0>"), return_tensors="pt").input_ids
            lab = tok(f"<extra_id_0> {r.answer} <extra_id_1>", add_special_tokens=False).input_ids
            logits = model(input_ids=enc, decoder_input_ids=torch.tensor([[0, *lab[:-1]]])).logits[0, 1:]
            out.append(-torch.nn.functional.cross_entropy(logits, torch.tensor(lab[1:]), reduction="sum").item())
    return out


def _lm_eval(lm: Any, batch_size: int) -> tuple[Any, str | None]:
    """An HFLM around the in-memory model with the checkpoint's own head restored, or (None, why not)."""
    try:
        import torch
        from lm_eval.models.huggingface import HFLM
    except ImportError as e:
        return None, f"lm-eval not installed ({e.name}); `pip install -e '.[bench]'`"
    head = lm.model.get_output_embeddings().weight.detach().clone()
    hflm = HFLM(pretrained=lm.model, tokenizer=lm.tokenizer, backend="seq2seq", device="cpu",
                batch_size=batch_size, dtype=torch.float32)  # fmt: skip
    after = float(lm.model.get_output_embeddings().weight.detach().norm())
    with torch.no_grad():  # the pitfall: HFLM.__init__ calls model.tie_weights(); put the real head back
        lm.model.get_output_embeddings().weight = torch.nn.Parameter(head)
    hflm.retied_head_norm = (float(head.norm()), after)
    return hflm, None


def _lm_eval_scores(hflm: Any, requests: list[Any]) -> list[float]:
    from lm_eval.api.instance import Instance

    inst = [Instance("loglikelihood", {}, (r.template.replace("[MASK]", "<extra_id_0>"),
                                           f"<extra_id_0> {r.answer} <extra_id_1>"), i)
            for i, r in enumerate(requests)]  # fmt: skip
    return [lp for lp, _ in hflm.loglikelihood(inst, disable_tqdm=True)]


def _values(scores: list[float]) -> Any:
    import numpy as np

    s = np.asarray(scores, dtype=np.float64)
    return s[0::2] - s[1::2]  # requests are (pos, neg) per probe


def run(out_dir: Path, quick: bool = False) -> dict[str, Any]:
    import numpy as np

    from valueshift.models import LoadedModel, build_tiny_model, load_model
    from valueshift.scoring import ClozeRequest, make_scorer

    t_start = time.perf_counter()
    repeats = 1 if quick else 3
    n_env = int(os.environ.get("VALUESHIFT_BENCH_PROBES", "0"))
    probes, spec = load_bench_probes(n_env or (6 if quick else None), quick)
    requests = [ClozeRequest(p.template, a) for p in probes for a in (p.answer_pos, p.answer_neg)]
    tiny = build_tiny_model(out_dir / "tiny", overwrite=True)
    if quick:
        lm = load_model(tiny)
    else:
        import torch

        model = mt5_small_shape().eval()
        lm = LoadedModel(model, load_model(tiny).tokenizer, "seq2seq", "mt5-small-shape", torch.device("cpu"),
                         torch.float32)  # fmt: skip
    n_params = sum(p.numel() for p in lm.model.parameters())
    scorer = make_scorer(lm, batch_size=32, mask_padded_vocab=False)
    hflm, why = _lm_eval(lm, batch_size=32)
    n_naive = min(len(requests), 4 if quick else int(os.environ.get("VALUESHIFT_BENCH_NAIVE", "120")))

    contenders: dict[str, Any] = {"valueshift": lambda rs: [s.logprob for s in scorer.score(rs)],
                                  "naive": lambda rs: _naive(lm, rs)}  # fmt: skip
    if hflm is not None:
        contenders["lm-eval"] = lambda rs: _lm_eval_scores(hflm, rs)
    # correctness before speed, on a prefix every contender scores
    check = {k: f(requests[:n_naive]) for k, f in contenders.items()}
    ref = np.asarray(check["valueshift"])
    diff = {"naive": float(np.abs(np.asarray(check["naive"]) - ref).max())}
    if hflm is not None:
        diff["lm-eval"] = float(np.abs(_values(check["lm-eval"]) - _values(check["valueshift"])).max())
    tol = 1e-3
    bad = {k: v for k, v in diff.items() if not v <= tol}
    if bad:
        raise AssertionError(f"scores disagree with valueshift by more than {tol} nats: {bad}")

    subset = {"valueshift": requests, "lm-eval": requests, "naive": requests[:n_naive]}
    times: dict[str, list[float]] = {k: [] for k in contenders}
    for f in contenders.values():
        f(requests[:16])  # warm-up: allocator, thread pools, lazy imports
    for _ in range(repeats):  # interleaved, so load from other processes hits every contender alike
        for k, f in contenders.items():
            t0 = time.perf_counter()
            f(subset[k])
            times[k].append((time.perf_counter() - t0) * len(requests) / len(subset[k]))
    med = {k: float(np.median(v)) for k, v in times.items()}
    rate = {k: len(probes) / v for k, v in med.items()}
    spread = {k: round(max(v) / min(v), 3) for k, v in times.items()}

    flops = useful_flops(lm, scorer, requests)
    peak_n = 512 if quick else 2048
    peak = float(np.median([matmul_peak_gflops(peak_n, 3 if quick else 5) for _ in range(repeats)]))
    achieved = flops / med["valueshift"] / 1e9
    wall = time.perf_counter() - t_start
    shape = "tiny mT5 (quick)" if quick else "mt5-small shape"
    common = {"probes": len(probes), "requests": len(requests), "probe_spec": spec, "model": shape,
              "model_params": n_params, "repeats": repeats}  # fmt: skip
    entries = [
        entry("scoring vs lm-eval", "probes/s", rate["valueshift"], rate.get("lm-eval"),
              "lm-evaluation-harness HFLM(backend='seq2seq').loglikelihood", 4.0, wall,
              max_abs_value_diff_nats=diff.get("lm-eval"), time_spread_max_over_min=spread.get("lm-eval"),
              note=why, lm_eval_head_norm_before_after_wrap=getattr(hflm, "retied_head_norm", None), **common),
        entry("scoring vs naive loop", "probes/s", rate["valueshift"], rate["naive"],
              "naive loop (one HF call per prompt-answer)", 10.0, wall,
              max_abs_score_diff_nats=diff["naive"], naive_requests_timed=n_naive,
              time_spread_max_over_min=spread["naive"], **common),
        entry("scoring fraction of fp32 matmul peak", "GFLOP/s", achieved, peak,
              f"fp32 matmul {peak_n}x{peak_n} on the same threads", 0.70, wall,
              useful_gflop=round(flops / 1e9, 2), time_spread_max_over_min=spread["valueshift"], **common),
    ]  # fmt: skip
    return {"entries": entries, "times_s": times}
