"""Scoring: cloze log-probabilities from seq2seq (span fill), masked (PLL) and causal (continuation) LMs."""

from __future__ import annotations

from valueshift.scoring.api import (
    PROBE_TABLE_COLUMNS,
    aggregate_templates,
    make_scorer,
    probe,
    run_probe,
    score_probes,
)
from valueshift.scoring.base import AnswerScore, ClozeRequest, Scorer
from valueshift.scoring.config import ProbeConfig
from valueshift.scoring.normalize import NORMALIZATIONS, add_values

__all__ = [
    "NORMALIZATIONS",
    "PROBE_TABLE_COLUMNS",
    "AnswerScore",
    "ClozeRequest",
    "ProbeConfig",
    "Scorer",
    "add_values",
    "aggregate_templates",
    "make_scorer",
    "probe",
    "run_probe",
    "score_probes",
]
