"""``ProbeConfig``: everything that determines a probe run's table (runtime settings are arguments instead)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from valueshift.config import StageConfig
from valueshift.errors import ConfigError
from valueshift.scoring.normalize import Normalization

__all__ = ["Dtype", "ProbeConfig"]

Dtype = Literal["auto", "float32", "bfloat16", "float16"]


class ProbeConfig(StageConfig):
    """Settings of ``valueshift probe`` that change its result.

    Runtime-only settings -- ``batch_size`` (results are bit-identical across batch sizes), ``device``,
    ``trust_remote_code``, ``quiet`` -- are arguments of :func:`~valueshift.scoring.api.run_probe`, so they never
    change a run's key.
    """

    error = ConfigError

    model: str = Field(description="hub id (google/mt5-small) or a local save_pretrained directory")
    probes: str = Field(description="probe spec: builtin-wvs, builtin-hofstede, arora-wvs:DIR, arora-hofstede:DIR "
                        "or a .jsonl file")  # fmt: skip
    langs: str = Field("all", description="comma-separated ISO 639-1 codes, or 'all'")
    normalize: Normalization = Field("sum", description="answer score: sum, mean (per token), char or pmi")
    dtype: Dtype = Field("auto", description="weights' dtype: auto (float32), float32, bfloat16 or float16")
    average_templates: bool = Field(False, description="one row per probe: mean over paraphrased templates")
    strict: bool = Field(False, description="fail on any invalid probe instead of skipping it")

    @field_validator("model", "probes", "langs")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be empty")
        return v.strip()
