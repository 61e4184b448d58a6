"""Shared test fixtures: thread settings, the shared data folder, and cached tiny models."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Small models on shared cores busy-wait badly; one polite thread keeps timings stable.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("VALUESHIFT_SHARED", ROOT.parent / "shared"))
SHARED_DATA = SHARED / "data"


def pytest_configure(config: pytest.Config) -> None:
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, or skip: the shared data is not part of the project and may be absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA} (set VALUESHIFT_SHARED)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The three tiny offline models (seq2seq mT5, masked XLM-R, causal Llama), built once per session."""
    from valueshift.models import build_tiny_model

    root = tmp_path_factory.mktemp("tiny-models")
    return {kind: build_tiny_model(root / kind, kind=kind, seed=0) for kind in ("seq2seq", "masked", "causal")}  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def tiny_seq2seq(tiny_models: dict[str, Path]) -> Path:
    return tiny_models["seq2seq"]


@pytest.fixture(scope="session")
def tiny_masked(tiny_models: dict[str, Path]) -> Path:
    return tiny_models["masked"]


@pytest.fixture(scope="session")
def tiny_causal(tiny_models: dict[str, Path]) -> Path:
    return tiny_models["causal"]
