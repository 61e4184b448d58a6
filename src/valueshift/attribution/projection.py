"""A seeded sparse random projection (CountSketch) of gradients, applied parameter by parameter.

Each coordinate ``j`` of a parameter is sent to one output bucket ``h(j)`` in ``[0, k)`` with a sign ``s(j)``:
``(S g)_b = sum_{j: h(j) = b} s(j) g_j``. Hashes and signs come from ``np.random.default_rng([seed, i])`` for the
i-th selected parameter, so the same seed gives the same features on every machine, and no ``params x k`` matrix
is ever built (a dense 2048-dim Gaussian over 13.6M coordinates would be 111 GB; traker's CPU projector
regenerates such blocks per call instead, ~100 ms per example as measured here). Memory: one int32 bucket and one sign
per coordinate (5 bytes/parameter), cached on the device.

Accuracy: ``E[<Sg1, Sg2>] = <g1, g2>`` and ``Var = (|g1|^2 |g2|^2 + <g1,g2>^2 - 2 sum_j g1_j^2 g2_j^2) / k`` --
the same ``O(1/sqrt(k))`` relative error as a dense Gaussian/Rademacher JL projection (Charikar et al. 2002;
Weinberger et al. 2009, "feature hashing"). At ``k = 2048`` the error of an inner product is about
``|g1| |g2| / 45`` (tested). Measured on a planted fine-tuning run (docs/attribution.md): no other oblivious
sketch at the same ``k`` did better -- sparse JL with 2 or 4 non-zeros per coordinate tied, and projecting layers or
blocks separately with ``k`` split by size was worse (the target and training gradients spread their energy over
the same layers, so splitting only adds variance). What does help is not projecting the target side at all:
:class:`TargetProducts` keeps the ``m`` target gradients and takes exact inner products with every training
gradient, and :func:`~valueshift.attribution.trak.trak_exact_cross` projects only the kernel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["CountSketch", "TargetProducts"]


class CountSketch:
    """Project per-parameter gradient blocks to ``k`` dimensions.

    Parameters
    ----------
    sizes
        Number of elements of each selected parameter, in a fixed order.
    k
        Output dimension.
    seed
        Seeds every hash.
    device
        Where hashes are cached and the projection runs.
    """

    def __init__(self, sizes: Sequence[int], k: int, seed: int = 0, device: Any = "cpu") -> None:
        import torch

        self.sizes, self.k, self.seed = list(sizes), k, seed
        self.device = torch.device(device)
        self._hash: list[tuple[Any, Any]] = []
        for i, n in enumerate(self.sizes):
            rng = np.random.default_rng([seed, i])
            buckets = torch.from_numpy(rng.integers(0, k, size=n, dtype=np.int64)).to(self.device)  # (n,)
            signs = torch.from_numpy(rng.integers(0, 2, size=n, dtype=np.int8) * 2 - 1).to(self.device)  # (n,)
            self._hash.append((buckets, signs))

    def project(self, blocks: Sequence[Any]) -> Any:
        """``blocks[i]``: ``(B, sizes[i])`` (or ``(sizes[i],)``) gradients -> ``(B, k)`` float32."""
        import torch

        blocks = [b.reshape(-1, n) if b.dim() != 2 else b for b, n in zip(blocks, self.sizes, strict=True)]
        out = torch.zeros(blocks[0].shape[0], self.k, dtype=torch.float32, device=self.device)  # (B, k)
        for g, (buckets, signs) in zip(blocks, self._hash, strict=True):
            out.index_add_(1, buckets, g.to(self.device, torch.float32) * signs)  # scatter (B, n) into (B, k)
        return out

    def project_flat(self, flat: Any) -> Any:
        """``(B, sum(sizes))`` concatenated gradients -> ``(B, k)``."""
        return self.project(list(flat.split(self.sizes, dim=-1)))


class TargetProducts:
    """Exact inner products of per-parameter gradient blocks with ``m`` fixed target gradients.

    Memory: the ``m`` full target gradients (``4 m P`` bytes; mt5-small's default selection, P = 44M: 176 MB per
    target), so this suits a few targets (planted probes), not a whole probe set.

    Parameters
    ----------
    targets
        ``targets[i]``: ``(m, sizes[i])`` (or ``(m, *shape)``) gradient blocks of the targets, in the parameter
        order the training blocks come in.
    device
        Where the products run.
    """

    def __init__(self, targets: Sequence[Any], device: Any = "cpu") -> None:
        import torch

        self.device = torch.device(device)
        m = targets[0].shape[0]
        self._targets = [t.reshape(m, -1).to(self.device, torch.float32) for t in targets]

    def __call__(self, blocks: Sequence[Any]) -> Any:
        """``blocks[i]``: ``(B, sizes[i])`` (or ``(sizes[i],)``) training gradients -> ``(B, m)`` float32
        ``sum_i blocks[i] @ t_i^T``."""
        import torch

        out = None
        for g, t in zip(blocks, self._targets, strict=True):
            part = g.reshape(-1, t.shape[1]).to(self.device, torch.float32) @ t.T  # (B, m)
            out = part if out is None else out + part
        return out
