"""Shared pieces of the benches: the results contract, timing, the machine record, model shapes, the matmul peak.

Results contract (``bench/results/latest.json``): ``{"machine": {...}, "mode", "results": [entry, ...]}``; an entry
is ``{"name", "unit", "ours", "baseline", "baseline_name", "ratio", "goal", "meets_goal", "wall_s", ...details}``
with ``ratio = ours / baseline`` (higher is better) and ``goal`` the ratio asked for. A peer that cannot run here
(e.g. lm-eval not installed) gives ``baseline = ratio = meets_goal = None`` and a ``note`` saying why.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "SHARED",
    "entry",
    "fit_exponent",
    "machine",
    "matmul_peak_gflops",
    "mt5_small_shape",
    "peak_rss_mb",
    "reset_peak_rss",
    "time_median",
]

SHARED = Path(os.environ.get("VALUESHIFT_SHARED", Path(__file__).resolve().parents[2] / "shared"))


def entry(name: str, unit: str, ours: float, baseline: float | None, baseline_name: str, goal: float,
          wall_s: float, **details: Any) -> dict[str, Any]:  # fmt: skip
    """One row of the contract; ``ratio = ours / baseline`` (None when the peer could not run)."""
    ratio = None if not baseline else ours / baseline
    return {
        "name": name, "unit": unit, "ours": _round(ours), "baseline": _round(baseline),
        "baseline_name": baseline_name, "ratio": _round(ratio), "goal": goal,
        "meets_goal": None if ratio is None else bool(ratio >= goal), "wall_s": round(wall_s, 1), **details,
    }  # fmt: skip


def _round(x: float | None) -> float | None:
    return None if x is None else float(f"{x:.4g}")


def time_median(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> tuple[float, list[float], Any]:
    """Median wall time of ``fn`` over ``repeats`` calls after ``warmup`` untimed calls; also every time and the
    last result."""
    out = None
    for _ in range(warmup):
        out = fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, out


def fit_exponent(sizes: Sequence[float], times: Sequence[float]) -> float:
    """Least-squares slope of log(time) on log(size): time ~ size^b."""
    import numpy as np

    return float(np.polyfit(np.log(sizes), np.log(times), 1)[0])


def machine(threads: int) -> dict[str, Any]:
    import torch
    import transformers

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu, "cores": os.cpu_count(), "threads": threads, "torch_threads": torch.get_num_threads(),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"), "torch": torch.__version__,
        "transformers": transformers.__version__, "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "load_avg_1m_at_start": round(os.getloadavg()[0], 2),
    }  # fmt: skip


def matmul_peak_gflops(n: int, repeats: int) -> float:
    """Measured fp32 matmul rate on the current torch threads: median of ``repeats`` ``(n, n) @ (n, n)``."""
    import torch

    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(n, n, generator=g), torch.randn(n, n, generator=g)
    med, _, _ = time_median(lambda: a @ b, repeats, warmup=2)
    return 2 * n**3 / med / 1e9


def mt5_small_shape(vocab_size: int = 250112, *, dropout: float = 0.0, seed: int = 0) -> Any:
    """A random-init model with mt5-small's shape (d_model 512, d_ff 1024, 8+8 layers, 6 heads, vocab 250,112) and
    its own (untied) output head, as in the real checkpoint."""
    import torch
    import transformers as tf

    cfg = tf.MT5Config(vocab_size=vocab_size, d_model=512, d_kv=64, d_ff=1024, num_layers=8, num_decoder_layers=8,
                       num_heads=6, feed_forward_proj="gated-gelu", dropout_rate=dropout, decoder_start_token_id=0,
                       pad_token_id=0, eos_token_id=1, tie_word_embeddings=False)  # fmt: skip
    torch.manual_seed(seed)
    model = tf.MT5ForConditionalGeneration(cfg)
    model.config.tie_word_embeddings = False
    with torch.no_grad():  # a head distinct from the embedding (norm ~64 as in small random checkpoints)
        model.lm_head.weight = torch.nn.Parameter(model.shared.weight.detach().clone().normal_(std=512**-0.5))
    return model


def reset_peak_rss() -> None:
    """Release freed memory to the OS, then reset the kernel's peak-RSS mark (Linux >= 4.0: clear_refs 5)."""
    gc.collect()
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    """Peak resident set size since the last :func:`reset_peak_rss` (VmHWM), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
