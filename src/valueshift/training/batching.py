"""Length-bucketed, seeded batch order for one epoch.

Lifecycle: ``epoch_batches(lengths, batch_size, seed=..., epoch=...)`` once per epoch -> the trainer walks the
returned list; ``(epoch, batch index)`` is the whole data position, so a resume needs nothing else.

Bucketing: shuffle all examples, cut the permutation into pools of ``pool x batch_size``, sort each pool by
length and cut it into batches, then shuffle the batch order. Batches hold similar lengths, so dynamic padding
wastes little, while the pools keep the order random. The batch that holds the longest example goes first, so
an out-of-memory shows up at once rather than hours in.
"""

from __future__ import annotations

import numpy as np

__all__ = ["epoch_batches", "padding_efficiency"]


def epoch_batches(
    lengths: np.ndarray, batch_size: int, *, seed: int, epoch: int, bucket: bool = True, pool: int = 50
) -> list[np.ndarray]:
    """Example indices of each batch of one epoch, a pure function of (lengths, batch_size, seed, epoch).

    Examples
    --------
    >>> b = epoch_batches(np.array([5, 1, 9, 3, 7]), 2, seed=0, epoch=0)
    >>> sorted(np.concatenate(b).tolist()), 2 in b[0]
    ([0, 1, 2, 3, 4], True)
    """
    n = len(lengths)
    rng = np.random.default_rng([seed, epoch])
    perm = rng.permutation(n)
    if not bucket:
        return [perm[i : i + batch_size] for i in range(0, n, batch_size)]
    batches: list[np.ndarray] = []
    step = max(1, pool) * batch_size
    for start in range(0, n, step):
        chunk = perm[start : start + step]
        chunk = chunk[np.argsort(-lengths[chunk], kind="stable")]  # longest first within the pool
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    order = rng.permutation(len(batches))
    batches = [batches[i] for i in order]
    longest = int(np.argmax(lengths))
    first = next(i for i, b in enumerate(batches) if longest in b)
    batches.insert(0, batches.pop(first))
    return batches


def padding_efficiency(lengths: np.ndarray, batches: list[np.ndarray]) -> float:
    """Real tokens / padded tokens over the batches (1.0 = no padding)."""
    real = sum(int(lengths[b].sum()) for b in batches)
    padded = sum(int(lengths[b].max()) * len(b) for b in batches)
    return real / padded if padded else 1.0
