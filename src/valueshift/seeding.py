"""Seeds for python, numpy and torch, and deterministic CPU settings."""

from __future__ import annotations

import random

import numpy as np

__all__ = ["set_seed"]


def set_seed(seed: int, *, deterministic: bool = True) -> None:
    """Seed python, numpy and torch (all devices); with ``deterministic`` ask torch for deterministic kernels."""
    import torch

    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
