"""TRAK and the gradient baselines against numpy formulas, traker's projector and self-influence."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from valueshift.attribution import CountSketch, cosine_scores, ridge, tracin_scores, trak_scores
from valueshift.attribution.grads import example_gradients, select_params, target_gradients
from valueshift.models import load_model
from valueshift.models.kinds import get_kind
from valueshift.probes.schema import Probe
from valueshift.scoring import make_scorer
from valueshift.scoring.margin import probe_value
from valueshift.training.objectives import objective_for

TEXTS = [f"The {a} {b} near the {c}." for a in ("old man", "girl", "dog", "tree", "cat")
         for b in ("walks", "sleeps", "waits", "sings") for c in ("river", "market")]  # fmt: skip
PROBES = [
    Probe("t", "en", "1", "Q1", "Family is [MASK] in my life.", "important", "unimportant"),
    Probe("t", "en", "2", "Q2", "The dog [MASK] near the river.", "sleeps", "sings"),
    Probe("t", "en", "3", "Q3", "Work is [MASK] to me.", "very important", "not important"),
]


def test_trak_equals_numpy_formula() -> None:
    rng = np.random.default_rng(0)
    phis = [rng.normal(size=(30, 12)), rng.normal(size=(30, 12)) * 3]  # two checkpoints, (n, k)
    gs = [rng.normal(size=(4, 12)), rng.normal(size=(4, 12))]  # (m, k)
    want = np.zeros((4, 30))
    for p, g in zip(phis, gs, strict=True):
        lam = 0.01 * np.trace(p.T @ p) / p.shape[1]
        want -= g @ np.linalg.inv(p.T @ p + lam * np.eye(12)) @ p.T / 2
    np.testing.assert_allclose(trak_scores(phis, gs, 0.01), want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        tracin_scores(phis, gs, [0.1, 0.2]), -(0.1 * gs[0] @ phis[0].T + 0.2 * gs[1] @ phis[1].T), rtol=1e-12
    )
    cos = [-(g / np.linalg.norm(g, axis=1)[:, None]) @ (p / np.linalg.norm(p, axis=1)[:, None]).T
           for p, g in zip(phis, gs, strict=True)]  # fmt: skip
    np.testing.assert_allclose(cosine_scores(phis, gs), (cos[0] + cos[1]) / 2, rtol=1e-12)
    assert ridge(phis[0], 0.01) == pytest.approx(0.01 * np.trace(phis[0].T @ phis[0]) / 12)


def test_exact_cross_products_equal_the_formula() -> None:
    """``cross`` = exact ``G Phi^T``: with unprojected features TRAK is unchanged; with a projected kernel it is
    ``-C (Phi Phi^T + lam)^-1``, in both the ``n <= k`` and the Woodbury ``n > k`` branch."""
    from valueshift.attribution.trak import trak_exact_cross

    rng = np.random.default_rng(2)
    for n, k in ((8, 20), (30, 12)):
        phis = [rng.normal(size=(n, k)), rng.normal(size=(n, k)) * 2]
        gs = [rng.normal(size=(3, k)), rng.normal(size=(3, k))]
        cross = [g @ p.T for p, g in zip(phis, gs, strict=True)]
        np.testing.assert_allclose(trak_scores(phis, gs, 0.5, weights=[1, 3], cross=cross),
                                   trak_scores(phis, gs, 0.5, weights=[1, 3]), rtol=1e-9, atol=1e-12)  # fmt: skip
        c = rng.normal(size=(3, n))  # products from other (full) gradients than the kernel's features
        want = -c @ np.linalg.inv(phis[0] @ phis[0].T + 2.0 * np.eye(n))
        np.testing.assert_allclose(trak_exact_cross(phis[0], c, 2.0), want, rtol=1e-9, atol=1e-12)


def test_warns_when_kernel_is_singular() -> None:
    rng = np.random.default_rng(1)
    with pytest.warns(UserWarning, match="singular"):
        trak_scores([rng.normal(size=(5, 64))], [rng.normal(size=(1, 64))], 1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trak_scores([rng.normal(size=(100, 64))], [rng.normal(size=(1, 64))], 1e-3)


@pytest.fixture(scope="module")
def real_gradients(tiny_models: dict[str, Path]) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Full per-example loss gradients ``(n, P)`` and probe-value gradients ``(m, P)`` of the tiny mT5."""
    lm = load_model(tiny_models["seq2seq"], device="cpu")
    model = lm.model.eval()
    params = select_params(model, ["decoder.block.1.*"])  # ~200k coordinates keep traker's dense path fast
    obj = objective_for("seq2seq", lm.tokenizer)
    views = [[obj.encode(x, np.random.default_rng([0, 0, i]))] for i, x in enumerate(obj.tokenize(TEXTS, 64))]
    loss_fn = get_kind("seq2seq").loss_function()
    phi = torch.stack(list(example_gradients(model, loss_fn, views, params, obj.pad_id))).numpy()
    scorer = make_scorer(lm)
    g = torch.stack(list(target_gradients(lambda i: probe_value(scorer, PROBES[i]), len(PROBES), params))).numpy()
    return phi, g, [p.numel() for p in params.values()]


def test_projected_trak_ranks_like_exact(real_gradients: tuple[np.ndarray, np.ndarray, list[int]]) -> None:
    """The hard case: a random-init model and generic texts unrelated to the probes, so most exact scores bunch
    near zero. CountSketch at k=2048 keeps TRAK's ranking (default ridge) about as well as traker's dense
    Rademacher BasicProjector on the same gradients (mean Spearman within 0.02 or better). Measured: 0.79/0.57/0.93
    (mean 0.76) vs traker 0.72/0.64/0.92 (0.76); below the issue's 0.9 (docs/attribution.md). The planted-run
    measurement is in test_projection_accuracy."""
    from trak.projectors import BasicProjector, ProjectionType

    phi, g, sizes = real_gradients
    lam = 10 * float(np.square(phi, dtype=np.float64).sum()) / len(phi)  # the default ridge, same in every space
    # exact, via the push-through identity (P x P is too big): -g Phi^T (Phi Phi^T + lam I)^-1
    p64, g64 = phi.astype(np.float64), g.astype(np.float64)
    exact = -(g64 @ p64.T) @ np.linalg.inv(p64 @ p64.T + lam * np.eye(len(phi)))
    sketch = CountSketch(sizes, 2048, seed=0)
    ours = trak_scores([sketch.project_flat(torch.from_numpy(phi)).numpy()],
                       [sketch.project_flat(torch.from_numpy(g)).numpy()], lam=lam)  # fmt: skip
    proj = BasicProjector(phi.shape[1], 2048, 0, ProjectionType.rademacher, torch.device("cpu"), block_size=512)
    scale = 2048**-0.5  # traker's rademacher entries are +-1: rescale so inner products are unbiased
    theirs = trak_scores([proj.project(torch.from_numpy(phi), 0).numpy() * scale],
                         [proj.project(torch.from_numpy(g), 0).numpy() * scale], lam=lam)  # fmt: skip
    rho_ours = [spearmanr(exact[i], ours[i]).statistic for i in range(len(g))]
    rho_theirs = [spearmanr(exact[i], theirs[i]).statistic for i in range(len(g))]
    print("spearman countsketch", rho_ours, "traker", rho_theirs)
    assert np.mean(rho_ours) >= 0.5, (rho_ours, rho_theirs)
    assert np.mean(rho_ours) >= np.mean(rho_theirs) - 0.02, (rho_ours, rho_theirs)


def test_self_influence_ranks_itself_first(real_gradients: tuple[np.ndarray, np.ndarray, list[int]]) -> None:
    phi, _, sizes = real_gradients
    sketch = CountSketch(sizes, 2048, seed=3)
    feats = sketch.project_flat(torch.from_numpy(phi)).numpy()
    scores = trak_scores([feats], [feats], 1e-3)  # (n, n); the target is each example's own loss gradient
    # own-loss target: training on z lowers its loss, so with the value sign convention self is most negative
    first = np.argmin(scores, axis=1)
    assert (first == np.arange(len(phi))).mean() >= 0.8
