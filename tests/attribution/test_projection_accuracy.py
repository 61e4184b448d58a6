"""Projected TRAK against exact TRAK on a planted fine-tuning run (the issue's accuracy requirement).

The run is the LDS benchmark's (``test_lds``): four probes, each with its own planted statements of its negative
answer among neutral lines, fine-tuned with the study's own API; gradients are taken at the models attribution
uses by default (base model and inner checkpoints, weighted by their summed learning rates), with the views,
eval mode and targets of ``attribute``. Exact TRAK: unprojected float64 gradients through the push-through form
(``trak_scores`` on the full gradients). Compared at ``k = 2048``: CountSketch (three seeds), traker's dense
Rademacher ``BasicProjector`` (rescaled), and the exact-target-products variant (only the kernel projected).
Numbers in docs/attribution.md; the generic-text hard case is in ``test_trak``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from valueshift.attribution import CountSketch, trak_scores

from ._runs import train_run, trajectory_gradients
from .test_lds import bench_texts, write_probes

Models = list[tuple[np.ndarray, np.ndarray, float]]
K = 2048


def _planted(root: Path, tiny: Path, frames: int, neutral: int, epochs: int, save_every: int,
             params: str | list[str]) -> tuple[Models, list[int]]:  # fmt: skip
    probes = write_probes(root / "probes.jsonl")
    run = train_run(tiny, bench_texts(frames, neutral), root / "ft", epochs=epochs, lr=3e-3, batch_size=8,
                    save_every=save_every, objective={"noise_density": 0.5})  # fmt: skip
    return trajectory_gradients(run, probes, params)


def _trak(models: Models, project: Callable[[np.ndarray], np.ndarray] | None = None, *,
          exact_cross: bool = False) -> np.ndarray:  # fmt: skip
    """Trajectory TRAK at the default damping, in the projected space (``project``) or exact (None)."""
    f = project or (lambda x: x)
    phis, gs, w = [f(p) for p, _, _ in models], [f(g) for _, g, _ in models], [c for _, _, c in models]
    cross = [g @ p.T for p, g, _ in models] if exact_cross else None
    return trak_scores(phis, gs, 10.0, weights=w, cross=cross)


def _rho(exact: np.ndarray, approx: np.ndarray) -> float:
    """Mean over targets of the Spearman correlation across training examples."""
    return float(np.mean([spearmanr(exact[i], approx[i]).statistic for i in range(len(exact))]))


def _countsketch(sizes: list[int], seed: int) -> Callable[[np.ndarray], np.ndarray]:
    sketch = CountSketch(sizes, K, seed=seed)  # hashed per parameter, as attribute does
    return lambda x: sketch.project_flat(torch.from_numpy(x).float()).double().numpy()


def _traker(models: Models, seed: int) -> Callable[[np.ndarray], np.ndarray]:
    """traker's projector with every model's rows in one call (its cost is per call); +-1 entries rescaled."""
    from trak.projectors import BasicProjector, ProjectionType

    rows = np.concatenate([x for p, g, _ in models for x in (p, g)])
    proj = BasicProjector(rows.shape[1], K, seed, ProjectionType.rademacher, torch.device("cpu"), block_size=512)
    done = proj.project(torch.from_numpy(rows).float(), 0).double().numpy() * K**-0.5
    table = {x.tobytes(): done[i] for i, x in enumerate(rows)}
    return lambda x: np.stack([table[r.tobytes()] for r in x])


def _measure(setup: tuple[Models, list[int]], seeds: int) -> dict[str, float]:
    """Mean Spearman (over targets, then over ``seeds`` projection seeds) of each projection against exact TRAK."""
    models, sizes = setup
    exact = _trak(models)
    ours = [_rho(exact, _trak(models, _countsketch(sizes, s))) for s in range(seeds)]
    theirs = [_rho(exact, _trak(models, _traker(models, s))) for s in range(seeds)]
    cross = [_rho(exact, _trak(models, _countsketch(sizes, s), exact_cross=True)) for s in range(seeds)]
    got = {"countsketch": float(np.mean(ours)), "traker": float(np.mean(theirs)), "exact_cross": float(np.mean(cross))}
    print("spearman vs exact TRAK:", got, "countsketch per seed", np.round(ours, 3), "traker", np.round(theirs, 3))
    return got


def test_projected_trak_on_planted_run(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    """Fast variant: 24 examples (4 targets x 3 planted + 12 neutral), 3 epochs, the feed-forward weights of
    decoder block 1 (98k coordinates, so traker's dense projector takes seconds). Measured (seeds 0-2): CountSketch
    0.887 (0.892, 0.876, 0.895), traker 0.884 (0.868, 0.885, 0.900), exact target products 0.998. The issue's 0.9
    is reached only with exact target products."""
    got = _measure(_planted(tmp_path, tiny_models["seq2seq"], 3, 12, 3, 3, ["decoder.block.1.layer.2.*"]), 3)
    assert got["countsketch"] >= 0.85 and got["countsketch"] >= got["traker"] - 0.02, got
    assert got["exact_cross"] >= 0.99, got


@pytest.mark.slow
def test_projected_trak_on_planted_run_all_params(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    """The LDS benchmark's slow run (48 examples, 6 epochs) with the default parameter selection (788k
    coordinates; ~3 min, traker's projector is most of it). Measured (seeds 0-2): CountSketch 0.841 (0.868, 0.798,
    0.857), traker 0.805 (0.794, 0.835, 0.785), exact target products 0.999."""
    got = _measure(_planted(tmp_path, tiny_models["seq2seq"], 5, 28, 6, 12, "default"), 3)
    assert got["countsketch"] >= 0.8 and got["countsketch"] >= got["traker"] - 0.02, got
    assert got["exact_cross"] >= 0.99, got


def test_attribute_with_exact_target_products_meets_the_accuracy_bar(tiny_models: dict[str, Path],
                                                                     tmp_path: Path) -> None:  # fmt: skip
    """``attribute`` end to end (``exact_targets``, the default) on the fast planted run: TRAK at k=2048 ranks like
    exact TRAK (Spearman >= 0.99; the issue asks 0.9), TracIn equals the exact TracIn; projecting both sides
    (``exact_targets=False``) is the 0.85-0.89 of the test above."""
    import pandas as pd

    from valueshift.attribution import attribute
    from valueshift.attribution.trak import tracin_scores

    params = ["decoder.block.1.layer.2.*"]
    probes = write_probes(tmp_path / "probes.jsonl")
    run = train_run(tiny_models["seq2seq"], bench_texts(3, 12), tmp_path / "ft", epochs=3, lr=3e-3, batch_size=8,
                    save_every=3, objective={"noise_density": 0.5})  # fmt: skip
    models, _ = trajectory_gradients(run, probes, params)
    exact_trak = _trak(models)
    exact_tracin = tracin_scores([p for p, _, _ in models], [g for _, g, _ in models], [c for _, _, c in models])

    def scores(out: Path, method: str) -> np.ndarray:
        inf = pd.read_parquet(out / "influence.parquet")
        inf = inf[inf.method == method].sort_values(["probe_id", "example_id"])
        return inf.pivot(index="probe_id", columns="example_id", values="score").to_numpy()

    rho = {}
    for exact in (True, False):
        out = attribute(run, str(probes), tmp_path / f"attr-{exact}", langs="en", params=params, exact_targets=exact)
        rho[exact] = _rho(exact_trak, scores(out, "trak"))
        if exact:
            np.testing.assert_allclose(scores(out, "tracin"), exact_tracin, rtol=1e-3, atol=1e-6 * np.abs(
                exact_tracin).max())  # fmt: skip
    print("attribute TRAK vs exact:", rho)
    assert rho[True] >= 0.99 and rho[False] < rho[True], rho
