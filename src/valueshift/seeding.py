"""Keyed randomness: every random stream is derived from (seed, what it is for), never from shared global state.

- :func:`keyed_rng` gives a numpy Generator for ``(seed, *keys)``: an analysis condition's bootstrap draws depend
  on that condition's name and the seed only, not on which other conditions ran before it in the same call.
- :func:`seeded` runs a block with python, numpy and torch seeded and restores the caller's generator states (and
  torch's deterministic-algorithms switch) afterwards, so a long-lived worker is left as it was found.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
from collections.abc import Iterator

import numpy as np

__all__ = ["keyed_rng", "keyed_seed", "seeded", "set_seed"]


def _key_words(keys: tuple[str | int, ...]) -> list[int]:
    digest = hashlib.sha256("\0".join(map(str, keys)).encode()).digest()
    return list(np.frombuffer(digest[:16], dtype=np.uint32))


def keyed_seed(seed: int, *keys: str | int) -> np.random.SeedSequence:
    """The SeedSequence of the stream named ``keys`` under ``seed``."""
    return np.random.SeedSequence([int(seed) % 2**32, *_key_words(keys)])


def keyed_rng(seed: int, *keys: str | int) -> np.random.Generator:
    """A numpy Generator for the stream ``keys`` under ``seed`` (same inputs, same draws, in any process)."""
    return np.random.default_rng(keyed_seed(seed, *keys))


def set_seed(seed: int) -> None:
    """Seed python, numpy and torch (all devices) globally; prefer :func:`seeded`, which restores them."""
    import torch

    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


@contextlib.contextmanager
def seeded(seed: int, *, deterministic: bool = True) -> Iterator[None]:
    """Run a block with every global generator seeded from ``seed``; restore their states afterwards."""
    import torch

    py_state, np_state = random.getstate(), np.random.get_state()
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    was_warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
    with torch.random.fork_rng(devices=devices):
        try:
            set_seed(seed)
            if deterministic:
                torch.use_deterministic_algorithms(True, warn_only=True)
            yield
        finally:
            torch.use_deterministic_algorithms(was_deterministic, warn_only=was_warn_only)
            random.setstate(py_state)
            np.random.set_state(np_state)
