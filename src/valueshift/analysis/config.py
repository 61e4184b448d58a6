"""``AnalysisConfig``: every setting that changes an analysis's tables (docs/analysis.md documents each)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from valueshift.analysis.profiles import ProfileOptions
from valueshift.analysis.shifts import DEFAULT_ALPHA, DEFAULT_N_BOOT, DEFAULT_N_PERM, DEFAULT_THRESHOLD
from valueshift.analysis.similarity import METHODS
from valueshift.analysis.stats import Method
from valueshift.config import StageConfig
from valueshift.errors import ConfigError
from valueshift.langs import FINETUNE_LANGS, LANGUAGE_NAMES

__all__ = ["AnalysisConfig"]


def _codes(value: Any) -> Any:
    """Accept ``"fa, ko"`` as well as a list; spaces around codes are ignored."""
    if isinstance(value, str):
        return tuple(c.strip() for c in value.split(",") if c.strip())
    return value


class AnalysisConfig(StageConfig):
    """Settings of ``valueshift analyze`` (Choenni et al. 2024, sec. 4, leave these open; the defaults are ours)."""

    error = ConfigError

    threshold: float = Field(
        DEFAULT_THRESHOLD, ge=0, allow_inf_nan=False, description="a probe is shifted when |delta| exceeds this (nats)"
    )
    alpha: float = Field(DEFAULT_ALPHA, gt=0, lt=1, description="FDR level for 'significant' (several seeds)")
    n_boot: int = Field(DEFAULT_N_BOOT, ge=1, description="bootstrap resamples of the seeds")
    n_perm: int = Field(
        DEFAULT_N_PERM, ge=1, description="permutations (Mantel tests, sign flips beyond 12 seeds, distance draws)"
    )
    ci_level: float = Field(0.95, gt=0, lt=1, description="bootstrap confidence level")
    seed: int = Field(0, ge=0, description="seed of every resampling step; each condition draws its own stream")
    methods: tuple[Method, ...] = Field(METHODS, min_length=1, description="correlations for similarity")
    profile: ProfileOptions = Field(default_factory=ProfileOptions, description="how values become profiles")
    human: tuple[str, ...] = Field(("wvs-moral",), description="human data: wvs-moral, hofstede or parquet paths")
    finetune_langs: tuple[str, ...] = Field(
        FINETUNE_LANGS, description="languages whose countries' cultural distance is reported"
    )
    intersect: bool = Field(False, description="analyse the shared (probe, lang) pairs instead of failing")

    _split_codes = field_validator("finetune_langs", "human", "methods", mode="before")(_codes)

    @field_validator("finetune_langs")
    @classmethod
    def _known(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [c for c in v if c not in LANGUAGE_NAMES]
        if unknown:
            raise ValueError(f"unknown language code(s) {unknown}; use ISO 639-1 codes such as fa,ko,hi,ru")
        return v

    @field_validator("human")
    @classmethod
    def _no_none(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(h for h in v if h.lower() != "none")
