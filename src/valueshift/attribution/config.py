"""Typed, validated attribution settings; every default is written once, here.

Lifecycle: ``build_attribution_config(**fields)`` (a bad value is an :class:`AttributionError` naming field,
value and fix) -> ``config.to_json()`` goes into the run manifest (its hash decides whether an unfinished run
may be resumed) -> the featurizer and scorers read it. Runtime settings (device, quiet) are not fields.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from valueshift.errors import AttributionError

__all__ = ["METHODS", "AttributionConfig", "Method", "build_attribution_config"]

Method = Literal["trak", "tracin", "cosine", "lexical"]
METHODS: tuple[str, ...] = ("trak", "tracin", "cosine", "lexical")


class AttributionConfig(BaseModel):
    """Everything that determines an attribution result."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Method = Field("trak", description="trak | tracin | cosine | lexical (BM25 of probe vs example text)")
    proj_dim: int = Field(2048, gt=0, description="dimension of the random (CountSketch) gradient projection")
    params: str | list[str] = Field(
        "default",
        description="'default' (all weights but input embeddings and output head), 'all', or fnmatch patterns",
    )
    damping: float = Field(
        1e-3, ge=0.0, description="TRAK ridge: lambda = damping * trace(Phi^T Phi) / proj_dim (relative)"
    )
    checkpoints: Literal["all", "final"] = Field(
        "all", description="all: every checkpoints/step-K plus the final model, averaged; final: final model only"
    )
    views: Literal["first", "mean"] = Field(
        "first", description="the noised view an example's loss uses: epoch 0's, or the mean over the run's epochs"
    )
    normalize: Literal["sum", "mean", "char", "pmi"] = Field("sum", description="probe value normalisation")
    top_k: int = Field(100, gt=0, description="examples kept per target and fine-tuning language")
    rank_by: Literal["shift", "abs", "score"] = Field(
        "shift",
        description="shift: scores signed by the direction of the target's value change base -> tuned; "
        "abs: |score|; score: most positive first",
    )
    chunk_size: int = Field(32, gt=0, description="examples per saved featurisation piece (resume granularity)")
    seed: int = Field(0, ge=0, description="seed of the projection")

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def build_attribution_config(**fields: Any) -> AttributionConfig:
    """An :class:`AttributionConfig`; a bad field is an AttributionError naming field, value and the rule."""
    try:
        return AttributionConfig(**fields)
    except ValidationError as exc:
        msgs = []
        for e in exc.errors():
            name = ".".join(str(p) for p in e["loc"]) or "?"
            desc = AttributionConfig.model_fields.get(name.split(".")[0])
            hint = f" ({desc.description})" if desc is not None and desc.description else ""
            msgs.append(f"{name}={e.get('input')!r}: {e['msg']}{hint}")
        raise AttributionError("invalid attribution option(s): " + "; ".join(msgs)) from exc
