"""Length-bucketed batch order: a seeded permutation that pads less than random batches."""

from __future__ import annotations

import numpy as np

from valueshift.training.batching import epoch_batches, padding_efficiency


def test_batches_cover_every_example_once() -> None:
    lengths = np.random.default_rng(0).integers(3, 80, size=203)
    for bucket in (True, False):
        batches = epoch_batches(lengths, 16, seed=1, epoch=0, bucket=bucket)
        flat = np.concatenate(batches)
        assert sorted(flat.tolist()) == list(range(203))
        assert max(len(b) for b in batches) == 16


def test_order_is_a_function_of_seed_and_epoch() -> None:
    lengths = np.random.default_rng(0).integers(3, 80, size=100)
    a = epoch_batches(lengths, 8, seed=1, epoch=0)
    assert all(np.array_equal(x, y) for x, y in zip(a, epoch_batches(lengths, 8, seed=1, epoch=0), strict=True))
    assert any(not np.array_equal(x, y) for x, y in zip(a, epoch_batches(lengths, 8, seed=1, epoch=1), strict=True))
    assert int(np.argmax(lengths)) in a[0]  # the longest example goes first (an OOM shows at once)


def test_bucketing_pads_less() -> None:
    lengths = np.random.default_rng(0).lognormal(3, 0.6, size=2000).astype(np.int64) + 2
    bucketed = padding_efficiency(lengths, epoch_batches(lengths, 16, seed=0, epoch=0, bucket=True))
    plain = padding_efficiency(lengths, epoch_batches(lengths, 16, seed=0, epoch=0, bucket=False))
    assert bucketed > 0.9 and plain < 0.7
