"""Exception types: one per stage, all derived from :class:`ValueshiftError`.

The CLI catches ``ValueshiftError``, prints its message as one line and exits with code 2, so every message
should say where (file, line), what is wrong, and what to do.
"""

from __future__ import annotations

__all__ = [
    "AnalysisError",
    "AttributionError",
    "ConfigError",
    "CorpusError",
    "ExperimentError",
    "ModelError",
    "ProbeError",
    "RunError",
    "ScoringError",
    "TrainingError",
    "ValueshiftError",
]


class ValueshiftError(Exception):
    """Base class for every error valueshift raises on purpose (bad input, bad state)."""

    exit_code: int = 2


class ConfigError(ValueshiftError):
    """An option or configuration value is invalid."""


class RunError(ValueshiftError):
    """A run directory is in a state that forbids the requested action (finished, foreign, corrupt)."""


class ProbeError(ValueshiftError):
    """A probe file or probe spec is invalid."""


class ModelError(ValueshiftError):
    """A model or tokenizer cannot be loaded or built."""


class ScoringError(ValueshiftError):
    """Scoring cannot proceed (unsupported model type, empty input)."""


class CorpusError(ValueshiftError):
    """A corpus is missing, malformed or misaligned."""


class TrainingError(ValueshiftError):
    """Fine-tuning cannot proceed."""


class AnalysisError(ValueshiftError):
    """Tables given to the analysis stage are missing or do not match."""


class AttributionError(ValueshiftError):
    """Training data attribution cannot proceed."""


class ExperimentError(ValueshiftError):
    """An experiment file is invalid or a grid cannot be planned (names the key, the value and the fix)."""
