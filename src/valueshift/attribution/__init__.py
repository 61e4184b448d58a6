"""Training data attribution: which fine-tuning examples moved a probe's value (TRAK, TracIn, gradient cosine,
BM25), the parallel-overlap analysis and LDS validation. See docs/attribution.md.

Lifecycle: :func:`attribute` (validate -> featurize per checkpoint -> score -> tables) -> :func:`validate`
(retrain on random halves, linear datamodeling score).
"""

from __future__ import annotations

from valueshift.attribution.api import INFLUENCE_COLUMNS, attribute, influence_table, select_targets
from valueshift.attribution.config import METHODS, AttributionConfig, build_attribution_config
from valueshift.attribution.examples import Checkpoint, TrainingRun
from valueshift.attribution.grads import EXCLUDED, example_gradients, select_params, target_gradients
from valueshift.attribution.lds import validate
from valueshift.attribution.lexical import bm25_scores
from valueshift.attribution.overlap import parallel_overlap
from valueshift.attribution.projection import CountSketch
from valueshift.attribution.trak import cosine_scores, ridge, tracin_scores, trak_scores

__all__ = [
    "EXCLUDED",
    "INFLUENCE_COLUMNS",
    "METHODS",
    "AttributionConfig",
    "Checkpoint",
    "CountSketch",
    "TrainingRun",
    "attribute",
    "bm25_scores",
    "build_attribution_config",
    "cosine_scores",
    "example_gradients",
    "influence_table",
    "parallel_overlap",
    "ridge",
    "select_params",
    "select_targets",
    "target_gradients",
    "tracin_scores",
    "trak_scores",
    "validate",
]
