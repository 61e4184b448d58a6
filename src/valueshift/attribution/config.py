"""Typed, validated attribution settings; every default is written once, here.

Lifecycle: ``AttributionConfig.build(**fields)`` (a bad value is an :class:`AttributionError` naming field, value
and rule) -> ``config.to_json()`` goes into the run manifest (its hash decides whether an unfinished run may be
resumed) -> the featurizer and scorers read it. Runtime settings (device, quiet) are not fields.

Why the defaults (measured on the planted benchmark, docs/attribution.md): ``checkpoints="trajectory"`` and
``views="mean"`` recover the planted examples and give a positive LDS where the final model alone gives a
negative one; ``damping=10`` keeps near-duplicate examples from splitting their credit through the inverse kernel.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from valueshift.config import StageConfig
from valueshift.errors import AttributionError, ValueshiftError

__all__ = ["METHODS", "AttributionConfig", "Method", "build_attribution_config"]

Method = Literal["trak", "tracin", "cosine", "lexical"]
METHODS: tuple[str, ...] = ("trak", "tracin", "cosine", "lexical")


class AttributionConfig(StageConfig):
    """Everything that determines an attribution result."""

    error: ClassVar[type[ValueshiftError]] = AttributionError

    method: Method = Field("trak", description="trak | tracin | cosine | lexical (BM25 of probe vs example text)")
    proj_dim: int = Field(2048, gt=0, description="dimension of the random (CountSketch) gradient projection")
    params: str | list[str] = Field(
        "default",
        description="'default' (all weights but input embeddings and output head), 'all', or fnmatch patterns",
    )
    damping: float = Field(
        10.0,
        ge=0.0,
        description="TRAK ridge relative to the kernel's mean non-zero eigenvalue: "
        "lambda = damping * trace(Phi^T Phi) / min(n, proj_dim)",
    )
    checkpoints: Literal["trajectory", "all", "final"] = Field(
        "trajectory",
        description="trajectory: the base model and every checkpoints/step-K, each weighted by the summed learning "
        "rate of the steps that follow it; all: every saved model incl. the final one, equal weights; "
        "final: the final model only",
    )
    views: Literal["first", "mean"] = Field(
        "mean", description="the noised view an example's loss uses: epoch 0's, or the mean over the run's epochs"
    )
    normalize: Literal["sum", "mean", "char", "pmi"] = Field("sum", description="probe value normalisation")
    top_k: int = Field(100, gt=0, description="examples kept per target and fine-tuning language")
    rank_by: Literal["shift", "abs", "score"] = Field(
        "shift",
        description="shift: scores signed by the direction of the target's value change base -> tuned; "
        "abs: |score|; score: most positive first",
    )
    exact_targets: bool = Field(
        True,
        description="target-training gradient products exact (only the TRAK kernel is projected); holds the targets' "
        "full gradients, 4 x targets x parameters bytes, and falls back to projecting both sides above 2 GiB",
    )
    chunk_size: int = Field(32, gt=0, description="examples per saved featurisation piece (resume granularity)")
    seed: int = Field(0, ge=0, description="seed of the projection")

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def build_attribution_config(**fields: Any) -> AttributionConfig:
    """Alias of :meth:`AttributionConfig.build` (kept for callers of the first version)."""
    return AttributionConfig.build(**fields)
