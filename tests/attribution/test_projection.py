"""CountSketch: unbiased inner products with a 1/sqrt(k) error, deterministic from the seed; exact target products."""

from __future__ import annotations

import numpy as np
import torch

from valueshift.attribution import CountSketch


def test_inner_products_and_determinism() -> None:
    sizes = [50_000, 30_000, 20_000]
    g = torch.from_numpy(np.random.default_rng(0).normal(size=(6, sum(sizes))).astype(np.float32))
    g[1] = 0.6 * g[0] + 0.8 * g[1]  # a correlated pair
    s = CountSketch(sizes, 2048, seed=7)
    p = s.project_flat(g).double()
    exact = g.double() @ g.double().T
    norms = exact.diagonal().sqrt()
    err = (p @ p.T - exact).abs() / torch.outer(norms, norms)
    # std of the relative error ~ sqrt(2 / k) = 0.031 on the diagonal, sqrt(1 / k) = 0.022 off it; 5 sigma
    assert float(err.max()) < 5 * (2 / 2048) ** 0.5
    assert float((p[0] @ p[1]) / (norms[0] * norms[1])) > 0.5  # the correlation survives
    assert torch.equal(CountSketch(sizes, 2048, seed=7).project_flat(g), s.project_flat(g))
    assert not torch.equal(CountSketch(sizes, 2048, seed=8).project_flat(g), s.project_flat(g))


def test_target_products_are_exact_inner_products() -> None:
    from valueshift.attribution.projection import TargetProducts

    sizes = [300, 50, 7]
    rng = np.random.default_rng(1)
    targets = torch.from_numpy(rng.normal(size=(3, sum(sizes))))
    train = torch.from_numpy(rng.normal(size=(5, sum(sizes))))
    products = TargetProducts(list(targets.split(sizes, dim=1)))
    got = products(list(train.float().split(sizes, dim=1)))  # (5, 3)
    torch.testing.assert_close(got.double(), train @ targets.T, rtol=1e-5, atol=1e-4)
    one = products([b.reshape(-1) for b in train[0].float().split(sizes)])  # unbatched blocks: one row
    torch.testing.assert_close(one, got[:1])
