"""TRAK scores and the gradient baselines (TracIn, gradient cosine) from projected features.

Notation per checkpoint ``c``: ``Phi_c`` ``(n, k)`` holds the projected gradients of the *training loss* of the
``n`` training examples, ``G_c`` ``(m, k)`` those of the ``m`` targets' values (:mod:`valueshift.scoring.margin`).

TRAK (Park et al. 2023): ``tau_c = - G_c (Phi_c^T Phi_c + lambda_c I)^{-1} Phi_c^T``, averaged over checkpoints
with the checkpoints' weights (:meth:`~valueshift.attribution.examples.TrainingRun.select_checkpoints`: the summed
learning rate of the steps each one stands for; equal weights give TRAK's plain ensemble mean).
The minus sign is a convention: a gradient step on example ``z`` changes a target value ``f`` by
``-lr * grad f . grad loss_z``, so with loss gradients a *positive* score means "training on this example moves
the value up" (toward ``answer_pos``), negative means toward ``answer_neg``.

``lambda_c = damping * trace(Phi_c^T Phi_c) / min(n, k)``: a fixed fraction of the kernel's mean *non-zero*
eigenvalue, so the ridge scales with the gradients (which shrink as training converges) and does not depend on
``k`` once ``k > n``. With ``k > n`` the kernel has rank ``n`` and ``lambda -> 0`` gives garbage (the traker bug
seen with traker 0.3.2); :func:`trak_scores` warns then. Small ``lambda`` also makes TRAK a leave-one-out estimate:
``n`` near-duplicates share one direction of the kernel and each gets ~1/n of its credit (removing one changes
little while the others stay). ``damping -> inf`` tends to TracIn's ranking. Default 10 (docs/attribution.md).

``Q``: TRAK weights training examples by ``Q = diag(1 - p_z)``, derived for a logistic margin
``f = log(p / (1 - p))`` of one label. A training example here is a sequence with many tokens and no single
``p``, so valueshift uses ``Q = I`` (the loss gradient already carries each token's ``1 - p`` factor).

TracIn (Pruthi et al. 2020, TracInCP with random projection): ``- sum_c w_c G_c Phi_c^T`` with ``w_c`` the
checkpoint's weight (summed learning rate of the steps it stands for). Gradient cosine: ``- sum_c w_c cos(G_c,
Phi_c) / sum_c w_c``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

__all__ = ["cosine_scores", "ridge", "tracin_scores", "trak_exact_cross", "trak_scores"]


def ridge(phi: np.ndarray, damping: float) -> float:
    """``lambda = damping * trace(Phi^T Phi) / min(n, k)`` (trace = squared Frobenius norm of ``Phi``)."""
    return float(damping * np.square(phi, dtype=np.float64).sum() / min(phi.shape))


def _weights(n: int, weights: Sequence[float] | None) -> np.ndarray:
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    assert len(w) == n and n > 0 and w.sum() > 0, "one positive weight per checkpoint is needed"
    return w


def trak_scores(
    phis: Sequence[np.ndarray],
    targets: Sequence[np.ndarray],
    damping: float = 10.0,
    *,
    weights: Sequence[float] | None = None,
    lam: float | None = None,
    cross: Sequence[np.ndarray] | None = None,
) -> np.ndarray:
    """TRAK scores ``(m, n)``, the weighted mean over checkpoints; see the module docstring for formula and sign.

    ``lam`` replaces the relative ridge by an absolute one (to compare feature spaces of different ``k``).
    ``cross[c]`` ``(m, n)``: exact target-train products ``G_c Phi_c^T`` from the full gradients
    (:class:`~valueshift.attribution.projection.TargetProducts`); then only the kernel is projected
    (:func:`trak_exact_cross`)."""
    w = _weights(len(phis), weights)
    if cross is not None:
        lams = [ridge(p, damping) if lam is None else lam for p in phis]
        parts = [wc * trak_exact_cross(p, c, lc) for p, c, wc, lc in zip(phis, cross, w, lams, strict=True)]
        return sum(parts[1:], parts[0]) / w.sum()
    out = None
    for phi, g, wc in zip(phis, targets, w, strict=True):
        phi64, g64 = phi.astype(np.float64), g.astype(np.float64)  # (n, k), (m, k)
        n, k = phi64.shape
        lam_c = ridge(phi64, damping) if lam is None else lam
        # tiny: below 1e-4 of the mean non-zero eigenvalue trace/n, where the n-rank kernel's null space blows up
        if k > n and lam_c < 1e-4 * float(np.square(phi64).sum()) / n:
            warnings.warn(
                f"proj_dim {k} > {n} training examples with damping {damping}: the kernel is singular and the "
                "scores are noise; raise damping or lower proj_dim",
                stacklevel=2,
            )
        if k <= n:
            kernel = phi64.T @ phi64 + lam_c * np.eye(k)  # (k, k)
            s = -np.linalg.solve(kernel, g64.T).T @ phi64.T  # (m, n): (K^-1 G^T)^T Phi^T, no inverse
        else:  # push-through identity: G (Phi^T Phi + lam)^-1 Phi^T = G Phi^T (Phi Phi^T + lam)^-1, n x n
            s = -np.linalg.solve(phi64 @ phi64.T + lam_c * np.eye(n), phi64 @ g64.T).T
        out = wc * s if out is None else out + wc * s
    assert out is not None
    return out / w.sum()


def trak_exact_cross(phi: np.ndarray, cross: np.ndarray, lam: float) -> np.ndarray:
    """One checkpoint's TRAK ``(m, n)`` from exact products ``C = G Phi_full^T`` and a projected kernel ``Phi``.

    ``-G (Phi^T Phi + lam I)^-1 Phi^T = -C (Phi Phi^T + lam I)^-1`` (push-through); by Woodbury that is
    ``-(C - (C Phi) (Phi^T Phi + lam I)^-1 Phi^T) / lam``, solved in whichever of ``n x n`` and ``k x k`` is
    smaller. Only the kernel ``Phi Phi^T`` carries projection error, and with the default ridge
    (``lam`` = 10x its mean eigenvalue) it enters damped; the target side, whose ``|g||phi|/sqrt(k)`` error is
    what reorders examples, is exact (docs/attribution.md)."""
    p64, c64 = phi.astype(np.float64), cross.astype(np.float64)  # (n, k), (m, n)
    n, k = p64.shape
    if n <= k:
        return -np.linalg.solve(p64 @ p64.T + lam * np.eye(n), c64.T).T
    inner = np.linalg.solve(p64.T @ p64 + lam * np.eye(k), (c64 @ p64).T).T  # (m, k)
    return -(c64 - inner @ p64.T) / lam


def _products(phis: Sequence[np.ndarray], targets: Sequence[np.ndarray],
              cross: Sequence[np.ndarray] | None) -> list[np.ndarray]:  # fmt: skip
    """``G_c Phi_c^T`` per checkpoint: the exact ``cross`` when given, else from the projected features."""
    if cross is not None:
        return [c.astype(np.float64) for c in cross]
    return [g.astype(np.float64) @ p.astype(np.float64).T for p, g in zip(phis, targets, strict=True)]


def tracin_scores(phis: Sequence[np.ndarray], targets: Sequence[np.ndarray], lrs: Sequence[float], *,
                  cross: Sequence[np.ndarray] | None = None) -> np.ndarray:  # fmt: skip
    """TracInCP ``(m, n)``: ``- sum_c lr_c G_c Phi_c^T`` (``lr_c``: the checkpoint's summed learning rate)."""
    parts = [lr * c for c, lr in zip(_products(phis, targets, cross), lrs, strict=True)]
    return -np.sum(parts, axis=0)


def cosine_scores(
    phis: Sequence[np.ndarray],
    targets: Sequence[np.ndarray],
    weights: Sequence[float] | None = None,
    *,
    cross: Sequence[np.ndarray] | None = None,
) -> np.ndarray:
    """Gradient cosine ``(m, n)``: ``- sum_c w_c cos(G_c, Phi_c) / sum_c w_c``. With ``cross`` the products are
    exact and the norms projected (a norm's error is ~sqrt(2/k), far below a near-zero product's)."""
    w = _weights(len(phis), weights)
    total = None
    for p, g, c, wc in zip(phis, targets, _products(phis, targets, cross), w, strict=True):
        pn = np.maximum(np.linalg.norm(p.astype(np.float64), axis=1), 1e-30)
        gn = np.maximum(np.linalg.norm(g.astype(np.float64), axis=1), 1e-30)
        s = -wc * c / np.outer(gn, pn)
        total = s if total is None else total + s
    assert total is not None
    return total / w.sum()
